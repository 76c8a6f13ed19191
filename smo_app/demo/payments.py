"""Demo payments (PA1): the demo shop's transfer details and SBP link, so a newcomer paying by
transfer sees where the money goes, with copy buttons and the SBP QR code. Made-up details."""
from __future__ import annotations

from sqlmodel import Session

from smo_app.services.core.actor import Actor
from smo_app.services.payments.setup import TransferIn, save_transfer, transfer_details

DEMO_TRANSFER = TransferIn(recipient="ИП Волкова Ольга Владимировна (демо)", bank="Демо-банк",
                           account="2202 2000 0000 0000", comment="Заказ №{order}",
                           sbp_link="https://qr.nspk.ru/AS10000000000000DEMO0000000000", review_minutes=30)


def seed(session: Session) -> None:
    if transfer_details(session).ready:
        return
    session.rollback()
    owner = Actor.system("demo")
    save_transfer(session, actor=owner, data=DEMO_TRANSFER)
