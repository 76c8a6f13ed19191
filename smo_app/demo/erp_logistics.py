"""Demo: a paid order sent by CDEK courier to the demo customer, with its waybill and tracking number
made against the CDEK fake, so the Mini App's order screen, the bot message and the order card show
them. MoySklad stays off: the owner turns it on at /admin/erp with the demo token (the demo's fake
MoySklad adds its own four items; the demo catalog is left as it is)."""
from __future__ import annotations

from sqlmodel import Session, select

from smo_app.models.catalog import Variant
from smo_app.services.core.actor import Actor
from smo_app.services.customers.registration import register_telegram_user
from smo_app.services.customers.telegram_init_data import DEMO_TELEGRAM_ID
from smo_app.services.delivery import waybills
from smo_app.services.sales import carts, orders

SYSTEM = Actor.system("demo")
DEMO_MOYSKLAD_TOKEN = "demo-moysklad-token"  # what the demo's fake MoySklad accepts


def seed(session: Session) -> None:
    customer = register_telegram_user(session, telegram_id=DEMO_TELEGRAM_ID, username=None, full_name="Demo",
                                      language="ru", start_param=None).customer
    variant = session.exec(select(Variant).where(Variant.qty >= 3, Variant.weight_g > 0).order_by(Variant.id)).first()
    if variant is None:
        return
    carts.set_qty(session, actor=SYSTEM, customer_id=customer.id, variant_id=variant.id, qty=1)
    order = orders.place_order(session, actor=SYSTEM, customer_id=customer.id, delivery_type="courier",
                               address="Москва, ул. Тверская, 12, кв. 5", contact_name="Демо Покупатель",
                               phone="+79160000001")
    orders.mark_paid(session, actor=SYSTEM, order_id=order.id, reason="demo")
    try:
        waybills.create_waybill(session, order_id=order.id, sleep=lambda s: None)
    except Exception:  # noqa: BLE001 - no carrier in this demo: the sidecar's task tries again
        session.rollback()
