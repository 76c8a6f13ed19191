"""The shared base of every outbound HTTP client: timeouts, retries with backoff, idempotency keys,
structured errors.

* :func:`make_client` builds an ``httpx.Client`` with explicit timeouts (never httpx's default of
  "wait 5 s for everything") and an optional transport (``httpx.MockTransport`` in tests).
* :func:`send` performs one logical request with a :class:`RetryPolicy`: connect errors, 5xx and 429
  are retried with exponential backoff and jitter; a 429/503 ``Retry-After`` is respected (in full,
  never earlier) unless it is longer than the policy allows, then the call gives up at once. A read
  timeout is retried only for idempotent requests (GET, or a request carrying an idempotency key),
  because otherwise the provider may have acted on the first try.
* :func:`idempotency_key` derives a stable key from our own ids, so a retried create or refund —
  even from another process after a restart — is recognised by the provider as the same call.
* Everything that goes wrong becomes an :class:`IntegrationError` subclass with the provider name,
  a stable ``code`` and whether a later retry may help.
"""
from __future__ import annotations

import email.utils
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

log = logging.getLogger(__name__)

_NAMESPACE = uuid.UUID("6f1d3c8e-2b8a-4f57-9a55-5d7c1e0b9a01")  # fixed: keys must not change between releases
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


# ---- errors ----------------------------------------------------------------------------------
class IntegrationError(Exception):
    """A provider call failed. ``code`` is stable (for logs, dead letters and alerts)."""

    code = "integration.error"
    retryable = False

    def __init__(self, provider: str, message: str = "", *, status: int | None = None,
                 detail: object | None = None, code: str | None = None) -> None:
        super().__init__(f"{provider}: {message or self.code}")
        self.provider = provider
        self.message = message or self.code
        self.status = status
        self.detail = detail
        if code:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.provider!r}, {self.code!r}, status={self.status!r})"


class ProviderUnavailable(IntegrationError):
    """Network error, timeout, 5xx or 429 that outlived the retries: try later."""

    code = "integration.unavailable"
    retryable = True


class ProviderRejected(IntegrationError):
    """The provider understood the request and refused it (4xx): retrying the same call will not help."""

    code = "integration.rejected"


class ProviderAuthError(ProviderRejected):
    """Credentials refused (wrong client id/secret, or a fresh token refused again)."""

    code = "integration.auth"


class ProviderProtocolError(IntegrationError):
    """The answer did not have the documented shape (not JSON, missing fields)."""

    code = "integration.protocol"


# ---- policy and client -----------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries in total, the first included
    backoff: float = 0.25  # seconds before the 2nd try; doubles each time
    max_backoff: float = 4.0
    max_retry_after: float = 30.0  # a longer Retry-After gives up instead of blocking the caller
    jitter: float = 0.1  # ± fraction

    def delay(self, retry_number: int) -> float:
        base = min(self.max_backoff, self.backoff * (2 ** (retry_number - 1)))
        return max(0.0, base * (1 + random.uniform(-self.jitter, self.jitter)))


NO_RETRY = RetryPolicy(attempts=1)


def make_timeout(total: float = 10.0, *, connect: float | None = None) -> httpx.Timeout:
    """Explicit timeouts: connecting gets at most 3 s (or ``connect``), each read/write ``total``."""
    return httpx.Timeout(total, connect=connect if connect is not None else min(3.0, total))


def make_client(base_url: str, *, timeout: float | httpx.Timeout = 10.0,
                transport: httpx.BaseTransport | None = None, headers: Mapping[str, str] | None = None,
                user_agent: str = "smo/1") -> httpx.Client:
    """An ``httpx.Client`` for one provider. ``transport`` swaps the network for a fake in tests."""
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        timeout=timeout if isinstance(timeout, httpx.Timeout) else make_timeout(timeout),
        transport=transport,
        headers={"User-Agent": user_agent, "Accept": "application/json", **(headers or {})},
        follow_redirects=False,
    )


def idempotency_key(scope: str, *ids: object) -> str:
    """A stable key (a UUID string, 36 chars — fits every provider's limit) from our own ids.

    ``idempotency_key("payment.create", order_id, attempt)`` is the same on every retry and in every
    process, and differs for another order, scope or attempt.
    """
    if not scope or not ids:
        raise ValueError("an idempotency key needs a scope and at least one id")
    return str(uuid.uuid5(_NAMESPACE, ":".join([scope, *map(str, ids)])))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    policy: RetryPolicy = RetryPolicy(),
    idempotency: str | None = None,
    idempotency_header: str = "Idempotence-Key",
    idempotent: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs,
) -> httpx.Response:
    """One logical request with retries. Returns the final response for any status below 500 except
    429 (the caller maps 4xx to its errors); raises :class:`ProviderUnavailable` when retries run out.
    """
    method = method.upper()
    if idempotency:
        kwargs["headers"] = {**(kwargs.get("headers") or {}), idempotency_header: idempotency}
    if idempotent is None:  # a POST that only reads (a search, a quote) may say so
        idempotent = method in IDEMPOTENT_METHODS or idempotency is not None
    last_error: str = ""
    status: int | None = None
    for attempt in range(1, max(1, policy.attempts) + 1):
        wait: float | None = None
        try:
            response = client.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            last_error, status = f"{type(exc).__name__}: {exc}", None  # nothing reached the provider
        except httpx.TimeoutException as exc:
            last_error, status = f"{type(exc).__name__}: {exc}", None
            if not idempotent:  # the provider may have acted: do not repeat a non-idempotent call
                raise ProviderUnavailable(provider, f"{method} {url}: {last_error}", code="integration.timeout") from exc
        except httpx.TransportError as exc:
            last_error, status = f"{type(exc).__name__}: {exc}", None
            if not idempotent:
                raise ProviderUnavailable(provider, f"{method} {url}: {last_error}") from exc
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            status = response.status_code
            last_error = f"HTTP {status}"
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > policy.max_retry_after:
                raise ProviderUnavailable(provider, f"{method} {url}: {last_error}, retry after {wait:.0f} s",
                                          status=status, detail={"retry_after": wait},
                                          code="integration.rate_limited" if status == 429 else None)
        if attempt >= policy.attempts:
            break
        delay = wait if wait is not None else policy.delay(attempt)
        log.info("%s: %s %s failed (%s); retry %d in %.2f s", provider, method, url, last_error, attempt, delay)
        sleep(delay)
    code = "integration.rate_limited" if status == 429 else ("integration.timeout" if "Timeout" in last_error else None)
    raise ProviderUnavailable(provider, f"{method} {url}: {last_error} after {policy.attempts} tries",
                              status=status, code=code)


def json_body(response: httpx.Response, *, provider: str) -> object:
    """The response's JSON, or :class:`ProviderProtocolError`."""
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderProtocolError(provider, f"not JSON (HTTP {response.status_code})",
                                    status=response.status_code) from exc
