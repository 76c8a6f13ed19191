"""Orders (OR1–OR5, OR8): the state machine, auto-cancel and reading.

Orders are created in one place, ``sales.order_creation``, by the Mini App checkout
(``sales.checkout.place_order``), the B2B entry (``sales.b2b.create_b2b_order``) and the POS;
both entry points are re-exported here for callers.

Every status change is one move (``_apply``): a conditional UPDATE on the current status (so two
concurrent moves never both apply), one OrderEvent, the domain event handed to its subscribers
(:mod:`events`; ledgers in the transaction, the outside world through the outbox after commit), an
audit entry — one transaction. One entry point per use case, each with its own arguments and no
option flags: :func:`transition` (any allowed move by staff, a customer or the system; returns the
order), :func:`cancel_order` and :func:`mark_paid` (its two named moves), :func:`credit_payment`
(a provider's payment credited: the row the payment locked, its audit entry written with the
move's, nothing read back) and :func:`auto_cancel_unpaid` (the customer is told why).
:func:`allowed_actions` tells a screen what to offer.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.models.audit import AuditEntry
from smo_app.models.orders import Order, OrderChannel, OrderEvent, OrderLine, OrderStatus
from smo_app.models.catalog import Variant
from smo_app.models.payments import Payment, PaymentProof, PaymentProvider, PaymentStatus
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.sales.b2b import B2BItemIn, create_b2b_order
from smo_app.services.sales.checkout import place_order
from smo_app.services.sales.order_dto import OrderOut, event_values, load_out as _load_out
from smo_app.services.sales import events
from smo_app.services.sales.order_states import (
    ACTIVE_STATUSES, BACK_MOVES, CUSTOMER_TRANSITIONS, DELIVERY_LIST_STATUSES, RESTORE_MOVES, TRANSITIONS,
    action_rule,
)
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.tx import atomic
from smo_app.services.stock import ledger as stock

S = OrderStatus
_ORDER = Order.__table__
_INSERT_EVENT = insert(OrderEvent.__table__).returning(OrderEvent.__table__.c.id)
_INSERT_AUDIT = insert(AuditEntry.__table__)


# --------------------------------------------------------------------------- the state machine

@atomic
def transition(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    to_status: OrderStatus | str,
    reason: str | None = None,
    restock: bool = True,
    now: datetime | None = None,
) -> OrderOut:
    """Move an order to ``to_status`` if the table allows it (else ``order.transition_forbidden``)
    and return it with its lines and events.

    One transaction: a conditional UPDATE on the current status (two concurrent moves never both
    apply), one ``order_event`` row, the domain event published to its subscribers
    (:mod:`smo_app.services.sales.events`), an audit entry. The shop's in-transaction subscribers
    (:mod:`order_subscribers`) do, each exactly once: ``paid`` — certificate redeemed, inviter's
    referral reward; ``completed`` — cashback and the inviter's lifetime share; ``cancelled`` —
    stock put back (``restock=True``) or written off (staff choice), spent bonuses returned, promo
    use released, certificate reactivated; every move — the customer's message. A subscriber that
    raises rolls all of it back. Customers may only cancel their own ``new`` orders.
    """
    order = _read(session, order_id)
    _apply(session, actor=actor, order=order, to_status=to_status, reason=reason, restock=restock, now=now)
    out = _load_out(session, order)
    session.commit()
    return out


@atomic
def credit_payment(session: Session, *, actor: Actor, order: Order, reason: str, audit_entry: dict,
                   now: datetime | None = None) -> None:
    """The payments service's move to ``paid`` when a payment is credited (see :func:`transition`).

    ``order`` is the row the payment locked (``SELECT … FOR UPDATE``) and read in this transaction:
    it is not read again. ``audit_entry`` (``audit.entry_values``) — the credit's own audit entry —
    goes in one INSERT with the move's. Nothing is read back: the webhook answers without the order."""
    _apply(session, actor=actor, order=order, to_status=S.paid, reason=reason, now=now, audit_with=(audit_entry,))
    session.commit()


def carrier_move(session: Session, *, actor: Actor, order: Order, to_status: OrderStatus | str, reason: str,
                 now: datetime | None = None) -> None:
    """A carrier's report moves the order one allowed step (see :func:`transition`), inside the
    caller's transaction — the webhook inbox's, which commits it with the stored notice. No commit."""
    _apply(session, actor=actor, order=order, to_status=to_status, reason=reason, now=now)


