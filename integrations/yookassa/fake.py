"""A fake YooKassa API v3 speaking the real JSON, for tests and the offline demo.

``FakeYooKassa().handle`` is an ``httpx.Request -> httpx.Response`` function (``httpx.MockTransport``
or ``integrations.fakeserver.LocalServer``; ``python -m integrations.yookassa.fake --port 8091``).

Implemented: ``POST /v3/payments`` (``Idempotence-Key`` required; a repeated key answers the first
payment), ``GET /v3/payments/{id}``, ``POST /v3/refunds`` (idempotent too; refunds up to the paid
amount), ``GET /v3/refunds/{id}``, HTTP Basic auth, YooKassa's error object. Knobs:
``pay(id)``/``cancel(id)`` (what the customer does), ``refunds_pending`` (new refunds wait, as for
some payment methods) and ``settle_refund(id, status)``, ``dashboard_refund(payment id, kopecks)``
(a refund made in YooKassa's dashboard), ``notification(event, id)`` and ``refund_notification(id)``
(the bodies YooKassa would POST), ``fail_next(n, status, after_acting=False)`` (a 500 after acting
is YooKassa's "result unknown"), ``delay`` (a timeout), ``calls``.

With ``page_url`` (the demo: the fake served on a local port) a redirect payment's
``confirmation_url`` is the fake's own payment page, ``GET {page_url}/checkout/{id}``, with "Оплатить"
and "Отменить": pressing one pays or cancels the payment, POSTs YooKassa's notice to ``notify_url``
(the shop's webhook) and sends the customer back to the payment's ``return_url`` — never yoomoney.ru.
"""
from __future__ import annotations

import base64
import json
import html
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

import httpx

from integrations.fakeserver import ScriptedCalls
from integrations.ports.payment import minor_to_value, value_to_minor

DEMO_SHOP_ID = "100500"
DEMO_SECRET_KEY = "test_demo-yookassa-secret"


def _json(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, ensure_ascii=False).encode(),
                          headers={"Content-Type": "application/json"})


