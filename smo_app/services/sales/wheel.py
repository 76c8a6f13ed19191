"""Reward wheel (CR8): prizes with odds set in the backoffice; a customer spins once per period.

The server decides the prize (a weighted draw with an injectable ``random.Random``); "once per
period" is held by the database (unique customer + period on ``wheel_spin``), so two spins sent at
the same moment give one prize and one ``wheel.already_spun``. A prize becomes a personal one-use
promo code (through :mod:`sales.promotions`) or bonuses (through :func:`loyalty.post_entry`), in
the same transaction as the spin, audited.
"""
from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.wheel import PrizeKind, WheelPrize, WheelSpin
from smo_app.services.core import audit, shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from smo_app.services.core.form_input import amount, whole_number
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.core.unique import unique_as
from smo_app.services.customers import loyalty
from smo_app.services.sales import promotions

PERIOD = "week"  # one spin per customer per ISO week of the shop's calendar ("day" is possible too)
PROMO_DAYS = 30  # a won promo code is valid this long
MAX_PRIZES = 12
MAX_BONUS_MINOR = 1_000_000


class PrizeOut(BaseModel):
    id: int
    label: str
    kind: str
    value: int
    weight: int
    active: bool


class SpinOut(BaseModel):
    id: int
    period: str
    prize_id: int | None
    kind: str
    label: str
    value: int
    promo_code: str
    created_at: datetime


class WheelView(BaseModel):
    """What the Mini App shows: the active prizes' labels, whether a spin is left this period."""

    prizes: list[PrizeOut]
    can_spin: bool
    last: SpinOut | None
    period: str


def period_key(now: datetime, period: str = PERIOD, tz=None) -> str:
    """The shop-time period ``now`` falls in: ``2026-W47`` (week) or ``2026-11-22`` (day)."""
    local = now.astimezone(tz or shop_locale.env_default().tz)
    if period == "day":
        return local.date().isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def _prize_out(p: WheelPrize) -> PrizeOut:
    return PrizeOut.model_validate(p, from_attributes=True)


def _spin_out(s: WheelSpin) -> SpinOut:
    return SpinOut.model_validate(s, from_attributes=True)


# --------------------------------------------------------------------------- backoffice

def list_prizes(session: Session, *, actor: Actor) -> list[PrizeOut]:
    require(actor, Perm.promotions_manage)
    out = [_prize_out(p) for p in session.exec(select(WheelPrize).order_by(WheelPrize.id)).all()]
    session.rollback()
    return out


