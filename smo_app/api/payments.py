"""Payment provider webhooks: ``POST /api/payments/{provider}/webhook`` (and the general
``/api/webhooks/{provider}``), both through the webhook inbox: verified by the provider's port,
stored raw once, applied once by ``services.payments.notifications.handle_notification``. A notice
the provider does not confirm is a dead letter naming what disagreed and takes no inbox slot."""
from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from integrations.http import IntegrationError
from integrations.ports.payment import NotificationDisputed, NotificationRejected
from smo_app.api import webhooks
from smo_app.api.deps import PublicCalls
from smo_app.models.payments import PaymentProvider
from smo_app.services.payments import providers
from smo_app.services.payments.notifications import handle_notification, record_disputed_notice

router = APIRouter(tags=["payments"])
WEBHOOK_PROVIDERS = (PaymentProvider.yookassa.value, PaymentProvider.stripe.value)
# Stripe signs the event itself (checked at the edge): stored and applied in one transaction.
# A YooKassa notice is trusted only after fetching the payment back: stored first, then applied.
INLINE_PROVIDERS = (PaymentProvider.stripe.value,)


def _verifier(provider: str):
    def verify(body: bytes, headers: Mapping[str, str]) -> str:
        port = providers.port_for(provider)
        if port is None:
            raise webhooks.WebhookRejected(f"{provider} is not configured")
        try:
            return port.verify_notification(body, headers)
        except NotificationDisputed as exc:  # recorded, never stored: the genuine event keeps its slot
            raise webhooks.WebhookDisputed(str(exc), record=record_disputed_notice, provider=provider,
                                           reference=exc.reference, message=exc.message, disagreed=exc.disagreed,
                                           body=body) from exc
        except NotificationRejected as exc:
            raise webhooks.WebhookRejected(str(exc)) from exc
        except IntegrationError as exc:  # the provider could not be asked: it delivers again later
            raise webhooks.WebhookUnavailable(str(exc)) from exc

    return verify


def register_payment_sources() -> None:
    """Register the payment providers with the webhook inbox (idempotent)."""
    for provider in WEBHOOK_PROVIDERS:
        webhooks.register_source(webhooks.WebhookSource(provider=provider, verify=_verifier(provider),
                                                        handler=handle_notification,
                                                        inline=provider in INLINE_PROVIDERS))


@router.post("/payments/{provider}/webhook")
async def payment_webhook(provider: str, request: Request, calls: PublicCalls) -> JSONResponse:
    if provider not in WEBHOOK_PROVIDERS:
        return JSONResponse({"ok": False, "error": "unknown provider"}, status_code=404)
    return await webhooks.inbound(provider, request, calls)