def _error(status: int, code: str, description: str, parameter: str | None = None) -> httpx.Response:
    body = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        body["parameter"] = parameter
    return _json(status, body)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeYooKassa(ScriptedCalls):
    provider = "yookassa"

    def __init__(self, *, shop_id: str = DEMO_SHOP_ID, secret_key: str = DEMO_SECRET_KEY, delay: float = 0.0,
                 auto_pay: bool = False, refunds_pending: bool = False, page_url: str | None = None,
                 notify_url: str | None = None, post: Callable[[str, bytes], object] | None = None) -> None:
        self._init_calls(delay)
        self.page_url, self.notify_url = (page_url or "").rstrip("/") or None, notify_url
        self._post = post or _post_notice
        self.shop_id, self.secret_key = shop_id, secret_key
        self.auto_pay = auto_pay  # demo: every new payment is paid at once
        self.refunds_pending = refunds_pending  # new refunds start "pending" until settle_refund()
        self.receipts_refused = False  # a shop whose online cash register is not connected: receipts refused
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.bodies: list[dict] = []
        self._keys: dict[str, tuple[int, dict]] = {}

    # ---- knobs ----------------------------------------------------------------------------------
    def pay(self, payment_id: str) -> dict:
        with self._lock:
            p = self.payments[payment_id]
            p.update(status="succeeded", paid=True, refundable=True, captured_at=_now())
            p.pop("confirmation", None)
            return dict(p)

    def cancel(self, payment_id: str, reason: str = "expired_on_confirmation") -> dict:
        with self._lock:
            p = self.payments[payment_id]
            p.update(status="canceled", cancellation_details={"party": "yoo_money", "reason": reason})
            return dict(p)

    def settle_refund(self, refund_id: str, status: str = "succeeded", reason: str = "rejected_by_payee") -> dict:
        """A pending refund ends: ``succeeded``, or ``canceled`` with YooKassa's cancellation details."""
        with self._lock:
            r = self.refunds[refund_id]
            r["status"] = status
            if status == "canceled":
                r["cancellation_details"] = {"party": "payment_network", "reason": reason}
            return dict(r)

    def dashboard_refund(self, payment_id: str, amount_minor: int, status: str = "succeeded") -> dict:
        """A refund someone made in YooKassa's dashboard (the shop never asked for it)."""
        with self._lock:
            payment = self.payments[payment_id]
            refund = self._new_refund(payment, amount_minor, payment["amount"]["currency"], "", status)
            return dict(refund)

    def notification(self, event: str, payment_id: str, **override) -> bytes:
        with self._lock:
            obj = {**self.payments[payment_id], **override}
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    def refund_notification(self, refund_id: str, event: str = "refund.succeeded", **override) -> bytes:
        with self._lock:
            obj = {**self.refunds[refund_id], **override}
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    # ---- the API --------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path, key = request.url.path, request.headers.get("Idempotence-Key")
        if path.startswith("/checkout/") and self.page_url:  # the customer's browser, not the shop's API
            return self._page(request)
        failure = self._record(request, key)
        if failure is not None and not failure[1]:
            return _error(failure[0], "internal_server_error", "Internal server error")
        if not self._authorized(request):
            return _error(401, "invalid_credentials", "Login or password incorrect. Make sure you use your shopId and secret key")
        if request.method == "POST" and path in ("/v3/payments", "/v3/refunds"):
            if not key:
                return _error(400, "invalid_request", "Idempotence key isn't specified", "Idempotence-Key")
            with self._lock:
                if key in self._keys:
                    status, body = self._keys[key]
                else:
                    status, body = (self._create(request) if path == "/v3/payments" else self._refund(request))
                    if status < 500:
                        self._keys[key] = (status, body)
            response = _json(status, body)
        elif request.method == "GET" and path.startswith("/v3/payments/"):
            with self._lock:
                found = self.payments.get(path.rsplit("/", 1)[-1])
            response = _json(200, found) if found else _error(404, "not_found", "Payment doesn't exist or access denied")
        elif request.method == "GET" and path == "/v3/me":  # the shop's own settings (what "check" asks)
            response = _json(200, {"account_id": self.shop_id, "test": self.secret_key.startswith("test_"),
                                   "fiscalization_enabled": False, "status": "enabled",
                                   "payment_methods": ["bank_card", "sbp", "yoo_money"]})
        elif request.method == "GET" and path.startswith("/v3/refunds/"):
            with self._lock:
                found = self.refunds.get(path.rsplit("/", 1)[-1])
            response = _json(200, found) if found else _error(404, "not_found", "Refund doesn't exist or access denied")
        else:
            response = _error(404, "not_found", f"{request.method} {path} is not found")
        if failure is not None:  # acted, then answered 500: "the result is unknown"
            return _error(failure[0], "internal_server_error", "Internal server error")
        return response

    def _authorized(self, request: httpx.Request) -> bool:
        expected = base64.b64encode(f"{self.shop_id}:{self.secret_key}".encode()).decode()
        return request.headers.get("Authorization", "") == f"Basic {expected}"

    def _create(self, request: httpx.Request) -> tuple[int, dict]:
        try:
            body = json.loads(request.content or b"null")
            amount = body["amount"]
            minor = value_to_minor(amount["value"])
        except (ValueError, KeyError, TypeError):
            return 400, {"type": "error", "code": "invalid_request", "description": "amount is missing", "parameter": "amount"}
        self.bodies.append(body)
        if minor <= 0:
            return 400, {"type": "error", "code": "invalid_request", "description": "Amount must be positive", "parameter": "amount.value"}
        if "receipt" in body and not (body["receipt"].get("customer") and body["receipt"].get("items")):
            return 400, {"type": "error", "code": "invalid_request", "description": "Receipt is incomplete", "parameter": "receipt"}
        if "receipt" in body and self.receipts_refused:
            return 400, {"type": "error", "code": "invalid_request", "parameter": "receipt",
                         "description": "Receipt can't be sent: no online cash register is connected to the shop"}
        pid = f"{uuid.uuid4().hex[:8]}-000f-5000-9000-{uuid.uuid4().hex[:12]}"
        confirmation = body.get("confirmation") or {"type": "redirect"}
        if confirmation.get("type") == "qr":
            confirmation = {"type": "qr", "confirmation_data": f"https://qr.nspk.ru/fake{pid[:8]}?type=02&bank=100000000111"}
        else:
            url = (f"{self.page_url}/checkout/{pid}" if self.page_url
                   else f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={pid}")
            confirmation = {"type": "redirect", "return_url": confirmation.get("return_url"), "confirmation_url": url}
        payment = {"id": pid, "status": "pending", "paid": False,
                   "amount": {"value": minor_to_value(minor), "currency": amount.get("currency", "RUB")},
                   "confirmation": confirmation, "created_at": _now(), "description": body.get("description", ""),
                   "metadata": body.get("metadata") or {}, "recipient": {"account_id": self.shop_id, "gateway_id": "1000001"},
                   "refundable": False, "test": True}
        self.payments[pid] = payment
        if self.auto_pay:
            self.pay(pid)
        return 200, dict(self.payments[pid])

    def _page(self, request: httpx.Request) -> httpx.Response:
        """The demo's payment page: GET shows the sum and two buttons; POST …/pay or …/cancel acts."""
        parts = request.url.path.strip("/").split("/")  # checkout, id[, pay|cancel]
        with self._lock:
            payment = self.payments.get(parts[1]) if len(parts) > 1 else None
        if payment is None:
            return httpx.Response(404, text="payment not found")
        pid = payment["id"]
        if request.method == "POST" and len(parts) == 3 and parts[2] in ("pay", "cancel"):
            back = (payment.get("confirmation") or {}).get("return_url") or "/"  # read before paying drops it
            if payment["status"] == "pending":
                done = self.pay(pid) if parts[2] == "pay" else self.cancel(pid, reason="canceled_by_merchant")
                if self.notify_url:
                    event = "payment.succeeded" if parts[2] == "pay" else "payment.canceled"
                    self._post(self.notify_url, self.notification(event, done["id"]))
            return httpx.Response(303, headers={"Location": back})
        value = html.escape(f"{payment['amount']['value']} {payment['amount']['currency']}")
        state = html.escape(payment["status"])
        buttons = "" if payment["status"] != "pending" else (
            f'<form method="post" action="/checkout/{pid}/pay"><button id="pay">Оплатить</button></form>'
            f'<form method="post" action="/checkout/{pid}/cancel"><button id="cancel">Отменить</button></form>')
        body = (f'<!doctype html><meta charset="utf-8"><title>ЮKassa — демо</title>'
                f'<p><b>Демо-оплата ЮKassa</b>: деньги не списываются.</p>'
                f'<p>{html.escape(payment.get("description", ""))}</p><p id="sum">{value}</p>'
                f'<p id="state">{state}</p>{buttons}')
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

    def _refund(self, request: httpx.Request) -> tuple[int, dict]:
        try:
            body = json.loads(request.content or b"null")
            payment = self.payments[body["payment_id"]]
            minor = value_to_minor(body["amount"]["value"])
        except (ValueError, KeyError, TypeError):
            return 400, {"type": "error", "code": "invalid_request", "description": "payment_id is unknown", "parameter": "payment_id"}
        refunded = sum(value_to_minor(r["amount"]["value"]) for r in self.refunds.values()
                       if r["payment_id"] == payment["id"] and r["status"] != "canceled")
        if payment["status"] != "succeeded" or minor <= 0 or refunded + minor > value_to_minor(payment["amount"]["value"]):
            return 400, {"type": "error", "code": "invalid_request", "description": "Refund amount exceeds the payment",
                         "parameter": "amount.value"}
        refund = self._new_refund(payment, minor, body["amount"].get("currency", "RUB"), body.get("description", ""),
                                  "pending" if self.refunds_pending else "succeeded")
        return 200, dict(refund)

    def _new_refund(self, payment: dict, minor: int, currency: str, description: str, status: str) -> dict:
        rid = f"{uuid.uuid4().hex[:8]}-0015-5000-8000-{uuid.uuid4().hex[:12]}"
        refund = {"id": rid, "payment_id": payment["id"], "status": status, "created_at": _now(),
                  "amount": {"value": minor_to_value(minor), "currency": currency}, "description": description}
        self.refunds[rid] = refund
        return refund


def _post_notice(url: str, body: bytes) -> None:
    """Deliver a notice to the shop's webhook as YooKassa would (the shop verifies it by asking again)."""
    try:
        httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=5.0)
    except httpx.HTTPError:  # the shop is down: its reconciliation asks later
        pass


if __name__ == "__main__":  # pragma: no cover
    from integrations.fakeserver import run_standalone

    run_standalone(FakeYooKassa(auto_pay=True).handle, name="YooKassa API v3", default_port=8091,
                   note=f"(shop id {DEMO_SHOP_ID!r}, secret key {DEMO_SECRET_KEY!r})")
