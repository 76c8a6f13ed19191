"""The shared HTTP base: retries with backoff, Retry-After, idempotency keys, timeouts."""
from __future__ import annotations

import httpx
import pytest

from integrations.http import (
    ProviderUnavailable, RetryPolicy, idempotency_key, make_client, parse_retry_after, send,
)


def _client(handler) -> httpx.Client:
    return make_client("http://provider.test", transport=httpx.MockTransport(handler))


class Script:
    """Answers requests from a list of callables/responses, recording each request."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def test_the_same_ids_give_the_same_key_and_other_ids_another():
    # given / when keys derived from our ids
    first = idempotency_key("payment.create", 42, 1)
    # then a retry (even in another process) sends the same key; another order or scope differs
    assert first == idempotency_key("payment.create", 42, 1)
    assert first != idempotency_key("payment.create", 43, 1)
    assert first != idempotency_key("payment.refund", 42, 1)
    assert len(first) == 36
    with pytest.raises(ValueError):
        idempotency_key("payment.create")


def test_connect_errors_and_5xx_are_retried_with_growing_backoff_then_succeed():
    # given a provider that refuses the connection, then answers 502, then 200
    script = Script(httpx.ConnectError("refused"), httpx.Response(502), httpx.Response(200, json={"ok": True}))
    sleeps: list[float] = []
    # when one POST is sent
    response = send(_client(script), "POST", "/x", provider="p", sleep=sleeps.append,
                    policy=RetryPolicy(attempts=3, backoff=0.1, jitter=0))
    # then it succeeded on the third try after 0.1 s and 0.2 s
    assert response.status_code == 200
    assert len(script.requests) == 3
    assert sleeps == [0.1, 0.2]


def test_a_429_waits_exactly_the_retry_after_the_provider_asked_for():
    script = Script(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200))
    sleeps: list[float] = []
    response = send(_client(script), "GET", "/x", provider="p", sleep=sleeps.append)
    assert response.status_code == 200
    assert sleeps == [2.0]


def test_a_retry_after_longer_than_allowed_gives_up_at_once_instead_of_blocking():
    script = Script(httpx.Response(429, headers={"Retry-After": "600"}), httpx.Response(200))
    sleeps: list[float] = []
    with pytest.raises(ProviderUnavailable) as err:
        send(_client(script), "GET", "/x", provider="p", sleep=sleeps.append, policy=RetryPolicy(max_retry_after=30))
    assert err.value.code == "integration.rate_limited"
    assert sleeps == [] and len(script.requests) == 1


def test_retries_run_out_into_a_structured_unavailable_error():
    script = Script(httpx.Response(503), httpx.Response(503), httpx.Response(503))
    with pytest.raises(ProviderUnavailable) as err:
        send(_client(script), "GET", "/x", provider="cdek", sleep=lambda s: None)
    assert err.value.provider == "cdek" and err.value.status == 503 and err.value.retryable
    assert len(script.requests) == 3


def test_a_read_timeout_is_not_repeated_for_a_create_without_an_idempotency_key():
    # given a provider that may have acted before the answer timed out
    script = Script(httpx.ReadTimeout("slow"), httpx.Response(200))
    # when a non-idempotent POST times out
    with pytest.raises(ProviderUnavailable) as err:
        send(_client(script), "POST", "/payments", provider="p", sleep=lambda s: None)
    # then it is not sent twice
    assert err.value.code == "integration.timeout"
    assert len(script.requests) == 1


def test_a_read_timeout_is_retried_with_the_same_idempotency_key():
    script = Script(httpx.ReadTimeout("slow"), httpx.Response(200))
    key = idempotency_key("payment.create", 7)
    response = send(_client(script), "POST", "/payments", provider="p", sleep=lambda s: None, idempotency=key)
    assert response.status_code == 200
    assert [r.headers["Idempotence-Key"] for r in script.requests] == [key, key]


def test_4xx_is_returned_to_the_caller_without_retrying():
    script = Script(httpx.Response(400, json={"errors": []}))
    assert send(_client(script), "POST", "/x", provider="p", sleep=lambda s: None).status_code == 400
    assert len(script.requests) == 1


def test_retry_after_as_an_http_date():
    from datetime import datetime, timezone

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:05 GMT", now=now) == 5.0
    assert parse_retry_after("soon") is None
