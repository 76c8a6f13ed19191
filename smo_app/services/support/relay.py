"""Operators in Telegram (SU3): the staff supergroup with forum topics, one per customer.

On a ticket's hand-over the customer's topic is made (the first message into it creates it, named
with the customer's name and @username) and what the customer wrote on the ticket is copied into
it; while a person has the ticket, everything the customer sends is copied there too (what
operators write back: ``support.operators``). Everything leaves through the outbox: the sender
resolves the topic's thread (``thread_of``) and records a new one (``topic_created``).
"""
from __future__ import annotations

from collections.abc import Callable
from html import escape

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.support import SupportMessage, SupportTicket, SupportTopic
from smo_app.services.core import shop_locale
from smo_app.services.messaging.outbox import enqueue_message
from smo_app.services.support import settings as support_settings
from smo_app.settings import get_settings

MAX_COPIED = 20  # a hand-over copies at most the customer's last messages


def topic_name(customer: Customer) -> str:
    name = (customer.full_name or "").strip() or f"#{customer.id}"
    return (name + (f" @{customer.username}" if customer.username else ""))[:128]


def _topic(session: Session, chat_id: int, customer_id: int) -> tuple[SupportTopic, bool]:
    """The customer's topic row in the chat, made now if none (True); the unique rule keeps one."""
    found = session.exec(select(SupportTopic).where(SupportTopic.chat_id == chat_id,
                                                    SupportTopic.customer_id == customer_id)).first()
    if found is not None:
        return found, False
    try:
        with session.begin_nested():
            row = SupportTopic(chat_id=chat_id, customer_id=customer_id)
            session.add(row)
            session.flush()
        return row, True
    except IntegrityError:
        return session.exec(select(SupportTopic).where(SupportTopic.chat_id == chat_id,
                                                       SupportTopic.customer_id == customer_id)).one(), False


def to_topic(session: Session, chat_id: int, customer: Customer, *, create: bool, text: str | None = None,
              copy_of: int | None = None, dedupe_key: str | None = None) -> None:
    forum = {"customer_id": customer.id, **({"create": topic_name(customer)} if create else {})}
    copy = {"from_chat_id": customer.telegram_id, "message_id": copy_of} if copy_of is not None else None
    enqueue_message(session, kind="support_topic", chat_id=chat_id, text=text, copy=copy, forum=forum,
                    customer_id=customer.id, dedupe_key=dedupe_key)


def hand_over(session: Session, ticket: SupportTicket, customer: Customer, *, reason: str) -> bool:
    """A ticket escalated: into the customer's topic (made by its first message) go a note naming
    the ticket and the reason, then copies of what the customer wrote on it. False when no
    supergroup is set (the staff alert is then all there is). No commit."""
    chat_id = support_settings.current(session).chat_id
    if chat_id is None or customer.telegram_id is None:
        return False
    topic, new = _topic(session, chat_id, customer.id)
    lang = shop_locale.shop_locale(session).language
    link = f"{get_settings().public_url.rstrip('/')}/admin/support?ticket={ticket.id}"
    note = t("support.topic.opened", lang, ticket=ticket.id, customer=escape(topic_name(customer)),
             reason=t(f"support.reason.{reason}", lang), link=link)
    to_topic(session, chat_id, customer, create=new, text=note,
              dedupe_key=f"support-topic:{ticket.id}:{int((ticket.escalated_at or utcnow()).timestamp())}")
    ids = session.exec(select(SupportMessage.telegram_message_id).where(
        SupportMessage.ticket_id == ticket.id, SupportMessage.telegram_message_id.is_not(None))
        .order_by(SupportMessage.id.desc()).limit(MAX_COPIED)).all()
    for message_id in reversed(ids):
        to_topic(session, chat_id, customer, create=False, copy_of=message_id)
    return True


TAKE_CALLBACK_PREFIX = "sup:take:"


def take_buttons(ticket_id: int) -> Callable[[str], list[list[dict[str, str]]]]:
    """Without a supergroup: the "take it" button under the staff alert (the operator's private chat
    then relays the ticket)."""
    return lambda lang: [[{"text": t("support.take", lang), "callback_data": f"{TAKE_CALLBACK_PREFIX}{ticket_id}"}]]


def parse_take_callback(data: str | None) -> int | None:
    rest = data[len(TAKE_CALLBACK_PREFIX):] if data and data.startswith(TAKE_CALLBACK_PREFIX) else ""
    return int(rest) if rest.isdigit() else None


def copy_to_operators(session: Session, customer: Customer, telegram_message_id: int | None,
                      operator_chat_id: int | None = None) -> bool:
    """A customer's message while a person has their ticket: copied to the operator's private chat
    holding it, else into the customer's topic. No commit."""
    if telegram_message_id is None or customer.telegram_id is None:
        return False
    if operator_chat_id is not None:
        enqueue_message(session, kind="support_operator_copy", chat_id=operator_chat_id, customer_id=customer.id,
                        copy={"from_chat_id": customer.telegram_id, "message_id": telegram_message_id})
        return True
    chat_id = support_settings.current(session).chat_id
    if chat_id is None:
        return False
    topic, new = _topic(session, chat_id, customer.id)
    to_topic(session, chat_id, customer, create=new, copy_of=telegram_message_id)
    return True


# -- the sender's side (bot_sidecar.outbox) --------------------------------------------------------
def thread_of(session: Session, *, chat_id: int, customer_id: int) -> int | None:
    thread = session.exec(select(SupportTopic.thread_id).where(SupportTopic.chat_id == chat_id,
                                                               SupportTopic.customer_id == customer_id)).first()
    session.rollback()
    return thread


def topic_created(session: Session, *, chat_id: int, customer_id: int, thread_id: int) -> None:
    """The sender created the customer's topic: remember its thread. Commits."""
    row = session.exec(select(SupportTopic).where(SupportTopic.chat_id == chat_id,
                                                  SupportTopic.customer_id == customer_id).with_for_update()).first()
    if row is None:
        row = SupportTopic(chat_id=chat_id, customer_id=customer_id)
        session.add(row)
    row.thread_id = row.thread_id or thread_id
    session.commit()


def echo_web_reply(session: Session, customer: Customer, *, staff_name: str, text: str) -> bool:
    """A reply written in the backoffice, shown in the customer's topic too (so the operators there
    see what the customer was told). No commit."""
    chat_id = support_settings.current(session).chat_id
    if chat_id is None:
        return False
    exists = session.exec(select(SupportTopic.id).where(SupportTopic.chat_id == chat_id,
                                                        SupportTopic.customer_id == customer.id)).first()
    if exists is None:
        return False
    lang = shop_locale.shop_locale(session).language
    to_topic(session, chat_id, customer, create=False,
             text=t("support.topic.web_reply", lang, who=escape(staff_name), text=text))  # text: checked Telegram HTML
    return True
