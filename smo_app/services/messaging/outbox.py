"""The outbox, enqueue side: called inside other services' transactions; no commit.

A row is a Telegram message (text, a photo by URL/file id, or an uploaded photo/document) or a
task run after commit by a registered handler (:mod:`outbox_tasks`). Delivery — claiming, marking,
pacing, retries — is :mod:`outbox_delivery` and the sidecar's ``bot_sidecar.outbox``.

Expiry: every row may carry ``expires_at``; a kind can have a default time to live
(:func:`register_expiry`), and messages about an order (``order_id``) of a kind registered with
``until_order_leaves`` expire as soon as the order leaves those statuses (a "pay within 15
minutes" reminder for an order that is paid or cancelled). Expired rows are marked ``expired``, not sent.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.outbox import Outbox, OutboxBlob, OutboxLane, OutboxStatus
from smo_app.models.staff import Role, Staff
from smo_app.services.messaging.telegram_html import html_problem

log = logging.getLogger(__name__)

BROADCAST_KIND = "broadcast"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Telegram's limit for bot uploads
MAX_PHOTO_BYTES = 10 * 1024 * 1024
WAITING = (OutboxStatus.pending.value, OutboxStatus.failed.value)


# --------------------------------------------------------------------------- expiry by kind

@dataclass(frozen=True)
class ExpiryRule:
    ttl: timedelta | None = None  # not sent once this old
    until_order_leaves: frozenset[str] = frozenset()  # with order_id: expires when the order leaves these statuses


_EXPIRY: dict[str, ExpiryRule] = {}
_T = Outbox.__table__
_INSERT = insert(_T)
# built once: it runs on every order move
_EXPIRE = (update(_T).where(_T.c.order_id == bindparam("b_order"), _T.c.kind.in_(bindparam("b_kinds", expanding=True)),
                            _T.c.status.in_(WAITING))
           .values(status=OutboxStatus.expired.value, last_error="expired: the order moved on"))


def register_expiry(kind: str, *, ttl: timedelta | None = None, until_order_leaves: Iterable[str] = ()) -> None:
    """Give messages of ``kind`` a default time to live and/or tie them to their order's status."""
    _EXPIRY[kind] = ExpiryRule(ttl=ttl, until_order_leaves=frozenset(str(s) for s in until_order_leaves))


def expiry_rule(kind: str) -> ExpiryRule | None:
    return _EXPIRY.get(kind)


# A "pay within N minutes" message means nothing once the order is paid or cancelled; reminders and
# alerts mean little a day later. Transactional receipts (cashback, statuses) keep no TTL.
register_expiry("order_placed", ttl=timedelta(hours=2), until_order_leaves=("new",))
register_expiry("abandoned_cart", ttl=timedelta(hours=12))
register_expiry("new_order", ttl=timedelta(days=1))
register_expiry("daily_summary", ttl=timedelta(days=1))
register_expiry("back_in_stock", ttl=timedelta(days=2))


def expire_for_order(session: Session, *, order_id: int, status: str) -> int:
    """Mark expired the waiting messages about ``order_id`` whose kind is tied to statuses the
    order just left (called in the transition's transaction). No commit."""
    kinds = [kind for kind, rule in _EXPIRY.items() if rule.until_order_leaves and str(status) not in rule.until_order_leaves]
    if not kinds:
        return 0
    return session.connection().execute(_EXPIRE, {"b_order": order_id, "b_kinds": kinds}).rowcount


def _expires_at(kind: str, now: datetime, expires_at: datetime | None) -> datetime | None:
    if expires_at is not None:
        return expires_at
    rule = _EXPIRY.get(kind)
    return now + rule.ttl if rule is not None and rule.ttl is not None else None


# --------------------------------------------------------------------------- Telegram messages

