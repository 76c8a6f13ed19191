"""The YooKassa API v3 client (httpx, HTTP Basic with the shop id and secret key).

Every create and refund carries an ``Idempotence-Key`` derived from our ids: YooKassa keeps a key
24 h and answers a repeat with the first result, so a retry after a timeout or a 500 ("result
unknown") never makes two. A notification is trusted only after the payment (or the refund) is
fetched back.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

import httpx
from pydantic import ValidationError

from integrations.http import ProviderRejected, RetryPolicy, make_client, send
from integrations.ports.payment import (
    CreatePayment, NotificationDisputed, NotificationRejected, PaymentNotification, ProviderPayment, ProviderRefund, Receipt, checked,
    minor_to_value, parse_answer,
)
from integrations.yookassa.port import Notification, YooPayment, YooRefund

PRODUCTION_URL = "https://api.yookassa.ru"
KNOWN_EVENTS = {"payment.succeeded", "payment.canceled", "payment.waiting_for_capture", "refund.succeeded"}


class ReceiptMissing(ProviderRejected):
    """Fiscal receipts are on but the receipt is missing or incomplete: caught before the call."""

    code = "payment.receipt_required"


def receipt_json(receipt: Receipt | None, *, currency: str, total_minor: int) -> dict:
    """The ``receipt`` object of a payment (54-FZ), validated before the call."""
    if receipt is None or not receipt.items:
        raise ReceiptMissing("yookassa", "a fiscal receipt is required")
    if not (receipt.customer_phone or receipt.customer_email):
        raise ReceiptMissing("yookassa", "the receipt needs the customer's phone or e-mail")
    if sum(i.amount_minor * i.quantity for i in receipt.items) != total_minor:
        raise ReceiptMissing("yookassa", "receipt items do not add up to the payment amount")
    customer = {k: v for k, v in (("phone", receipt.customer_phone), ("email", receipt.customer_email)) if v}
    out = {"customer": customer, "items": [
        {"description": i.description[:128], "quantity": f"{i.quantity}.00",
         "amount": {"value": minor_to_value(i.amount_minor), "currency": currency}, "vat_code": i.vat_code,
         "payment_subject": i.payment_subject, "payment_mode": i.payment_mode}
        for i in receipt.items]}
    if receipt.tax_system_code is not None:
        out["tax_system_code"] = receipt.tax_system_code
    return out


class YooKassaClient:
    provider = "yookassa"

    def __init__(self, *, shop_id: str, secret_key: str, base_url: str = PRODUCTION_URL, timeout: float = 10.0,
                 receipts: bool = False, policy: RetryPolicy = RetryPolicy(attempts=4),
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._http = make_client(base_url, timeout=timeout, transport=transport)
        self._auth = httpx.BasicAuth(shop_id, secret_key)
        self._policy = policy
        self._sleep = sleep
        self.receipts = receipts

    def close(self) -> None:
        self._http.close()

    # ---- the port -------------------------------------------------------------------------------
    def create_payment(self, request: CreatePayment) -> ProviderPayment:
        body: dict = {
            "amount": {"value": minor_to_value(request.amount_minor), "currency": request.currency},
            "capture": True,
            "description": request.description[:128],
            "metadata": {"order_id": str(request.order_id), "payment_id": str(request.payment_id)},
        }
        if request.confirmation == "qr":
            body["confirmation"] = {"type": "qr"}
        else:
            body["confirmation"] = {"type": "redirect", "return_url": request.return_url or "https://example.invalid/"}
        if self.receipts:
            body["receipt"] = receipt_json(request.receipt, currency=request.currency, total_minor=request.amount_minor)
        response = self._call("POST", "/v3/payments", json=body, idempotency=request.idempotency_key)
        return self._parse(response, YooPayment).to_port()

    def get_payment(self, provider_payment_id: str) -> ProviderPayment:
        return self._parse(self._call("GET", f"/v3/payments/{provider_payment_id}"), YooPayment).to_port()

    def refund(self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str,
               reason: str = "") -> ProviderRefund:
        body = {"payment_id": provider_payment_id, "description": reason[:250],
                "amount": {"value": minor_to_value(amount_minor), "currency": currency}}
        return self._parse(self._call("POST", "/v3/refunds", json=body, idempotency=idempotency_key), YooRefund).to_port()

    def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        return self._parse(self._call("GET", f"/v3/refunds/{provider_refund_id}"), YooRefund).to_port()

    def whoami(self) -> tuple[str, bool]:
        """``GET /v3/me``: the shop these keys open (its id) and whether it is a test shop."""
        answer = self._call("GET", "/v3/me").json()
        return str(answer.get("account_id") or ""), bool(answer.get("test"))

    def verify_notification(self, body: bytes, headers: Mapping[str, str]) -> str:
        """YooKassa does not sign notifications: the edge fetches the payment (or refund) back, and
        the inbox key is its id with the status YooKassa reports — unique for a genuine event, and
        a notice YooKassa does not confirm (:class:`NotificationDisputed`) never gets one."""
        notice = self.read_notification(body)
        actual = self._confirmed(notice)
        kind = "refund" if notice.event.startswith("refund.") else "payment"
        return f"{kind}:{actual.id}:{actual.status}"

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotification:
        """Read a notification and check it against the API: the payment (or refund) is fetched back
        and its status, amount and currency must agree with what the notice claims."""
        notice = self.read_notification(body)
        actual = self._confirmed(notice)
        known = notice.event in KNOWN_EVENTS
        kind = notice.event if known else "other"
        if notice.event.startswith("refund."):
            return PaymentNotification(provider=self.provider, event_id=f"{notice.event}:{actual.id}", kind=kind,
                                       refunds=[actual] if known else [])
        return PaymentNotification(provider=self.provider, event_id=f"{notice.event}:{actual.id}", kind=kind,
                                   payment=actual)

    def _confirmed(self, notice: Notification) -> ProviderPayment | ProviderRefund:
        """The payment (or refund) the notice names, as YooKassa reports it now; raises
        :class:`NotificationDisputed` naming what disagreed (or that YooKassa has no such object)."""
        refund = notice.event.startswith("refund.")
        claimed = (YooRefund if refund else YooPayment).model_validate(notice.object).to_port()
        fields = ("status", "amount_minor", "currency") + (("payment_id",) if refund else ())
        try:
            actual = self.get_refund(claimed.id) if refund else self.get_payment(claimed.id)
        except ProviderRejected as exc:
            if exc.status != 404:
                raise
            raise NotificationDisputed(self.provider, f"no such {'refund' if refund else 'payment'} at YooKassa",
                                       reference=f"{notice.event}:{claimed.id}",
                                       disagreed={"id": {"claimed": claimed.id, "actual": None}}) from exc
        disagreed = {f: {"claimed": getattr(claimed, f), "actual": getattr(actual, f)} for f in fields
                     if getattr(claimed, f) != getattr(actual, f)}
        if disagreed:
            raise NotificationDisputed(self.provider, f"the fetched {'refund' if refund else 'payment'} disagrees "
                                       "with the notification", reference=f"{notice.event}:{claimed.id}",
                                       disagreed=disagreed)
        return actual

    @staticmethod
    def read_notification(body: bytes) -> Notification:
        """Parse without trusting: the shape only (used by the edge to name the event)."""
        try:
            notice = Notification.model_validate(json.loads(body))
            if notice.event.startswith("payment."):
                YooPayment.model_validate(notice.object)
            elif notice.event.startswith("refund."):
                YooRefund.model_validate(notice.object)
        except (ValueError, ValidationError) as exc:
            raise NotificationRejected("yookassa", "not a YooKassa notification") from exc
        if notice.type != "notification" or not notice.object.get("id"):
            raise NotificationRejected("yookassa", "not a YooKassa notification")
        return notice

    # ---- plumbing -------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, idempotency: str | None = None, **kwargs) -> httpx.Response:
        response = send(self._http, method, path, provider=self.provider, policy=self._policy, sleep=self._sleep,
                        idempotency=idempotency, idempotency_header="Idempotence-Key", auth=self._auth, **kwargs)
        return checked(response, provider=self.provider, describe=_description, auth_statuses=(401, 403))

    def _parse(self, response: httpx.Response, model):
        return parse_answer(response, model, provider=self.provider)


def _description(detail) -> str | None:
    """YooKassa's error object: ``{"type": "error", "code": …, "description": …}``."""
    if isinstance(detail, dict) and detail.get("code"):
        return f"{detail.get('code')}: {detail.get('description')}"
    return None
