"""The Mini App's "My bonuses" (ST8, ST12) as one read: the balance and history, the referral link
to share, and a fresh loyalty QR token (short-lived and signed: a screenshot is useless later)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import PermissionDenied
from smo_app.services.customers.loyalty import BonusesOut, get_bonuses
from smo_app.services.customers.loyalty_qr import card_code, issue_loyalty_token
from smo_app.settings import get_settings


class MyBonusesOut(BaseModel):
    bonuses: BonusesOut
    referral_link: str  # t.me/<bot>?start=ref<id>: the bot's /start credits the inviter
    qr_token: str
    qr_minutes: int  # how long the QR works
    card_code: str = ""  # the same, short, for a seller to type ("42-7315"; as short-lived as the QR)


class LoyaltyCardOut(BaseModel):
    qr_token: str
    card_code: str


def _customer_id(actor: Actor) -> int:
    if not actor.is_customer or actor.id is None:
        raise PermissionDenied("customer")
    return actor.id


def referral_link(bot_username: str, customer_id: int) -> str:
    return f"https://t.me/{bot_username}?start=ref{customer_id}"


def my_loyalty_token(session: Session, *, actor: Actor, now: datetime | None = None) -> str:
    """A fresh loyalty QR token for the calling customer."""
    return issue_loyalty_token(_customer_id(actor), now or utcnow())


def my_loyalty_card(session: Session, *, actor: Actor, now: datetime | None = None) -> LoyaltyCardOut:
    """A fresh QR token and card code for the calling customer (the card's refresh)."""
    now = now or utcnow()
    return LoyaltyCardOut(qr_token=my_loyalty_token(session, actor=actor, now=now),
                          card_code=card_code(_customer_id(actor), now))


def my_bonuses(session: Session, *, actor: Actor, limit: int = 30, now: datetime | None = None) -> MyBonusesOut:
    """The calling customer's bonuses, their referral link and a fresh QR token."""
    customer_id = _customer_id(actor)
    settings = get_settings()
    now = now or utcnow()
    return MyBonusesOut(card_code=card_code(customer_id, now), bonuses=get_bonuses(session, actor=actor, customer_id=customer_id, limit=limit),
                        referral_link=referral_link(settings.bot_username, customer_id),
                        qr_token=my_loyalty_token(session, actor=actor, now=now),
                        qr_minutes=max(settings.loyalty_qr_ttl_seconds // 60, 1))
