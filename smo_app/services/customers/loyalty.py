"""Loyalty ledger (CR7, CR2): bonuses, cashback, referral rewards and tiers.

The balance is the sum of ``LoyaltyEntry.amount_minor``; ``Customer.bonus_balance_minor`` caches it
and changes only in :func:`post_entry`, by a conditional UPDATE that never lets it go below zero.
"""
from __future__ import annotations

from datetime import datetime
from html import escape

from pydantic import BaseModel
from sqlalchemy import func as sa_func
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.loyalty import PER_REFUND_KINDS, LoyaltyEntry, LoyaltyKind
from smo_app.models.orders import Order
from smo_app.money import format_money, pct_floor
from smo_app.services.core import audit
from smo_app.services.messaging import outbox
from smo_app.services.core.actor import Actor, own_customer_id
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import ShopConfig, get_config
from smo_app.services.core.tx import atomic


def post_entry(
    session: Session,
    *,
    actor: Actor,
    customer_id: int,
    kind: LoyaltyKind | str,
    amount_minor: int,
    order_id: int | None = None,
    related_customer_id: int | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> LoyaltyEntry | None:
    """Append a ledger entry and move the cached balance with it. Runs inside the caller's
    transaction (no commit). With ``order_id``, a second entry of the same kind for the same
    customer and order is not written (returns None): rewards and rollbacks happen exactly once —
    except the refund kinds (``PER_REFUND_KINDS``), one per refund, which the refund's own status
    change keeps to once. A debit larger than the balance raises ``bonus.insufficient``.
    """
    if amount_minor == 0:
        return None
    if order_id is not None and str(kind) not in PER_REFUND_KINDS:
        exists = session.exec(select(LoyaltyEntry.id).where(
            LoyaltyEntry.customer_id == customer_id, LoyaltyEntry.kind == str(kind), LoyaltyEntry.order_id == order_id,
        )).first()
        if exists is not None:
            return None
    table = Customer.__table__
    stmt = update(table).where(table.c.id == customer_id)
    if amount_minor < 0:
        stmt = stmt.where(table.c.bonus_balance_minor >= -amount_minor)
    row = session.execute(
        stmt.values(bonus_balance_minor=table.c.bonus_balance_minor + amount_minor).returning(table.c.bonus_balance_minor)
    ).first()
    if row is None:
        if session.get(Customer, customer_id) is None:
            raise NotFound("customer", customer_id)
        raise DomainError("bonus.insufficient", f"customer {customer_id} has not {-amount_minor}",
                          requested=-amount_minor)
    loaded = session.identity_map.get(identity_key(Customer, customer_id))
    if loaded is not None:
        set_committed_value(loaded, "bonus_balance_minor", row[0])
    entry = LoyaltyEntry(
        customer_id=customer_id, kind=str(kind), amount_minor=amount_minor, balance_after_minor=row[0],
        order_id=order_id, related_customer_id=related_customer_id, note=note, actor_name=actor.name[:128],
        created_at=now or utcnow(),
    )
    session.add(entry)
    return entry


from sqlalchemy.orm.attributes import set_committed_value  # noqa: E402
from sqlalchemy.orm.util import identity_key  # noqa: E402


def ledger_sum(session: Session, customer_id: int) -> int:
    return session.execute(
        sa_select(sa_func.coalesce(sa_func.sum(LoyaltyEntry.__table__.c.amount_minor), 0))
        .where(LoyaltyEntry.__table__.c.customer_id == customer_id)
    ).scalar_one()


def invites_count(session: Session, customer_id: int) -> int:
    return session.execute(
        sa_select(sa_func.count()).select_from(Customer.__table__).where(Customer.__table__.c.inviter_id == customer_id)
    ).scalar_one()


def lifetime_pct(cfg: ShopConfig, invites: int) -> int:
    """The inviter's share of friends' purchases: the highest tier reached, else the base %."""
    pct = cfg.referral_lifetime_pct
    reached = [p for threshold, p in sorted(cfg.referral_tiers) if invites >= threshold]
    return reached[-1] if reached else pct


# --------------------------------------------------------------------------- order hooks (no commit)

def on_order_paid(session: Session, *, actor: Actor, order: Order, cfg: ShopConfig, now: datetime) -> None:
    """OR4/CR7: the inviter's reward after the friend's first paid order above the minimum."""
    if order.customer_id is None:
        return
    friend = session.get(Customer, order.customer_id)
    if friend is None or friend.inviter_id is None or cfg.referral_reward_minor <= 0:
        return
    goods_paid = order.goods_minor - order.discount_product_minor - order.discount_personal_minor - order.discount_promo_minor
    if goods_paid < cfg.referral_min_order_minor:
        return
    earlier = session.exec(select(Order.id).where(
        Order.customer_id == friend.id, Order.paid_at.is_not(None), Order.id != order.id)).first()
    if earlier is not None:
        return
    entry = _referral_reward_once(session, actor=actor, inviter_id=friend.inviter_id, friend_id=friend.id,
                                  order_id=order.id, amount_minor=cfg.referral_reward_minor, now=now)
    if entry is not None:
        inviter = session.get(Customer, friend.inviter_id)
        outbox.enqueue_to_customer(
            session, customer=inviter, kind="referral_reward", dedupe_key=f"referral_reward:{order.id}",
            text=t("notify.referral_reward", inviter.language, amount=format_money(entry.amount_minor, lang=inviter.language),
                   friend=escape(friend.full_name or friend.username or "")),
        )
        outbox.enqueue_to_customer(
            session, customer=friend, kind="referral_reward", dedupe_key=f"referral_reward_friend:{order.id}",
            text=t("notify.referral_friend", friend.language, inviter=escape(inviter.full_name or inviter.username or "")),
        )


def _referral_reward_once(session: Session, *, actor: Actor, inviter_id: int, friend_id: int, order_id: int,
                          amount_minor: int, now: datetime) -> LoyaltyEntry | None:
    """Credit the first-order reward unless this friend already earned one. "First paid order" is
    check-then-act: two of the friend's orders paid at the same moment both see no earlier one. The
    partial unique index ``uq_loyalty_referral_reward_friend`` decides; the loser's savepoint (the
    balance change with it) is rolled back and the payment goes on without a reward."""
    try:
        with session.begin_nested():
            entry = post_entry(session, actor=actor, customer_id=inviter_id, kind=LoyaltyKind.referral_reward,
                               amount_minor=amount_minor, order_id=order_id, related_customer_id=friend_id, now=now)
            session.flush()
    except IntegrityError:
        session.expire(session.get(Customer, inviter_id), ["bonus_balance_minor"])
        return None
    return entry


def on_order_completed(session: Session, *, actor: Actor, order: Order, cfg: ShopConfig, now: datetime) -> None:
    """OR5/CR7: cashback to the buyer, lifetime share to the inviter (both rounded down). An order
    refunded in part before it closed earns them on what was paid, and the refunded share of both
    is taken back at once (:func:`settle_refunds`); the messages tell what is left."""
    if order.customer_id is None:
        return
    customer = session.get(Customer, order.customer_id)
    paid_for_goods = order.total_minor - order.delivery_minor
    cashback = pct_floor(paid_for_goods, cfg.cashback_pct)
    credited = post_entry(session, actor=actor, customer_id=customer.id, kind=LoyaltyKind.cashback,
                          amount_minor=cashback, order_id=order.id, now=now)
    share, shared, inviter = 0, None, None
    if customer.inviter_id is not None:
        inviter = session.get(Customer, customer.inviter_id)
        share = pct_floor(paid_for_goods, lifetime_pct(cfg, invites_count(session, customer.inviter_id)))
        shared = post_entry(session, actor=actor, customer_id=customer.inviter_id, kind=LoyaltyKind.referral_lifetime,
                            amount_minor=share, order_id=order.id, related_customer_id=customer.id, now=now)
    # read afresh: a refund confirmed while this move waited for the order's row lock counts too
    refunded = session.execute(sa_select(Order.__table__.c.refunded_minor).where(Order.__table__.c.id == order.id)
                               ).scalar_one()
    set_committed_value(order, "refunded_minor", refunded)
    if (credited or shared) and refunded > 0:
        back = settle_refunds(session, actor=actor, order=order, now=now, note=f"order #{order.id} refunded in part")
        cashback, share = cashback - back.cashback_back_minor, share - back.referral_back_minor
    if credited is not None and cashback > 0:
        outbox.enqueue_to_customer(
            session, customer=customer, kind="cashback", dedupe_key=f"cashback:{order.id}",
            text=t("notify.cashback", customer.language, amount=format_money(cashback, lang=customer.language),
                   order=order.id, balance=format_money(customer.bonus_balance_minor, lang=customer.language)),
        )
    if shared is not None and share > 0:
        outbox.enqueue_to_customer(
            session, customer=inviter, kind="referral_reward", dedupe_key=f"referral_lifetime:{order.id}",
            text=t("notify.referral_lifetime", inviter.language, amount=format_money(share, lang=inviter.language)),
        )


def on_order_cancelled(session: Session, *, actor: Actor, order: Order, now: datetime) -> None:
    """OR3: bonuses spent on the order come back, once (less what its refunds already gave back); a
    referral reward the order earned for the inviter is taken back, once (as far as the inviter's
    balance allows: it never goes negative)."""
    if order.customer_id is not None and order.bonus_minor > 0:
        post_entry(session, actor=actor, customer_id=order.customer_id, kind=LoyaltyKind.spend_rollback,
                   amount_minor=max(0, order.bonus_minor - bonuses_given_back(session, order)), order_id=order.id,
                   now=now)
    reverse_referral_reward(session, actor=actor, order=order, now=now, why=f"order #{order.id} cancelled")


def reverse_referral_reward(session: Session, *, actor: Actor, order: Order, now: datetime, why: str,
                            refunded: bool = False) -> bool:
    """The inviter's first-order reward earned by ``order`` is taken back, once (cancel, full refund).
    Returns whether this call took it back."""
    reward = session.exec(select(LoyaltyEntry).where(
        LoyaltyEntry.order_id == order.id, LoyaltyEntry.kind == LoyaltyKind.referral_reward.value)).first()
    if reward is None:
        return False
    # locked and read afresh: a bonus spend committed meanwhile must shrink what is taken back,
    # not make the conditional debit below refuse the whole cancellation
    inviter = session.get(Customer, reward.customer_id, with_for_update=True, populate_existing=True)
    if inviter is None:
        return False
    take_back = min(reward.amount_minor, inviter.bonus_balance_minor)
    entry = post_entry(session, actor=actor, customer_id=inviter.id, kind=LoyaltyKind.referral_reversal,
                       amount_minor=-take_back, order_id=order.id, related_customer_id=order.customer_id,
                       note=why, now=now)
    if entry is not None:
        outbox.enqueue_to_customer(
            session, customer=inviter, kind="referral_reward", dedupe_key=f"referral_reversal:{order.id}",
            text=t("notify.referral_reversed_refund" if refunded else "notify.referral_reversed", inviter.language,
                   order=order.id,
                   amount=format_money(take_back, lang=inviter.language)),
        )
    return entry is not None


# --------------------------------------------------------------------------- refunds (PA4)

def _order_sum(session: Session, order_id: int, kinds: tuple[str, ...], customer_id: int | None = None) -> int:
    t_ = LoyaltyEntry.__table__
    query = sa_select(sa_func.coalesce(sa_func.sum(t_.c.amount_minor), 0)).where(
        t_.c.order_id == order_id, t_.c.kind.in_(kinds))
    if customer_id is not None:
        query = query.where(t_.c.customer_id == customer_id)
    return int(session.execute(query).scalar_one())


def bonuses_given_back(session: Session, order: Order) -> int:
    """Bonuses spent on ``order`` that its buyer already has back (cancel and refunds)."""
    if order.customer_id is None:
        return 0
    return _order_sum(session, order.id, (LoyaltyKind.spend_rollback.value, LoyaltyKind.refund_bonus.value),
                      order.customer_id)


class RefundLedgerOut(BaseModel):
    """What :func:`settle_refunds` moved now (all ≥ 0)."""

    bonus_back_minor: int = 0  # spent bonuses given back to the buyer
    cashback_back_minor: int = 0  # cashback taken back from the buyer
    referral_back_minor: int = 0  # the inviter's lifetime share taken back
    reward_reversed: bool = False  # the inviter's first-order reward taken back (a full refund)


def refunded_share(amount_minor: int, order: Order) -> int:
    """``amount`` × refunded ÷ paid, rounded down: the part of ``amount`` the order's refunds have
    reached so far (all of it once everything is refunded)."""
    if order.total_minor <= 0 or order.refunded_minor <= 0:
        return 0
    return amount_minor * min(order.refunded_minor, order.total_minor) // order.total_minor


def _take_back(session: Session, *, actor: Actor, customer_id: int, kind: LoyaltyKind, due: int, order: Order,
               related: int | None, note: str, now: datetime) -> int:
    """Debit up to ``due`` (never below the customer's balance, read under a row lock)."""
    if due <= 0:
        return 0
    customer = session.get(Customer, customer_id, with_for_update=True, populate_existing=True)
    if customer is None:
        return 0
    due = min(due, customer.bonus_balance_minor)
    if due > 0:
        post_entry(session, actor=actor, customer_id=customer_id, kind=kind, amount_minor=-due, order_id=order.id,
                   related_customer_id=related, note=note, now=now)
    return max(due, 0)


def settle_refunds(session: Session, *, actor: Actor, order: Order, now: datetime, note: str) -> RefundLedgerOut:
    """Bring the order's loyalty entries in line with its refunds (``order.refunded_minor`` of
    ``order.total_minor``), in the caller's transaction, which holds the order's row lock and read
    ``refunded_minor`` under it.

    Each of spent bonuses (given back), cashback and the inviter's lifetime share (taken back)
    moves to ⌊amount × refunded ÷ paid⌋ in total — less what earlier refunds already moved — so
    any sequence of partial refunds adds up to the share of the sum (integer money, rounded down
    in the customer's favour) and a full refund moves all of it, as a cancel does. Taking back never
    goes below the customer's balance (what is missing is caught up by a later refund if the
    balance allows) and never beyond what was credited. A full refund also takes back the
    inviter's first-order reward, once. Idempotent: run again, it moves nothing.
    """
    out = RefundLedgerOut()
    if order.refunded_minor <= 0 or order.total_minor <= 0:
        return out
    buyer = order.customer_id
    if buyer is not None and order.bonus_minor > 0:
        due = refunded_share(order.bonus_minor, order) - bonuses_given_back(session, order)
        if due > 0:
            post_entry(session, actor=actor, customer_id=buyer, kind=LoyaltyKind.refund_bonus, amount_minor=due,
                       order_id=order.id, note=note, now=now)
            out.bonus_back_minor = due
    if buyer is not None:
        credited = _order_sum(session, order.id, (LoyaltyKind.cashback.value,), buyer)
        taken = -_order_sum(session, order.id, (LoyaltyKind.refund_cashback.value,), buyer)
        out.cashback_back_minor = _take_back(session, actor=actor, customer_id=buyer, kind=LoyaltyKind.refund_cashback,
                                             due=refunded_share(credited, order) - taken, order=order, related=None,
                                             note=note, now=now)
    shares = session.exec(select(LoyaltyEntry.customer_id, LoyaltyEntry.amount_minor).where(
        LoyaltyEntry.order_id == order.id, LoyaltyEntry.kind == LoyaltyKind.referral_lifetime.value)).all()
    for inviter_id, share in shares:
        taken = -_order_sum(session, order.id, (LoyaltyKind.refund_referral.value,), inviter_id)
        out.referral_back_minor += _take_back(session, actor=actor, customer_id=inviter_id,
                                              kind=LoyaltyKind.refund_referral, due=refunded_share(share, order) - taken,
                                              order=order, related=buyer, note=note, now=now)
    if order.refunded_minor >= order.total_minor:
        out.reward_reversed = reverse_referral_reward(session, actor=actor, order=order, now=now, why=note,
                                                      refunded=True)
    return out


# --------------------------------------------------------------------------- use cases

class LoyaltyEntryOut(BaseModel):
    id: int
    kind: str
    amount_minor: int
    balance_after_minor: int
    order_id: int | None
    note: str | None
    created_at: datetime


class BonusesOut(BaseModel):
    customer_id: int
    balance_minor: int
    invites: int
    lifetime_pct: int
    next_tier_invites: int | None
    entries: list[LoyaltyEntryOut]


def _own_or(actor: Actor, customer_id: int, perm: Perm) -> None:
    if actor.is_customer and actor.id == customer_id:
        return
    require(actor, perm)


def get_bonuses(session: Session, *, actor: Actor, customer_id: int | None = None, cfg: ShopConfig | None = None,
                limit: int = 50) -> BonusesOut:
    """ST8/CR1: balance, history, invites and tier progress (the caller's own without ``customer_id``)."""
    customer_id = own_customer_id(actor, customer_id)
    _own_or(actor, customer_id, Perm.customers_view)
    cfg = cfg or get_config(session)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    invites = invites_count(session, customer_id)
    upcoming = [th for th, _ in sorted(cfg.referral_tiers) if th > invites]
    rows = session.exec(select(LoyaltyEntry).where(LoyaltyEntry.customer_id == customer_id)
                        .order_by(LoyaltyEntry.id.desc()).limit(limit)).all()
    return BonusesOut(
        customer_id=customer_id, balance_minor=customer.bonus_balance_minor, invites=invites,
        lifetime_pct=lifetime_pct(cfg, invites), next_tier_invites=upcoming[0] if upcoming else None,
        entries=[LoyaltyEntryOut.model_validate(r, from_attributes=True) for r in rows],
    )


@atomic
def adjust_bonuses(session: Session, *, actor: Actor, customer_id: int, delta_minor: int, note: str,
                   now: datetime | None = None) -> BonusesOut:
    """CR2: staff add or take bonuses (audited). The balance cannot go below zero."""
    require(actor, Perm.customers_manage)
    if delta_minor == 0:
        raise ValidationFailed("bonus.delta_zero", "delta must not be zero")
    if not (note or "").strip():
        raise ValidationFailed("bonus.note_required", "a note is required")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    before = customer.bonus_balance_minor
    entry = post_entry(session, actor=actor, customer_id=customer_id, kind=LoyaltyKind.manual,
                       amount_minor=delta_minor, note=note.strip()[:500], now=now)
    audit.record(session, actor=actor, action="customer.bonus_adjust", entity="customer", entity_id=customer_id,
                 before={"balance_minor": before}, after={"balance_minor": entry.balance_after_minor}, note=note)
    session.commit()
    return get_bonuses(session, actor=actor, customer_id=customer_id)
