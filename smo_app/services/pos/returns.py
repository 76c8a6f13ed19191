"""Returns and exchanges (PO6) against the original sale.

Within the return window; never more of a line than was sold minus what was already returned
(the sale row is locked by an UPDATE first, so two returns of the same sale queue up on
PostgreSQL); money back by the original payment type (card and cash in the sale's proportion);
stock back through the ledger; the bonuses the sale spent given back and the cashback it earned
taken back, in proportion. Amounts are split cumulatively, so returning everything in parts gives
back exactly what was paid. An exchange is a return whose money pays a new sale, in one step.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.loyalty import LoyaltyEntry, LoyaltyKind
from smo_app.models.orders import OrderLine
from smo_app.models.pos import PosReturn, PosReturnLine, PosSale
from smo_app.models.stock import MoveKind
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.tx import atomic
from smo_app.services.customers import loyalty
from smo_app.services.pos import sale as pos_sale
from smo_app.services.pos.shifts import lock_open_shift
from smo_app.services.stock import ledger as stock

BONUS_BACK_KIND = "pos_return_bonus"  # LoyaltyEntry.kind: bonuses a returned sale had spent
CASHBACK_BACK_KIND = "pos_return_cashback"  # LoyaltyEntry.kind: cashback a returned sale had earned


class ReturnLineIn(BaseModel):
    order_line_id: int
    qty: int = Field(gt=0)


class ReturnOut(BaseModel):
    id: int
    sale_id: int
    goods_minor: int
    cash_minor: int
    card_minor: int
    credit_minor: int
    bonus_back_minor: int
    cashback_reversed_minor: int
    lines: list[dict]
    created_at: datetime


def _share(total: int, part_before: int, part_now: int, whole: int) -> int:
    """The cumulative proportional split: ``total`` × (before+now)/whole − ``total`` × before/whole."""
    if whole <= 0:
        return 0
    return total * (part_before + part_now) // whole - total * part_before // whole


def _out(ret: PosReturn, lines: list[PosReturnLine]) -> ReturnOut:
    data = ret.model_dump()
    data["lines"] = [{"order_line_id": ln.order_line_id, "variant_id": ln.variant_id, "qty": ln.qty,
                      "amount_minor": ln.amount_minor} for ln in lines]
    return ReturnOut.model_validate(data)


class _AlreadyDone(Exception):
    """Raised inside the transaction when, once the sale is locked, the same client id turns out to
    have been committed by a concurrent resend: the caller answers with that first return."""


def _existing(session: Session, client_id: str) -> ReturnOut | None:
    ret = session.exec(select(PosReturn).where(PosReturn.client_id == client_id)).first()
    if ret is None:
        return None
    return _out(ret, list(session.exec(select(PosReturnLine).where(PosReturnLine.return_id == ret.id)).all()))


@atomic
def return_items(session: Session, *, actor: Actor, register_id: int, sale_id: int,
                 lines: list[ReturnLineIn | dict], client_id: str, reason: str = "",
                 now: datetime | None = None) -> ReturnOut:
    """Return ``lines`` of sale ``sale_id`` at this register's open shift; the same ``client_id``
    again returns the first return."""
    require(actor, Perm.pos_sell)
    pos_sale.check_client_id(client_id)
    found = _existing(session, client_id)
    if found is not None:
        return found
    try:
        ret, rows = _return(session, actor=actor, register_id=register_id, sale_id=sale_id, lines=lines,
                            client_id=client_id, reason=reason, to_credit=False, now=now or utcnow())
        session.commit()
    except (IntegrityError, _AlreadyDone):
        # the same id sent twice at once: the loser finds the winner's row once the sale lock is
        # released (or meets the unique index) — the answer is the first return
        session.rollback()
        found = _existing(session, client_id)
        if found is not None:
            return found
        raise
    return _out(ret, rows)


class ExchangeOut(BaseModel):
    returned: ReturnOut
    sale: pos_sale.ReceiptOut


@atomic
def exchange(session: Session, *, actor: Actor, register_id: int, sale_id: int, lines: list[ReturnLineIn | dict],
             client_id: str, card_minor: int = 0, tendered_minor: int = 0, now: datetime | None = None,
             device_id: int | None = None) -> ExchangeOut:
    """Return ``lines`` and sell the register's cart in one transaction: the returned goods' money
    pays the new sale first; the rest is paid, or, if the new sale costs less, given back as the
    original sale was paid (card and cash in its proportion)."""
    require(actor, Perm.pos_sell)
    pos_sale.check_client_id(client_id)
    now = now or utcnow()
    found = _existing_exchange(session, client_id)
    if found is not None:
        return found
    try:
        ret, rows = _return(session, actor=actor, register_id=register_id, sale_id=sale_id, lines=lines,
                            client_id=client_id, reason="exchange", to_credit=True, now=now)
        new_sale = pos_sale.sell_cart(session, actor=actor, register_id=register_id, client_id=f"x{client_id}"[:64],
                                      card_minor=card_minor, tendered_minor=tendered_minor,
                                      credit_minor=ret.credit_minor, now=now, device_id=device_id)
        _settle(session, actor=actor, ret=ret, original=session.get(PosSale, sale_id), new_sale=new_sale)
        session.commit()
    except (IntegrityError, _AlreadyDone):
        session.rollback()
        found = _existing_exchange(session, client_id)
        if found is not None:
            return found
        raise DomainError("pos.exchange_retry", "sent twice at once")
    return ExchangeOut(returned=_out(ret, rows), sale=pos_sale.receipt(session, new_sale))


def _existing_exchange(session: Session, client_id: str) -> ExchangeOut | None:
    ret = session.exec(select(PosReturn).where(PosReturn.client_id == client_id)).first()
    if ret is None or not ret.exchange_sale_id:
        return None
    return ExchangeOut(returned=_existing(session, client_id),
                       sale=pos_sale.receipt(session, session.get(PosSale, ret.exchange_sale_id)))


def _settle(session: Session, *, actor: Actor, ret: PosReturn, original: PosSale, new_sale: PosSale) -> None:
    """The credit the new sale did not use goes back as the original sale was paid: card and cash
    in its proportion (a card payer is not handed cash from the drawer)."""
    left = ret.credit_minor - new_sale.credit_minor
    paid = original.cash_minor + original.card_minor + original.credit_minor
    ret.card_minor = left * original.card_minor // paid if paid else 0
    ret.cash_minor = left - ret.card_minor
    ret.credit_minor, ret.exchange_sale_id = new_sale.credit_minor, new_sale.id
    session.add(ret)
    audit.record(session, actor=actor, action="pos.exchange", entity="pos_sale", entity_id=original.id,
                 after={"return_id": ret.id, "new_sale_id": new_sale.id, "credit_minor": ret.credit_minor,
                        "cash_back_minor": ret.cash_minor, "card_back_minor": ret.card_minor})
    session.flush()


def _return(session: Session, *, actor: Actor, register_id: int, sale_id: int, lines: list, client_id: str,
            reason: str, to_credit: bool, now: datetime) -> tuple[PosReturn, list[PosReturnLine]]:
    items = [ln if isinstance(ln, ReturnLineIn) else ReturnLineIn.model_validate(ln) for ln in lines]
    if not items:
        raise ValidationFailed("pos.return_empty", "nothing to return")
    shift = lock_open_shift(session, register_id)
    cfg = get_config(session)
    # lock the sale: concurrent returns of it queue here (PostgreSQL row lock; SQLite write lock)
    locked = session.execute(update(PosSale).where(PosSale.id == sale_id)
                             .values(returned_minor=PosSale.returned_minor).execution_options(synchronize_session=False))
    if locked.rowcount != 1:
        raise NotFound("sale", sale_id)
    if session.exec(select(PosReturn.id).where(PosReturn.client_id == client_id)).first() is not None:
        raise _AlreadyDone(client_id)  # a concurrent resend committed while this one waited for the lock
    sale = session.get(PosSale, sale_id)
    session.refresh(sale)
    if now - sale.created_at > timedelta(days=cfg.pos_return_days):
        raise DomainError("pos.return_window_over", "too late", days=cfg.pos_return_days)
    m = _measure(session, sale, items)
    rows, goods, bonus_back, money = m.rows, m.goods, m.bonus_back, m.money
    goods_before, money_before, lines_total = m.goods_before, m.money_before, m.lines_total
    paid = sale.cash_minor + sale.card_minor + sale.credit_minor
    card = 0 if to_credit else _share(sale.card_minor, money_before, money, paid)
    cash = 0 if to_credit else money - card
    ret = PosReturn(client_id=client_id, sale_id=sale_id, shift_id=shift.id, actor_id=actor.id,
                    actor_name=actor.name[:128], goods_minor=goods, cash_minor=cash, card_minor=card,
                    credit_minor=money if to_credit else 0, bonus_back_minor=bonus_back, reason=(reason or "")[:200],
                    created_at=now)
    session.add(ret)
    session.flush()
    for row in rows:
        row.return_id = ret.id
        session.add(row)
        stock.apply_move(session, actor=actor, variant_id=row.variant_id, delta=row.qty, kind=MoveKind.return_,
                         order_id=sale.order_id, comment=f"POS return #{ret.id}", now=now)
    if sale.customer_id is not None:
        if bonus_back:
            loyalty.post_entry(session, actor=actor, customer_id=sale.customer_id, kind=BONUS_BACK_KIND,
                               amount_minor=bonus_back, note=f"return #{ret.id} of order #{sale.order_id}", now=now)
        cashback = session.exec(select(LoyaltyEntry.amount_minor).where(
            LoyaltyEntry.order_id == sale.order_id, LoyaltyEntry.kind == LoyaltyKind.cashback.value)).first() or 0
        reverse = _share(cashback, goods_before, goods, lines_total)
        balance = session.get(Customer, sale.customer_id).bonus_balance_minor
        reverse = min(reverse, balance)  # already spent cashback cannot be taken below zero
        if reverse:
            loyalty.post_entry(session, actor=actor, customer_id=sale.customer_id, kind=CASHBACK_BACK_KIND,
                               amount_minor=-reverse, note=f"return #{ret.id} of order #{sale.order_id}", now=now)
        ret.cashback_reversed_minor = reverse
    session.execute(update(PosSale).where(PosSale.id == sale_id)
                    .values(returned_minor=PosSale.returned_minor + goods).execution_options(synchronize_session=False))
    audit.record(session, actor=actor, action="pos.return", entity="pos_sale", entity_id=sale_id,
                 after={"return_id": ret.id, "goods_minor": goods, "cash_minor": cash, "card_minor": card,
                        "credit_minor": ret.credit_minor, "bonus_back_minor": bonus_back,
                        "cashback_reversed_minor": ret.cashback_reversed_minor,
                        "lines": [[r.order_line_id, r.qty] for r in rows]}, note=reason or None)
    session.add(ret)
    session.flush()
    return ret, rows


@dataclass
class _Measured:
    rows: list[PosReturnLine]
    goods: int
    bonus_back: int
    money: int
    goods_before: int
    money_before: int
    lines_total: int


def _measure(session: Session, sale: PosSale, items: list[ReturnLineIn]) -> _Measured:
    """What returning ``items`` of ``sale`` is worth now: the lines' share of what they cost, the
    bonuses it gives back, the money — after what earlier returns of the sale took."""
    sale_id = sale.id
    order_lines = {ln.id: ln for ln in session.exec(select(OrderLine).where(OrderLine.order_id == sale.order_id)).all()}
    already = dict(session.exec(
        select(PosReturnLine.order_line_id, func.sum(PosReturnLine.qty))
        .where(PosReturnLine.order_line_id.in_(list(order_lines))).group_by(PosReturnLine.order_line_id)).all())
    wanted: dict[int, int] = {}
    for item in items:
        wanted[item.order_line_id] = wanted.get(item.order_line_id, 0) + item.qty
    rows, goods = [], 0
    for line_id in sorted(wanted):
        ol = order_lines.get(line_id)
        if ol is None:
            raise NotFound("sale line", line_id)
        before, qty = already.get(line_id, 0), wanted[line_id]
        if before + qty > ol.qty:
            raise DomainError("pos.return_too_many", "more than sold minus returned", name=ol.name,
                              left=ol.qty - before)
        amount = _share(ol.total_minor, before, qty, ol.qty)
        goods += amount
        rows.append(PosReturnLine(return_id=0, order_line_id=line_id, variant_id=ol.variant_id, qty=qty,
                                  amount_minor=amount))
    lines_total = sum(ol.total_minor for ol in order_lines.values())
    prev = session.exec(select(func.coalesce(func.sum(PosReturn.goods_minor), 0),
                               func.coalesce(func.sum(PosReturn.cash_minor + PosReturn.card_minor + PosReturn.credit_minor), 0))
                        .where(PosReturn.sale_id == sale_id)).one()
    goods_before, money_before = int(prev[0]), int(prev[1])
    bonus_back = _share(sale.bonus_minor, goods_before, goods, lines_total)
    money = goods - bonus_back
    return _Measured(rows=rows, goods=goods, bonus_back=bonus_back, money=money, goods_before=goods_before,
                     money_before=money_before, lines_total=lines_total)


class ReturnPreview(BaseModel):
    goods_minor: int
    bonus_back_minor: int
    money_minor: int  # what the customer gets back (or what pays an exchange's new items)


def preview_return(session: Session, *, actor: Actor, sale_id: int, lines: list[ReturnLineIn | dict]) -> ReturnPreview:
    """What a return of ``lines`` would give back now, before it is made (the return screen shows
    it, and an exchange's difference). Read-only; refuses what the return itself would refuse."""
    require(actor, Perm.pos_sell)
    sale = session.get(PosSale, sale_id)
    if sale is None:
        raise NotFound("sale", sale_id)
    items = [ln if isinstance(ln, ReturnLineIn) else ReturnLineIn.model_validate(ln) for ln in lines]
    if not items:
        return ReturnPreview(goods_minor=0, bonus_back_minor=0, money_minor=0)
    m = _measure(session, sale, items)
    return ReturnPreview(goods_minor=m.goods, bonus_back_minor=m.bonus_back, money_minor=m.money)
