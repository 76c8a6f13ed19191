"""POST /api/webhooks/{provider}: verified, stored once, applied once; replays answer 200."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from smo_app.api import create_api
from smo_app.api.webhooks import WebhookRejected, WebhookSource, register_source, unregister_source
from smo_app.db import dispose_engines
from smo_app.models.integrations import DeadLetter, WebhookEvent
from smo_app.services.core.errors import DomainError
from smo_app.settings import reset_settings_cache

SECRET = b"shared-webhook-secret"


def _verify(body: bytes, headers) -> str:
    expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("x-signature", "")):
        raise WebhookRejected("bad signature")
    return json.loads(body)["id"]


@pytest.fixture
def api(engine, monkeypatch):
    applied: list[str] = []

    def handler(session, event):
        payload = json.loads(event.body)
        if payload.get("amount") != 100:
            raise DomainError("payment.amount_mismatch", "amount differs")
        applied.append(event.event_id)

    register_source(WebhookSource(provider="testpay", verify=_verify, handler=handler))
    monkeypatch.setenv("SMO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings_cache()
    try:
        yield TestClient(create_api()), applied
    finally:
        unregister_source("testpay")
        reset_settings_cache()
        dispose_engines()


def _post(client, payload: dict, *, sign=True):
    body = json.dumps(payload).encode()
    headers = {"X-Signature": hmac.new(SECRET, body, hashlib.sha256).hexdigest() if sign else "nope"}
    return client.post("/api/webhooks/testpay", content=body, headers=headers)


def test_a_replayed_notification_is_applied_once_and_answered_200(api, session):
    client, applied = api
    first = _post(client, {"id": "evt-1", "amount": 100})
    replay = _post(client, {"id": "evt-1", "amount": 100})
    assert (first.status_code, first.json()["outcome"]) == (200, "processed")
    assert (replay.status_code, replay.json()["outcome"]) == (200, "duplicate")
    assert applied == ["evt-1"]
    assert len(session.exec(select(WebhookEvent)).all()) == 1


def test_a_bad_signature_is_refused_and_nothing_is_stored(api, session):
    client, applied = api
    response = _post(client, {"id": "evt-2", "amount": 100}, sign=False)
    assert response.status_code == 400
    assert session.exec(select(WebhookEvent)).all() == [] and applied == []


def test_an_event_that_cannot_be_applied_is_dead_lettered_and_acknowledged(api, session):
    client, applied = api
    response = _post(client, {"id": "evt-3", "amount": 99})
    assert (response.status_code, response.json()["outcome"]) == (200, "dead")
    [letter] = session.exec(select(DeadLetter)).all()
    assert (letter.provider, letter.reference, letter.reason) == ("testpay", "evt-3", "payment.amount_mismatch")


def test_an_unknown_provider_is_not_found(api):
    client, _ = api
    assert client.post("/api/webhooks/nobody", content=b"{}").status_code == 404


@pytest.mark.parametrize("path, limit", [("/api/webhooks/testpay", 256 * 1024), ("/api/webhooks/cdek?token=t", 64 * 1024),
                                         ("/api/webhooks/moysklad?requestId=r", 1024 * 1024)])
def test_a_body_over_the_routes_limit_is_refused_413_and_nothing_is_stored(api, session, path, limit):
    client, applied = api
    response = client.post(path, content=b"x" * (limit + 1))
    assert (response.status_code, response.json()) == (413, {"ok": False, "error": "too large"})
    assert session.exec(select(WebhookEvent)).all() == [] and applied == []
