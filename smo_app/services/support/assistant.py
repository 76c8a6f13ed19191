"""The AI assistant (SU2): an OpenAI-compatible endpoint answering a ticket's question grounded in
live data. The model gets tools — ``find_products`` (names, variants, prices, stock), ``order_status``
(the customer's own orders) and ``faq`` (the owner's answers) — whose results come from the
database now, with instructions to use nothing else and to call ``call_operator`` when the facts do
not answer the question (the ticket then goes to a person).

Keys fail over (``ai_keys.RING``): 401/403 → invalid, 429 → rests for its Retry-After, the next
key is tried; with none left, or the endpoint down or slow, the offline answerer answers and the
owner is alerted (once an hour). No transaction is held while the endpoint thinks: the facts are
read in short read transactions, the answer written in one of its own. Tokens are recorded on the
ticket. ``on_text`` gets the answer as it streams (the bot shows it as a draft).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from integrations.ports.assistant import AssistantUnavailable, ChatReply, KeyRejected
from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.staff import Role
from smo_app.models.support import MessageAuthor, SupportMessage, SupportTicket, TicketState
from smo_app.money import format_money
from smo_app.services.core import ports
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import PermissionDenied, get_or_not_found
from smo_app.services.core.shop_config import get_config
from smo_app.services.messaging.outbox import enqueue_staff_alert
from smo_app.services.support import answerer, settings as support_settings, tickets
from smo_app.services.support.ai_keys import RING

TIMEOUT_SECONDS = 20.0  # one call to the endpoint
MAX_ROUNDS = 3  # tool calls and answers per question
HISTORY = 6  # the ticket's last messages the model sees
TOOLS = [
    {"type": "function", "function": {
        "name": "find_products", "description": "Products of the shop matching a query, each variant with its price "
                                                "and units in stock right now.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}},
    {"type": "function", "function": {
        "name": "order_status", "description": "The customer's recent orders with their statuses (or one, by number).",
        "parameters": {"type": "object", "properties": {"number": {"type": "integer"}}}}},
    {"type": "function", "function": {
        "name": "faq", "description": "The shop's own answers about delivery, payment, returns and the like.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}},
    {"type": "function", "function": {
        "name": "call_operator", "description": "Hand the conversation to a person when the facts do not answer it.",
        "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}}}},
]


@dataclass
class Answered:
    by: str  # "ai" | "offline" | "escalated"
    text: str


def _system_prompt(lang: str, shop: str) -> str:
    language = "Russian" if lang == "ru" else "English"
    return (f"You are the support assistant of the shop «{shop}». Answer in {language}, briefly and kindly. "
            "Use ONLY facts returned by the tools (products, stock, prices, the customer's orders, the shop's FAQ); "
            "never invent products, prices, stock or promises. A product with 0 in stock is not available — "
            "never offer it as available. If the tools do not answer the question, or the customer wants a "
            "person, call call_operator.")


def _run_tool(session: Session, call, *, customer_id: int, faq: str, lang: str) -> dict[str, Any]:
    try:
        if call.name == "find_products":
            found = answerer.find_products(session, str(call.arguments.get("query") or ""))
            return {"products": [{"name": p.name, "variants": [
                {"label": v.label, "price": format_money(v.price_minor), "in_stock": v.in_stock} for v in p.variants]}
                for p in found]}
        if call.name == "order_status":
            number = call.arguments.get("number")
            orders = answerer.recent_orders(session, customer_id, order_id=int(number) if str(number or "").isdigit() else None)
            return {"orders": [{"number": o.id, "status": t(f"order.status.{o.status}", lang),
                                "total": format_money(o.total_minor)} for o in orders]}
        if call.name == "faq":
            return {"entries": answerer.find_faq(faq, str(call.arguments.get("query") or ""))}
        return {"error": "unknown tool"}
    finally:
        session.rollback()  # a short read: nothing held while the model thinks


def _history(session: Session, ticket_id: int) -> list[dict[str, str]]:
    rows = session.exec(select(SupportMessage).where(SupportMessage.ticket_id == ticket_id)
                        .order_by(SupportMessage.id.desc()).limit(HISTORY)).all()
    out = []
    for m in reversed(rows):
        if m.author == MessageAuthor.customer and m.text:
            out.append({"role": "user", "content": m.text})
        elif m.author in (MessageAuthor.ai, MessageAuthor.operator) and m.text:
            out.append({"role": "assistant", "content": m.text})
    return out


def _complete(session: Session, messages: list[dict[str, Any]], on_text) -> tuple[ChatReply | None, str]:
    """One completion through the first usable key: (reply, "") or (None, why: "no_keys" | "down")."""
    s = support_settings.current(session)
    keys = support_settings.ai_keys(session)
    session.rollback()
    connect = ports.assistant()
    for key in RING.usable(keys):
        try:
            return connect(s.ai_base_url, s.ai_model, key, TIMEOUT_SECONDS).complete(
                messages=messages, tools=TOOLS, on_text=on_text), ""
        except KeyRejected as exc:
            if exc.status == 429:
                RING.rest(key, exc.retry_after)
            else:
                RING.invalid(key)
        except AssistantUnavailable:
            return None, "down"
    return None, "no_keys"


def ai_answer(session: Session, *, actor: Actor | None, ticket_id: int, question: str, lang: str,
              on_text: Callable[[str], None] | None = None, now: datetime | None = None) -> Answered:
    """Answer the customer's question on their ticket (the bot calls it after ``customer_writes``
    said the AI answers): the model's grounded answer, or a hand-over when it calls for a person,
    or the offline answer when the endpoint cannot answer. Queues the answer in the outbox. Commits."""
    ticket = get_or_not_found(session, SupportTicket, ticket_id, "ticket")
    customer_id = ticket.customer_id
    if actor is None or not (actor.is_system or (actor.is_customer and actor.id == customer_id)):
        raise PermissionDenied("support.own_ticket")
    faq = support_settings.current(session).faq
    messages: list[dict[str, Any]] = [{"role": "system", "content": _system_prompt(lang, get_config(session).shop_name)}]
    messages += _history(session, ticket_id) or [{"role": "user", "content": question}]
    session.rollback()
    tokens_in = tokens_out = 0
    answer, why, escalate = "", "", False
    for _ in range(MAX_ROUNDS):
        reply, why = _complete(session, messages, on_text)
        if reply is None:
            break
        tokens_in, tokens_out = tokens_in + reply.tokens_in, tokens_out + reply.tokens_out
        if not reply.tool_calls:
            answer = reply.text
            break
        if any(c.name == "call_operator" for c in reply.tool_calls):
            escalate = True
            break
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
            for c in reply.tool_calls]})
        for call in reply.tool_calls:
            result = _run_tool(session, call, customer_id=customer_id, faq=faq, lang=lang)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result, ensure_ascii=False)})
    return _record(session, ticket_id=ticket_id, question=question, lang=lang, answer=answer, why=why,
                   escalate=escalate or (not answer and not why), tokens=(tokens_in, tokens_out), now=now or utcnow())


def _record(session: Session, *, ticket_id: int, question: str, lang: str, answer: str, why: str, escalate: bool,
            tokens: tuple[int, int], now: datetime) -> Answered:
    ticket = session.exec(select(SupportTicket).where(SupportTicket.id == ticket_id).with_for_update()).one()
    customer = session.get(Customer, ticket.customer_id)
    ticket.tokens_in += tokens[0]
    ticket.tokens_out += tokens[1]
    if ticket.state != TicketState.ai:  # a person took it meanwhile: they answer
        session.commit()
        return Answered("escalated", "")
    if why:
        if why == "no_keys":
            enqueue_staff_alert(session, kind="support_ai_keys", roles=(Role.owner,),
                                text=lambda staff_lang: t("support.alert.no_keys", staff_lang),
                                dedupe_key=f"support-ai-keys:{now.strftime('%Y%m%d%H')}")
        tickets.answer_offline(session, ticket, customer, question=question, lang=lang, now=now)
        session.commit()
        return Answered("offline", "")
    if escalate:
        tickets.escalate(session, ticket, customer=customer, reason="unknown", lang=lang, now=now)
        session.commit()
        return Answered("escalated", "")
    tickets.add_message(session, ticket, author=MessageAuthor.ai, text=answer, now=now)
    tickets.tell_customer(session, customer, ticket, answer, buttons=tickets.person_button(lang), parse_mode="plain")
    session.commit()
    return Answered("ai", answer)
