"""What operators write in a customer's forum topic (SU3): to the customer as the bot — text and
photos, never the operator's account — and ``/close`` closing the ticket. Operators are linked
staff members who may answer support; two answering at once are taken one after the other (the
ticket's row is locked), so the customer gets both, in order.

Without a supergroup the operator's private chat with the bot is the relay: "take it" under the
staff alert gives them the ticket (one at a time: a partial unique index on the chat), what the
customer wrote is copied there, what they write goes to the customer, ``/close`` closes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.staff import Staff
from smo_app.models.support import OPEN_STATES, SupportMessage, SupportTicket, SupportTopic, TicketState
from smo_app.services.core import audit, shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, get_or_not_found
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.messaging.outbox import enqueue_message
from smo_app.services.support import admin, relay
from smo_app.services.support.tickets import open_ticket


def _topic_ticket(session: Session, chat_id: int, thread_id: int) -> tuple[int | None, SupportTicket | None]:
    """(the topic's customer, their open ticket locked) — (None, None) when the topic is not a customer's."""
    customer_id = session.exec(select(SupportTopic.customer_id).where(SupportTopic.chat_id == chat_id,
                                                                      SupportTopic.thread_id == thread_id)).first()
    if customer_id is None:
        return None, None
    ticket = session.exec(select(SupportTicket).where(
        SupportTicket.customer_id == customer_id, SupportTicket.state.in_([s.value for s in OPEN_STATES]))
        .with_for_update()).first()
    return customer_id, ticket


@atomic
def operator_writes(session: Session, *, actor: Actor, chat_id: int, thread_id: int, text: str = "",
                    photo_file_id: str | None = None, now: datetime | None = None) -> int | None:
    """An operator's message in a customer's topic, to the customer (a new ticket, the operator's at
    once, when theirs was closed). None when the topic is not a customer's. Audited. Commits."""
    require(actor, Perm.support_manage)
    now = now or utcnow()
    customer_id, ticket = _topic_ticket(session, chat_id, thread_id)
    if customer_id is None or not (text or photo_file_id):
        return None
    if ticket is None:
        ticket = open_ticket(session, customer_id, now)
        ticket.escalated_at = now
    admin.operator_answers(session, ticket, staff_id=actor.id if actor.is_staff else None, text=text,
                           photo_file_id=photo_file_id, now=now)
    audit.record(session, actor=actor, action="support.reply", entity="support_ticket", entity_id=ticket.id,
                 note=(text or "photo")[:200])
    session.commit()
    return ticket.id


@atomic
def close_from_topic(session: Session, *, actor: Actor, chat_id: int, thread_id: int) -> int | None:
    """``/close`` in a customer's topic: their open ticket closed, the customer told, the topic too.
    None when there was nothing open. Audited. Commits."""
    require(actor, Perm.support_manage)
    customer_id, ticket = _topic_ticket(session, chat_id, thread_id)
    if ticket is None or not admin.close_ticket(session, ticket):
        return None
    customer = session.get(Customer, customer_id)
    relay.to_topic(session, chat_id, customer, create=False,
                   text=t("support.topic.closed", shop_locale.shop_locale(session).language, ticket=ticket.id))
    audit.record(session, actor=actor, action="support.close", entity="support_ticket", entity_id=ticket.id)
    session.commit()
    return ticket.id


# -- without a supergroup: the operator's private chat ----------------------------------------------
def _operator_chat(session: Session, actor: Actor) -> int:
    staff = session.get(Staff, actor.id) if actor.is_staff else None
    if staff is None or staff.telegram_id is None:
        raise DomainError("support.operator_unlinked", "no Telegram linked")
    return staff.telegram_id


@atomic
def take(session: Session, *, actor: Actor, ticket_id: int, now: datetime | None = None) -> int:
    """"Take it": the ticket is relayed through the operator's private chat (a conditional update —
    two operators pressing at once, one gets it; one ticket per operator at a time — the partial
    unique index). Its header and the customer's messages so far are copied there. Audited. Commits."""
    require(actor, Perm.support_manage)
    now = now or utcnow()
    chat_id = _operator_chat(session, actor)
    ticket = get_or_not_found(session, SupportTicket, ticket_id, "ticket")
    try:
        with session.begin_nested():
            moved = session.execute(
                update(SupportTicket).where(SupportTicket.id == ticket_id, SupportTicket.operator_chat_id.is_(None),
                                            SupportTicket.state.in_([TicketState.needs_operator.value,
                                                                     TicketState.operator.value]))
                .values(operator_chat_id=chat_id, assigned_staff_id=actor.id, updated_at=now)
                .execution_options(synchronize_session=False)).rowcount
    except IntegrityError:
        raise DomainError("support.one_at_a_time", "the operator holds another ticket") from None
    session.refresh(ticket)
    if not moved:
        raise DomainError("support.taken", "ticket taken or closed")
    customer = session.get(Customer, ticket.customer_id)
    enqueue_message(session, kind="support_operator_copy", chat_id=chat_id, parse_mode="plain",
                    text=t("support.private.taken", actor_lang(session, actor), ticket=ticket.id,
                           customer=relay.topic_name(customer)))
    ids = session.exec(select(SupportMessage.telegram_message_id).where(
        SupportMessage.ticket_id == ticket.id, SupportMessage.telegram_message_id.is_not(None))
        .order_by(SupportMessage.id.desc()).limit(relay.MAX_COPIED)).all()
    for message_id in reversed(ids):
        relay.copy_to_operators(session, customer, message_id, chat_id)
    audit.record(session, actor=actor, action="support.assign", entity="support_ticket", entity_id=ticket.id,
                 after={"staff_id": actor.id, "via": "telegram"})
    session.commit()
    return ticket.id


def actor_lang(session: Session, actor: Actor) -> str:
    staff = session.get(Staff, actor.id) if actor.is_staff else None
    return (staff.language if staff is not None and staff.language else shop_locale.shop_locale(session).language)


def _held(session: Session, actor: Actor) -> SupportTicket | None:
    staff = session.get(Staff, actor.id) if actor.is_staff else None
    if staff is None or staff.telegram_id is None:
        return None
    return session.exec(select(SupportTicket).where(
        SupportTicket.operator_chat_id == staff.telegram_id,
        SupportTicket.state.in_([s.value for s in OPEN_STATES])).with_for_update()).first()


@atomic
def private_writes(session: Session, *, actor: Actor, text: str = "", photo_file_id: str | None = None,
                   now: datetime | None = None) -> int | None:
    """An operator's message in their private chat: to the customer of the ticket they hold (None
    when they hold none — the message is not for support). Audited. Commits."""
    require(actor, Perm.support_manage)
    ticket = _held(session, actor)
    if ticket is None or not (text or photo_file_id):
        session.rollback()
        return None
    admin.operator_answers(session, ticket, staff_id=actor.id, text=text, photo_file_id=photo_file_id, now=now)
    audit.record(session, actor=actor, action="support.reply", entity="support_ticket", entity_id=ticket.id,
                 note=(text or "photo")[:200])
    session.commit()
    return ticket.id


@atomic
def close_private(session: Session, *, actor: Actor) -> int | None:
    """``/close`` in the operator's private chat: the ticket they hold is closed (None: none held)."""
    require(actor, Perm.support_manage)
    ticket = _held(session, actor)
    if ticket is None or not admin.close_ticket(session, ticket):
        session.rollback()
        return None
    enqueue_message(session, kind="support_operator_copy", chat_id=_operator_chat(session, actor),
                    text=t("support.topic.closed", actor_lang(session, actor), ticket=ticket.id))
    audit.record(session, actor=actor, action="support.close", entity="support_ticket", entity_id=ticket.id)
    session.commit()
    return ticket.id
