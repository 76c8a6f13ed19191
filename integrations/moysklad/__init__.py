"""MoySklad JSON API 1.2 (ERP): ``client`` (MoyskladClient, the ErpPort adapter), ``limiter`` (the
token's request budget), ``fake`` (FakeMoysklad), and :class:`MoyskladConnector`, which the
composition root registers as the ERP port."""
from __future__ import annotations

import threading

import httpx

from integrations.ports.erp import ErpPort

FAKE_BASE = "http://moysklad.fake/api/remap/1.2"


class MoyskladConnector:
    """``connect(token=…)`` gives the client for that token (built once per token in the process).

    ``mode`` (``SMO_MOYSKLAD_MODE``): ``live`` talks to ``base_url`` (the real API by default);
    ``fake`` to an in-process fake with the demo catalog (demo, tests); ``auto`` is the fake in demo
    mode and live otherwise; ``off`` connects nothing (None)."""

    provider = "moysklad"

    def __init__(self, *, mode: str = "auto", demo: bool = False, default_base: str | None = None,
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None, backoff: float = 0.5) -> None:
        self.mode = ("fake" if demo else "live") if mode == "auto" else mode
        self.default_base = default_base
        self.timeout = timeout
        self.backoff = backoff  # the first retry's wait; each next one doubles (the client's docstring)
        self._transport = transport
        self._clients: dict[tuple, ErpPort] = {}
        self._lock = threading.Lock()
        self.fake = None

    def connect(self, *, token: str, base_url: str | None = None, token_kind: str = "user",
                webhook_prefix: str | None = None) -> ErpPort | None:
        from integrations.moysklad.client import DEFAULT_BASE, MoyskladClient

        if self.mode == "off" or not token:
            return None
        transport = self._transport
        base = base_url or self.default_base or DEFAULT_BASE
        if self.mode == "fake":
            with self._lock:
                if self.fake is None:
                    from integrations.moysklad.fake import demo_fake

                    self.fake = demo_fake()
            transport, base = httpx.MockTransport(self.fake.handle), FAKE_BASE
        key = (token, base, token_kind, webhook_prefix)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = MoyskladClient(token=token, base_url=base, token_kind=token_kind,
                                                             timeout=self.timeout, transport=transport,
                                                             webhook_prefix=webhook_prefix, backoff=self.backoff)
            return client


def from_settings(settings) -> MoyskladConnector:
    return MoyskladConnector(mode=settings.moysklad_mode, demo=settings.demo, default_base=settings.moysklad_api_base,
                             timeout=settings.moysklad_timeout_seconds)
