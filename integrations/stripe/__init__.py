"""Stripe (PaymentIntent): ``port``, ``client`` (StripeClient), ``fake`` (FakeStripe), :func:`from_settings`."""
from __future__ import annotations

import httpx

from integrations.ports.payment import PaymentPort


def from_settings(settings) -> PaymentPort | None:
    """``SMO_STRIPE_MODE``: ``live`` needs ``SMO_STRIPE_API_KEY`` (and ``SMO_STRIPE_WEBHOOK_SECRET``
    for notifications); ``fake`` runs on the in-process fake (demo mode only); ``auto``: live with a key, the fake in
    demo mode, otherwise off."""
    from integrations.stripe.client import StripeClient
    from integrations.stripe.fake import DEMO_API_KEY, DEMO_WEBHOOK_SECRET, FakeStripe

    mode = settings.stripe_mode
    live = bool(settings.stripe_api_key)
    if mode == "auto":
        mode = "live" if live else ("fake" if settings.demo else "off")
    secret = settings.stripe_webhook_secret.get_secret_value() if settings.stripe_webhook_secret else None
    if mode == "live" and live:
        return StripeClient(api_key=settings.stripe_api_key.get_secret_value(), webhook_secret=secret,
                            base_url=settings.stripe_base_url, timeout=settings.payments_timeout_seconds,
                            tolerance=settings.stripe_webhook_tolerance_seconds)
    if mode == "fake" and settings.demo:  # a real shop never talks to a fake
        shared = getattr(settings, "demo_fakes_url", None)  # the demo's shared fakes (integrations.demo_fakes)
        return StripeClient(api_key=DEMO_API_KEY, webhook_secret=secret or DEMO_WEBHOOK_SECRET,
                            base_url=shared or "http://stripe.fake", tolerance=settings.stripe_webhook_tolerance_seconds,
                            transport=None if shared else httpx.MockTransport(FakeStripe().handle))
    return None