def _lines_by_variant(session: Session, order_id: int) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for vid, qty in session.execute(select(OrderLine.variant_id, OrderLine.qty).where(OrderLine.order_id == order_id)):
        wanted[vid] = wanted.get(vid, 0) + qty
    return wanted


def restore_blocker(session: Session, order: Order) -> str | None:
    """Why a cancelled order cannot be brought back to ``paid`` (an error code), or None.

    Not restored: an order that carried bonuses, a promo code or a gift certificate (the cancel gave
    them back to the customer, who may have used them since — the money goes back instead), or
    whose goods are no longer in stock. A read for the screen; :func:`restore_paid_order` decides."""
    if (S(order.status), S.paid) not in RESTORE_MOVES:
        return "order.restore_not_cancelled"
    if order.bonus_minor or order.promo_code_id or order.certificate_id or order.certificate_minor:
        return "order.restore_had_discounts"
    wanted = _lines_by_variant(session, order.id)
    if not wanted:
        return "order.restore_no_stock"
    have = dict(session.execute(select(Variant.id, Variant.qty).where(Variant.id.in_(wanted))).all())
    if any(have.get(vid, 0) < qty for vid, qty in wanted.items()):
        return "order.restore_no_stock"
    return None


def restore_paid_order(session: Session, *, actor: Actor, order: Order, reason: str, audit_entry: dict,
                       now: datetime | None = None) -> None:
    """A cancelled order whose money arrived after all goes back to ``paid`` (the RESTORE_MOVES rule):
    the status moves by the same conditional UPDATE as any move (two restores: one wins), then its goods
    are taken again through the stock ledger (a conditional decrement: the last unit sold meanwhile
    makes it raise ``stock.insufficient`` and the caller's transaction rolls back — all or nothing).
    ``order`` is the row the caller locked; inside its transaction, no commit."""
    blocker = restore_blocker(session, order)
    if blocker == "order.restore_not_cancelled":
        raise DomainError("order.changed_meanwhile", f"order {order.id} is no longer cancelled")
    if blocker == "order.restore_had_discounts":
        raise DomainError(blocker, f"order {order.id} carried bonuses, a promo code or a certificate")
    now = now or utcnow()
    _apply(session, actor=actor, order=order, to_status=S.paid, reason=reason, now=now, audit_with=(audit_entry,),
           restore=True)
    stock.take_for_order(session, actor=actor, items=[(vid, qty, None) for vid, qty in
                                                      sorted(_lines_by_variant(session, order.id).items())],
                         order_id=order.id, now=now)


