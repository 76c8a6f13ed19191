"""A shift as the drawer sees it: what the drawer should hold (:func:`expected_cash`), the
:class:`ShiftOut` read-model, and the register's open shift. Both ``shifts`` (open, cash moves,
close) and ``reports`` (X and Z) read shifts through this module, so neither imports the other
for it: ``shifts`` imports ``reports`` to queue the Z report when a shift closes, and that is the
only way between them.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.pos import CashMoveKind, PosCashMove, PosRegister, PosReturn, PosSale, PosShift, ShiftStatus
from smo_app.services.core.errors import DomainError
from smo_app.services.core.shop_locale import shop_tz


class ShiftOut(BaseModel):
    id: int
    register_id: int
    register_name: str
    status: str
    opened_by_id: int = 0
    opened_by_name: str
    opened_at: datetime
    float_minor: int
    closed_by_name: str
    closed_at: datetime | None
    expected_cash_minor: int  # for an open shift: what the drawer should hold now
    counted_cash_minor: int | None
    difference_minor: int | None  # counted - expected (closed shifts)
    overnight: bool  # opened on an earlier shop day and still open


def is_overnight(opened_at: datetime, now: datetime, tz) -> bool:
    """Opened on an earlier day than ``now`` in the shop's time zone ``tz``."""
    return opened_at.astimezone(tz).date() < now.astimezone(tz).date()


def expected_cash(session: Session, shift: PosShift) -> int:
    """float + cash kept from sales + cash in − cash out − cash paid back on returns."""
    kept = session.exec(select(func.coalesce(func.sum(PosSale.cash_minor), 0)).where(PosSale.shift_id == shift.id)).one()
    refunded = session.exec(select(func.coalesce(func.sum(PosReturn.cash_minor), 0))
                            .where(PosReturn.shift_id == shift.id)).one()
    moves = dict(session.exec(select(PosCashMove.kind, func.sum(PosCashMove.amount_minor))
                              .where(PosCashMove.shift_id == shift.id).group_by(PosCashMove.kind)).all())
    return (shift.float_minor + kept + moves.get(CashMoveKind.cash_in.value, 0)
            - moves.get(CashMoveKind.cash_out.value, 0) - refunded)


def shift_out(session: Session, shift: PosShift, now: datetime | None = None) -> ShiftOut:
    register = session.get(PosRegister, shift.register_id)
    is_open = shift.status == ShiftStatus.open
    expected = expected_cash(session, shift) if is_open else (shift.expected_cash_minor or 0)
    diff = None if is_open or shift.counted_cash_minor is None else shift.counted_cash_minor - expected
    return ShiftOut(
        id=shift.id, register_id=shift.register_id, register_name=register.name if register else "",
        status=shift.status, opened_by_id=shift.opened_by_id, opened_by_name=shift.opened_by_name, opened_at=shift.opened_at,
        float_minor=shift.float_minor, closed_by_name=shift.closed_by_name, closed_at=shift.closed_at,
        expected_cash_minor=expected, counted_cash_minor=shift.counted_cash_minor, difference_minor=diff,
        overnight=is_open and is_overnight(shift.opened_at, now or utcnow(), shop_tz(session)),
    )


def open_shift_row(session: Session, register_id: int) -> PosShift | None:
    return session.exec(select(PosShift).where(PosShift.register_id == register_id,
                                               PosShift.status == ShiftStatus.open.value)).first()


def require_open_shift(session: Session, register_id: int) -> PosShift:
    """The register's open shift, or ``pos.shift_closed`` (a sale or a return needs one)."""
    shift = open_shift_row(session, register_id)
    if shift is None:
        raise DomainError("pos.shift_closed", f"register {register_id} has no open shift")
    return shift
