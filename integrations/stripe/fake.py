"""A fake Stripe API (PaymentIntents, refunds) speaking Stripe's JSON, and signed webhook events.

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
import time
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
                 delay: float = 0.0, refunds_pending: bool = False) -> None:
        self._init_calls(delay)
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.refunds_pending = refunds_pending  # new refunds start "pending" until settle_refund()
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self._keys: dict[str, tuple[int, dict]] = {}

    def succeed(self, intent_id: str) -> dict:
        with self._lock:
            pi = self.intents[intent_id]
            pi.update(status="succeeded", amount_received=pi["amount"])
            return dict(pi)

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
            return dict(self._new_refund(self.intents[intent_id], amount, status))

    def event(self, type_: str, intent_id: str, *, event_id: str | None = None, timestamp: int | None = None,
              secret: str | None = None, **override) -> tuple[bytes, dict[str, str]]:
        with self._lock:
            obj = {**self.intents[intent_id], **override}
        return self._signed(type_, obj, event_id=event_id, timestamp=timestamp, secret=secret)

    def refund_event(self, type_: str, refund_id: str, *, event_id: str | None = None, **override) -> tuple[bytes, dict[str, str]]:
        """``refund.created`` / ``refund.updated`` / ``refund.failed`` / ``charge.refund.updated``."""
        with self._lock:
            obj = {**self.refunds[refund_id], **override}
        return self._signed(type_, obj, event_id=event_id)

    def charge_refunded_event(self, intent_id: str, *, with_refunds: bool = False,
                              event_id: str | None = None) -> tuple[bytes, dict[str, str]]:
        """``charge.refunded`` with the charge; its ``refunds`` list only as older API versions sent it."""
        with self._lock:
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
        failure = self._record(request, key)
        if failure is not None and not failure[1]:
            return _error(failure[0], "api_error", "An unknown error occurred")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided")
        form = dict(parse_qsl(request.content.decode())) if request.content else {}
        if request.method == "POST" and path in ("/v1/payment_intents", "/v1/refunds"):
            with self._lock:
                if key and key in self._keys:
                    status, body = self._keys[key]
                else:
                    status, body = self._create(form) if path == "/v1/payment_intents" else self._refund(form)
                    if key:
                        self._keys[key] = (status, body)
            response = _json(status, body)
        elif request.method == "GET" and path.startswith("/v1/payment_intents/"):
            found = self.intents.get(path.rsplit("/", 1)[-1])
            response = _json(200, found) if found else _error(404, "invalid_request_error", "No such payment_intent",
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
        try:
            amount = int(form["amount"])
        except (KeyError, ValueError):
            return 400, {"error": {"type": "invalid_request_error", "message": "Missing required param: amount.",
                                   "param": "amount", "code": "parameter_missing"}}
        if amount < 1:
            return 400, {"error": {"type": "invalid_request_error", "message": "Amount must be at least 1",
                                   "param": "amount", "code": "amount_too_small"}}
        pid = f"pi_{secrets.token_hex(12)}"
        meta = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
        self.intents[pid] = {"id": pid, "object": "payment_intent", "amount": amount, "amount_received": 0,
                             "currency": form.get("currency", "rub"), "status": "requires_payment_method",
                             "client_secret": f"{pid}_secret_{secrets.token_hex(8)}", "metadata": meta,
                             "description": form.get("description"), "livemode": False, "created": int(time.time())}
        return 200, dict(self.intents[pid])

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
        meta = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
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


def _charge_id(intent_id: str) -> str:
    return f"ch_{intent_id.removeprefix('pi_')}"


if __name__ == "__main__":  # pragma: no cover
    from integrations.fakeserver import run_standalone

    run_standalone(FakeStripe().handle, name="Stripe API", default_port=8092,
                   note=f"(api key {DEMO_API_KEY!r}, webhook secret {DEMO_WEBHOOK_SECRET!r})")
