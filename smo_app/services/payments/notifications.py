"""Apply a stored provider notification (the webhook inbox's handler for payment providers)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from integrations.ports.payment import NotificationDisputed, NotificationRejected
from smo_app.models.base import utcnow
from smo_app.models.integrations import DeadLetter
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.integrations.webhooks import WebhookEventOut
from smo_app.services.payments import providers
from smo_app.services.payments.core import apply_provider_payment
from smo_app.services.payments.refund_sync import apply_refund_notice

APPLIED_KINDS = ("payment.succeeded", "payment.canceled")
REFUND_KINDS = ("refund.succeeded", "refund.updated")


def handle_notification(session: Session, event: WebhookEventOut) -> None:
    """Inbox handler (no commit of its own, see :func:`apply_provider_payment`). A notice the provider
    does not confirm (YooKassa's fetched payment disagrees) credits nothing and leaves a dead letter;
    a provider that cannot be reached raises, so the inbox counts a failed try and the provider's
    next delivery tries again."""
    port = providers.require_port(event.provider)
    try:
        notice = port.parse_notification(event.body.encode(), event.headers)
    except NotificationRejected as exc:
        record_dead_letter(session, provider=event.provider, kind="webhook", reason="payment.notification_rejected",
                           reference=event.event_id, detail=str(exc),
                           payload={"body": event.body[:10_000],
                                    "disagreed": exc.disagreed if isinstance(exc, NotificationDisputed) else None},
                           webhook_event_id=event.id)
        return
    if notice.kind in REFUND_KINDS:  # a refund went through or failed: see refund_sync
        apply_refund_notice(session, provider=event.provider, notice=notice, webhook_event_id=event.id)
        return
    if notice.payment is None or notice.kind not in APPLIED_KINDS:
        return
    apply_provider_payment(session, provider=event.provider, fact=notice.payment)


def record_disputed_notice(session: Session, *, provider: str, reference: str, message: str, disagreed: dict,
                           body: bytes | str, now: datetime | None = None) -> bool:
    """A notice the provider does not confirm, turned away at the edge (it never enters the inbox,
    so the genuine event keeps its slot): one open dead letter per claim, naming what disagreed.
    Returns False when that claim was already recorded (a flood of the same forged notice)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    open_one = session.exec(select(DeadLetter.id).where(
        DeadLetter.provider == provider, DeadLetter.kind == "webhook", DeadLetter.reference == reference[:128],
        DeadLetter.reason == "payment.notification_rejected", DeadLetter.resolved_at.is_(None))).first()
    if open_one is not None:
        session.rollback()
        return False
    detail = "; ".join(f"{field}: {v.get('claimed')} ≠ {v.get('actual')}" for field, v in disagreed.items())
    record_dead_letter(session, provider=provider, kind="webhook", reason="payment.notification_rejected",
                       reference=reference, detail=f"{message} ({detail})" if detail else message,
                       payload={"body": text[:10_000], "disagreed": disagreed}, now=now or utcnow())
    session.commit()
    return True
