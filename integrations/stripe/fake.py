"""A fake Stripe API (Checkout Sessions, PaymentIntents, refunds) speaking Stripe's JSON, and signed
webhook events.

``POST /v1/checkout/sessions`` (form-encoded, ``mode=payment``, one ``line_items[0][price_data]``
line) answers a ``cs_…`` session whose ``url`` is the fake's own page ``GET {page_url}/c/pay/{id}``
(Stripe's is ``https://checkout.stripe.com/c/pay/{id}``), ``GET /v1/checkout/sessions/{id}`` reads it.
On the page "Оплатить" pays it (a succeeded PaymentIntent, ``payment_status`` ``paid``) and
"Отменить" expires it; either POSTs the signed ``checkout.session.completed`` / ``…expired`` event to
``notify_url`` (the shop's webhook) and sends the customer to ``success_url`` / ``cancel_url``.
``succeed(id)`` pays a session or an intent; ``event(type, id)`` of a session id carries the session
(``checkout.session.*``) or its PaymentIntent (``payment_intent.*``).
``FakeStripe().handle`` serves ``POST /v1/payment_intents`` (form-encoded, ``Idempotency-Key``:
a repeated key answers the first result), ``GET /v1/payment_intents/{id}``, ``POST /v1/refunds``,
``GET /v1/refunds/{id}``, Bearer auth, Stripe's error object. ``succeed(id)`` is the customer paying;
``event(type, id)`` returns ``(body, headers)`` of the webhook Stripe would send, signed with the same
``Stripe-Signature`` scheme (``t=<unix>,v1=HMAC-SHA256(secret, "t.body")``); ``refund_event(type,
refund id)`` and ``charge_refunded_event(intent id)`` the refund ones. Knobs: ``refunds_pending`` (new
refunds wait) and ``settle_refund(id, status)``, ``dashboard_refund(intent id, amount)``,
``fail_next``, ``delay``, ``calls``. ``python -m integrations.stripe.fake --port 8092``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import html
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

import httpx

from integrations.fakeserver import ScriptedCalls

DEMO_API_KEY = "sk_test_demo_smo"
DEMO_WEBHOOK_SECRET = "whsec_demo_smo"


def _json(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


def _error(status: int, kind: str, message: str, code: str | None = None) -> httpx.Response:
    return _json(status, {"error": {"type": kind, "message": message, **({"code": code} if code else {})}})


def sign(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


class FakeStripe(ScriptedCalls):
    provider = "stripe"

    def __init__(self, *, api_key: str = DEMO_API_KEY, webhook_secret: str = DEMO_WEBHOOK_SECRET,
                 delay: float = 0.0, refunds_pending: bool = False, page_url: str | None = None,
                 notify_url: str | None = None,
                 post: Callable[[str, bytes, dict[str, str]], object] | None = None) -> None:
        self._init_calls(delay)
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.refunds_pending = refunds_pending  # new refunds start "pending" until settle_refund()
        self.page_url, self.notify_url = (page_url or "").rstrip("/") or None, notify_url
        self._post = post or _post_event
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self._keys: dict[str, tuple[int, dict]] = {}

    def succeed(self, payment_id: str) -> dict:
        """The customer pays: a Checkout Session (``cs_…``: its PaymentIntent is made, succeeded) or an intent."""
        with self._lock:
            if payment_id.startswith("cs_"):
                cs = self.sessions[payment_id]
                if cs["payment_intent"] is None:
                    cs["payment_intent"] = self._new_intent(cs["amount_total"], cs["currency"], cs["pi_metadata"])["id"]
                self.intents[cs["payment_intent"]].update(status="succeeded", amount_received=cs["amount_total"])
                cs.update(status="complete", payment_status="paid", url=None)
                return _public(cs)
            pi = self.intents[payment_id]
            pi.update(status="succeeded", amount_received=pi["amount"])
            return dict(pi)

    def expire(self, session_id: str) -> dict:
        """An open session expires (Stripe: after ``expires_at``, or ``POST …/expire``)."""
        with self._lock:
            cs = self.sessions[session_id]
            if cs["status"] == "open":
                cs.update(status="expired", url=None)
            return _public(cs)

    def settle_refund(self, refund_id: str, status: str = "succeeded", failure_reason: str = "lost_or_stolen_card") -> dict:
        """A pending refund ends: ``succeeded``, ``failed`` (with Stripe's ``failure_reason``) or ``canceled``."""
        with self._lock:
            r = self.refunds[refund_id]
            r["status"] = status
            if status == "failed":
                r["failure_reason"] = failure_reason
            return dict(r)

    def dashboard_refund(self, intent_id: str, amount: int, status: str = "succeeded") -> dict:
        """A refund someone made in Stripe's dashboard (the shop never asked for it)."""
        with self._lock:
            if intent_id.startswith("cs_"):
                intent_id = self.sessions[intent_id]["payment_intent"]
            return dict(self._new_refund(self.intents[intent_id], amount, status))

    def event(self, type_: str, payment_id: str, *, event_id: str | None = None, timestamp: int | None = None,
              secret: str | None = None, **override) -> tuple[bytes, dict[str, str]]:
        """The event Stripe sends about a session (``checkout.session.*``) or an intent (``payment_intent.*``;
        given a session id, its PaymentIntent)."""
        with self._lock:
            if payment_id.startswith("cs_") and type_.startswith("checkout.session."):
                obj = {**_public(self.sessions[payment_id]), **override}
            else:
                intent_id = self.sessions[payment_id]["payment_intent"] if payment_id.startswith("cs_") else payment_id
                obj = {**self.intents[intent_id], **override}
        return self._signed(type_, obj, event_id=event_id, timestamp=timestamp, secret=secret)

    def refund_event(self, type_: str, refund_id: str, *, event_id: str | None = None, **override) -> tuple[bytes, dict[str, str]]:
        """``refund.created`` / ``refund.updated`` / ``refund.failed`` / ``charge.refund.updated``."""
        with self._lock:
            obj = {**self.refunds[refund_id], **override}
        return self._signed(type_, obj, event_id=event_id)

    def charge_refunded_event(self, intent_id: str, *, with_refunds: bool = False,
                              event_id: str | None = None) -> tuple[bytes, dict[str, str]]:
        """``charge.refunded`` with the charge; its ``refunds`` list only as older API versions sent it.
        Given a session id, the charge of its PaymentIntent."""
        with self._lock:
            if intent_id.startswith("cs_"):
                intent_id = self.sessions[intent_id]["payment_intent"]
            pi = self.intents[intent_id]
            refunds = [dict(r) for r in self.refunds.values() if r["payment_intent"] == intent_id]
            obj = {"id": _charge_id(intent_id), "object": "charge", "amount": pi["amount"], "currency": pi["currency"],
                   "payment_intent": intent_id, "refunded": sum(r["amount"] for r in refunds) >= pi["amount"],
                   "amount_refunded": sum(r["amount"] for r in refunds if r["status"] in ("pending", "succeeded"))}
            if with_refunds:
                obj["refunds"] = {"object": "list", "data": refunds, "has_more": False,
                                  "url": f"/v1/charges/{obj['id']}/refunds"}
        return self._signed("charge.refunded", obj, event_id=event_id)

    def _signed(self, type_: str, obj: dict, *, event_id: str | None = None, timestamp: int | None = None,
                secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        body = json.dumps({"id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event", "api_version": "2024-06-20",
                           "created": int(time.time()), "type": type_, "livemode": False,
                           "data": {"object": obj}}).encode()
        return body, {"Stripe-Signature": sign(body, secret or self.webhook_secret, timestamp=timestamp),
                      "Content-Type": "application/json"}

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, key = request.url.path, request.headers.get("Idempotency-Key")
        if path.startswith("/c/pay/"):
            return self._page(request)
        failure = self._record(request, key)
        if failure is not None and not failure[1]:
            return _error(failure[0], "api_error", "An unknown error occurred")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided")
        form = dict(parse_qsl(request.content.decode())) if request.content else {}
        creates = {"/v1/payment_intents": self._create, "/v1/refunds": self._refund,
                   "/v1/checkout/sessions": self._create_session}
        if request.method == "POST" and path in creates:
            with self._lock:
                if key and key in self._keys:
                    status, body = self._keys[key]
                else:
                    status, body = creates[path](form)
                    if key:
                        self._keys[key] = (status, body)
            response = _json(status, body)
        elif request.method == "GET" and path.startswith("/v1/payment_intents/"):
            found = self.intents.get(path.rsplit("/", 1)[-1])
            response = _json(200, found) if found else _error(404, "invalid_request_error", "No such payment_intent",
                                                               "resource_missing")
        elif request.method == "GET" and path == "/v1/checkout/sessions":  # ?payment_intent=…
            wanted = request.url.params.get("payment_intent")
            with self._lock:
                data = [_public(cs) for cs in self.sessions.values() if not wanted or cs["payment_intent"] == wanted]
            response = _json(200, {"object": "list", "data": data[:int(request.url.params.get("limit") or 10)],
                                   "has_more": False, "url": "/v1/checkout/sessions"})
        elif request.method == "GET" and path.startswith("/v1/checkout/sessions/"):
            with self._lock:
                found = self.sessions.get(path.rsplit("/", 1)[-1])
                found = _public(found) if found else None
            response = _json(200, found) if found else _error(404, "invalid_request_error", "No such checkout.session",
                                                               "resource_missing")
        elif request.method == "GET" and path == "/v1/account":  # the account these keys open
            response = _json(200, {"id": "acct_1FakeShop", "object": "account", "charges_enabled": True,
                                   "default_currency": "rub", "settings": {"dashboard": {"display_name": "Fake shop"}}})
        elif request.method == "GET" and path.startswith("/v1/refunds/"):
            with self._lock:
                found = self.refunds.get(path.rsplit("/", 1)[-1])
                found = dict(found) if found else None
            response = _json(200, found) if found else _error(404, "invalid_request_error", "No such refund",
                                                               "resource_missing")
        else:
            response = _error(404, "invalid_request_error", f"Unrecognized request URL ({request.method}: {path})")
        if failure is not None:
            return _error(failure[0], "api_error", "An unknown error occurred")
        return response

    def _create(self, form: dict) -> tuple[int, dict]:
        amount, refused = _amount(form, "amount")
        if refused:
            return 400, refused
        pi = self._new_intent(amount, form.get("currency", "rub"), _prefixed(form, "metadata"), form.get("description"))
        return 200, dict(pi)

    def _new_intent(self, amount: int, currency: str, metadata: dict, description: str | None = None) -> dict:
        pid = f"pi_{secrets.token_hex(12)}"
        self.intents[pid] = {"id": pid, "object": "payment_intent", "amount": amount, "amount_received": 0,
                             "currency": currency, "status": "requires_payment_method",
                             "client_secret": f"{pid}_secret_{secrets.token_hex(8)}", "metadata": metadata,
                             "description": description, "livemode": False, "created": int(time.time())}
        return self.intents[pid]

    def _create_session(self, form: dict) -> tuple[int, dict]:
        """``mode=payment`` with one ``price_data`` line; the PaymentIntent is made when the customer pays."""
        line = "line_items[0][price_data]"
        missing = [p for p in ("mode", "success_url", f"{line}[currency]") if not form.get(p)]
        if missing or form.get("mode") != "payment":
            return 400, {"error": {"type": "invalid_request_error", "param": (missing or ["mode"])[0],
                                   "message": f"Missing required param: {(missing or ['mode'])[0]}.",
                                   "code": "parameter_missing"}}
        unit, refused = _amount(form, f"{line}[unit_amount]")
        if refused:
            return 400, refused
        sid = f"cs_test_{secrets.token_hex(24)}"
        self.sessions[sid] = {
            "id": sid, "object": "checkout.session", "mode": "payment", "status": "open", "payment_status": "unpaid",
            "url": f"{self.page_url or 'https://checkout.stripe.com'}/c/pay/{sid}",
            "amount_total": unit * int(form.get("line_items[0][quantity]") or 1), "currency": form[f"{line}[currency]"],
            "payment_intent": None, "metadata": _prefixed(form, "metadata"), "success_url": form["success_url"],
            "cancel_url": form.get("cancel_url"), "client_reference_id": form.get("client_reference_id"),
            "livemode": False, "created": int(time.time()), "expires_at": int(time.time()) + 86400,
            "pi_metadata": _prefixed(form, "payment_intent_data[metadata]"),
            "name": form.get(f"{line}[product_data][name]", "")}
        return 200, _public(self.sessions[sid])

    def _page(self, request: httpx.Request) -> httpx.Response:
        """The demo's checkout page: GET shows the sum and two buttons; POST …/pay or …/cancel acts."""
        parts = request.url.path.strip("/").split("/")  # c, pay, id[, pay|cancel]
        with self._lock:
            cs = dict(self.sessions.get(parts[2], {})) if len(parts) > 2 else {}
        if not cs:
            return httpx.Response(404, text="checkout session not found")
        sid = cs["id"]
        if request.method == "POST" and len(parts) == 4 and parts[3] in ("pay", "cancel"):
            if cs["status"] == "open":
                self.succeed(sid) if parts[3] == "pay" else self.expire(sid)
                if self.notify_url:
                    body, headers = self.event("checkout.session.completed" if parts[3] == "pay"
                                               else "checkout.session.expired", sid)
                    self._post(self.notify_url, body, headers)
            back = cs["success_url"] if parts[3] == "pay" else (cs.get("cancel_url") or cs["success_url"])
            return httpx.Response(303, headers={"Location": back})
        value = html.escape(f"{cs['amount_total'] / 100:.2f} {cs['currency'].upper()}")
        buttons = "" if cs["status"] != "open" else (
            f'<form method="post" action="/c/pay/{sid}/pay"><button id="pay">Оплатить</button></form>'
            f'<form method="post" action="/c/pay/{sid}/cancel"><button id="cancel">Отменить</button></form>')
        body = (f'<!doctype html><meta charset="utf-8"><title>Stripe Checkout — демо</title>'
                f'<p><b>Демо-оплата Stripe</b>: деньги не списываются.</p><p>{html.escape(cs["name"])}</p>'
                f'<p id="sum">{value}</p><p id="state">{html.escape(cs["status"])}</p>{buttons}')
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

    def _refund(self, form: dict) -> tuple[int, dict]:
        pi = self.intents.get(form.get("payment_intent", ""))
        if pi is None:
            return 400, {"error": {"type": "invalid_request_error", "message": "No such payment_intent",
                                   "code": "resource_missing"}}
        amount = int(form.get("amount") or pi["amount_received"])
        done = sum(r["amount"] for r in self.refunds.values()
                   if r["payment_intent"] == pi["id"] and r["status"] not in ("failed", "canceled"))
        if pi["status"] != "succeeded" or amount + done > pi["amount_received"]:
            return 400, {"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                                   "message": "Refund amount is greater than unrefunded amount on charge"}}
        meta = _prefixed(form, "metadata")
        refund = self._new_refund(pi, amount, "pending" if self.refunds_pending else "succeeded", metadata=meta,
                                  reason=form.get("reason"))
        return 200, dict(refund)

    def _new_refund(self, pi: dict, amount: int, status: str, *, metadata: dict | None = None,
                    reason: str | None = None) -> dict:
        rid = f"re_{secrets.token_hex(12)}"
        self.refunds[rid] = {"id": rid, "object": "refund", "amount": amount, "currency": pi["currency"],
                             "charge": _charge_id(pi["id"]), "payment_intent": pi["id"], "status": status,
                             "failure_reason": None, "reason": reason, "metadata": metadata or {},
                             "created": int(time.time())}
        return self.refunds[rid]


def _amount(form: dict, param: str) -> tuple[int, dict | None]:
    """A positive integer amount, or Stripe's error object."""
    try:
        amount = int(form[param])
    except (KeyError, ValueError):
        return 0, {"error": {"type": "invalid_request_error", "message": f"Missing required param: {param}.",
                             "param": param, "code": "parameter_missing"}}
    if amount < 1:
        return 0, {"error": {"type": "invalid_request_error", "message": "Amount must be at least 1",
                             "param": param, "code": "amount_too_small"}}
    return amount, None


def _prefixed(form: dict, prefix: str) -> dict[str, str]:
    """``prefix[key]=value`` form fields as ``{key: value}``."""
    depth = prefix.count("[") + 1
    return {k[len(prefix) + 1:-1]: v for k, v in form.items() if k.startswith(f"{prefix}[") and k.count("[") == depth}


def _public(cs: dict) -> dict:
    """A session as Stripe shows it (without the fake's own bookkeeping)."""
    return {k: v for k, v in cs.items() if k not in ("pi_metadata", "name")}


def _post_event(url: str, body: bytes, headers: dict[str, str]) -> None:
    """Deliver a signed event to the shop's webhook as Stripe would."""
    try:
        httpx.post(url, content=body, headers=headers, timeout=5.0)
    except httpx.HTTPError:  # the shop is down: its reconciliation asks later
        pass


def _charge_id(intent_id: str) -> str:
    return f"ch_{intent_id.removeprefix('pi_')}"


if __name__ == "__main__":  # pragma: no cover
    from integrations.fakeserver import run_standalone

    run_standalone(FakeStripe().handle, name="Stripe API", default_port=8092,
                   note=f"(api key {DEMO_API_KEY!r}, webhook secret {DEMO_WEBHOOK_SECRET!r})")