def _read(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("order", order_id)
    session.refresh(order)
    return order


def _apply(session: Session, *, actor: Actor, order: Order, to_status: OrderStatus | str, reason: str | None,
           now: datetime | None, restock: bool = True, audit_with: Sequence[dict] = (),
           notify_kind: str = "order_status", restore: bool = False) -> None:
    """The move itself, shared by the entry points above and :func:`auto_cancel_unpaid` (which tells
    the customer why with ``notify_kind="auto_cancel"``): checks, writes, publishes; no commit."""
    now = now or utcnow()
    order_id = order.id
    try:
        to_status = S(to_status)
    except ValueError as exc:
        raise ValidationFailed("order.status_invalid", f"unknown status {to_status}") from exc
    from_status = S(order.status)
    if actor.is_customer:
        if order.customer_id != actor.id:
            raise NotFound("order", order_id)
        if (from_status, to_status) not in CUSTOMER_TRANSITIONS:
            raise DomainError("order.transition_forbidden", f"{from_status} → {to_status}",
                              from_status=from_status.value, to_status=to_status.value)
        restock = True
    elif not actor.is_system:
        require(actor, Perm.orders_manage)
    if from_status == to_status:  # a second tap on the same button: the first one did it
        raise DomainError("order.already_in_status", f"order {order_id} is already {to_status}", status=to_status.value)
    if to_status not in TRANSITIONS[from_status] and not (restore and (from_status, to_status) in RESTORE_MOVES):
        raise DomainError("order.transition_forbidden", f"{from_status} → {to_status}",
                          from_status=from_status.value, to_status=to_status.value)
    values: dict = {"status": to_status.value, "updated_at": now}
    if to_status == S.paid and order.paid_at is None:
        values["paid_at"] = now
    elif to_status == S.completed:
        values["completed_at"] = now
    elif to_status == S.cancelled:
        values["cancelled_at"] = now
    back = (from_status, to_status) in BACK_MOVES
    # Core statements on the transaction's connection: every status change comes this way
    conn = session.connection()
    moved = conn.execute(_move(tuple(values)), {"b_id": order_id, "b_from": from_status.value,
                                                **{f"b_{k}": v for k, v in values.items()}})
    if moved.rowcount != 1:
        raise DomainError("order.changed_meanwhile", f"order {order_id} is no longer {from_status}")
    for key, value in values.items():  # already written by the UPDATE above
        set_committed_value(order, key, value)
    event_id = conn.execute(_INSERT_EVENT, event_values(order_id, from_status, to_status, actor, reason, now)
                            ).scalar_one()
    audit_action = "order.restore" if restore else "order.back_move" if back else "order.transition"
    own = audit.entry_values(actor=actor, action=audit_action,
                             entity="order", entity_id=order_id, before={"status": from_status.value},
                             after={"status": to_status.value, "restock": restock} if to_status == S.cancelled
                             else {"status": to_status.value}, note=reason)
    conn.execute(_INSERT_AUDIT, [*audit_with, own])  # one INSERT for all of them
    data: dict = {"notify_kind": notify_kind}
    if to_status == S.cancelled:
        data["restock"] = restock
    events.publish(session, events.DomainEvent(
        name=events.event_name(from_status.value, to_status.value, back_move=back), order_id=order_id,
        from_status=from_status.value, to_status=to_status.value, actor=actor, reason=reason, occurred_at=now,
        event_id=event_id, data=data))


@functools.cache
def _move(columns: tuple[str, ...]):
    """``UPDATE order SET <columns> … WHERE id = :b_id AND status = :b_from``, built once per set of columns."""
    return (update(_ORDER).where(_ORDER.c.id == bindparam("b_id"), _ORDER.c.status == bindparam("b_from"))
            .values({c: bindparam(f"b_{c}") for c in columns}))


class AllowedAction(BaseModel):
    """One thing an actor may do to an order now (for buttons; the service still checks)."""

    action: str  # pay, process, ship, deliver, complete, cancel, back
    to_status: str
    back_move: bool = False
    needs_reason: bool = False  # ask for a reason (kept on the order event and in the audit)
    needs_confirmation: bool = False  # ask "are you sure?"
    restock_choice: bool = False  # cancel: staff choose between putting goods back and writing them off


def allowed_actions(actor: Actor, order: Order | OrderOut) -> list[AllowedAction]:
    """What ``actor`` may do to ``order`` from its current status, from the transition table, so no
    screen copies it. Customers see only their own orders' moves; staff need the orders permission."""
    from_status = S(order.status)
    if actor.is_customer:
        if order.customer_id != actor.id:
            return []
        targets = [to for (fr, to) in sorted(CUSTOMER_TRANSITIONS) if fr == from_status]
    elif actor.is_system or can(actor, Perm.orders_manage):
        targets = sorted(TRANSITIONS[from_status], key=lambda st: list(S).index(st))
    else:
        return []
    out = []
    for to in targets:
        rule = action_rule(from_status, to)
        out.append(AllowedAction(
            action=rule.action, to_status=to.value, back_move=rule.back_move,
            needs_reason=rule.needs_reason and not actor.is_customer, needs_confirmation=rule.needs_confirmation,
            restock_choice=to == S.cancelled and not actor.is_customer))
    return out


def cancel_order(session: Session, *, actor: Actor, order_id: int, reason: str | None = None,
                 restock: bool = True, now: datetime | None = None) -> OrderOut:
    """OR3: cancel an open order (see :func:`transition`)."""
    return transition(session, actor=actor, order_id=order_id, to_status=S.cancelled, reason=reason,
                      restock=restock, now=now)


def mark_paid(session: Session, *, actor: Actor, order_id: int, reason: str | None = None,
              now: datetime | None = None) -> OrderOut:
    """OR4: payment confirmed by staff (see :func:`transition`; a provider's payment is
    :func:`credit_payment`)."""
    return transition(session, actor=actor, order_id=order_id, to_status=S.paid, reason=reason, now=now)


def money_in_flight():
    """SQL: the order (``Order.id``) has money on its way that the shop must not cancel under — a
    transfer screenshot waiting for staff, a YooKassa/Stripe payment the provider may still confirm
    (reconciliation asks it and gives up on it in the end), or money received but not credited yet."""
    proof_waiting = (select(PaymentProof.id).where(PaymentProof.payment_id == Payment.id,
                                                   PaymentProof.decided_at.is_(None)).exists())
    pending = Payment.status == PaymentStatus.pending.value
    return (select(Payment.id).where(
        Payment.order_id == Order.id,
        (pending & Payment.provider.in_(ASKABLE_PROVIDERS))
        | (pending & (Payment.provider == PaymentProvider.manual.value) & proof_waiting)
        | (Payment.status == PaymentStatus.unmatched.value)).exists())


ASKABLE_PROVIDERS = (PaymentProvider.yookassa.value, PaymentProvider.stripe.value)


def auto_cancel_unpaid(session: Session, *, now: datetime | None = None, actor: Actor = Actor.system("auto-cancel"),
                       minutes: int | None = None) -> list[int]:
    """OR2: cancel ``new`` orders older than ``auto_cancel_minutes`` (stock returns). Idempotent;
    returns the ids cancelled by this call. An order paid meanwhile, or with money on its way
    (:func:`money_in_flight`, checked again under the order's lock), is left alone."""
    now = now or utcnow()
    cfg = get_config(session)
    limit = now - timedelta(minutes=minutes if minutes is not None else cfg.auto_cancel_minutes)
    ids = list(session.exec(select(Order.id).where(Order.status == S.new.value, Order.created_at <= limit,
                                                   Order.channel == OrderChannel.storefront.value,
                                                   ~money_in_flight())
                            .order_by(Order.id)).all())
    session.rollback()
    done = []
    for order_id in ids:
        try:
            _cancel_unpaid(session, actor=actor, order_id=order_id, now=now)
        except DomainError:
            continue  # paid or cancelled meanwhile, or money arrived
        done.append(order_id)
    return done


@atomic
def _cancel_unpaid(session: Session, *, actor: Actor, order_id: int, now: datetime) -> None:
    """One auto-cancel: a cancel with the goods back, the customer told why (``auto_cancel``). The
    order row is locked first (as a screenshot upload and a provider's credit lock it), so money
    that arrived since the list was read keeps the order."""
    order = session.exec(select(Order).where(Order.id == order_id).with_for_update()
                         .execution_options(populate_existing=True)).first()
    if order is None or order.status != S.new.value:
        raise DomainError("order.changed_meanwhile", f"order {order_id} is no longer new")
    if session.exec(select(Order.id).where(Order.id == order_id, money_in_flight())).first() is not None:
        raise DomainError("order.money_in_flight", f"order {order_id} has money on its way")
    _apply(session, actor=actor, order=order, to_status=S.cancelled, reason="auto_cancel",
           now=now, notify_kind="auto_cancel")
    session.commit()


# --------------------------------------------------------------------------- reading (OR6, OR7, ST7)

def get_order(session: Session, *, actor: Actor, order_id: int) -> OrderOut:
    order = session.get(Order, order_id)
    if order is None or (actor.is_customer and order.customer_id != actor.id):
        raise NotFound("order", order_id)
    if not actor.is_customer and not actor.is_system:
        require(actor, Perm.orders_view)
    return _load_out(session, order)


class OrderPage(BaseModel):
    rows: list[OrderOut]
    total: int
    page: int
    page_size: int


def list_orders(session: Session, *, actor: Actor, status: str = "all", customer_id: int | None = None,
                page: int = 1, page_size: int = 20) -> OrderPage:
    """OR7/ST7: ``status`` is a status, ``active``, ``delivery`` or ``all``; newest first."""
    if actor.is_customer:
        customer_id = actor.id
    elif not actor.is_system:
        require(actor, Perm.orders_view)
    page, page_size = max(page, 1), min(max(page_size, 1), 100)
    query = select(Order)
    if status == "active":
        query = query.where(Order.status.in_([s.value for s in ACTIVE_STATUSES]))
    elif status == "delivery":
        query = query.where(Order.status.in_([s.value for s in DELIVERY_LIST_STATUSES]))
    elif status != "all":
        query = query.where(Order.status == S(status).value)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Order.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    return OrderPage(rows=[_load_out(session, o, with_events=False) for o in rows], total=total, page=page,
                     page_size=page_size)


__all__ = [
    "AllowedAction", "allowed_actions", "B2BItemIn", "OrderOut", "OrderPage", "auto_cancel_unpaid", "cancel_order",
    "create_b2b_order", "credit_payment", "get_order", "list_orders", "mark_paid", "money_in_flight", "place_order",
    "transition",
]
