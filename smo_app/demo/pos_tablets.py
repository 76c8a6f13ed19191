"""Demo POS tablets (PO3): the first register has two named tablets — at the entrance and by the
fitting corner — and a ticket parked for Анна Лебедева, so a newcomer sees a cart per tablet and
can resume the ticket. A new browser picks one of the tablets on the naming form (or names itself)."""
from __future__ import annotations

import secrets

from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.catalog import Product, Variant
from smo_app.models.customer import Customer
from smo_app.models.pos import PosCart, PosDevice, PosParkedTicket, PosRegister
from smo_app.services.core.actor import Actor
from smo_app.services.pos import cart as pos_cart
from smo_app.services.pos import devices
from smo_app.services.staff.auth import hash_token

SYSTEM = Actor.system("demo")
TABLETS = ("Планшет у входа", "Планшет у примерочной")
TICKET = "Анна Лебедева, примерка"


def seed(session: Session) -> None:
    register = session.exec(select(PosRegister).where(PosRegister.active).order_by(PosRegister.id)).first()
    if register is None:
        register = PosRegister(name="Касса 1")
        session.add(register)
        session.commit()
    if session.exec(select(PosDevice.id).where(PosDevice.register_id == register.id)).first() is not None:
        return
    made = [devices.register_device(session, actor=SYSTEM, register_id=register.id, name=name).device
            for name in TABLETS]
    for device in made:  # nobody's browser holds the seeded tokens: a tablet picks one on the naming form
        row = session.get(PosDevice, device.id)
        row.token_hash = hash_token(secrets.token_urlsafe(32))
        session.add(row)
    session.commit()
    anna = session.exec(select(Customer).where(Customer.username == "anna_aroma")).first()
    variants = session.exec(select(Variant).join(Product, Product.id == Variant.product_id)
                            .where(Variant.active, Variant.unit == "pcs", Variant.qty > 2, Product.deleted.is_(False),
                                   Product.hidden.is_(False))
                            .order_by(Product.id, Variant.id).limit(2)).all()
    if not variants:
        return
    lines = [{"variant_id": v.id, "qty": 1 + i, "discount_pct": 0} for i, v in enumerate(variants)]
    rung_up = PosCart(register_id=register.id, lines=lines, customer_id=anna.id if anna else None, updated_at=utcnow())
    total = pos_cart.price_cart(session, rung_up, actor=SYSTEM).total_minor
    session.add(PosParkedTicket(register_id=register.id, name=TICKET, lines=lines, customer_id=rung_up.customer_id,
                                goods_minor=total, parked_by_name="Светлана Орлова", parked_from_device_id=made[1].id))
    session.commit()
