"""Outbound webhooks of the staff API (IN7): an owner or admin subscribes a URL to ``order.paid``,
``order.status_changed`` and ``stock.low``; each event becomes one outbox task per subscriber,
written in the same transaction as the change, and the task worker POSTs it signed:

    X-Smo-Event: order.paid
    X-Smo-Delivery: <uuid, the same on every retry>
    X-Smo-Timestamp: <unix seconds>
    X-Smo-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

A non-2xx answer or a network error retries by :data:`POLICY`, then dead-letters (the outbox's dead
letters, re-queued by staff). The signing secret is shown once and kept encrypted (we sign with it)."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets as pysecrets
import time
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from smo_app.models.api_tokens import ApiWebhook
from smo_app.models.base import utcnow
from smo_app.services.core import audit, ports
from smo_app.services.core import secrets as crypto
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.messaging import outbox, outbox_tasks
from smo_app.services.messaging.outbox_delivery import RetryPolicy

EVENTS = ("order.paid", "order.status_changed", "stock.low")
TASK_KIND = "webhook.send"
POLICY = RetryPolicy(max_attempts=6, backoff_seconds=(10, 60, 300, 1800, 3600))
MAX_PER_SHOP = 20


class WebhookRow(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: datetime


class IssuedWebhook(BaseModel):
    webhook: WebhookRow
    secret: str  # shown once


def _row(hook: ApiWebhook) -> WebhookRow:
    return WebhookRow(id=hook.id, url=hook.url, events=[e for e in hook.events.split(",") if e], created_at=hook.created_at)


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme not in ("https", "http") or not parts.netloc or any(c.isspace() for c in url):
        raise ValidationFailed("webhooks.url_invalid", "an http(s) URL", field="url")
    return url


def list_webhooks(session: Session, *, actor: Actor) -> list[WebhookRow]:
    require(actor, Perm.staff_manage)
    hooks = session.exec(select(ApiWebhook).where(ApiWebhook.removed_at.is_(None)).order_by(ApiWebhook.id)).all()
    return [_row(h) for h in hooks]


def add_webhook(session: Session, *, actor: Actor, url: str, events: list[str]) -> IssuedWebhook:
    """Subscribe ``url`` to ``events``; the signing secret is returned once. Commits."""
    require(actor, Perm.staff_manage)
    url = _clean_url(url)
    chosen = [e for e in EVENTS if e in set(events or [])]
    if not chosen or len(chosen) != len(set(events)):
        raise ValidationFailed("webhooks.events_required", "choose known events", field="events")
    if len(list_webhooks(session, actor=actor)) >= MAX_PER_SHOP:
        raise ValidationFailed("webhooks.too_many", "too many subscribers", field="url", max=MAX_PER_SHOP)
    secret = "whsec_" + pysecrets.token_urlsafe(24)
    hook = ApiWebhook(url=url, events=",".join(chosen), secret_encrypted=crypto.encrypt(secret), created_by_id=actor.id)
    session.add(hook)
    session.flush()
    audit.record(session, actor=actor, action="webhook.add", entity="api_webhook", entity_id=hook.id,
                 after={"url": url, "events": chosen})
    session.commit()
    return IssuedWebhook(webhook=_row(hook), secret=secret)


def remove_webhook(session: Session, *, actor: Actor, webhook_id: int) -> WebhookRow:
    """Stop sending to a subscriber (what is queued is dropped when it runs). Commits."""
    require(actor, Perm.staff_manage)
    hook = session.get(ApiWebhook, int(webhook_id))
    if hook is None or hook.removed_at is not None:
        raise NotFound("webhook", webhook_id)
    done = session.execute(update(ApiWebhook).where(ApiWebhook.id == hook.id, ApiWebhook.removed_at.is_(None))
                           .values(removed_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if done:
        audit.record(session, actor=actor, action="webhook.remove", entity="api_webhook", entity_id=hook.id,
                     before={"url": hook.url})
    session.commit()
    return _row(hook)


# --------------------------------------------------------------------------- sending

def emit(session: Session, event: str, data: dict[str, Any]) -> int:
    """Queue ``event`` for every subscriber to it, in the caller's transaction (no commit)."""
    hooks = session.exec(select(ApiWebhook.id, ApiWebhook.events).where(ApiWebhook.removed_at.is_(None))).all()
    sent = 0
    for hook_id, events in hooks:
        if event in events.split(","):
            delivery = str(uuid.uuid4())
            outbox.enqueue_task(session, kind=TASK_KIND, dedupe_key=f"wh:{delivery}", payload={
                "webhook_id": hook_id, "event": event, "delivery": delivery,
                "body": {"event": event, "delivery": delivery, "occurred_at": utcnow().isoformat(), "data": data}})
            sent += 1
    return sent


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class SubscriberRefused(RuntimeError):
    """The subscriber answered other than 2xx: the task retries, then dead-letters."""


def send(session: Session, task: outbox_tasks.Task) -> None:
    """The task handler: POST one event to one subscriber, signed (raises to retry)."""
    hook = session.get(ApiWebhook, int(task.payload["webhook_id"]))
    sender = ports.webhooks()
    if hook is None or hook.removed_at is not None or sender is None:
        return  # unsubscribed meanwhile, or webhooks off: nothing to send
    body = json.dumps(task.payload["body"], ensure_ascii=False, separators=(",", ":")).encode()
    stamp = str(int(time.time()))
    status = sender.post(hook.url, body, {
        "X-Smo-Event": task.payload["event"], "X-Smo-Delivery": task.payload["delivery"], "X-Smo-Timestamp": stamp,
        "X-Smo-Signature": signature(crypto.decrypt(hook.secret_encrypted) or "", stamp, body)})
    if not 200 <= status < 300:
        raise SubscriberRefused(f"{hook.url} answered {status}")


def on_order_event(session: Session, event) -> None:
    """In the transition's transaction: ``order.status_changed`` for every move, ``order.paid`` too when paid."""
    data = {"order_id": event.order_id, "from_status": event.from_status, "to_status": event.to_status}
    emit(session, "order.status_changed", data)
    if event.to_status == "paid":
        emit(session, "order.paid", data)


def install(events) -> None:
    """Called by the composition root with the order event bus (``services.sales.events``)."""
    events.subscribe("order.*", on_order_event, key="webhooks.order_events", phase=events.Phase.in_transaction)
    outbox_tasks.register_task_handler(TASK_KIND, send, POLICY)
