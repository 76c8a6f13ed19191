"""The seller's line discount typed as a percentage or as an amount in roubles (PO5).

An amount becomes the whole percentage of the line's goods that does not exceed it (the pricing
works in whole percentages, so 150 ₽ off a 1 000 ₽ line is 15 %, and 155 ₽ is also 15 % = 150 ₽);
the screen shows what was applied. Refused input changes nothing and says why.
"""
from __future__ import annotations

from sqlmodel import Session

from smo_app.money import parse_money
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.pos import cart as pos_cart

MAX_PCT = 100


def parse_pct(text: str) -> int:
    """A typed percentage: a whole number 0..100 (a trailing "%" is fine), else ``pos.discount_invalid``."""
    raw = (text or "").strip().rstrip("%").strip() or "0"
    if not raw.isdigit() or int(raw) > MAX_PCT:
        raise ValidationFailed("pos.discount_invalid", "0..100")
    return int(raw)


def set_line_discount_amount(session: Session, *, actor: Actor, register_id: int, variant_id: int,
                             amount_minor: int, device_id: int | None = None) -> pos_cart.CartOut:
    """``amount_minor`` off the line, as the whole percentage of its goods that does not exceed it."""
    require(actor, Perm.pos_sell)
    if not isinstance(amount_minor, int) or amount_minor < 0:
        raise ValidationFailed("pos.discount_amount_invalid", "not a non-negative amount")
    current = pos_cart.get_cart(session, actor=actor, register_id=register_id, device_id=device_id)
    line = next((ln for ln in current.lines if ln.variant_id == variant_id), None)
    if line is None:
        raise NotFound("cart line", variant_id)
    if amount_minor > line.goods_minor:
        raise ValidationFailed("pos.discount_above_line", "more than the line", most_minor=line.goods_minor)
    pct = amount_minor * 100 // line.goods_minor if line.goods_minor else 0
    session.rollback()  # end the read before the locked write
    return pos_cart.set_line_discount(session, actor=actor, register_id=register_id, variant_id=variant_id, pct=pct,
                                      device_id=device_id)


def apply_typed_discount(session: Session, *, actor: Actor, register_id: int, variant_id: int, text: str,
                         unit: str = "pct", device_id: int | None = None) -> pos_cart.CartOut:
    """The discount as the seller typed it, in ``pct`` or ``rub``; anything else is refused with
    the reason (``pos.discount_invalid`` / ``pos.discount_amount_invalid``) and changes nothing."""
    if unit == "rub":
        try:
            amount = parse_money(text)
        except ValueError:
            raise ValidationFailed("pos.discount_amount_invalid", "not an amount") from None
        return set_line_discount_amount(session, actor=actor, register_id=register_id, variant_id=variant_id,
                                        amount_minor=amount, device_id=device_id)
    return pos_cart.set_line_discount(session, actor=actor, register_id=register_id, variant_id=variant_id,
                                      pct=parse_pct(text), device_id=device_id)
