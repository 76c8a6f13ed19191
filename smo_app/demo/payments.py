"""Demo payments (PA1): the demo shop's transfer details and SBP link, so a newcomer paying by
transfer sees where the money goes, with copy buttons and the SBP QR code (made-up details); and
YooKassa switched on next to the transfer when it runs on the demo's fake (``SMO_YOOKASSA_MODE``
left at ``auto``: ``make run`` serves the fake's payment page), so a newcomer can pay by card too."""
from __future__ import annotations

from sqlmodel import Session

from smo_app.models.shop import ShopSetting
from smo_app.services.core.actor import Actor
from smo_app.services.payments.setup import (PROVIDERS_KEY, ProvidersIn, TransferIn, save_providers, save_transfer,
                                             transfer_details)
from smo_app.settings import get_settings

DEMO_TRANSFER = TransferIn(recipient="ИП Волкова Ольга Владимировна (демо)", bank="Демо-банк",
                           account="2202 2000 0000 0000", comment="Заказ №{order}",
                           sbp_link="https://qr.nspk.ru/AS10000000000000DEMO0000000000", review_minutes=30)


def seed(session: Session) -> None:
    owner = Actor.system("demo")
    settings = get_settings()
    chosen = session.get(ShopSetting, PROVIDERS_KEY) is not None
    session.rollback()
    if not chosen and settings.demo and settings.yookassa_mode == "auto" and not settings.yookassa_secret_key:
        save_providers(session, actor=owner, data=ProvidersIn(methods=["yookassa", "manual"]))
    if transfer_details(session).ready:
        return
    session.rollback()
    save_transfer(session, actor=owner, data=DEMO_TRANSFER)
