"""Queueing messages for the bot sidecar. Called inside other services' transactions; no commit."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, func, select

from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox, OutboxStatus
from smo_app.models.staff import Role, Staff


def enqueue_message(
    session: Session,
    *,
    kind: str,
    chat_id: int,
    text: str | None = None,
    photo: str | None = None,
    buttons: list[list[dict[str, str]]] | None = None,
    parse_mode: str = "HTML",
    customer_id: int | None = None,
    staff_id: int | None = None,
    dedupe_key: str | None = None,
) -> Outbox | None:
    """Add a Telegram message to the outbox.

    ``buttons`` is rows of ``{"text": ..., "url"|"web_app"|"callback_data": ...}``.
    With ``dedupe_key``, a second call with the same key adds nothing and returns None.
    """
    if not text and not photo:
        raise ValueError("an outbox message needs text or a photo")
    if dedupe_key is not None:
        exists = session.exec(select(Outbox.id).where(Outbox.dedupe_key == dedupe_key)).first()
        if exists is not None:
            return None
    payload: dict[str, Any] = {"parse_mode": parse_mode}
    if text:
        payload["text"] = text
    if photo:
        payload["photo"] = photo
    if buttons:
        payload["buttons"] = buttons
    row = Outbox(
        kind=kind,
        chat_id=chat_id,
        customer_id=customer_id,
        staff_id=staff_id,
        payload=payload,
        dedupe_key=dedupe_key,
    )
    session.add(row)
    return row


def enqueue_to_customer(session: Session, *, customer: Customer, kind: str, text: str, **kwargs) -> Outbox | None:
    """Message a customer if they have a Telegram chat and have not blocked the bot."""
    if customer.telegram_id is None or customer.unreachable:
        return None
    return enqueue_message(
        session, kind=kind, chat_id=customer.telegram_id, customer_id=customer.id, text=text, **kwargs
    )


def enqueue_staff_alert(
    session: Session,
    *,
    kind: str,
    text: str,
    roles: tuple[Role, ...] = (Role.owner, Role.admin),
    dedupe_key: str | None = None,
) -> list[Outbox]:
    """Alert every active staff member of ``roles`` who has linked a Telegram account."""
    staff = session.exec(
        select(Staff).where(Staff.is_active, Staff.telegram_id.is_not(None), Staff.role.in_([r.value for r in roles]))
    ).all()
    rows = []
    for member in staff:
        key = f"{dedupe_key}:staff{member.id}" if dedupe_key else None
        row = enqueue_message(
            session, kind=kind, chat_id=member.telegram_id, staff_id=member.id, text=text, dedupe_key=key
        )
        if row is not None:
            rows.append(row)
    return rows


def backlog(session: Session) -> dict[str, int]:
    """Counts by status of messages not yet sent (for /api/health and the backoffice)."""
    rows = session.exec(
        select(Outbox.status, func.count())
        .where(Outbox.status.in_([OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed]))
        .group_by(Outbox.status)
    ).all()
    return {status: count for status, count in rows}
