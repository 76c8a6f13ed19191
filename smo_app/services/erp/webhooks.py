"""MoySklad webhooks (IN3): stored at once, applied after.

MoySklad waits 1.5 s for a 200, then sends the same notification (same ``requestId``) up to 3 times
more, and switches a webhook off after 7 failing days out of 10 — so the edge only stores the raw
notification (de-duplicated on ``requestId`` by the inbox's unique key) and queues an outbox task;
the task worker fetches each object the events name (a webhook carries only ``meta.href``, ``action``
and ``updatedFields``) from our own MoySklad base and applies it. The content is never trusted: only
what MoySklad itself answers to our token is applied.
"""
from __future__ import annotations

import json

from pydantic import BaseModel
from sqlmodel import Session

from integrations.ports.erp import ErpChange
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.erp import runs
from smo_app.services.erp.connection import PROVIDER, effective
from smo_app.services.integrations import webhooks
from smo_app.services.messaging import outbox, outbox_tasks

TASK = "erp.webhook"
MAX_EVENTS = 1000


class WebhookIn(BaseModel):
    outcome: str  # stored | duplicate | ignored


def _changes(body: bytes) -> list[ErpChange]:
    try:
        data = json.loads(body or b"null")
        events = data["events"]
        if not isinstance(events, list) or len(events) > MAX_EVENTS:
            raise ValueError("events")
        return [ErpChange(href=e["meta"]["href"], type=e["meta"].get("type", ""), action=e["action"],
                          updated_fields=list(e.get("updatedFields") or []), account_id=e.get("accountId"))
                for e in events]
    except (ValueError, KeyError, TypeError) as exc:
        raise DomainError("webhook.bad_event", "not a MoySklad notification") from exc


def receive(session: Session, *, actor: Actor | None, request_id: str, body: bytes,
            headers: dict[str, str] | None = None) -> WebhookIn:
    """Store the notification once and queue its processing (two short transactions)."""
    request_id = (request_id or "").strip()
    if not request_id or len(request_id) > 128:
        raise DomainError("webhook.bad_event", "requestId is required")
    _changes(body)
    if not effective(session).ready:
        session.rollback()
        return WebhookIn(outcome="ignored")
    got = webhooks.receive(session, provider=PROVIDER, event_id=request_id, body=body, headers=headers or {})
    if got.outcome == "stored":
        outbox.enqueue_task(session, kind=TASK, payload={"webhook_event_id": got.event.id},
                            dedupe_key=f"{TASK}:{got.event.id}")
        session.commit()
    return WebhookIn(outcome=got.outcome)


def _apply(session: Session, event: webhooks.WebhookEventOut) -> None:
    runs.apply_changes(session, actor=Actor.system("moysklad"), changes=_changes(event.body.encode()))


def process(session: Session, *, webhook_event_id: int) -> webhooks.ProcessOut:
    """Apply one stored notification (the task worker, or the sweep for one left unqueued)."""
    return webhooks.process(session, webhook_event_id=webhook_event_id, handler=_apply)


def process_pending(session: Session) -> int:
    """Notifications stored but not applied (a crash between storing and queueing): apply them."""
    done = 0
    for event in webhooks.pending(session, provider=PROVIDER):
        done += process(session, webhook_event_id=event.id).outcome == "processed"
    return done


def run_task(session: Session, task) -> None:
    with Session(session.get_bind(), expire_on_commit=False) as own:
        process(own, webhook_event_id=int(task.payload["webhook_event_id"]))


def install() -> None:
    outbox_tasks.register_task_handler(TASK, run_task)
