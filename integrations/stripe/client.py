"""Stripe PaymentIntents over httpx (the same wire format as Stripe's own library, form-encoded,
``Idempotency-Key`` on every create and refund); webhooks verified with the official library's
``stripe.WebhookSignature.verify_header`` — the check inside ``stripe.Webhook.construct_event``,
without building the library's object tree (``Stripe-Signature``, HMAC-SHA256 ``v1``, 300 s tolerance)."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

import httpx
import stripe
from pydantic import ValidationError

from integrations.http import RetryPolicy, make_client, send
from integrations.ports.payment import (
    CreatePayment, NotificationRejected, PaymentNotification, ProviderPayment, ProviderRefund, checked, parse_answer,
)
from integrations.stripe.port import Charge, PaymentIntent, StripeRefund

PRODUCTION_URL = "https://api.stripe.com"
EVENT_KINDS = {"payment_intent.succeeded": "payment.succeeded", "payment_intent.canceled": "payment.canceled",
               "payment_intent.payment_failed": "other", "payment_intent.amount_capturable_updated": "payment.waiting_for_capture"}
# events whose object is a refund (refund.* for every refund since API version 2024-10-28.acacia;
# charge.refund.updated before it); charge.refunded carries the charge instead
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})


def verify_event(body: bytes, signature: str | None, secret: str, *, tolerance: int = 300) -> dict:
    """The event, if ``Stripe-Signature`` is valid and fresh (the official library checks it)."""
    if not signature:
        raise NotificationRejected("stripe", "no Stripe-Signature header")
    try:
        text = body.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, tolerance)  # what construct_event checks
        event = json.loads(text)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
        raise NotificationRejected("stripe", f"signature refused: {exc}") from exc
    if not isinstance(event, dict):
        raise NotificationRejected("stripe", "not an event object")
    return event


class StripeClient:
    provider = "stripe"

    def __init__(self, *, api_key: str, webhook_secret: str | None, base_url: str = PRODUCTION_URL,
                 timeout: float = 10.0, tolerance: int = 300, policy: RetryPolicy = RetryPolicy(attempts=4),
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._http = make_client(base_url, timeout=timeout, transport=transport,
                                 headers={"Authorization": f"Bearer {api_key}"})
        self._webhook_secret = webhook_secret
        self._test_keys = api_key.startswith(("sk_test_", "rk_test_"))
        self._tolerance = tolerance
        self._policy = policy
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def create_payment(self, request: CreatePayment) -> ProviderPayment:
        form = {"amount": request.amount_minor, "currency": request.currency.lower(),
                "description": request.description[:500],
                "metadata[order_id]": str(request.order_id), "metadata[payment_id]": str(request.payment_id),
                "automatic_payment_methods[enabled]": "true"}
        response = self._call("POST", "/v1/payment_intents", data=form, idempotency=request.idempotency_key)
        intent = self._parse(response, PaymentIntent)
        out = intent.to_port()
        return out.model_copy(update={"confirmation_url": intent.client_secret})

    def whoami(self) -> tuple[str, bool]:
        """``GET /v1/account``: the account these keys open, and whether they are test keys."""
        answer = self._call("GET", "/v1/account").json()
        return str(answer.get("id") or ""), self._test_keys

    def get_payment(self, provider_payment_id: str) -> ProviderPayment:
        return self._parse(self._call("GET", f"/v1/payment_intents/{provider_payment_id}"), PaymentIntent).to_port()

    def refund(self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str,
               reason: str = "") -> ProviderRefund:
        form = {"payment_intent": provider_payment_id, "amount": amount_minor, "reason": "requested_by_customer",
                "metadata[note]": reason[:500]}
        return self._parse(self._call("POST", "/v1/refunds", data=form, idempotency=idempotency_key),
                           StripeRefund).to_port()

    def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        return self._parse(self._call("GET", f"/v1/refunds/{provider_refund_id}"), StripeRefund).to_port()

    def verify_notification(self, body: bytes, headers: Mapping[str, str]) -> str:
        """``Stripe-Signature`` checked by the official library, 300 s tolerance; the event id."""
        if not self._webhook_secret:
            raise NotificationRejected(self.provider, "no webhook secret configured")
        lowered = {k.lower(): v for k, v in headers.items()}
        event = verify_event(body, lowered.get("stripe-signature"), self._webhook_secret, tolerance=self._tolerance)
        if not str(event.get("id", "")).startswith("evt_"):
            raise NotificationRejected(self.provider, "no event id")
        return str(event["id"])

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotification:
        """The stored event was verified at the edge (a later retry may be past the tolerance)."""
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise NotificationRejected(self.provider, "not JSON") from exc
        kind = EVENT_KINDS.get(event.get("type", ""), "other")
        obj = (event.get("data") or {}).get("object") or {}
        if event.get("type") in REFUND_EVENTS or event.get("type") == "charge.refunded":
            return self._refund_notification(event, obj)
        payment = None
        if obj.get("object") == "payment_intent":
            try:
                payment = PaymentIntent.model_validate(obj).to_port()
            except ValidationError as exc:
                raise NotificationRejected(self.provider, "bad payment_intent object") from exc
        return PaymentNotification(provider=self.provider, event_id=str(event["id"]), kind=kind, payment=payment)

    def _refund_notification(self, event: dict, obj: dict) -> PaymentNotification:
        """A refund event: the refund it carries; ``charge.refunded`` without its refund list (API
        versions since 2022-11-15) names the PaymentIntent whose pending refunds the shop asks about."""
        refunds, recheck = [], None
        try:
            if obj.get("object") == "refund":
                refunds = [StripeRefund.model_validate(obj).to_port()]
            elif obj.get("object") == "charge":
                charge = Charge.model_validate(obj)
                if charge.refunds is not None:
                    refunds = [r.model_copy(update={"payment_intent": r.payment_intent or charge.payment_intent}).to_port()
                               for r in charge.refunds.data]
                if charge.refunds is None or charge.refunds.has_more:
                    recheck = charge.payment_intent
        except ValidationError as exc:
            raise NotificationRejected(self.provider, f"bad {obj.get('object')} object") from exc
        kind = "refund.updated" if refunds or recheck else "other"
        return PaymentNotification(provider=self.provider, event_id=str(event["id"]), kind=kind, refunds=refunds,
                                   recheck_refunds_of=recheck)

    def _call(self, method: str, path: str, *, idempotency: str | None = None, **kwargs) -> httpx.Response:
        response = send(self._http, method, path, provider=self.provider, policy=self._policy, sleep=self._sleep,
                        idempotency=idempotency, idempotency_header="Idempotency-Key", **kwargs)
        return checked(response, provider=self.provider, describe=_message, auth_statuses=(401,))

    def _parse(self, response: httpx.Response, model):
        return parse_answer(response, model, provider=self.provider)


def _message(detail) -> str | None:
    """Stripe's error object: ``{"error": {"type": …, "message": …}}``."""
    if isinstance(detail, dict) and isinstance(detail.get("error"), dict):
        return f"{detail['error'].get('type')}: {detail['error'].get('message')}"
    return None
