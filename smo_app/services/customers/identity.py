"""Who a Telegram user is to the shop: a linked, active staff member (acting as staff), else a
registered customer, else a stranger. The bot resolves every update's sender through this."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from smo_app.models.customer import Customer
from smo_app.models.staff import Staff
from smo_app.services.core import shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import PermissionDenied
from smo_app.services.customers.registration import CustomerOut


@dataclass(frozen=True)
class TelegramUser:
    actor: Actor | None  # staff actor, customer actor, or None for a stranger
    language: str  # the customer's stored language, else the shop's
    customer_id: int | None = None
    staff_id: int | None = None


def telegram_user(session: Session, *, telegram_id: int) -> TelegramUser:
    """Read-only: the sender of an update as the shop knows them."""
    customer = session.exec(select(Customer.id, Customer.full_name, Customer.language)
                            .where(Customer.telegram_id == telegram_id)).first()
    staff = session.exec(select(Staff).where(Staff.telegram_id == telegram_id, Staff.is_active)).first()
    language = (customer.language if customer is not None and customer.language else None) \
        or shop_locale.shop_language(session)
    if staff is not None:
        actor = Actor.staff(staff.id, staff.role, staff.full_name)
    elif customer is not None:
        actor = Actor.customer(customer.id, name=customer.full_name)
    else:
        actor = None
    return TelegramUser(actor=actor, language=language, customer_id=customer.id if customer else None,
                        staff_id=staff.id if staff else None)


def whoami_customer(session: Session, *, actor: Actor) -> CustomerOut:
    """The signed-in customer (the Mini App shows their name)."""
    if not actor.is_customer or actor.id is None:
        raise PermissionDenied("customer")
    customer = session.get(Customer, actor.id)
    if customer is None:
        raise PermissionDenied("customer")
    return CustomerOut.model_validate(customer, from_attributes=True)
