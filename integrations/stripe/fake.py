"""A fake Stripe API (PaymentIntents, refunds) speaking Stripe's JSON, and signed webhook events.

``FakeStripe().handle`` serves ``POST /v1/payment_intents`` (form-encoded, ``Idempotency-Key``:
a repeated key answers the first result), ``GET /v1/payment_intents/{id}``, ``POST /v1/refunds``,
Bearer auth, Stripe's error object. ``succeed(id)`` is the customer paying; ``event(type, id)``
returns ``(body, headers)`` of the webhook Stripe would send, signed with the same
``Stripe-Signature`` scheme (``t=<unix>,v1=HMAC-SHA256(secret, "t.body")``). Knobs: ``fail_next``,
``delay``, ``calls``. ``python -m integrations.stripe.fake --port 8092``.
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
                 delay: float = 0.0) -> None:
        self._init_calls(delay)
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self._keys: dict[str, tuple[int, dict]] = {}

    def succeed(self, intent_id: str) -> dict:
        with self._lock:
            pi = self.intents[intent_id]
            pi.update(status="succeeded", amount_received=pi["amount"])
            return dict(pi)

    def event(self, type_: str, intent_id: str, *, event_id: str | None = None, timestamp: int | None = None,
              secret: str | None = None, **override) -> tuple[bytes, dict[str, str]]:
        with self._lock:
            obj = {**self.intents[intent_id], **override}
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
        done = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == pi["id"])
        if pi["status"] != "succeeded" or amount + done > pi["amount_received"]:
            return 400, {"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                                   "message": "Refund amount is greater than unrefunded amount on charge"}}
        rid = f"re_{secrets.token_hex(12)}"
        self.refunds[rid] = {"id": rid, "object": "refund", "amount": amount, "currency": pi["currency"],
                             "payment_intent": pi["id"], "status": "succeeded", "created": int(time.time())}
        return 200, dict(self.refunds[rid])


if __name__ == "__main__":  # pragma: no cover
    from integrations.fakeserver import run_standalone

    run_standalone(FakeStripe().handle, name="Stripe API", default_port=8092,
                   note=f"(api key {DEMO_API_KEY!r}, webhook secret {DEMO_WEBHOOK_SECRET!r})")
