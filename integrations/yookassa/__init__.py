"""YooKassa API v3 (payments): ``port`` (wire types), ``client`` (YooKassaClient), ``fake``
(FakeYooKassa), and :func:`from_settings`."""
from __future__ import annotations

import httpx

from integrations.ports.payment import PaymentPort


def from_settings(settings) -> PaymentPort | None:
    """``SMO_YOOKASSA_MODE``: ``live`` needs ``SMO_YOOKASSA_SHOP_ID``/``SMO_YOOKASSA_SECRET_KEY``;
    ``fake`` runs the client on the in-process fake (demo mode only: a real shop never talks to a fake); ``auto`` is live with credentials, the fake in
    demo mode, otherwise off."""
    from integrations.yookassa.client import YooKassaClient
    from integrations.yookassa.fake import DEMO_SECRET_KEY, DEMO_SHOP_ID, FakeYooKassa

    mode = settings.yookassa_mode
    live = bool(settings.yookassa_shop_id and settings.yookassa_secret_key)
    if mode == "auto":
        mode = "live" if live else ("fake" if settings.demo else "off")
    if mode == "live" and live:
        return YooKassaClient(shop_id=settings.yookassa_shop_id,
                              secret_key=settings.yookassa_secret_key.get_secret_value(),
                              base_url=settings.yookassa_base_url, timeout=settings.payments_timeout_seconds,
                              receipts=settings.yookassa_receipts)
    if mode == "fake" and settings.demo:  # a real shop never talks to a fake
        if getattr(settings, "demo_fakes_url", None):  # the demo's shared fakes (integrations.demo_fakes): a real payment page
            return YooKassaClient(shop_id=DEMO_SHOP_ID, secret_key=DEMO_SECRET_KEY, base_url=getattr(settings, "demo_fakes_url", None),
                                  receipts=settings.yookassa_receipts)
        return YooKassaClient(shop_id=DEMO_SHOP_ID, secret_key=DEMO_SECRET_KEY, base_url="http://yookassa.fake",
                              receipts=settings.yookassa_receipts,
                              transport=httpx.MockTransport(FakeYooKassa(auto_pay=True).handle))
    return None
