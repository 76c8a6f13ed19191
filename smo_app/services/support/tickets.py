"""A customer's ticket (SU1): the one open ticket of a customer, what they write to the bot, the
assistant's answer, and the hand-over to a person (escalation).

Everything the customer is told leaves through the outbox in the same transaction as the message
that caused it; each use case commits once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.orders import Order
from smo_app.models.staff import Role
from smo_app.models.support import OPEN_STATES, MessageAuthor, SupportMessage, SupportTicket, TicketState
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.tx import atomic
from smo_app.services.customers.registration import TelegramProfile, get_by_telegram_id, register_telegram_user
from smo_app.services.messaging.outbox import enqueue_message, enqueue_staff_alert
from smo_app.services.support import answerer, relay, settings as support_settings
from smo_app.text_fold import fold

IDLE_BACK_TO_AI = timedelta(hours=24)
OPERATOR_CALLBACK = "sup:op"
ORDER_CALLBACK_PREFIX = "sup:o:"
MAX_TEXT = 4000
# what a customer writes when they want a person (folded substrings)
ASKS_FOR_PERSON = ("оператор", "человек", "менеджер", "живой", "сотрудник", "operator", "human", "manager",
                   "real person", "agent")
TOPICS = ("order", "delivery", "payment", "operator")


@dataclass
class Wrote:
    """What became of a customer's message: their ticket, its state now, and who answered."""

    ticket_id: int
    state: str
    answered_by: str  # "ai" (the assistant answered), "escalated" (handed to a person now), "waiting" (a person has it)


def open_ticket(session: Session, customer_id: int, now: datetime | None = None) -> SupportTicket:
    """The customer's open ticket, opened now if there is none. The partial unique index keeps one:
    a second request inserting at the same moment gets the first one's ticket. No commit."""
    found = _open_of(session, customer_id)
    if found is not None:
        return found
    now = now or utcnow()
    try:
        with session.begin_nested():
            ticket = SupportTicket(customer_id=customer_id, opened_at=now, updated_at=now)
            session.add(ticket)
            session.flush()
        return ticket
    except IntegrityError:
        found = _open_of(session, customer_id)
        if found is None:
            raise
        return found


def _open_of(session: Session, customer_id: int) -> SupportTicket | None:
    return session.exec(select(SupportTicket).where(SupportTicket.customer_id == customer_id,
                                                    SupportTicket.state.in_([s.value for s in OPEN_STATES]))).first()


def customer_of(session: Session, actor: Actor | None, sender: TelegramProfile) -> Customer:
    """The customer who writes: the calling customer, else the customer of the sender's Telegram
    account (registered first if there is none)."""
    if actor is not None and actor.is_customer and actor.id is not None:
        return session.get(Customer, actor.id)
    known = get_by_telegram_id(session, sender.telegram_id)
    customer_id = known.id if known is not None else register_telegram_user(
        session, telegram_id=sender.telegram_id, username=sender.username, full_name=sender.full_name,
        language=sender.language).customer.id
    return session.get(Customer, customer_id)


def add_message(session: Session, ticket: SupportTicket, *, author: MessageAuthor, text: str = "",
                photo_file_id: str | None = None, document_file_id: str | None = None,
                document_name: str | None = None, staff_id: int | None = None,
                telegram_message_id: int | None = None, now: datetime | None = None) -> SupportMessage:
    now = now or utcnow()
    message = SupportMessage(ticket_id=ticket.id, author=author.value, text=(text or "")[:MAX_TEXT],
                             photo_file_id=photo_file_id, document_file_id=document_file_id,
                             document_name=(document_name or None) and document_name[:200], staff_id=staff_id,
                             telegram_message_id=telegram_message_id, created_at=now)
    session.add(message)
    ticket.updated_at = now
    return message


def tell_customer(session: Session, customer: Customer, ticket: SupportTicket, text: str, *,
                  buttons: list[list[dict[str, str]]] | None = None, photo: str | None = None,
                  kind: str = "support_reply", parse_mode: str = "HTML") -> None:
    """One message to the customer through the outbox (nothing when they have no Telegram chat)."""
    if customer.telegram_id is None:
        return
    enqueue_message(session, kind=kind, chat_id=customer.telegram_id, customer_id=customer.id, text=text,
                    photo=photo, buttons=buttons, parse_mode=parse_mode)


def person_button(lang: str) -> list[list[dict[str, str]]]:
    return [[{"text": t("support.ask_person", lang), "callback_data": OPERATOR_CALLBACK}]]


