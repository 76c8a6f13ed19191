"""Refunds (PA4): full or partial, with a reason, audited; the provider is called after commit
through the outbox with an idempotency key derived from the refund row, so a retried task never
refunds twice.

The amount is reserved on the payment by a conditional UPDATE (``refunded_minor + n <= amount``),
so two staff refunding at once can never send back more than was paid. A full refund of an open
order cancels it through the state machine: stock, spent bonuses, promo and certificate come back
as for any cancel.

When the provider confirms a refund (:func:`confirm_refund`; at once for a manual payment) the
order and the loyalty ledger follow, exactly once — the refund's ``pending → succeeded`` is a
conditional UPDATE, the order row is locked: the order's ``refunded_minor`` grows by the refunded
money (never above its total: a conditional UPDATE and a CHECK), and ``loyalty.settle_refunds``
gives back the refunded share of the spent bonuses and takes back that share of the cashback and
of the inviter's lifetime share (a full refund: all of them, and the inviter's first-order reward).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from integrations.http import IntegrationError, ProviderRejected, idempotency_key
from smo_app.i18n import t
from smo_app.money import format_money
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderStatus
from smo_app.models.payments import Payment, PaymentProvider, PaymentStatus, Refund, RefundStatus
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.form_input import optional_amount
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.customers import loyalty
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.messaging import outbox_tasks
from smo_app.services.messaging.outbox import enqueue_staff_alert, enqueue_task, enqueue_to_customer
from smo_app.services.messaging.outbox_delivery import RetryPolicy
from smo_app.services.payments import providers
from smo_app.services.payments.dto import RefundOut
from smo_app.services.sales import orders
from smo_app.services.sales.order_states import OPEN_STATUSES

TASK_KIND = "payment.refund"
REASON_MAX = 500
REFUNDABLE = (PaymentStatus.succeeded.value, PaymentStatus.unmatched.value)
TASK_POLICY = RetryPolicy(max_attempts=8, backoff_seconds=(10, 60, 300, 900, 3600))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("payment.reason_required", "a reason is required")
    if len(reason) > REASON_MAX:
        raise ValidationFailed("payment.reason_too_long", "the reason is too long", max=REASON_MAX)
    return reason


def refund_as_typed(session: Session, *, actor: Actor, order_id: int, amount: str, reason: str) -> RefundOut:
    """The order card's refund form: the amount in rubles as typed, empty for everything still
    refundable (``payment.refund_amount_invalid`` when it is not an amount: −5 or "abc")."""
    return refund_payment(session, actor=actor, order_id=order_id, reason=reason,
                          amount_minor=optional_amount(amount, "payment.refund_amount_invalid", field="amount"))


@atomic
def refund_payment(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    amount_minor: int | None = None,
    reason: str,
    payment_id: int | None = None,
    restock: bool = True,
    now: datetime | None = None,
) -> RefundOut:
    """Refund ``amount_minor`` (everything still refundable when None) of the order's payment.

    Raises ``payment.reason_required``, ``payment.reason_too_long``, ``payment.refund_amount_invalid``,
    ``payment.refund_too_much``, ``payment.not_refundable``, ``common.not_found``, ``common.forbidden``.
    """
    require(actor, Perm.payments_refund)
    reason = _reason(reason)
    now = now or utcnow()
    query = select(Payment).where(Payment.order_id == order_id, Payment.status.in_(REFUNDABLE))
    if payment_id is not None:
        query = select(Payment).where(Payment.id == payment_id, Payment.order_id == order_id)
    payment = session.exec(query.order_by(Payment.id).with_for_update()).first()
    if payment is None:
        if session.get(Order, order_id) is None:
            raise NotFound("order", order_id)
        raise DomainError("payment.not_refundable", f"order {order_id} has no refundable payment")
    session.refresh(payment)
    if payment.status not in REFUNDABLE:
        raise DomainError("payment.not_refundable", f"payment {payment.id} is {payment.status}")
    left = payment.amount_minor - payment.refunded_minor
    amount = left if amount_minor is None else amount_minor
    if amount <= 0 and amount_minor is not None:
        raise ValidationFailed("payment.refund_amount_invalid", "the refund must be positive")
    if amount <= 0:
        raise DomainError("payment.not_refundable", "nothing left to refund")
    if amount > left:
        raise ValidationFailed("payment.refund_too_much", "more than was paid", max_minor=left)
    full = amount == left
    credited = payment.status == PaymentStatus.succeeded.value  # as locked, before this refund
    values: dict = {"refunded_minor": Payment.refunded_minor + amount, "updated_at": now}
    if full:
        values["status"] = PaymentStatus.refunded.value
    done = session.execute(update(Payment).where(Payment.id == payment.id,
                                                 Payment.refunded_minor + amount <= Payment.amount_minor)
                           .values(**values).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise ValidationFailed("payment.refund_too_much", "more than was paid", max_minor=left)
    number = session.exec(select(func.count()).select_from(Refund).where(Refund.payment_id == payment.id)).one() + 1
    refund = Refund(payment_id=payment.id, order_id=order_id, amount_minor=amount, reason=reason,
                    idempotency_key=idempotency_key("payment.refund", payment.id, number),
                    actor_kind=actor.kind, actor_id=actor.id, created_at=now)
    session.add(refund)
    session.flush()
    audit.record(session, actor=actor, action="payment.refund", entity="payment", entity_id=payment.id,
                 before={"refunded_minor": payment.refunded_minor, "status": payment.status},
                 after={"refund_id": refund.id, "amount_minor": amount, "full": full}, note=reason)
    if payment.provider == PaymentProvider.manual:  # money goes back by hand: nothing to call, done now
        confirm_refund(session, refund_id=refund.id, actor=actor, now=now)
    else:
        enqueue_task(session, kind=TASK_KIND, payload={"refund_id": refund.id}, dedupe_key=f"refund:{refund.id}",
                     order_id=order_id)
    out = RefundOut.of(session.get(Refund, refund.id))
    order = session.get(Order, order_id)
    if full and credited and order is not None and OrderStatus(order.status) in OPEN_STATUSES:
        # the order follows: cancelled as by staff, so stock, bonuses, promo and certificate come back
        orders.transition(session, actor=Actor.system("payments:refund") if not actor.is_staff else actor,
                          order_id=order_id, to_status=OrderStatus.cancelled, reason=f"refund: {reason}"[:500],
                          restock=restock, now=now)
        return out
    session.commit()
    return out


def run_refund_task(session: Session, task: outbox_tasks.Task) -> None:
    """The outbox task: ask the provider to refund (the same key every run). A refusal is final: the
    refund is marked failed, a dead letter and an alert say so; unavailability raises to retry."""
    refund = session.get(Refund, int(task.payload["refund_id"]), with_for_update=True)
    if refund is None or refund.status != RefundStatus.pending.value:
        return
    payment = session.get(Payment, refund.payment_id)
    port = providers.require_port(payment.provider)
    extra = {}
    if payment.provider == PaymentProvider.stars:  # Stars go back to the buyer's Telegram account
        order = session.get(Order, payment.order_id)
        customer = session.get(Customer, order.customer_id) if order and order.customer_id else None
        extra["user_id"] = customer.telegram_id if customer else None
    try:
        made = port.refund(provider_payment_id=payment.provider_payment_id or "", amount_minor=refund.amount_minor,
                           currency=payment.currency, idempotency_key=refund.idempotency_key, reason=refund.reason,
                           **extra)
    except ProviderRejected as exc:
        fail_refund(session, refund, payment, f"{exc.code}: {exc.message}")
        return
    except IntegrationError:
        raise  # retried by the task policy with the same key
    if made.status == "canceled":
        refund.provider_refund_id = made.id
        fail_refund(session, refund, payment, canceled_error(made.failure_reason))
        return
    if made.status == "succeeded":
        confirm_refund(session, refund_id=refund.id, provider_refund_id=made.id)
        return
    refund.provider_refund_id = made.id  # pending at the provider: confirmed later
    session.add(refund)


def _credited(payment: Payment) -> bool:
    """Was this payment credited to its order (so its refunds come off the order's paid money)?"""
    return payment.failure is None and payment.status in (PaymentStatus.succeeded.value, PaymentStatus.refunded.value)


def _share(total: int, before: int, now: int, whole: int) -> int:
    """The cumulative proportional split: ``total`` × (before+now)/whole − ``total`` × before/whole
    (so parts add up to exactly ``total`` once ``whole`` is reached)."""
    if whole <= 0:
        return 0
    return total * (before + now) // whole - total * before // whole


def confirm_refund(session: Session, *, refund_id: int, actor: Actor | None = None,
                   provider_refund_id: str | None = None, now: datetime | None = None) -> bool:
    """The money went back: mark the refund succeeded and let the order and the loyalty ledger
    follow — once. Returns False when it was confirmed (or failed) before: a repeated or concurrent
    confirmation changes nothing. No commit (the caller's transaction: the outbox task, the refund).

    The order's ``refunded_minor`` grows by the refund in the order's money (Telegram Stars are
    converted in proportion to the order total, cumulatively, so a full refund is exactly the
    total) by a conditional UPDATE that never lets it pass the total; a payment that was never
    credited (paid after a cancel, sums differ) leaves the order alone.
    """
    now = now or utcnow()
    actor = actor or Actor.system("payments:refund")
    values: dict = {"status": RefundStatus.succeeded.value, "done_at": now}
    if provider_refund_id:
        values["provider_refund_id"] = provider_refund_id
    table = Refund.__table__
    done = session.execute(update(table).where(table.c.id == refund_id, table.c.status == RefundStatus.pending.value)
                           .values(**values)).rowcount
    if done != 1:
        return False
    refund = session.get(Refund, refund_id, populate_existing=True)
    payment = session.get(Payment, refund.payment_id, populate_existing=True)
    before = after = None
    ledger = loyalty.RefundLedgerOut()
    if _credited(payment):
        order = session.get(Order, refund.order_id, with_for_update=True, populate_existing=True)
        confirmed = session.exec(select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
            Refund.payment_id == payment.id, Refund.status == RefundStatus.succeeded.value)).one()
        part = _share(order.total_minor, int(confirmed) - refund.amount_minor, refund.amount_minor,
                      payment.amount_minor)
        orders_table = Order.__table__
        moved = session.execute(update(orders_table).where(
            orders_table.c.id == order.id, orders_table.c.refunded_minor + part <= orders_table.c.total_minor)
            .values(refunded_minor=orders_table.c.refunded_minor + part)).rowcount
        if moved != 1:  # cannot happen while the payment's own reservation holds; never silently
            raise DomainError("payment.refund_too_much", f"order {order.id}: refunds above the total",
                              max_minor=order.total_minor - order.refunded_minor)
        before, after = order.refunded_minor, order.refunded_minor + part
        set_committed_value(order, "refunded_minor", after)
        session.execute(update(table).where(table.c.id == refund_id).values(order_minor=part))
        set_committed_value(refund, "order_minor", part)
        ledger = loyalty.settle_refunds(session, actor=actor, order=order, now=now,
                                        note=f"refund #{refund.id} of order #{order.id}")
        _tell_customer(session, order, refund, part)
    audit.record(session, actor=actor, action="payment.refund_done", entity="payment_refund", entity_id=refund.id,
                 before={"order_refunded_minor": before},
                 after={"order_id": refund.order_id, "payment_id": payment.id, "amount_minor": refund.amount_minor,
                        "order_refunded_minor": after, **ledger.model_dump()}, note=refund.reason)
    return True


