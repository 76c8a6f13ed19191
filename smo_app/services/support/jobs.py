"""The support jobs the sidecar's scheduler runs (each idempotent on its own): tickets a person
took but left a day without a word go back to the assistant; an escalated ticket nobody answered
within the owner's minutes alerts the admins once; the day's summary to the owner once a day."""
from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.customer import Customer
from smo_app.models.staff import Role
from smo_app.models.support import SupportTicket, TicketState
from smo_app.services.messaging.outbox import enqueue_staff_alert
from smo_app.services.support import settings as support_settings
from smo_app.services.support.tickets import IDLE_BACK_TO_AI

_WITH_PERSON = (TicketState.needs_operator.value, TicketState.operator.value)


def idle_back_to_ai(session: Session, *, now: datetime) -> int:
    """Tickets with a person but no operator's word for a day: back to the assistant. Commits."""
    cutoff = now - IDLE_BACK_TO_AI
    last = func.coalesce(SupportTicket.last_operator_at, SupportTicket.escalated_at, SupportTicket.updated_at)
    moved = session.execute(
        update(SupportTicket).where(SupportTicket.state.in_(_WITH_PERSON), last <= cutoff)
        .values(state=TicketState.ai.value, last_question="", updated_at=now, operator_chat_id=None)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return int(moved or 0)


def operator_timeouts(session: Session, *, now: datetime) -> list[int]:
    """Escalated tickets nobody answered within the owner's minutes: owners and admins alerted,
    once per escalation (a conditional update marks the ticket first). Commits."""
    minutes = support_settings.current(session).timeout_min
    cutoff = now - timedelta(minutes=minutes)
    due = session.exec(select(SupportTicket.id).where(
        SupportTicket.state == TicketState.needs_operator.value, SupportTicket.escalated_at <= cutoff,
        SupportTicket.timeout_alerted_at.is_(None))).all()
    alerted = []
    for ticket_id in due:
        marked = session.execute(
            update(SupportTicket).where(SupportTicket.id == ticket_id, SupportTicket.timeout_alerted_at.is_(None),
                                        SupportTicket.state == TicketState.needs_operator.value)
            .values(timeout_alerted_at=now).execution_options(synchronize_session=False)).rowcount
        if not marked:
            continue
        ticket = session.get(SupportTicket, ticket_id)
        customer = session.get(Customer, ticket.customer_id)
        name = (customer.full_name or customer.username or "") if customer else ""
        enqueue_staff_alert(session, kind="support_timeout",
                            text=lambda lang, tid=ticket_id, who=name: t("support.alert.timeout", lang, ticket=tid,
                                                                         customer=who, minutes=minutes),
                            roles=(Role.owner, Role.admin),
                            dedupe_key=f"support-timeout:{ticket_id}:{int(ticket.escalated_at.timestamp())}")
        alerted.append(ticket_id)
    session.commit()
    return alerted


def summary_figures(session: Session, *, day: date, tz: ZoneInfo) -> dict[str, int]:
    """The shop day's support: opened, solved by the assistant, solved by operators, and the median
    minutes from escalation to an operator's first answer (-1 when there was none)."""
    start = datetime.combine(day, time.min, tz)
    end = start + timedelta(days=1)
    opened = session.exec(select(func.count()).select_from(SupportTicket).where(
        SupportTicket.opened_at >= start, SupportTicket.opened_at < end)).one()
    closed = dict(session.exec(select(SupportTicket.solved_by, func.count()).where(
        SupportTicket.closed_at >= start, SupportTicket.closed_at < end).group_by(SupportTicket.solved_by)).all())
    answered = session.exec(select(SupportTicket.escalated_at, SupportTicket.first_response_at).where(
        SupportTicket.first_response_at >= start, SupportTicket.first_response_at < end,
        SupportTicket.escalated_at.is_not(None))).all()
    waits = [max(0.0, (first - escalated).total_seconds() / 60) for escalated, first in answered]
    return {"opened": int(opened), "by_ai": int(closed.get("ai", 0)), "by_operator": int(closed.get("operator", 0)),
            "median_minutes": round(statistics.median(waits)) if waits else -1}


def daily_summary(session: Session, *, day: date, tz: ZoneInfo) -> int:
    """The day's support summary to the owners, once per day, each in their language. Commits."""
    f = summary_figures(session, day=day, tz=tz)

    def text(lang: str) -> str:
        wait = (t("support.summary.median", lang, minutes=f["median_minutes"]) if f["median_minutes"] >= 0
                else t("support.summary.no_wait", lang))
        return t("support.summary", lang, day=day.isoformat(), opened=f["opened"], by_ai=f["by_ai"],
                 by_operator=f["by_operator"], wait=wait)

    rows = enqueue_staff_alert(session, kind="support_summary", text=text, roles=(Role.owner,),
                               dedupe_key=f"support-summary:{day.isoformat()}")
    session.commit()
    return len(rows)