@atomic
def save_prize(session: Session, *, actor: Actor, label: str, kind: str, value: int, weight: int,
               active: bool = True, prize_id: int | None = None) -> PrizeOut:
    """Create or change a prize. ``value``: percent (promo, 1–100), bonuses in minor units (bonus),
    0 (nothing). ``weight``: its share of the odds among active prizes (0 keeps it but never wins)."""
    require(actor, Perm.promotions_manage)
    label = (label or "").strip()
    if not 1 <= len(label) <= 64:
        raise ValidationFailed("wheel.label_invalid", "label 1..64")
    try:
        kind = PrizeKind(kind).value
    except ValueError as exc:
        raise ValidationFailed("wheel.kind_invalid", f"unknown kind {kind}") from exc
    if kind == PrizeKind.promo and not 1 <= value <= 100:
        raise ValidationFailed("wheel.pct_invalid", "percent 1..100")
    if kind == PrizeKind.bonus and not 1 <= value <= MAX_BONUS_MINOR:
        raise ValidationFailed("wheel.bonus_invalid", "bonus amount", max=MAX_BONUS_MINOR // 100)
    if kind == PrizeKind.nothing:
        value = 0
    if not 0 <= weight <= 1000:
        raise ValidationFailed("wheel.weight_invalid", "weight 0..1000")
    if prize_id is None:
        if len(session.exec(select(WheelPrize.id)).all()) >= MAX_PRIZES:
            raise ValidationFailed("wheel.too_many", "too many prizes", max=MAX_PRIZES)
        prize = WheelPrize()
        before = None
    else:
        prize = session.get(WheelPrize, prize_id)
        if prize is None:
            raise NotFound("wheel_prize", prize_id)
        before = {"label": prize.label, "kind": prize.kind, "value": prize.value, "weight": prize.weight,
                  "active": prize.active}
    prize.label, prize.kind, prize.value, prize.weight, prize.active = label, kind, value, weight, bool(active)
    session.add(prize)
    session.flush()
    audit.record(session, actor=actor, action="wheel.prize_save", entity="wheel_prize", entity_id=prize.id,
                 before=before, after={"label": label, "kind": kind, "value": value, "weight": weight,
                                       "active": bool(active)})
    out = _prize_out(prize)
    session.commit()
    return out


def save_prize_as_typed(session: Session, *, actor: Actor, label: str, kind: str, value: str, weight: str,
                        active: bool = True, prize_id: int | None = None) -> PrizeOut:
    """The wheel tab's form: ``value`` as typed — rubles for bonuses, a percent for a promo code,
    nothing for "nothing"; ``weight`` a whole number."""
    require(actor, Perm.promotions_manage)
    raw = (value or "").strip() or "0"
    if kind == PrizeKind.bonus:
        number = amount(raw, "wheel.bonus_invalid", field="value", max=MAX_BONUS_MINOR // 100)
    elif kind == PrizeKind.promo:
        number = whole_number(raw, "wheel.pct_invalid", field="value")
    else:
        number = 0
    share = whole_number(weight, "wheel.weight_invalid", field="weight", minimum=0)
    return save_prize(session, actor=actor, label=label, kind=kind, value=number, weight=share, active=active,
                      prize_id=prize_id or None)


def set_prize_active(session: Session, *, actor: Actor, prize_id: int, active: bool) -> PrizeOut:
    """Switch a prize on or off, keeping the rest of it (its odds go to the other active prizes)."""
    require(actor, Perm.promotions_manage)
    prize = session.get(WheelPrize, prize_id)
    if prize is None:
        raise NotFound("wheel_prize", prize_id)
    return save_prize(session, actor=actor, label=prize.label, kind=prize.kind, value=prize.value,
                      weight=prize.weight, active=active, prize_id=prize_id)


# --------------------------------------------------------------------------- the customer's spin

def _customer_id(actor: Actor) -> int:
    if not actor.is_customer or actor.id is None:
        raise PermissionDenied("customer")
    return actor.id


def _active_prizes(session: Session) -> list[WheelPrize]:
    return list(session.exec(select(WheelPrize).where(WheelPrize.active.is_(True), WheelPrize.weight > 0)
                             .order_by(WheelPrize.id)).all())


def draw(prizes: list[WheelPrize] | list[PrizeOut], rng: random.Random) -> WheelPrize | PrizeOut:
    """One weighted draw: each prize wins with weight / total weight."""
    total = sum(p.weight for p in prizes)
    point = rng.randrange(total)
    for prize in prizes:
        point -= prize.weight
        if point < 0:
            return prize
    raise AssertionError("unreachable: weights sum to total")


def wheel_view(session: Session, *, actor: Actor, now: datetime | None = None, period: str = PERIOD) -> WheelView:
    customer_id = _customer_id(actor)
    key = period_key(now or utcnow(), period, shop_locale.shop_tz(session))
    prizes = [_prize_out(p) for p in _active_prizes(session)]
    last = session.exec(select(WheelSpin).where(WheelSpin.customer_id == customer_id)
                        .order_by(WheelSpin.id.desc())).first()
    out = WheelView(prizes=prizes, can_spin=bool(prizes) and (last is None or last.period != key),
                    last=_spin_out(last) if last else None, period=key)
    session.rollback()
    return out


@atomic
def spin(session: Session, *, actor: Actor, rng: random.Random | None = None, now: datetime | None = None,
         period: str = PERIOD) -> SpinOut:
    """The customer's spin this period: the prize drawn on the server and handed out, or
    ``wheel.already_spun`` (held by the unique customer + period, also under concurrency),
    ``wheel.closed`` when no prize is set up."""
    customer_id = _customer_id(actor)
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    key = period_key(now, period, shop_locale.shop_tz(session))
    prizes = _active_prizes(session)
    if not prizes:
        raise DomainError("wheel.closed", "no prizes")
    prize = draw(prizes, rng)
    row = WheelSpin(customer_id=customer_id, period=key, prize_id=prize.id, kind=prize.kind, label=prize.label,
                    value=prize.value, created_at=now)
    session.add(row)
    with unique_as(session, "wheel_spin", ("customer_id", "period"),
                   lambda: DomainError("wheel.already_spun", "one spin per period", period=key)):
        session.flush()  # the database decides "once per period" before any prize is handed out
    if prize.kind == PrizeKind.promo:
        code = "WHEEL-" + secrets.token_hex(4).upper()
        promotions.add_personal_promo(session, code=code, pct=prize.value, expires_at=now + timedelta(days=PROMO_DAYS))
        row.promo_code = code
        session.add(row)
    elif prize.kind == PrizeKind.bonus:
        loyalty.post_entry(session, actor=actor, customer_id=customer_id, kind="wheel", amount_minor=prize.value,
                           note=prize.label, now=now)
    audit.record(session, actor=actor, action="wheel.spin", entity="wheel_spin", entity_id=row.id,
                 after={"prize": prize.label, "kind": prize.kind, "value": prize.value, "period": key,
                        **({"code": row.promo_code} if row.promo_code else {})})
    out = _spin_out(row)
    session.commit()
    return out


__all__ = ["PERIOD", "PrizeOut", "SpinOut", "WheelView", "draw", "list_prizes", "period_key", "save_prize", "spin",
           "wheel_view"]
