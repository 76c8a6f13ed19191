"""Outbound webhooks (IN7): POST a signed JSON body to a subscriber's URL and say how it answered."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable


@runtime_checkable
class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """Send once (the outbox retries); the HTTP status, or raise on a network error or timeout."""
        ...
