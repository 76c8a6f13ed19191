"""The backoffice view of payments (PA3): the list with filters, the payments that were not
credited (dead letters) with "credit to the order / refund / dismiss with a reason", audited.
Owner and admin decide; managers read."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session, select

from smo_app.models.base import utcnow
from smo_app.models.integrations import DeadLetter, DeadLetterResolution
from smo_app.models.orders import Order, OrderStatus
from smo_app.models.payments import Payment, PaymentProvider, PaymentStatus
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.tx import atomic
from smo_app.services.integrations.dead_letters import DeadLetterOut, resolve_dead_letter
from smo_app.services.payments.core import with_proofs
from smo_app.services.payments.dto import PaymentOut
from smo_app.services.payments.reconcile import ReconcileOut, list_runs
from smo_app.services.payments.refunds import newest, refund_payment
from smo_app.services.sales import orders

PAYMENT_KINDS = ("payment", "refund", "webhook")
PROVIDERS = tuple(p.value for p in PaymentProvider)


def list_payments(session: Session, *, actor: Actor, status: str | None = None, provider: str | None = None,
                  order_id: int | None = None, limit: int = 200) -> list[PaymentOut]:
    """Newest first, filtered by status, method and order."""
    require(actor, Perm.payments_view)
    rows = newest(session, Payment, limit=limit, status=status or None, provider=provider or None, order_id=order_id)
    out = with_proofs(session, rows)
    session.rollback()
    return out


class PaymentLetterOut(BaseModel):
    letter: DeadLetterOut
    payment_id: int | None
    order_id: int | None
    refundable: bool  # money came in and was not credited: it can go back
    can_apply: bool  # the order still waits for payment: it can be credited by hand
    can_restore: bool = False  # the order was cancelled but can come back as paid (stock still there)
    restore_blocked: str | None = None  # why a cancelled order cannot come back (an error code), if not


def list_payment_letters(session: Session, *, actor: Actor, open_only: bool = True) -> list[PaymentLetterOut]:
    require(actor, Perm.payments_view)
    query = select(DeadLetter).where(DeadLetter.provider.in_(PROVIDERS), DeadLetter.kind.in_(PAYMENT_KINDS))
    if open_only:
        query = query.where(DeadLetter.resolved_at.is_(None))
    rows = session.exec(query.order_by(DeadLetter.id.desc()).limit(500)).all()
    out = []
    for row in rows:
        payload = row.payload or {}
        payment = session.get(Payment, payload.get("payment_id")) if payload.get("payment_id") else None
        order = session.get(Order, payment.order_id) if payment is not None else None
        unmatched = payment is not None and payment.status == PaymentStatus.unmatched.value
        blocked = None
        if unmatched and order is not None and order.status == OrderStatus.cancelled:
            blocked = "payment.restore_refunded" if payment.refunded_minor else orders.restore_blocker(session, order)
        out.append(PaymentLetterOut(
            letter=DeadLetterOut.of(row), payment_id=payment.id if payment else None,
            order_id=payment.order_id if payment else payload.get("order_id"),
            refundable=unmatched and payment.refunded_minor < payment.amount_minor,
            can_apply=unmatched and order is not None and order.status == OrderStatus.new,
            can_restore=unmatched and order is not None and order.status == OrderStatus.cancelled and blocked is None,
            restore_blocked=blocked))
    session.rollback()
    return out


class PaymentsPage(BaseModel):
    """The payments page in one read: the filtered payments, the payments not credited, the
    reconciliation log, and whether this actor may act on them (owner, admin) or only read."""

    payments: list[PaymentOut]
    letters: list[PaymentLetterOut]
    runs: list[ReconcileOut]
    can_manage: bool


def payments_page(session: Session, *, actor: Actor, status: str | None = None, provider: str | None = None,
                  order_id: int | None = None) -> PaymentsPage:
    return PaymentsPage(payments=list_payments(session, actor=actor, status=status, provider=provider, order_id=order_id),
                        letters=list_payment_letters(session, actor=actor), runs=list_runs(session, actor=actor),
                        can_manage=can(actor, Perm.payments_manage))


def _locked(session: Session, payment_id: int, order_status: OrderStatus) -> tuple[Payment, Order]:
    """The unmatched payment and its order, locked (payment, then order, as a provider's credit takes
    them); ``payment.cannot_apply`` unless the order is in ``order_status``."""
    payment = session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    if payment is None:
        raise NotFound("payment", payment_id)
    order = session.get(Order, payment.order_id, with_for_update=True, populate_existing=True)
    if payment.status != PaymentStatus.unmatched.value or order is None or order.status != order_status:
        raise DomainError("payment.cannot_apply", f"payment {payment_id} cannot be credited")
    return payment, order


def _mark_credited(session: Session, payment: Payment, now: datetime) -> None:
    payment.status, payment.failure, payment.updated_at = PaymentStatus.succeeded.value, None, now
    session.add(payment)
    session.flush()


@atomic
def _credit_by_hand(session: Session, *, actor: Actor, payment_id: int, note: str, now: datetime) -> None:
    payment, order = _locked(session, payment_id, OrderStatus.new)
    _mark_credited(session, payment, now)
    audit.record(session, actor=actor, action="payment.credit_by_hand", entity="payment", entity_id=payment_id,
                 after={"order_id": order.id, "amount_minor": payment.amount_minor}, note=note)
    orders.mark_paid(session, actor=actor, order_id=order.id, reason=note[:500], now=now)


@atomic
def _restore_order(session: Session, *, actor: Actor, payment_id: int, note: str, now: datetime) -> None:
    """The order was cancelled but its money came (a transfer confirmed afterwards): the order goes back
    to paid with its stock taken again, and the payment is credited — one transaction, all or nothing."""
    payment, order = _locked(session, payment_id, OrderStatus.cancelled)
    if payment.refunded_minor:
        raise DomainError("payment.cannot_apply", f"payment {payment_id} was partly refunded")
    _mark_credited(session, payment, now)
    entry = audit.entry_values(actor=actor, action="payment.restore_order", entity="payment", entity_id=payment_id,
                               after={"order_id": order.id, "amount_minor": payment.amount_minor}, note=note)
    orders.restore_paid_order(session, actor=actor, order=order, reason=note[:500], audit_entry=entry, now=now)
    session.commit()


def resolve_payment_letter(session: Session, *, actor: Actor, dead_letter_id: int,
                           action: Literal["apply", "restore", "refund", "dismiss"], note: str,
                           now: datetime | None = None) -> DeadLetterOut:
    """Resolve a payment that was not credited: credit it to its order (``apply``; ``restore`` for an
    order cancelled meanwhile: back to paid if its stock is still there), refund it, or dismiss it;
    a reason is always required; audited. The money step has its own once-only guard (the payment's
    status, the refund reservation), so two admins pressing at once move money once."""
    require(actor, Perm.payments_manage)
    now = now or utcnow()
    if not (note or "").strip():
        raise ValidationFailed("payment.reason_required", "a reason is required")
    letter = session.get(DeadLetter, dead_letter_id)
    session.rollback()
    if letter is None:
        raise NotFound("dead_letter", dead_letter_id)
    if letter.resolved_at is not None:
        raise DomainError("dead_letter.already_resolved", "already resolved")
    payment_id = (letter.payload or {}).get("payment_id")
    resolution = DeadLetterResolution.dismissed
    if action in ("apply", "restore", "refund"):
        if letter.provider not in PROVIDERS or not payment_id:
            raise DomainError("payment.dead_letter_not_payment", "not about a payment")
        payment = session.get(Payment, payment_id)
        session.rollback()
        if action == "apply":
            _credit_by_hand(session, actor=actor, payment_id=payment_id, note=note.strip(), now=now)
            resolution = DeadLetterResolution.applied
        elif action == "restore":
            _restore_order(session, actor=actor, payment_id=payment_id, note=note.strip(), now=now)
            resolution = DeadLetterResolution.applied
        else:
            refund_payment(session, actor=actor, order_id=payment.order_id, payment_id=payment_id, reason=note.strip(),
                           now=now)
            resolution = DeadLetterResolution.refunded
    elif action != "dismiss":
        raise ValidationFailed("dead_letter.bad_resolution", f"unknown action {action!r}")
    return resolve_dead_letter(session, actor=actor, dead_letter_id=dead_letter_id, resolution=resolution,
                               note=note, now=now)
