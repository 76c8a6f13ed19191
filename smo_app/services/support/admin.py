"""The backoffice's Support area (managers and up): the queue by state with paging, a ticket's
conversation, a reply from the web (to the customer through the outbox), assigning and closing."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, update
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.staff import Staff
from smo_app.models.support import MessageAuthor, SupportMessage, SupportTicket, TicketState
from smo_app.services.core import audit, ports, shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed, get_or_not_found
from smo_app.services.core.paging import page_of
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.customers.admin import checked_message
from smo_app.services.support import relay
from smo_app.services.support.tickets import add_message, tell_customer

PAGE_SIZE = 20
QUEUES = ("needs_operator", "operator", "ai", "closed")


class TicketRow(BaseModel):
    id: int
    state: str
    customer_id: int
    customer_name: str
    username: str
    order_id: int | None
    topic: str
    assigned_to: str
    updated_at: datetime
    last_text: str


class TicketPage(BaseModel):
    rows: list[TicketRow]
    page: int
    has_next: bool
    counts: dict[str, int]  # open tickets per state, for the tabs
    tokens_month: int  # the AI endpoint's tokens spent on tickets opened this shop month


class MessageRow(BaseModel):
    id: int
    author: str
    staff_name: str
    text: str
    photo_file_id: str | None
    document_name: str | None
    created_at: datetime


class TicketView(BaseModel):
    ticket: TicketRow
    messages: list[MessageRow]
    tokens_in: int
    tokens_out: int
    can_reply: bool  # open and the customer has a Telegram chat


def _row(ticket: SupportTicket, customer: Customer | None, staff: Staff | None, last_text: str) -> TicketRow:
    return TicketRow(id=ticket.id, state=ticket.state, customer_id=ticket.customer_id,
                     customer_name=(customer.full_name if customer else "") or "",
                     username=(customer.username if customer else "") or "", order_id=ticket.order_id,
                     topic=ticket.topic, assigned_to=(staff.full_name or staff.username) if staff else "",
                     updated_at=ticket.updated_at, last_text=last_text[:120])


def queue(session: Session, *, actor: Actor, state: str = "needs_operator", page: int = 1) -> TicketPage:
    """One page of the tickets in ``state`` (the oldest waiting first; the archive newest first)."""
    require(actor, Perm.support_manage)
    if state not in QUEUES:
        raise ValidationFailed("support.state_unknown", f"unknown state {state}")
    order = SupportTicket.id.desc() if state == TicketState.closed else SupportTicket.updated_at
    rows = session.exec(page_of(
        select(SupportTicket, Customer, Staff).join(Customer, Customer.id == SupportTicket.customer_id)
        .outerjoin(Staff, Staff.id == SupportTicket.assigned_staff_id)
        .where(SupportTicket.state == state).order_by(order, SupportTicket.id), page, PAGE_SIZE)).all()
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    last = _last_texts(session, [tk.id for tk, _, _ in rows])
    counts = dict(session.exec(select(SupportTicket.state, func.count()).where(SupportTicket.state != "closed")
                               .group_by(SupportTicket.state)).all())
    return TicketPage(rows=[_row(tk, c, s, last.get(tk.id, "")) for tk, c, s in rows], page=page,
                      has_next=has_next, counts={k: int(counts.get(k, 0)) for k in QUEUES if k != "closed"},
                      tokens_month=tokens_this_month(session))


def tokens_this_month(session: Session, now: datetime | None = None) -> int:
    """Tokens (prompt + answer) the AI endpoint spent on tickets opened since the shop month began."""
    tz = shop_locale.shop_tz(session)
    local = (now or utcnow()).astimezone(tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz)
    total = session.exec(select(func.coalesce(func.sum(SupportTicket.tokens_in + SupportTicket.tokens_out), 0))
                         .where(SupportTicket.opened_at >= start)).one()
    return int(total or 0)


def _last_texts(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    if not ticket_ids:
        return {}
    newest = (select(func.max(SupportMessage.id)).where(SupportMessage.ticket_id.in_(ticket_ids))
              .group_by(SupportMessage.ticket_id))
    rows = session.exec(select(SupportMessage).where(SupportMessage.id.in_(newest))).all()
    return {m.ticket_id: m.text or ("📷" if m.photo_file_id else (m.document_name or "")) for m in rows}


def view_ticket(session: Session, *, actor: Actor, ticket_id: int) -> TicketView:
    require(actor, Perm.support_manage)
    ticket = get_or_not_found(session, SupportTicket, ticket_id, "ticket")
    customer = session.get(Customer, ticket.customer_id)
    staff = session.get(Staff, ticket.assigned_staff_id) if ticket.assigned_staff_id else None
    rows = session.exec(select(SupportMessage, Staff).outerjoin(Staff, Staff.id == SupportMessage.staff_id)
                        .where(SupportMessage.ticket_id == ticket_id).order_by(SupportMessage.id)).all()
    messages = [MessageRow(id=m.id, author=m.author, staff_name=(s.full_name or s.username) if s else "",
                           text=m.text, photo_file_id=m.photo_file_id, document_name=m.document_name,
                           created_at=m.created_at) for m, s in rows]
    return TicketView(ticket=_row(ticket, customer, staff, messages[-1].text if messages else ""), messages=messages,
                      tokens_in=ticket.tokens_in, tokens_out=ticket.tokens_out,
                      can_reply=ticket.state != TicketState.closed and bool(customer and customer.telegram_id))


_IMAGE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"RIFF", "image/webp"),
                (b"GIF8", "image/gif"))


def photo(session: Session, *, actor: Actor, message_id: int) -> tuple[str, bytes]:
    """A ticket message's photo as (content type, bytes), read back from Telegram by its file id;
    ``support.photo_unavailable`` when it is not an image Telegram still has."""
    require(actor, Perm.support_manage)
    message = get_or_not_found(session, SupportMessage, message_id, "message")
    session.rollback()  # nothing held while Telegram answers
    port = ports.telegram_files()
    content = port.download(message.photo_file_id) if port is not None and message.photo_file_id else None
    kind = next((name for magic, name in _IMAGE_TYPES if content and content.startswith(magic)), None)
    if kind is None:
        raise DomainError("support.photo_unavailable", "photo unavailable")
    return kind, content


def operator_answers(session: Session, ticket: SupportTicket, *, staff_id: int | None, text: str = "",
                     photo_file_id: str | None = None, now: datetime | None = None) -> SupportMessage:
    """An operator's word to the customer (from the web or from Telegram): kept on the ticket, the
    ticket becomes the operator's (assigned to them if nobody has it), sent as the bot. No commit."""
    now = now or utcnow()
    if ticket.state == TicketState.closed:
        raise DomainError("support.ticket_closed", "ticket closed")
    message = add_message(session, ticket, author=MessageAuthor.operator, text=text, photo_file_id=photo_file_id,
                          staff_id=staff_id, now=now)
    ticket.state = TicketState.operator.value
    ticket.first_response_at = ticket.first_response_at or now
    ticket.last_operator_at = now
    if ticket.assigned_staff_id is None and staff_id is not None:
        ticket.assigned_staff_id = staff_id
    customer = session.get(Customer, ticket.customer_id)
    tell_customer(session, customer, ticket, text, photo=photo_file_id, kind="support_operator")
    return message


