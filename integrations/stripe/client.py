"""Stripe Checkout Sessions (the hosted payment page a Mini App can open; older payments are
PaymentIntents) over httpx (the same wire format as Stripe's own library, form-encoded,
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
from integrations.stripe.port import Charge, CheckoutSession, PaymentIntent, StripeRefund

PRODUCTION_URL = "https://api.stripe.com"
EVENT_KINDS = {"payment_intent.succeeded": "payment.succeeded", "payment_intent.canceled": "payment.canceled",
               "payment_intent.payment_failed": "other", "payment_intent.amount_capturable_updated": "payment.waiting_for_capture"}
# events whose object is a refund (refund.* for every refund since API version 2024-10-28.acacia;
# charge.refund.updated before it); charge.refunded carries the charge instead
# a Checkout Session's events carry the session (the payment we keep); its PaymentIntent's own events
# are marked ``metadata[checkout]=1`` and left to them
SESSION_EVENTS = {"checkout.session.completed": "payment.succeeded",
                  "checkout.session.async_payment_succeeded": "payment.succeeded",
                  "checkout.session.async_payment_failed": "other", "checkout.session.expired": "payment.canceled"}
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
        self._sessions_of: dict[str, str] = {}  # PaymentIntent -> its Checkout Session (never changes)

    def close(self) -> None:
        self._http.close()

    def create_payment(self, request: CreatePayment) -> ProviderPayment:
        """A Checkout Session for the order's sum: its ``url`` (Stripe's hosted page) is the confirmation
        URL; Stripe sends the customer back to ``return_url`` whether they paid or gave up."""
        back = request.return_url or "https://stripe.com"
        form = {"mode": "payment", "success_url": back, "cancel_url": back,
                "client_reference_id": str(request.payment_id),
                "line_items[0][quantity]": 1,
                "line_items[0][price_data][currency]": request.currency.lower(),
                "line_items[0][price_data][unit_amount]": request.amount_minor,
                "line_items[0][price_data][product_data][name]": (request.description or f"#{request.order_id}")[:250],
                "metadata[order_id]": str(request.order_id), "metadata[payment_id]": str(request.payment_id),
                "payment_intent_data[metadata][order_id]": str(request.order_id),
                "payment_intent_data[metadata][checkout]": "1"}
        response = self._call("POST", "/v1/checkout/sessions", data=form, idempotency=request.idempotency_key)
        return self._parse(response, CheckoutSession).to_port()

    def whoami(self) -> tuple[str, bool]:
        """``GET /v1/account``: the account these keys open, and whether they are test keys."""
        answer = self._call("GET", "/v1/account").json()
        return str(answer.get("id") or ""), self._test_keys

    def get_payment(self, provider_payment_id: str) -> ProviderPayment:
        """A Checkout Session (``cs_…``) or, for payments made before sessions, a PaymentIntent."""
        if provider_payment_id.startswith("cs_"):
            return self._session(provider_payment_id).to_port()
        return self._parse(self._call("GET", f"/v1/payment_intents/{provider_payment_id}"), PaymentIntent).to_port()

    def _session(self, session_id: str) -> CheckoutSession:
        return self._parse(self._call("GET", f"/v1/checkout/sessions/{session_id}"), CheckoutSession)

    def refund(self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str,
               reason: str = "") -> ProviderRefund:
        """Refunds go to the PaymentIntent; a session's is read from it (set once paid) and the session
        is named in the refund's metadata, so its events lead back to our payment."""
        intent, meta = provider_payment_id, {}
        if provider_payment_id.startswith("cs_"):
            intent = self._session(provider_payment_id).payment_intent or ""
            meta = {"metadata[checkout_session]": provider_payment_id}
        form = {"payment_intent": intent, "amount": amount_minor, "reason": "requested_by_customer",
                "metadata[note]": reason[:500], **meta}
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
        kind = EVENT_KINDS.get(event.get("type", ""), SESSION_EVENTS.get(event.get("type", ""), "other"))
        obj = (event.get("data") or {}).get("object") or {}
        if event.get("type") in REFUND_EVENTS or event.get("type") == "charge.refunded":
            return self._refund_notification(event, obj)
        payment = None
        if obj.get("object") == "checkout.session":
            try:
                payment = CheckoutSession.model_validate(obj).to_port()
            except ValidationError as exc:
                raise NotificationRejected(self.provider, "bad checkout.session object") from exc
        elif obj.get("object") == "payment_intent" and (obj.get("metadata") or {}).get("checkout") == "1":
            kind = "other"  # a session's PaymentIntent: the session's own event credits the payment
        elif obj.get("object") == "payment_intent":
            try:
                payment = PaymentIntent.model_validate(obj).to_port()
            except ValidationError as exc:
                raise NotificationRejected(self.provider, "bad payment_intent object") from exc
        return PaymentNotification(provider=self.provider, event_id=str(event["id"]), kind=kind, payment=payment)

    def _refund_notification(self, event: dict, obj: dict) -> PaymentNotification:
        """A refund event: the refund it carries; ``charge.refunded`` without its refund list (API
        versions since 2022-11-15) names the payment whose pending refunds the shop asks about. A refund
        or charge names only a PaymentIntent: unless our metadata names the session, the Checkout
        Session that made it is looked up (``GET /v1/checkout/sessions?payment_intent=…``)."""
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
        refunds = [r.model_copy(update={"payment_id": self.payment_of(r.payment_id)}) for r in refunds]
        recheck = self.payment_of(recheck) if recheck else None
        kind = "refund.updated" if refunds or recheck else "other"
        return PaymentNotification(provider=self.provider, event_id=str(event["id"]), kind=kind, refunds=refunds,
                                   recheck_refunds_of=recheck)

    def payment_of(self, payment_id: str) -> str:
        """Our payment's id at Stripe for a PaymentIntent: the Checkout Session that made it, if any
        (a PaymentIntent paid before sessions is its own payment)."""
        if not payment_id.startswith("pi_"):
            return payment_id
        if payment_id not in self._sessions_of:
            if len(self._sessions_of) > 10_000:
                self._sessions_of.clear()
            found = self._call("GET", "/v1/checkout/sessions", params={"payment_intent": payment_id, "limit": 1})
            data = (found.json() or {}).get("data") or []
            self._sessions_of[payment_id] = str(data[0]["id"]) if data and data[0].get("id") else payment_id
        return self._sessions_of[payment_id]

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
