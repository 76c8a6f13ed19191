"""What operators write in a customer's forum topic (SU3): to the customer as the bot — text and
photos, never the operator's account — and ``/close`` closing the ticket. Operators are linked
staff members who may answer support; two answering at once are taken one after the other (the
ticket's row is locked), so the customer gets both, in order."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.support import OPEN_STATES, SupportTicket, SupportTopic
from smo_app.services.core import audit, shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
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
