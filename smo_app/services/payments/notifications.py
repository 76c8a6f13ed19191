"""Apply a stored provider notification (the webhook inbox's handler for payment providers)."""
from __future__ import annotations

from sqlmodel import Session

from integrations.ports.payment import NotificationRejected
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
                           reference=event.event_id, detail=str(exc), payload={"body": event.body[:10_000]},
                           webhook_event_id=event.id)
        return
    if notice.kind in REFUND_KINDS:  # a refund went through or failed: see refund_sync
        apply_refund_notice(session, provider=event.provider, notice=notice, webhook_event_id=event.id)
        return
    if notice.payment is None or notice.kind not in APPLIED_KINDS:
        return
    apply_provider_payment(session, provider=event.provider, fact=notice.payment)
