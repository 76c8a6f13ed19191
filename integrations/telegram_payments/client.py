"""Invoice links through the Bot API (httpx on the shared base), for a provider token or Stars."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import httpx

from integrations.http import (
    ProviderAuthError, ProviderProtocolError, ProviderRejected, RetryPolicy, json_body, make_client, send,
)
from integrations.ports.payment import (
    CreatePayment, NotificationRejected, PaymentNotification, ProviderPayment, ProviderRefund,
)
from integrations.telegram_payments.port import invoice_payload

DEFAULT_API = "https://api.telegram.org"


class TelegramPaymentsClient:
    def __init__(self, *, bot_token: str, provider_token: str | None, stars: bool = False, api_base: str | None = None,
                 timeout: float = 10.0, title: Callable[[int], str] = lambda order: f"Order {order}",
                 policy: RetryPolicy = RetryPolicy(), transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.provider = "stars" if stars else "telegram"
        self.stars = stars
        self._http = make_client((api_base or DEFAULT_API).rstrip("/"), timeout=timeout, transport=transport)
        self._token = bot_token
        self._provider_token = "" if stars else (provider_token or "")
        self._title = title
        self._policy = policy
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def create_payment(self, request: CreatePayment) -> ProviderPayment:
        """An invoice link for the payment (Telegram has no idempotency key: a repeated call makes
        another link for the same payload, and paying either lands on the same payment row). A
        payment that is not an order's carries its own reference as the payload."""
        currency = "XTR" if self.stars else request.currency
        title = (request.title or self._title(request.order_id))[:32]
        params = {"title": title, "description": (request.description or title)[:255],
                  "payload": request.reference or invoice_payload(request.payment_id),
                  "provider_token": self._provider_token, "currency": currency,
                  "prices": [{"label": title, "amount": request.amount_minor}]}
        url = self._call("createInvoiceLink", params, idempotent=True)
        if not isinstance(url, str):
            raise ProviderProtocolError(self.provider, "createInvoiceLink did not return a link")
        return ProviderPayment(provider=self.provider, id="", status="pending", amount_minor=request.amount_minor,
                               currency=currency, confirmation_url=url, order_id=request.order_id,
                               payment_id=request.payment_id, reference=request.reference)

    def get_payment(self, provider_payment_id: str) -> ProviderPayment:
        raise ProviderRejected(self.provider, "Telegram cannot be asked about a payment; it reports them as updates")

    def refund(self, *, provider_payment_id: str, amount_minor: int, currency: str, idempotency_key: str,
               reason: str = "", user_id: int | None = None) -> ProviderRefund:
        if not self.stars or user_id is None:
            raise ProviderRejected(self.provider, "card payments made in Telegram are refunded in the provider's dashboard")
        self._call("refundStarPayment", {"user_id": user_id, "telegram_payment_charge_id": provider_payment_id})
        return ProviderRefund(provider=self.provider, id=provider_payment_id, payment_id=provider_payment_id,
                              status="succeeded", amount_minor=amount_minor, currency="XTR")

    def get_refund(self, provider_refund_id: str) -> ProviderRefund:
        """A Stars refund is done when ``refundStarPayment`` answers ``true`` (its id is the payment's
        charge id; the whole payment goes back), so it is never pending; card payments made in
        Telegram are never refunded through the Bot API."""
        if not self.stars:
            raise ProviderRejected(self.provider, "card payments made in Telegram are refunded in the provider's dashboard")
        return ProviderRefund(provider=self.provider, id=provider_refund_id, payment_id=provider_refund_id,
                              status="succeeded", amount_minor=None, currency="XTR")

    def verify_notification(self, body: bytes, headers: Mapping[str, str]) -> str:
        raise NotificationRejected(self.provider, "Telegram payments arrive as bot updates")

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotification:
        raise NotificationRejected(self.provider, "Telegram payments arrive as bot updates")

    def whoami(self) -> tuple[str, bool]:
        """``getMe``: the bot the token opens (``@name``) and whether the provider token is a test one
        (``…:TEST:…``; Stars have no test mode)."""
        me = self._call("getMe", {}, idempotent=True) or {}
        return f"@{me.get('username') or me.get('id')}", ":TEST:" in self._provider_token

    def _call(self, method: str, params: dict, *, idempotent: bool | None = None):
        response = send(self._http, "POST", f"/bot{self._token}/{method}", provider=self.provider, policy=self._policy,
                        sleep=self._sleep, idempotent=idempotent, json=params)
        body = json_body(response, provider=self.provider)
        if response.status_code == 401:
            raise ProviderAuthError(self.provider, "the bot token was refused", status=401, detail=body)
        if not isinstance(body, dict) or not body.get("ok"):
            description = body.get("description") if isinstance(body, dict) else None
            raise ProviderRejected(self.provider, description or f"HTTP {response.status_code}",
                                   status=response.status_code, detail=body)
        return body.get("result")
