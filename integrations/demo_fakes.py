"""The demo shop's providers on one local port: YooKassa and Stripe (each with its payment page), CDEK,
DaData and an OpenAI-compatible chat endpoint (the support assistant) as fakes, each speaking its real wire format, served by :class:`~integrations.fakeserver.LocalServer`.

``make run`` (scripts/run.sh) starts ``python -m integrations.demo_fakes --port 8090`` and sets
``SMO_DEMO_FAKES_URL``; the web app and the bot sidecar then build their YooKassa, Stripe, CDEK and
DaData clients against this one server (``integrations.<vendor>.from_settings`` in ``fake`` mode), so
both processes see the same payments and refunds. Refused outside demo mode (``SMO_DEMO=1``): a real
shop never talks to a fake. Telegram Payments and Stars are not served here: their invoices go
through the bot API (the demo shows them when a bot token is set).
"""
from __future__ import annotations

import httpx

from integrations.cdek.fake import FakeCdek
from integrations.dadata.fake import FakeDadata
from integrations.fakeserver import Handler, LocalServer
from integrations.openai_compat.fake import FakeOpenAI
from integrations.stripe.fake import FakeStripe
from integrations.yookassa.fake import FakeYooKassa

DEFAULT_PORT = 8090


class NotInDemoMode(RuntimeError):
    """The fakes were asked for outside demo mode."""


def require_demo(settings) -> None:
    if not settings.demo:
        raise NotInDemoMode("the providers' fakes run only in demo mode (SMO_DEMO=1): a real shop never talks to a fake")


class DemoProviders:
    """One handler for all the fakes, chosen by the path each real API uses."""

    def __init__(self, *, page_url: str, shop_url: str) -> None:
        shop = shop_url.rstrip("/")
        self.yookassa = FakeYooKassa(page_url=page_url, notify_url=f"{shop}/api/payments/yookassa/webhook")
        self.stripe = FakeStripe(page_url=page_url, notify_url=f"{shop}/api/payments/stripe/webhook")
        self.cdek = FakeCdek()
        self.dadata = FakeDadata()
        self.assistant = FakeOpenAI()
        self._routes: tuple[tuple[str, Handler], ...] = (
            ("/v1/chat/completions", self.assistant.handle),  # before Stripe's /v1/
            ("/v3/", self.yookassa.handle), ("/checkout/", self.yookassa.handle), ("/v1/", self.stripe.handle),
            ("/c/pay/", self.stripe.handle),
            ("/v2/", self.cdek.handle), ("/suggestions/", self.dadata.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        for prefix, handle in self._routes:
            if request.url.path.startswith(prefix):
                return handle(request)
        return httpx.Response(404, json={"error": f"no demo fake serves {request.url.path}"})


def serve(settings, *, port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> tuple[LocalServer, DemoProviders]:
    """Start the fakes on ``host:port`` (0: any free port) in a daemon thread; demo mode only."""
    require_demo(settings)
    server = LocalServer(lambda request: providers.handle(request), host=host, port=port)
    providers = DemoProviders(page_url=server.base_url, shop_url=settings.public_url)
    return server.start(), providers


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - run by scripts/run.sh
    import argparse
    import os
    import threading
    from types import SimpleNamespace

    parser = argparse.ArgumentParser(description="The demo shop's payment, delivery and address fakes")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    try:
        settings = SimpleNamespace(demo=os.environ.get("SMO_DEMO", "").strip().lower() in ("1", "true", "yes", "on"),
                                   public_url=os.environ.get("SMO_PUBLIC_URL") or "http://localhost:3000")
        server, _ = serve(settings, port=args.port)
    except NotInDemoMode as exc:
        print(exc, flush=True)
        return 2
    print(f"demo providers (YooKassa, Stripe, CDEK, DaData fakes) on {server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
