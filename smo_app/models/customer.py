"""Customers: Telegram users of the Mini App and the bot."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel
import sqlalchemy as sa

from smo_app.models.base import UTCDateTime, utcnow
from smo_app.text_fold import fold, phone_key


class CustomerKind(StrEnum):
    retail = "retail"
    wholesale = "wholesale"


class Customer(SQLModel, table=True):
    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = Field(default=None, unique=True, index=True, sa_type=sa.BigInteger)  # 64-bit
    username: str | None = Field(default=None, max_length=64, index=True)
    full_name: str = Field(default="", max_length=128)
    phone: str | None = Field(default=None, max_length=32, index=True)
    search_key: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})  # name and @username folded (smo_app.text_fold)
    phone_key: str = Field(default="", max_length=32, index=True, sa_column_kwargs={"server_default": ""})  # the phone's national digits (8/+7 alike)
    email: str | None = Field(default=None, max_length=128)
    language: str = Field(default="ru", max_length=2)
    kind: str = Field(default=CustomerKind.retail, max_length=16)
    wholesale_approved: bool = False
    is_tester: bool = False
    inviter_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    personal_discount_pct: int = Field(default=0, ge=0, le=100)
    # cache of sum(LoyaltyEntry.amount_minor); changed only with a new entry (smo_app.services.customers.loyalty)
    bonus_balance_minor: int = Field(default=0, sa_column_kwargs={"server_default": sa.text("0")})
    note: str | None = Field(default=None, max_length=1000)
    unreachable: bool = False  # blocked the bot / deactivated: stop sending
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@sa.event.listens_for(Customer, "before_insert")
@sa.event.listens_for(Customer, "before_update")
def _customer_search_keys(_mapper, _conn, customer: Customer) -> None:
    customer.search_key = fold(customer.full_name, customer.username)[:200]
    customer.phone_key = phone_key(customer.phone)[:32]


def customer_display_name(customer: Customer) -> str:
    """How staff screens name a customer: their name, else @username, else phone (never an id)."""
    if (customer.full_name or "").strip():
        return customer.full_name.strip()
    if customer.username:
        return "@" + customer.username
    return customer.phone or ""
