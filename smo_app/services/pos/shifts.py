"""Registers and shifts (PO2): open with a float, cash in/out with a reason, close with counted cash.

One open shift per register is held by the database (partial unique index
``uq_pos_shift_open_register``); closing is a conditional UPDATE on ``status = 'open'``. A shift
left open past the shop's day is reported as ``overnight`` — it is never closed by itself.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.pos import CashMoveKind, PosCashMove, PosRegister, PosShift, ShiftStatus
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.pos import reports
from smo_app.services.pos.drawer import ShiftOut, expected_cash, open_shift_row, shift_out

MAX_AMOUNT_MINOR = 100_000_000_00  # a sanity bound on typed amounts (100 million)


class RegisterOut(BaseModel):
    id: int
    name: str
    active: bool


def check_amount(amount_minor: int, code: str = "pos.amount_invalid") -> int:
    """A typed amount: not negative (``code``), at most :data:`MAX_AMOUNT_MINOR` (a message naming the
    bound — a mistyped 99 999 999 999 999 is "too large", not "negative")."""
    if not isinstance(amount_minor, int) or amount_minor < 0:
        raise ValidationFailed(code, f"bad amount {amount_minor!r}")
    if amount_minor > MAX_AMOUNT_MINOR:
        raise ValidationFailed("pos.amount_too_large", f"amount {amount_minor} above the bound", max_minor=MAX_AMOUNT_MINOR)
    return amount_minor


# --------------------------------------------------------------------------- registers

def list_registers(session: Session, *, actor: Actor) -> list[RegisterOut]:
    require(actor, Perm.pos_access)
    rows = session.exec(select(PosRegister).where(PosRegister.active).order_by(PosRegister.id)).all()
    return [RegisterOut.model_validate(r, from_attributes=True) for r in rows]


@atomic
def create_register(session: Session, *, actor: Actor, name: str) -> RegisterOut:
    require(actor, Perm.settings_manage)
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise ValidationFailed("pos.register_name_invalid", "name 1..64")
    if session.exec(select(PosRegister.id).where(PosRegister.name == name)).first() is not None:
        raise DomainError("pos.register_name_taken", "name taken", name=name)
    reg = PosRegister(name=name)
    session.add(reg)
    session.flush()
    audit.record(session, actor=actor, action="pos.register_create", entity="pos_register", entity_id=reg.id,
                 after={"name": name})
    session.commit()
    return RegisterOut.model_validate(reg, from_attributes=True)


def get_register(session: Session, register_id: int) -> PosRegister:
    reg = session.get(PosRegister, register_id)
    if reg is None or not reg.active:
        raise NotFound("register", register_id)
    return reg


# --------------------------------------------------------------------------- shifts

def lock_open_shift(session: Session, register_id: int) -> PosShift:
    """The register's open shift, locked for this transaction (a no-op conditional UPDATE): a sale,
    a return or a cash move and the closing of the shift queue up instead of crossing — the
    closing counts every movement committed before it, and nothing lands in a closed shift."""
    row = session.execute(update(PosShift).where(PosShift.register_id == register_id,
                                                 PosShift.status == ShiftStatus.open.value)
                          .values(status=PosShift.status).returning(PosShift.id)
                          .execution_options(synchronize_session=False)).first()
    if row is None:
        raise DomainError("pos.shift_closed", f"register {register_id} has no open shift")
    return session.get(PosShift, row[0])


def current_shift(session: Session, *, actor: Actor, register_id: int, now: datetime | None = None) -> ShiftOut | None:
    """The open shift of the register (with ``overnight`` set if it was left open), or None."""
    require(actor, Perm.pos_access)
    get_register(session, register_id)
    shift = open_shift_row(session, register_id)
    return shift_out(session, shift, now) if shift else None


@atomic
def open_shift(session: Session, *, actor: Actor, register_id: int, float_minor: int,
               now: datetime | None = None) -> ShiftOut:
    require(actor, Perm.pos_sell)
    check_amount(float_minor, "pos.float_invalid")
    get_register(session, register_id)
    now = now or utcnow()
    if open_shift_row(session, register_id) is not None:
        raise DomainError("pos.shift_already_open", f"register {register_id} already has an open shift")
    shift = PosShift(register_id=register_id, opened_by_id=actor.id, opened_by_name=actor.name[:128], opened_at=now,
                     float_minor=float_minor)
    session.add(shift)
    try:
        session.flush()
    except IntegrityError as exc:  # another tablet opened it a moment ago: the index decided
        session.rollback()
        raise DomainError("pos.shift_already_open", f"register {register_id} already has an open shift") from exc
    audit.record(session, actor=actor, action="pos.shift_open", entity="pos_shift", entity_id=shift.id,
                 after={"register_id": register_id, "float_minor": float_minor})
    out = shift_out(session, shift, now)
    session.commit()
    return out


@atomic
def cash_move(session: Session, *, actor: Actor, register_id: int, kind: str, amount_minor: int, reason: str,
              now: datetime | None = None) -> ShiftOut:
    """Cash in or out of the drawer, with a reason. Taking out more than the drawer holds is refused."""
    require(actor, Perm.pos_sell)
    try:
        kind = CashMoveKind(kind)
    except ValueError as exc:
        raise ValidationFailed("pos.cash_kind_invalid", f"kind {kind!r}") from exc
    check_amount(amount_minor)
    if amount_minor == 0:
        raise ValidationFailed("pos.amount_invalid", "zero")
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 200:
        raise ValidationFailed("pos.reason_required", "a reason is required")
    shift = lock_open_shift(session, register_id)
    if kind == CashMoveKind.cash_out and amount_minor > expected_cash(session, shift):
        raise DomainError("pos.cash_out_too_much", "more than the drawer holds",
                          available_minor=expected_cash(session, shift))
    now = now or utcnow()
    session.add(PosCashMove(shift_id=shift.id, kind=kind.value, amount_minor=amount_minor, reason=reason,
                            actor_id=actor.id, actor_name=actor.name[:128], created_at=now))
    session.flush()
    audit.record(session, actor=actor, action=f"pos.cash_{kind.value}", entity="pos_shift", entity_id=shift.id,
                 after={"amount_minor": amount_minor}, note=reason)
    out = shift_out(session, shift, now)
    session.commit()
    return out


@atomic
def close_shift(session: Session, *, actor: Actor, register_id: int, counted_cash_minor: int,
                now: datetime | None = None) -> ShiftOut:
    """Close with the counted cash: expected vs counted and the difference are stored and audited;
    the Z report goes to the admins' Telegram (see :mod:`smo_app.services.pos.reports`)."""
    require(actor, Perm.pos_sell)
    check_amount(counted_cash_minor, "pos.counted_invalid")
    now = now or utcnow()
    result = session.execute(
        update(PosShift).where(PosShift.register_id == register_id, PosShift.status == ShiftStatus.open.value)
        .values(status=ShiftStatus.closed.value, closed_at=now, closed_by_id=actor.id, closed_by_name=actor.name[:128],
                counted_cash_minor=counted_cash_minor)
        .returning(PosShift.id).execution_options(synchronize_session=False)).first()
    if result is None:
        raise DomainError("pos.shift_closed", f"register {register_id} has no open shift")
    shift = session.get(PosShift, result[0])
    session.refresh(shift)
    # counted after the UPDATE took the row: every sale, return and cash move committed before is in
    expected = expected_cash(session, shift)
    shift.expected_cash_minor = expected
    session.add(shift)
    session.flush()
    session.refresh(shift)
    audit.record(session, actor=actor, action="pos.shift_close", entity="pos_shift", entity_id=shift.id,
                 after={"expected_minor": expected, "counted_minor": counted_cash_minor,
                        "difference_minor": counted_cash_minor - expected})
    reports.queue_z_report(session, shift=shift, now=now)
    out = shift_out(session, shift, now)
    session.commit()
    return out


def list_shifts(session: Session, *, actor: Actor, open_only: bool = False, limit: int = 50,
                now: datetime | None = None) -> list[ShiftOut]:
    """Admins: recent shifts, open ones (overnight flagged) first."""
    require(actor, Perm.analytics_view)
    query = select(PosShift)
    if open_only:
        query = query.where(PosShift.status == ShiftStatus.open.value)
    rows = session.exec(query.order_by(PosShift.status.desc(), PosShift.id.desc()).limit(limit)).all()
    return [shift_out(session, s, now) for s in rows]