def _back_to_ai_if_idle(ticket: SupportTicket, now: datetime) -> None:
    if ticket.state in (TicketState.needs_operator, TicketState.operator):
        last = ticket.last_operator_at or ticket.escalated_at or ticket.updated_at
        if last <= now - IDLE_BACK_TO_AI:
            ticket.state = TicketState.ai.value
            ticket.last_question = ""
            ticket.operator_chat_id = None


def asks_for_person(text: str) -> bool:
    words = fold(text)
    return any(mark in words for mark in ASKS_FOR_PERSON)


@atomic
def customer_writes(session: Session, *, actor: Actor | None, sender: TelegramProfile, lang: str, text: str = "",
                    photo_file_id: str | None = None, document_file_id: str | None = None,
                    document_name: str | None = None, telegram_message_id: int | None = None,
                    topic: str = "", now: datetime | None = None) -> Wrote:
    """A customer's message to the bot (text, a photo or a document; or a topic command with
    ``topic``): kept on their open ticket (opened now if none); the assistant answers while the
    ticket is the assistant's — the offline answerer here, or, with an AI endpoint set, the bot
    calls ``assistant.ai_answer`` next (``answered_by == "pending_ai"``); asking for a person, or
    the same question twice, hands it to the operators. Commits."""
    now = now or utcnow()
    if topic and topic not in TOPICS:
        raise DomainError("support.topic_unknown", f"unknown topic {topic}")
    customer = customer_of(session, actor, sender)
    ticket = open_ticket(session, customer.id, now)
    _back_to_ai_if_idle(ticket, now)
    if text or photo_file_id or document_file_id:
        add_message(session, ticket, author=MessageAuthor.customer, text=text, photo_file_id=photo_file_id,
                    document_file_id=document_file_id, document_name=document_name,
                    telegram_message_id=telegram_message_id, now=now)
    if topic and topic != "operator":
        ticket.topic = topic
    if ticket.state != TicketState.ai:
        relay.copy_to_operators(session, customer, telegram_message_id, ticket.operator_chat_id)
        session.commit()
        return Wrote(ticket.id, ticket.state, "waiting")
    question = fold(text)[:300]
    if topic == "operator" or asks_for_person(text):
        reason = "asked"
    elif question and question == ticket.last_question:
        reason = "repeated"
    else:
        reason = ""
    if reason:
        moved = escalate(session, ticket, customer=customer, reason=reason, lang=lang, now=now)
        session.commit()
        return Wrote(ticket.id, ticket.state, "escalated" if moved else "waiting")
    if question:
        ticket.last_question = question
    settings = support_settings.current(session)
    if text and not topic and ai_configured(session, settings):  # the bot asks the AI next, off this transaction
        session.commit()
        return Wrote(ticket.id, ticket.state, "pending_ai")
    answer_offline(session, ticket, customer, question=text, topic=topic, lang=lang, now=now, faq=settings.faq)
    session.commit()
    return Wrote(ticket.id, ticket.state, "ai")


def ai_configured(session: Session, settings: support_settings.SupportSettings | None = None) -> bool:
    s = settings or support_settings.current(session)
    return bool(s.ai_base_url and s.ai_model and s.ai_keys_count)


def answer_offline(session: Session, ticket: SupportTicket, customer: Customer, *, question: str, lang: str,
                   now: datetime, topic: str = "", faq: str | None = None) -> None:
    """The local retrieval answerer: facts from the catalog, the customer's orders and the FAQ in a
    template, or plainly "I do not know" with a person offered. No commit."""
    faq = support_settings.current(session).faq if faq is None else faq
    facts = answerer.retrieve(session, customer_id=customer.id, question=question, topic=topic, faq=faq,
                              order_id=ticket.order_id if topic == "order" else None)
    body = answerer.offline_answer(facts, lang)
    if body is None:
        text = t("support.answer.unknown" if (question or topic) else "support.answer.ask", lang)
    else:
        text = body + "\n\n" + t("support.answer.more", lang)
    add_message(session, ticket, author=MessageAuthor.ai, text=text, now=now)
    tell_customer(session, customer, ticket, text, buttons=person_button(lang))


