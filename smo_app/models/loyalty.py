"""Loyalty ledger (CR7): a customer's bonus balance is the sum of these rows.

``Customer.bonus_balance_minor`` is a cache kept equal to that sum, changed only together with a
new entry, decremented by a conditional UPDATE so it never goes below zero.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from smo_app.models.base import UTCDateTime, utcnow


class LoyaltyKind(StrEnum):
    cashback = "cashback"  # % of a completed order
    referral_reward = "referral_reward"  # friend's first paid order above the minimum
    referral_lifetime = "referral_lifetime"  # % of a friend's completed order
    spend = "spend"  # bonuses paid for an order
    spend_rollback = "spend_rollback"  # the order was cancelled
    referral_reversal = "referral_reversal"  # the friend's rewarded order was cancelled or fully refunded
    manual = "manual"  # staff adjustment (CR2)
    # a payment refund (PA4), one entry per refund: spent bonuses given back, cashback and the
    # inviter's lifetime share taken back, each in the refunded share of the order
    refund_bonus = "refund_bonus"
    refund_cashback = "refund_cashback"
    refund_referral = "refund_referral"


# kinds written once per refund, so an order may have several of each
PER_REFUND_KINDS: tuple[str, ...] = (LoyaltyKind.refund_bonus.value, LoyaltyKind.refund_cashback.value,
                                     LoyaltyKind.refund_referral.value)
ONCE_PER_ORDER = text("kind NOT IN ('refund_bonus', 'refund_cashback', 'refund_referral')")


class LoyaltyEntry(SQLModel, table=True):
    __tablename__ = "loyalty_entry"
    # one entry of each kind per customer and order: rewards and rollbacks happen exactly once
    # (refund entries, one per refund, are kept once by the refund's own status change)
    __table_args__ = (
        Index("uq_loyalty_entry_once", "customer_id", "kind", "order_id", unique=True,
              postgresql_where=ONCE_PER_ORDER, sqlite_where=ONCE_PER_ORDER),
        # the first-order referral reward is paid once per friend, whatever the timing (CR7)
        Index("uq_loyalty_referral_reward_friend", "related_customer_id", unique=True,
              postgresql_where=text("kind = 'referral_reward'"), sqlite_where=text("kind = 'referral_reward'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(max_length=24)
    amount_minor: int  # signed
    balance_after_minor: int
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True)
    related_customer_id: int | None = Field(default=None, foreign_key="customer.id")
    note: str | None = Field(default=None, max_length=500)
    actor_name: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
