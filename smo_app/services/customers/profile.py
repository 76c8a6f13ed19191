"""The customer's own contacts for checkout (ST5): remembered from their last storefront order."""
from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, select

from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderChannel
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound
from smo_app.services.core.permissions import ensure_own


class ContactsOut(BaseModel):
    contact_name: str
    phone: str
    address: str
    delivery_type: str  # pickup | courier


def last_contacts(session: Session, *, actor: Actor, customer_id: int | None = None) -> ContactsOut:
    """Name, phone, address and delivery type of the customer's last storefront order; before the
    first order, the name and phone the customer is known by (the caller's own without ``customer_id``)."""
    customer_id = ensure_own(actor, customer_id)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    last = session.exec(select(Order).where(Order.customer_id == customer_id, Order.channel == OrderChannel.storefront)
                        .order_by(Order.id.desc()).limit(1)).first()
    if last is None:
        return ContactsOut(contact_name=customer.full_name or "", phone=customer.phone or "", address="",
                           delivery_type="pickup")
    return ContactsOut(contact_name=last.contact_name or customer.full_name or "",
                       phone=last.phone or customer.phone or "", address=last.address or "",
                       delivery_type=last.delivery_type or "pickup")