def escalate(session: Session, ticket: SupportTicket, *, customer: Customer, reason: str, lang: str,
             now: datetime | None = None) -> bool:
    """Hand the ticket to the operators (``ai`` → ``needs_operator``) once: a conditional update, so
    two escalations at once alert once. The customer is told; managers and up are alerted. No commit."""
    now = now or utcnow()
    moved = session.execute(
        update(SupportTicket).where(SupportTicket.id == ticket.id, SupportTicket.state == TicketState.ai.value)
        .values(state=TicketState.needs_operator.value, escalated_at=now, escalation_reason=reason,
                timeout_alerted_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(ticket)
    if not moved:
        return False
    text = t("support.escalated", lang)
    add_message(session, ticket, author=MessageAuthor.system, text=text, now=now)
    tell_customer(session, customer, ticket, text)
    who = escape(customer.full_name or "") + (f" @{escape(customer.username)}" if customer.username else "")
    in_topics = relay.hand_over(session, ticket, customer, reason=reason)
    enqueue_staff_alert(session, kind="support_needs_operator",
                        text=lambda staff_lang: t("support.alert.needs_operator", staff_lang, ticket=ticket.id,
                                                  customer=who, reason=t(f"support.reason.{reason}", staff_lang)),
                        roles=(Role.owner, Role.admin, Role.manager),
                        dedupe_key=f"support-esc:{ticket.id}:{int(now.timestamp())}",
                        buttons=None if in_topics else relay.take_buttons(ticket.id))
    return True


@atomic
def ask_for_person(session: Session, *, actor: Actor | None, sender: TelegramProfile, lang: str,
                   now: datetime | None = None) -> Wrote:
    """The "call a person" button: as /operator."""
    return customer_writes(session, actor=actor, sender=sender, lang=lang, topic="operator", now=now)


TOPIC_CALLBACK_PREFIX = "sup:t:"


def topic_buttons(lang: str) -> list[list[dict[str, str]]]:
    """The support menu's buttons: the topics, then "ask a person"."""
    def cb(topic: str) -> dict[str, str]:
        return {"text": t(f"support.topic.{topic}", lang), "callback_data": TOPIC_CALLBACK_PREFIX + topic}

    return [[cb("order"), cb("delivery"), cb("payment")], *person_button(lang)]


def parse_topic_callback(data: str | None) -> str | None:
    if not data or not data.startswith(TOPIC_CALLBACK_PREFIX):
        return None
    topic = data[len(TOPIC_CALLBACK_PREFIX):]
    return topic if topic in TOPICS else None


@atomic
def ask_about_order(session: Session, *, actor: Actor | None, sender: TelegramProfile, lang: str) -> int:
    """/order: the customer's recent orders as buttons "a question about order №…" (through the
    outbox), or that there are none. Returns how many were offered. Commits."""
    customer = customer_of(session, actor, sender)
    orders = answerer.recent_orders(session, customer.id, limit=5)
    if customer.telegram_id is not None:
        buttons = [[{"text": t("support.order_button", lang, number=o.id, status=t(f"order.status.{o.status}", lang)),
                     "callback_data": f"{ORDER_CALLBACK_PREFIX}{o.id}"}] for o in orders]
        enqueue_message(session, kind="support_reply", chat_id=customer.telegram_id, customer_id=customer.id,
                        text=t("support.pick_order" if orders else "support.answer.no_orders", lang),
                        buttons=buttons or person_button(lang))
    session.commit()
    return len(orders)


def parse_order_callback(data: str | None) -> int | None:
    if not data or not data.startswith(ORDER_CALLBACK_PREFIX):
        return None
    rest = data[len(ORDER_CALLBACK_PREFIX):]
    return int(rest) if rest.isdigit() else None


@atomic
def pick_order(session: Session, *, actor: Actor | None, sender: TelegramProfile, order_id: int, lang: str,
               now: datetime | None = None) -> Wrote:
    """A question about one of the customer's orders: the ticket is linked to it and the assistant
    answers with its status. Someone else's order is not found. Commits."""
    now = now or utcnow()
    customer = customer_of(session, actor, sender)
    order = session.get(Order, order_id)
    if order is None or order.customer_id != customer.id:
        raise NotFound("order", order_id)
    ticket = open_ticket(session, customer.id, now)
    ticket.order_id = order.id
    ticket.topic = "order"
    add_message(session, ticket, author=MessageAuthor.customer, text=t("support.about_order", lang, number=order.id),
                now=now)
    if ticket.state == TicketState.ai:
        answer_offline(session, ticket, customer, question="", topic="order", lang=lang, now=now)
    session.commit()
    return Wrote(ticket.id, ticket.state, "ai" if ticket.state == TicketState.ai else "waiting")
