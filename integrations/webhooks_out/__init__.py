"""The outbound webhooks adapter: one POST over httpx with explicit timeouts, no redirects followed
(a subscriber's redirect is its own misconfiguration), no retries here — the outbox task retries."""
from __future__ import annotations

from collections.abc import Mapping

import httpx

from integrations.http import make_timeout


class HttpWebhookSender:
    def __init__(self, *, timeout: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(timeout=make_timeout(timeout), transport=transport, follow_redirects=False,
                                    headers={"User-Agent": "smo-webhooks/1"})

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        return self._client.post(url, content=body, headers={"Content-Type": "application/json", **headers}).status_code


def from_settings(settings=None) -> HttpWebhookSender:
    return HttpWebhookSender()