def _tell_customer(session: Session, order: Order, refund: Refund, part: int) -> None:
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    if customer is None or part <= 0:
        return
    enqueue_to_customer(session, customer=customer, kind="payment_refund", dedupe_key=f"refund-done:{refund.id}",
                        order_id=order.id,
                        text=t("notify.refund", customer.language, order=order.id,
                               amount=format_money(part, lang=customer.language),
                               paid=format_money(order.total_minor - order.refunded_minor, lang=customer.language)))


def canceled_error(reason: str | None) -> str:
    """What a failed refund records when the provider canceled it."""
    return f"canceled by the provider ({reason})" if reason else "canceled by the provider"


def fail_refund(session: Session, refund: Refund, payment: Payment, error: str) -> None:
    """The refund did not happen (the provider refused or canceled it): the refund is failed, the
    reserved amount is free again, a dead letter and an alert to owner and admins say why. The
    caller holds the refund row locked and has checked it is still pending. No commit."""
    now = utcnow()
    refund.status, refund.error, refund.done_at = RefundStatus.failed.value, error[:500], now
    session.add(refund)
    # the reserved amount is free again; a fully refunded payment is back to what it was
    status = payment.status
    if status == PaymentStatus.refunded.value:
        status = PaymentStatus.unmatched.value if payment.failure else PaymentStatus.succeeded.value
    session.execute(update(Payment).where(Payment.id == payment.id)
                    .values(refunded_minor=Payment.refunded_minor - refund.amount_minor, status=status)
                    .execution_options(synchronize_session=False))
    record_dead_letter(session, provider=payment.provider, kind="refund", reason="payment.refund_failed",
                       reference=str(refund.id), detail=error,
                       payload={"payment_id": payment.id, "order_id": refund.order_id, "refund_id": refund.id,
                                "amount_minor": refund.amount_minor, "currency": payment.currency, "refundable": False},
                       now=now)
    enqueue_staff_alert(session, kind="payment_refund_failed", order_id=refund.order_id,
                        dedupe_key=f"refund-failed:{refund.id}",
                        text=lambda lang: t("payment.alert.refund_failed", lang, refund=refund.id,
                                            order=refund.order_id, error=error[:200]))


def newest(session: Session, model, *, limit: int, **equal) -> list:
    """The newest rows of a payments table (``payment``, ``refund``) whose columns equal the filters
    given (None: not filtered), at most ``limit`` (1–1000)."""
    query = select(model)
    for column, value in equal.items():
        if value is not None:
            query = query.where(getattr(model, column) == value)
    return session.exec(query.order_by(model.id.desc()).limit(max(1, min(limit, 1000)))).all()


def list_refunds(session: Session, *, actor: Actor, order_id: int | None = None, limit: int = 200) -> list[RefundOut]:
    require(actor, Perm.payments_view)
    out = [RefundOut.of(r) for r in newest(session, Refund, limit=limit, order_id=order_id)]
    session.rollback()
    return out


def install() -> None:
    outbox_tasks.register_task_handler(TASK_KIND, run_refund_task, TASK_POLICY)
