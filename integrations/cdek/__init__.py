"""CDEK API v2 (delivery): ``port`` (DeliveryPort + wire types), ``client`` (CdekClient), ``fake``
(FakeCdek), and :func:`from_settings` choosing one by settings."""
from __future__ import annotations

import httpx

from integrations.ports.delivery import DeliveryPort


def from_settings(settings) -> DeliveryPort | None:
    """The delivery port the settings ask for, or None ("the manager calculates delivery").

    ``SMO_CDEK_MODE``: ``live`` needs ``SMO_CDEK_CLIENT_ID``/``SMO_CDEK_CLIENT_SECRET``; ``fake``
    runs the client against the in-process fake (demo, tests); ``auto`` (default) is live with
    credentials, the fake in demo mode, otherwise off.
    """
    from integrations.cdek.client import CdekClient
    from integrations.cdek.fake import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FakeCdek

    mode = settings.cdek_mode
    has_credentials = bool(settings.cdek_client_id and settings.cdek_client_secret)
    if mode == "auto":
        mode = "live" if has_credentials else ("fake" if settings.demo else "off")
    if mode == "live" and has_credentials:
        return CdekClient(base_url=settings.cdek_base_url, client_id=settings.cdek_client_id,
                          client_secret=settings.cdek_client_secret.get_secret_value(),
                          timeout=settings.cdek_timeout_seconds)
    if mode == "fake" and settings.demo:  # a real shop never talks to a fake
        shared = getattr(settings, "demo_fakes_url", None)  # the demo's shared fakes (integrations.demo_fakes)
        return CdekClient(base_url=shared or "http://cdek.fake", client_id=DEMO_CLIENT_ID,
                          client_secret=DEMO_CLIENT_SECRET, timeout=settings.cdek_timeout_seconds,
                          transport=None if shared else httpx.MockTransport(_demo_fake().handle))
    return None


def waybills_from_settings(settings):
    """The waybill API of the same CDEK account (the same client), or None when delivery is off."""
    return from_settings(settings)


_DEMO = None


def _demo_fake():
    """One in-process fake per process (the demo's quotes and waybills share it)."""
    global _DEMO
    if _DEMO is None:
        from integrations.cdek.fake import FakeCdek

        _DEMO = FakeCdek()
    return _DEMO