def message_values(
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
    order_id: int | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
    upload: str | None = None,
    copy: dict[str, int] | None = None,
    forum: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of a new pending Telegram row (for :func:`enqueue_message`, and for hot
    paths that insert with one Core statement in their own transaction).

    ``copy`` (``{"from_chat_id", "message_id"}``) sends a copy of that message (``copyMessage``:
    text, photo or document as it was) instead of text. ``forum`` (``{"customer_id", "create"?}``)
    sends into the customer's forum topic of ``chat_id`` (services.support.relay), creating it first
    with the name ``create`` when it does not exist yet."""
    if not text and not photo and not upload and not copy:
        raise ValueError("an outbox message needs text, a photo, a file or a message to copy")
    if parse_mode == "HTML" and text and html_problem(text):
        # Telegram would refuse it (400) and the message would be lost to the dead letters: a
        # name with "&" or "<" slipped in unescaped. Send it as plain text instead, and say so.
        log.warning("outbox %s message is not Telegram HTML (near %r); sending as plain text", kind,
                    html_problem(text))
        parse_mode = "plain"
    payload: dict[str, Any] = {"parse_mode": parse_mode}
    if text:
        payload["text"] = text
    if photo:
        payload["photo"] = photo
    if upload:
        payload["upload"] = upload  # "document" | "photo": the bytes are in outbox_blob
    if buttons:
        payload["buttons"] = buttons
    if copy:
        payload["copy"] = {"from_chat_id": int(copy["from_chat_id"]), "message_id": int(copy["message_id"])}
    if forum:
        payload["forum"] = dict(forum)
    now = now or utcnow()
    return {
        "lane": OutboxLane.telegram.value, "kind": kind, "chat_id": chat_id, "customer_id": customer_id,
        "staff_id": staff_id, "payload": payload, "dedupe_key": dedupe_key, "status": OutboxStatus.pending.value,
        "attempts": 0, "created_at": now, "next_attempt_at": now, "order_id": order_id,
        "expires_at": _expires_at(kind, now, expires_at),
    }


def _taken(session: Session, dedupe_key: str | None) -> bool:
    return dedupe_key is not None and session.exec(select(Outbox.id).where(Outbox.dedupe_key == dedupe_key)).first() is not None


class MessageOptions(TypedDict, total=False):
    """How a queued message is sent and what it belongs to (defaults: :func:`message_values`)."""

    parse_mode: str
    customer_id: int | None
    staff_id: int | None
    order_id: int | None
    expires_at: datetime | None


class MessageContent(MessageOptions, total=False):
    text: str | None
    photo: str | None
    buttons: list[list[dict[str, str]]] | None
    copy: dict[str, int] | None
    forum: dict[str, Any] | None


def enqueue_message(session: Session, *, kind: str, chat_id: int, dedupe_key: str | None = None,
                    **fields: Unpack[MessageContent]) -> Outbox | None:
    """Add a Telegram message to the outbox.

    ``buttons`` is rows of ``{"text": ..., "url"|"web_app"|"callback_data": ...}``.
    With ``dedupe_key``, a second call with the same key adds nothing and returns None.
    """
    if _taken(session, dedupe_key):
        return None
    row = Outbox(**message_values(kind=kind, chat_id=chat_id, dedupe_key=dedupe_key, **fields))
    session.add(row)
    return row


def _enqueue_upload(session: Session, *, upload: str, chat_id: int, kind: str, filename: str, content: bytes,
                    caption: str, dedupe_key: str | None, limit: int, **kwargs) -> Outbox | None:
    if not isinstance(content, (bytes, bytearray)) or not content:
        raise ValueError("an upload needs non-empty bytes")
    if len(content) > limit:
        raise ValueError(f"{filename}: {len(content)} bytes is over Telegram's {limit} for a bot upload")
    name = (filename or "file").replace("/", "_").replace("\\", "_")[:255]
    if _taken(session, dedupe_key):
        return None
    row = Outbox(**message_values(kind=kind, chat_id=chat_id, text=caption or None, upload=upload,
                                  dedupe_key=dedupe_key, **kwargs))
    session.add(row)
    session.flush()
    session.add(OutboxBlob(outbox_id=row.id, filename=name, content=bytes(content)))
    return row


def enqueue_document(
    session: Session,
    *,
    chat_id: int,
    kind: str,
    filename: str,
    content: bytes,
    caption: str = "",
    dedupe_key: str | None = None,
    **options: Unpack[MessageOptions],
) -> Outbox | None:
    """Queue a file (a Z-report, a P&L sheet, a backup) sent with ``sendDocument`` as a multipart
    upload. The bytes are kept in ``outbox_blob`` until the row is sent. No commit."""
    return _enqueue_upload(session, upload="document", chat_id=chat_id, kind=kind, filename=filename,
                           content=content, caption=caption, dedupe_key=dedupe_key, limit=MAX_UPLOAD_BYTES,
                           **options)


def enqueue_photo(
    session: Session,
    *,
    chat_id: int,
    kind: str,
    content: bytes,
    filename: str = "photo.jpg",
    caption: str = "",
    dedupe_key: str | None = None,
    **options: Unpack[MessageOptions],
) -> Outbox | None:
    """Queue a picture (a chart, a receipt image) uploaded with ``sendPhoto``. For a photo that
    already has a URL or a Telegram file id, use ``enqueue_message(photo=...)``. No commit."""
    return _enqueue_upload(session, upload="photo", chat_id=chat_id, kind=kind, filename=filename,
                           content=content, caption=caption, dedupe_key=dedupe_key, limit=MAX_PHOTO_BYTES,
                           **options)


def enqueue_to_customer(session: Session, *, customer: Customer, kind: str, text: str, **kwargs) -> Outbox | None:
    """Message a customer if they have a Telegram chat and have not blocked the bot."""
    if customer.telegram_id is None or customer.unreachable:
        return None
    return enqueue_message(
        session, kind=kind, chat_id=customer.telegram_id, customer_id=customer.id, text=text, **kwargs
    )


def insert_to_customer(session: Session, *, customer: Customer, kind: str, text: str, dedupe_key: str,
                       order_id: int | None = None) -> bool:
    """As :func:`enqueue_to_customer` for a ``dedupe_key`` that names a row the caller's transaction
    has just written (an order event), so no earlier message can hold it: one INSERT, no lookup.
    Returns whether a message was queued (not when the customer cannot be messaged)."""
    if customer.telegram_id is None or customer.unreachable:
        return False
    session.connection().execute(_INSERT, message_values(kind=kind, chat_id=customer.telegram_id,
                                                         customer_id=customer.id, text=text, dedupe_key=dedupe_key,
                                                         order_id=order_id))
    return True


def enqueue_staff_alert(
    session: Session,
    *,
    kind: str,
    text: str | Callable[[str], str],
    roles: tuple[Role, ...] = (Role.owner, Role.admin),
    dedupe_key: str | None = None,
    order_id: int | None = None,
    buttons: Callable[[str], list[list[dict[str, str]]]] | None = None,
) -> list[Outbox]:
    """Alert every active staff member of ``roles`` who has linked a Telegram account (with
    ``buttons(lang)`` under it, when given).

    ``text`` is either the text, or a function of a language code (``"ru"``, ``"en"``) that renders
    it: then each member gets it in their own language.
    """
    staff = session.exec(
        select(Staff).where(Staff.is_active, Staff.telegram_id.is_not(None), Staff.role.in_([r.value for r in roles]))
    ).all()
    rendered: dict[str, str] = {}
    rows = []
    for member in staff:
        key = f"{dedupe_key}:staff{member.id}" if dedupe_key else None
        if callable(text):
            lang = member.language or "ru"
            if lang not in rendered:
                rendered[lang] = text(lang)
            body = rendered[lang]
        else:
            body = text
        row = enqueue_message(
            session, kind=kind, chat_id=member.telegram_id, staff_id=member.id, text=body, dedupe_key=key,
            order_id=order_id, buttons=buttons(member.language or "ru") if buttons else None,
        )
        if row is not None:
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- tasks

def enqueue_task(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    run_at: datetime | None = None,
    expires_at: datetime | None = None,
    order_id: int | None = None,
) -> Outbox | None:
    """Queue a task for after commit: a provider call (payment capture, refund, waybill, ERP push)
    or an after-commit subscriber. The sidecar's task worker runs the handler registered for
    ``kind`` (``outbox_tasks.register_task_handler``) with ``payload`` (JSON), retrying by that
    kind's policy and dead-lettering after it. ``dedupe_key`` makes a second enqueue a no-op
    (returns None). No commit."""
    if not kind or len(kind) > 32:
        raise ValueError("a task kind is 1–32 characters")
    if _taken(session, dedupe_key):
        return None
    now = utcnow()
    row = Outbox(lane=OutboxLane.task.value, kind=kind, chat_id=None, payload=dict(payload), dedupe_key=dedupe_key,
                 status=OutboxStatus.pending.value, attempts=0, created_at=now, next_attempt_at=run_at or now,
                 expires_at=_expires_at(kind, now, expires_at), order_id=order_id)
    session.add(row)
    return row


# The sender side and the backoffice view live in outbox_delivery; these names stay importable
# from here for the screens and the health endpoint.
from smo_app.services.messaging.outbox_delivery import (  # noqa: E402
    MAX_ATTEMPTS, BACKOFF_SECONDS, WaitingRow, backlog, list_waiting, retry_dead,
)

__all__ = [
    "BACKOFF_SECONDS", "BROADCAST_KIND", "MAX_ATTEMPTS", "WaitingRow", "backlog", "enqueue_document",
    "enqueue_message", "enqueue_photo", "enqueue_staff_alert", "enqueue_task", "enqueue_to_customer",
    "expire_for_order", "list_waiting", "message_values", "register_expiry", "retry_dead",
]
