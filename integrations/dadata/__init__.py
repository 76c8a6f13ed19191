"""DaData suggestions (addresses): ``port``, ``client`` (DadataClient), ``fake`` (FakeDadata) and
:func:`from_settings`. Without a key the shop accepts the address as free text."""
from __future__ import annotations

import httpx

from integrations.ports.address import AddressPort


def from_settings(settings) -> AddressPort | None:
    """``SMO_DADATA_MODE``: ``auto`` (default: live with ``SMO_DADATA_API_KEY``, the fake in demo
    mode, else off), ``live``, ``fake`` or ``off``."""
    from integrations.dadata.client import DadataClient
    from integrations.dadata.fake import DEMO_API_KEY, FakeDadata

    mode = settings.dadata_mode
    if mode == "auto":
        mode = "live" if settings.dadata_api_key else ("fake" if settings.demo else "off")
    if mode == "live" and settings.dadata_api_key:
        return DadataClient(api_key=settings.dadata_api_key.get_secret_value(), base_url=settings.dadata_base_url)
    if mode == "fake" and settings.demo:  # a real shop never talks to a fake
        shared = getattr(settings, "demo_fakes_url", None)  # the demo's shared fakes (integrations.demo_fakes)
        return DadataClient(api_key=DEMO_API_KEY, base_url=shared or "http://dadata.fake",
                            transport=None if shared else httpx.MockTransport(FakeDadata().handle))
    return None