@atomic
def reply(session: Session, *, actor: Actor, ticket_id: int, text: str, now: datetime | None = None) -> TicketView:
    """A manager answers from the backoffice. Audited."""
    require(actor, Perm.support_manage)
    text = checked_message(text)
    ticket = session.exec(select(SupportTicket).where(SupportTicket.id == ticket_id).with_for_update()).first()
    if ticket is None:
        get_or_not_found(session, SupportTicket, ticket_id, "ticket")
    customer = session.get(Customer, ticket.customer_id)
    if customer is None or customer.telegram_id is None or customer.unreachable:
        raise DomainError("customers.unreachable", "no Telegram chat or bot blocked")
    operator_answers(session, ticket, staff_id=actor.id if actor.is_staff else None, text=text, now=now)
    relay.echo_web_reply(session, customer, staff_name=actor.name or "", text=text)
    audit.record(session, actor=actor, action="support.reply", entity="support_ticket", entity_id=ticket_id,
                 note=text[:200])
    session.commit()
    return view_ticket(session, actor=actor, ticket_id=ticket_id)


@atomic
def assign(session: Session, *, actor: Actor, ticket_id: int, staff_id: int | None = None) -> TicketView:
    """Assign the ticket to a staff member (by default the caller). Audited."""
    require(actor, Perm.support_manage)
    ticket = get_or_not_found(session, SupportTicket, ticket_id, "ticket")
    if ticket.state == TicketState.closed:
        raise DomainError("support.ticket_closed", "ticket closed")
    staff_id = staff_id if staff_id is not None else actor.id
    member = get_or_not_found(session, Staff, staff_id, "staff")
    if not member.is_active:
        raise DomainError("support.staff_inactive", "inactive staff")
    before = ticket.assigned_staff_id
    ticket.assigned_staff_id = member.id
    ticket.updated_at = utcnow()
    audit.record(session, actor=actor, action="support.assign", entity="support_ticket", entity_id=ticket_id,
                 before={"staff_id": before}, after={"staff_id": member.id})
    session.commit()
    return view_ticket(session, actor=actor, ticket_id=ticket_id)


def close_ticket(session: Session, ticket: SupportTicket, *, now: datetime | None = None) -> bool:
    """Close an open ticket once (a conditional update) and tell the customer. No commit."""
    now = now or utcnow()
    operator_spoke = session.exec(select(func.count()).select_from(SupportMessage).where(
        SupportMessage.ticket_id == ticket.id, SupportMessage.author == MessageAuthor.operator.value)).one()
    closed = session.execute(
        update(SupportTicket).where(SupportTicket.id == ticket.id, SupportTicket.state != TicketState.closed.value)
        .values(state=TicketState.closed.value, closed_at=now, updated_at=now,
                solved_by="operator" if operator_spoke else "ai")
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(ticket)
    if closed:
        customer = session.get(Customer, ticket.customer_id)
        if customer is not None:
            text = t("support.closed", customer.language or "ru")
            add_message(session, ticket, author=MessageAuthor.system, text=text, now=now)
            tell_customer(session, customer, ticket, text, kind="support_closed")
    return bool(closed)


@atomic
def close(session: Session, *, actor: Actor, ticket_id: int) -> TicketView:
    require(actor, Perm.support_manage)
    ticket = get_or_not_found(session, SupportTicket, ticket_id, "ticket")
    if not close_ticket(session, ticket):
        raise DomainError("support.ticket_closed", "ticket closed")
    audit.record(session, actor=actor, action="support.close", entity="support_ticket", entity_id=ticket_id)
    session.commit()
    return view_ticket(session, actor=actor, ticket_id=ticket_id)
