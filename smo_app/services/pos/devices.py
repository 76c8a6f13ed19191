"""The tablets of a register (PO3): each is named once on the tablet, which keeps the device's token
in the browser (only its hash is stored), and each has its own cart (``pos.cart``). Several tablets
may sell in one shift of a register; what a tablet shows of that shift — who opened it, whether
this seller joined someone else's — and the light status a tablet polls (the shift still open? its
cart changed elsewhere?) are read here.

Two tablets naming themselves alike on one register race on the unique ``(register_id, name)``.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.pos import PosCart, PosDevice, PosParkedTicket, PosRegister, PosShift, ShiftStatus, TicketStatus
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.pos.drawer import open_shift_row
from smo_app.services.pos.shifts import get_register
from smo_app.services.staff.auth import hash_token

MAX_NAME = 64


class DeviceOut(BaseModel):
    id: int
    register_id: int
    register_name: str
    name: str


class DeviceSetup(BaseModel):
    device: DeviceOut
    token: str  # for the tablet's browser only; never shown again


class TabletStatus(BaseModel):
    """What a tablet shows of its shift and register (read on load and when the poll sees a change)."""

    shift_id: int | None  # the register's open shift, None when closed
    shift_opened_by_id: int
    shift_opened_by_name: str
    register_name: str
    device_name: str
    joined: bool  # this seller sells in a shift someone else opened
    cart_updated_at: datetime | None
    parked: int  # tickets waiting on the register (the list is reloaded when this changes)


def _out(session: Session, device: PosDevice) -> DeviceOut:
    register = session.get(PosRegister, device.register_id)
    return DeviceOut(id=device.id, register_id=device.register_id, register_name=register.name if register else "",
                     name=device.name)


@atomic
def register_device(session: Session, *, actor: Actor, register_id: int, name: str) -> DeviceSetup:
    """Name this tablet as a device of the register; the answer carries the token its browser keeps."""
    require(actor, Perm.pos_sell)
    get_register(session, register_id)
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= MAX_NAME:
        raise ValidationFailed("pos.device_name_invalid", "name 1..64", max=MAX_NAME)
    token = secrets.token_urlsafe(32)
    device = PosDevice(register_id=register_id, name=name, token_hash=hash_token(token),
                       created_by_name=actor.name[:128], created_at=utcnow())
    session.add(device)
    try:
        session.flush()
    except IntegrityError as exc:  # the name is taken on this register (perhaps a moment ago)
        session.rollback()
        raise DomainError("pos.device_name_taken", "device name taken", name=name) from exc
    audit.record(session, actor=actor, action="pos.device_register", entity="pos_device", entity_id=device.id,
                 after={"register_id": register_id, "name": name})
    out = _out(session, device)
    session.commit()
    return DeviceSetup(device=out, token=token)


@atomic
def adopt_device(session: Session, *, actor: Actor, device_id: int) -> DeviceSetup:
    """This browser becomes a tablet named before (a new browser on the same tablet, or the demo's
    tablets): the device gets a new token, so a browser that had the old one is asked again."""
    require(actor, Perm.pos_sell)
    device = session.get(PosDevice, device_id)
    if device is None:
        raise DomainError("pos.device_unknown", f"no device {device_id}")
    get_register(session, device.register_id)
    token = secrets.token_urlsafe(32)
    device.token_hash = hash_token(token)
    session.add(device)
    audit.record(session, actor=actor, action="pos.device_adopt", entity="pos_device", entity_id=device.id,
                 after={"register_id": device.register_id, "name": device.name})
    out = _out(session, device)
    session.commit()
    return DeviceSetup(device=out, token=token)


def all_devices(session: Session, *, actor: Actor) -> list[DeviceOut]:
    """Every tablet of every active register (the naming form offers them to a new browser)."""
    require(actor, Perm.pos_access)
    rows = session.exec(select(PosDevice, PosRegister).join(PosRegister, PosRegister.id == PosDevice.register_id)
                        .where(PosRegister.active).order_by(PosRegister.id, PosDevice.id)).all()
    return [DeviceOut(id=d.id, register_id=r.id, register_name=r.name, name=d.name) for d, r in rows]


def device_by_token(session: Session, *, actor: Actor, token: str) -> DeviceOut | None:
    """The device this browser was named as (None for an unknown or forgotten token)."""
    require(actor, Perm.pos_access)
    if not token or len(token) > 128:
        return None
    device = session.exec(select(PosDevice).where(PosDevice.token_hash == hash_token(token))).first()
    if device is None or not get_register(session, device.register_id).active:
        return None
    return _out(session, device)


def list_devices(session: Session, *, actor: Actor, register_id: int) -> list[DeviceOut]:
    require(actor, Perm.pos_access)
    register = get_register(session, register_id)
    rows = session.exec(select(PosDevice).where(PosDevice.register_id == register_id).order_by(PosDevice.id)).all()
    return [DeviceOut(id=d.id, register_id=register_id, register_name=register.name, name=d.name) for d in rows]


def tablet_status(session: Session, *, actor: Actor, register_id: int, device_id: int | None = None) -> TabletStatus:
    """The register's shift and this tablet's cart as of now: a tablet whose shift was closed on
    another tablet, or whose cart was resumed into, sees it at its next poll."""
    require(actor, Perm.pos_access)
    register = get_register(session, register_id)
    shift = open_shift_row(session, register_id)
    device = session.get(PosDevice, device_id) if device_id is not None else None
    if device_id is not None and (device is None or device.register_id != register_id):
        raise DomainError("pos.device_unknown", f"device {device_id} is not on register {register_id}")
    cart_query = (select(PosCart.updated_at).where(PosCart.device_id == device_id) if device_id is not None
                  else select(PosCart.updated_at).where(PosCart.register_id == register_id,
                                                        PosCart.device_id.is_(None)))
    return TabletStatus(
        shift_id=shift.id if shift else None, shift_opened_by_id=shift.opened_by_id if shift else 0,
        shift_opened_by_name=shift.opened_by_name if shift else "", register_name=register.name,
        device_name=device.name if device else "", joined=bool(shift and shift.opened_by_id != actor.id),
        cart_updated_at=session.exec(cart_query).first(),
        parked=session.exec(select(func.count(PosParkedTicket.id)).where(
            PosParkedTicket.register_id == register_id, PosParkedTicket.status == TicketStatus.parked.value)).one(),
    )


class TabletPulse(BaseModel):
    """What a tablet polls every two seconds: enough to notice a change, nothing to show."""

    shift_id: int | None  # the register's open shift, None when closed
    cart_updated_at: datetime | None  # this tablet's cart
    parked: int  # tickets waiting on the register


_S, _C, _T = PosShift.__table__, PosCart.__table__, PosParkedTicket.__table__
_RID = bindparam("rid")


def _pulse_query(cart_where):
    return select(
        select(_S.c.id).where(_S.c.register_id == _RID, _S.c.status == ShiftStatus.open.value)
        .limit(1).scalar_subquery(),
        select(_C.c.updated_at).where(cart_where).limit(1).scalar_subquery(),
        select(func.count(_T.c.id)).where(_T.c.register_id == _RID, _T.c.status == TicketStatus.parked.value)
        .scalar_subquery(),
    )


_PULSE_DEVICE = _pulse_query((_C.c.device_id == bindparam("did")) & (_C.c.register_id == _RID))
_PULSE_SHARED = _pulse_query((_C.c.register_id == _RID) & _C.c.device_id.is_(None))


def tablet_pulse(session: Session, *, actor: Actor, register_id: int, device_id: int | None = None) -> TabletPulse:
    """The two-second poll in one statement (the shift, this tablet's cart, the parked count); the
    tablet reloads what changed (:func:`tablet_status`, the cart, the parked list) only then."""
    require(actor, Perm.pos_access)
    params = {"rid": register_id} if device_id is None else {"rid": register_id, "did": device_id}
    row = session.connection().execute(_PULSE_SHARED if device_id is None else _PULSE_DEVICE, params).one()
    return TabletPulse(shift_id=row[0], cart_updated_at=row[1], parked=int(row[2] or 0))
