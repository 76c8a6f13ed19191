"""Parked tickets (PO3): a tablet's cart put aside under a name so the seller can serve the next
customer, then resumed on any tablet of the same register — once. Two tablets resuming the same
ticket at once race on a conditional UPDATE (``status = 'parked'``): one gets the cart, the other
is told where it went.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.pos import PosDevice, PosParkedTicket, TicketStatus
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.pos import cart as pos_cart
from smo_app.services.pos.shifts import get_register

MAX_NAME = 64
MAX_PARKED = 100  # listed per register


class TicketOut(BaseModel):
    id: int
    register_id: int
    name: str
    goods_minor: int
    lines_count: int
    customer_id: int | None
    parked_by_name: str
    parked_at: datetime


def _out(t: PosParkedTicket) -> TicketOut:
    return TicketOut(id=t.id, register_id=t.register_id, name=t.name, goods_minor=t.goods_minor,
                     lines_count=len(t.lines or []), customer_id=t.customer_id, parked_by_name=t.parked_by_name,
                     parked_at=t.parked_at)


@atomic
def park_ticket(session: Session, *, actor: Actor, register_id: int, name: str, device_id: int | None = None,
                now: datetime | None = None) -> TicketOut:
    """Put this tablet's cart aside under ``name``; the cart is empty for the next customer."""
    require(actor, Perm.pos_sell)
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= MAX_NAME:
        raise ValidationFailed("pos.ticket_name_invalid", "name 1..64", max=MAX_NAME)
    get_register(session, register_id)
    now = now or utcnow()
    cart = pos_cart.lock_cart(session, register_id, device_id)
    if not cart.lines:
        raise DomainError("pos.ticket_cart_empty", "nothing to park")
    priced = pos_cart.price_cart(session, cart, actor=actor, now=now)
    ticket = PosParkedTicket(register_id=register_id, name=name, lines=[dict(x) for x in cart.lines],
                             customer_id=cart.customer_id, bonus_minor=cart.bonus_minor, goods_minor=priced.total_minor,
                             parked_by_name=actor.name[:128], parked_from_device_id=device_id, parked_at=now)
    session.add(ticket)
    cart.lines, cart.customer_id, cart.bonus_minor, cart.approval_id, cart.updated_at = [], None, 0, None, now
    session.add(cart)
    session.flush()
    audit.record(session, actor=actor, action="pos.ticket_park", entity="pos_parked_ticket", entity_id=ticket.id,
                 after={"name": name, "lines": len(ticket.lines), "total_minor": ticket.goods_minor,
                        "device_id": device_id})
    out = _out(ticket)
    session.commit()
    return out


def list_tickets(session: Session, *, actor: Actor, register_id: int) -> list[TicketOut]:
    """The register's tickets waiting to be resumed, oldest first."""
    require(actor, Perm.pos_sell)
    get_register(session, register_id)
    rows = session.exec(select(PosParkedTicket).where(PosParkedTicket.register_id == register_id,
                                                      PosParkedTicket.status == TicketStatus.parked.value)
                        .order_by(PosParkedTicket.parked_at, PosParkedTicket.id).limit(MAX_PARKED)).all()
    return [_out(t) for t in rows]


@atomic
def resume_ticket(session: Session, *, actor: Actor, register_id: int, ticket_id: int, device_id: int | None = None,
                  now: datetime | None = None) -> pos_cart.CartOut:
    """The ticket's lines, customer and bonuses into this tablet's (empty) cart. Once: a ticket
    another tablet resumed first is refused with that tablet's name."""
    require(actor, Perm.pos_sell)
    now = now or utcnow()
    pos_cart.require_open_shift(session, register_id)
    cart = pos_cart.lock_cart(session, register_id, device_id)
    ticket = session.get(PosParkedTicket, ticket_id)
    if ticket is None or ticket.register_id != register_id:
        raise NotFound("parked ticket", ticket_id)
    if cart.lines:
        raise DomainError("pos.ticket_cart_busy", "the cart is not empty")
    taken = session.execute(update(PosParkedTicket)
                            .where(PosParkedTicket.id == ticket_id, PosParkedTicket.status == TicketStatus.parked.value)
                            .values(status=TicketStatus.resumed.value, resumed_by_name=actor.name[:128],
                                    resumed_on_device_id=device_id, resumed_at=now)
                            .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        session.rollback()
        ticket = session.get(PosParkedTicket, ticket_id)
        device = session.get(PosDevice, ticket.resumed_on_device_id) if ticket.resumed_on_device_id else None
        raise DomainError("pos.ticket_gone", "already resumed", name=ticket.name,
                          device=device.name if device else ticket.resumed_by_name)
    cart.lines = [dict(x) for x in ticket.lines]
    cart.customer_id, cart.bonus_minor, cart.approval_id, cart.updated_at = (ticket.customer_id, ticket.bonus_minor,
                                                                             None, now)
    session.add(cart)
    session.flush()
    audit.record(session, actor=actor, action="pos.ticket_resume", entity="pos_parked_ticket", entity_id=ticket_id,
                 after={"name": ticket.name, "device_id": device_id})
    out = pos_cart.price_cart(session, cart, actor=actor, now=now)
    session.commit()
    return out
