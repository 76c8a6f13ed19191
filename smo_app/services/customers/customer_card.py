"""The customer card of /admin/customers (CR1, CR2): the card with its bonus history in one read,
and the card's forms as typed — the personal discount a whole number, a bonus change an amount in
rubles with its sign (``+500``, ``-200``)."""
from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.services.core.actor import Actor
from smo_app.services.core.form_input import signed_amount, whole_number
from smo_app.services.customers import admin, loyalty


class CardView(BaseModel):
    card: admin.CustomerCard
    bonuses: loyalty.BonusesOut


def customer_card(session: Session, *, actor: Actor, customer_id: int) -> CardView:
    return CardView(card=admin.get_card(session, actor=actor, customer_id=customer_id),
                    bonuses=loyalty.get_bonuses(session, actor=actor, customer_id=customer_id))


def save_profile(session: Session, *, actor: Actor, customer_id: int, discount: str, note: str,
                 wholesale: bool) -> admin.CustomerCard:
    """The discount (empty: 0), the manager's note and the wholesale approval."""
    pct = whole_number(discount, "customers.discount_invalid", field="discount", minimum=0, default=0)
    return admin.update_customer(session, actor=actor, customer_id=customer_id, personal_discount_pct=pct, note=note,
                                 wholesale_approved=wholesale)


def adjust_bonuses(session: Session, *, actor: Actor, customer_id: int, amount: str, note: str) -> loyalty.BonusesOut:
    delta = signed_amount(amount, "common.amount_invalid", field="amount")
    return loyalty.adjust_bonuses(session, actor=actor, customer_id=customer_id, delta_minor=delta, note=note)
