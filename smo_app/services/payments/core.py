"""Start a payment for an order, and apply a provider's verified fact exactly once.

* :func:`start_payment` — one payment row per (order, provider, attempt) with an idempotency key
  derived from those ids (unique in the database); the provider is called outside the
  transaction with that key, so a retry — a double tap, a timeout, a 500 — reuses the same row and
  the provider answers the same payment.
* :func:`apply_provider_payment` — the one place money is credited: the payment row is locked,
  moved ``pending → succeeded`` once, then the order goes ``new → paid`` through
  ``orders.mark_paid`` (bonuses final, certificate redeemed, referral reward). Whatever cannot be
  credited — sums or currency differ, the order is cancelled (auto-cancel included) or already
  paid, the order or payment is unknown — is not credited: the payment becomes ``unmatched``, a
  dead letter offers a refund, and owner and admins get a Telegram alert.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import bindparam, func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from integrations.http import IntegrationError, ProviderRejected, idempotency_key
from integrations.ports.payment import CreatePayment, ProviderPayment, Receipt, ReceiptItem
from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.models.orders import Order, OrderChannel, OrderLine, OrderStatus
from smo_app.models.payments import Payment, PaymentProof, PaymentProvider, PaymentStatus
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.shop_config import get_config
from smo_app.services.core.shop_locale import shop_tz
from smo_app.services.core.tx import atomic
from smo_app.services.core.unique import unique_as
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.messaging.outbox import enqueue_staff_alert
from smo_app.services.payments import providers
from smo_app.services.payments.dto import ApplyOut, PaymentOut
from smo_app.services.payments.setup import TransferForOrder, configured, transfer_for_order
from smo_app.services.sales import orders
from smo_app.settings import get_settings

P = PaymentStatus
CREDITED = (P.succeeded.value,)
MONEY_RECEIVED = (P.succeeded.value, P.unmatched.value, P.refunded.value)


# --------------------------------------------------------------------------- starting a payment

def stars_for(total_minor: int, kopecks_per_star: int) -> int:
    """Telegram Stars for an order total (rounded up: the shop never sells below price)."""
    return max(1, -(-total_minor // kopecks_per_star))


def _amount_for(provider: str, order: Order, settings) -> tuple[int, str]:
    if provider == PaymentProvider.stars:
        return stars_for(order.total_minor, settings.stars_kopecks_per_star), "XTR"
    return order.total_minor, settings.currency


def _load_order_for(session: Session, actor: Actor, order_id: int) -> Order:
    order = session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None or (actor.is_customer and order.customer_id != actor.id):
        raise NotFound("order", order_id)
    if not actor.is_customer and not actor.is_system:
        require(actor, Perm.orders_manage)
    return order


@atomic
def _open_payment(session: Session, *, actor: Actor, order_id: int, provider: str, settings, now: datetime) -> Payment:
    order = _load_order_for(session, actor, order_id)
    if order.status != OrderStatus.new or order.total_minor <= 0:
        raise DomainError("payment.order_not_payable", f"order {order_id} is {order.status}", status=order.status)
    amount, currency = _amount_for(provider, order, settings)
    current = session.exec(select(Payment).where(Payment.order_id == order_id, Payment.provider == provider,
                                                 Payment.status == P.pending.value)
                           .order_by(Payment.id.desc())).first()
    if current is not None and (current.amount_minor, current.currency) == (amount, currency):
        session.commit()
        return current  # the same attempt again: the same key, the same provider payment
    if current is not None:  # the order's sum changed since: that attempt is void
        current.status, current.failure, current.updated_at = P.canceled.value, "payment.superseded", now
        session.add(current)
    attempt = session.exec(select(func.count()).select_from(Payment).where(Payment.order_id == order_id)).one() + 1
    row = Payment(order_id=order_id, provider=provider, attempt=attempt, amount_minor=amount, currency=currency,
                  idempotency_key=idempotency_key("payment.create", order_id, provider, attempt),
                  status=P.pending.value, created_at=now, updated_at=now)
    session.add(row)
    with unique_as(session, "payment", "idempotency_key",
                   lambda: DomainError("payment.busy", "another request is starting this payment")):
        session.flush()
    audit.record(session, actor=actor, action="payment.start", entity="payment", entity_id=row.id,
                 after={"order_id": order_id, "provider": provider, "amount_minor": amount, "currency": currency})
    session.commit()
    return row


def receipt_for(session: Session, order: Order, *, vat_code: int, phone: str | None = None,
                email: str | None = None, tax_system_code: int | None = None) -> Receipt | None:
    """A 54-FZ receipt for the order: goods lines after discounts, delivery as a service; sent to the
    phone or e-mail the customer gave at checkout (else their profile's). Returns None when there is
    neither (the caller refuses before the call)."""
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    phone = phone or order.phone or (customer.phone if customer is not None else None) or None
    email = email or (customer.email if customer is not None else None) or None
    if not (phone or email):
        return None
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    items: list[ReceiptItem] = []
    for line in lines:
        items.append(ReceiptItem(description=(line.name or "Товар")[:128], quantity=1, amount_minor=line.total_minor,
                                 vat_code=vat_code))
    if order.delivery_minor:
        items.append(ReceiptItem(description="Доставка", quantity=1, amount_minor=order.delivery_minor,
                                 vat_code=vat_code, payment_subject="service"))
    # discounts paid by promo, certificate and bonuses lower the goods lines, largest first
    off = sum(i.amount_minor for i in items) - order.total_minor
    for item in sorted(items, key=lambda i: -i.amount_minor):
        take = min(off, item.amount_minor)
        item.amount_minor -= take
        off -= take
    items = [i for i in items if i.amount_minor > 0]
    return Receipt(customer_phone=phone, customer_email=email, items=items,
                   tax_system_code=tax_system_code) if items else None


def start_payment(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    provider: str,
    return_url: str | None = None,
    confirmation: str = "redirect",
    email: str | None = None,
    phone: str | None = None,
    settings=None,
    now: datetime | None = None,
) -> PaymentOut:
    """Start paying ``order_id`` with ``provider`` (a method the shop enabled).

    Safe to call again: the same pending attempt (same idempotency key) is reused and the provider
    answers the payment it made the first time. Raises ``payment.method_unavailable``,
    ``payment.order_not_payable``, ``payment.receipt_required`` (fiscal receipts on and no phone
    or e-mail), ``payment.provider_unavailable`` (try again: the same key is reused),
    ``payment.provider_rejected``, ``common.not_found``.
    """
    _stamp, settings = configured(session, settings or get_settings())  # the owner's set-up, env on top
    now = now or utcnow()
    if provider not in providers.enabled_methods(settings):
        raise DomainError("payment.method_unavailable", f"{provider} is not enabled", method=provider)
    port = None if provider == PaymentProvider.manual else providers.require_port(provider)
    row = _open_payment(session, actor=actor, order_id=order_id, provider=provider, settings=settings, now=now)
    if port is None or row.provider_payment_id or row.confirmation_url:
        return PaymentOut.of(row)
    order = session.get(Order, order_id)
    receipt = None
    if provider == PaymentProvider.yookassa and settings.yookassa_receipts:
        receipt = receipt_for(session, order, vat_code=settings.yookassa_vat_code, phone=phone, email=email,
                              tax_system_code=settings.yookassa_tax_system_code)
        if receipt is None:
            session.rollback()
            _failed(session, payment_id=row.id, reason="payment.receipt_required", now=now)
            raise DomainError("payment.receipt_required", "a phone or e-mail is needed for the receipt")
    request = CreatePayment(payment_id=row.id, order_id=order_id, amount_minor=row.amount_minor, currency=row.currency,
                            description=f"Order {order_id}", idempotency_key=row.idempotency_key,
                            return_url=return_url or settings.payments_return_url or settings.public_url,
                            confirmation="qr" if confirmation == "qr" else "redirect", receipt=receipt)
    session.rollback()  # nothing held while the provider answers
    try:
        made = port.create_payment(request)
    except ProviderRejected as exc:
        reason = "payment.receipt_required" if exc.code == "payment.receipt_required" else "payment.provider_rejected"
        _failed(session, payment_id=row.id, reason=reason, now=now)  # staff see why on the payment
        raise DomainError(reason, str(exc)) from exc
    except IntegrationError as exc:
        raise DomainError("payment.provider_unavailable", str(exc)) from exc
    return _remember_provider_payment(session, payment_id=row.id, made=made, now=now)


@atomic
def _failed(session: Session, *, payment_id: int, reason: str, now: datetime) -> None:
    """The provider refused to make the payment (a fiscal receipt it would not take, a bad request):
    the attempt is void and says why on the payment (the next try opens a new one)."""
    session.execute(update(Payment).where(Payment.id == payment_id, Payment.status == P.pending.value,
                                          Payment.provider_payment_id.is_(None))
                    .values(status=P.canceled.value, failure=reason, updated_at=now)
                    .execution_options(synchronize_session=False))
    session.commit()


@atomic
def _remember_provider_payment(session: Session, *, payment_id: int, made: ProviderPayment, now: datetime) -> PaymentOut:
    values = {"confirmation_url": made.confirmation_url, "updated_at": now}
    if made.id:
        values["provider_payment_id"] = made.id
    session.execute(update(Payment).where(Payment.id == payment_id,
                                          (Payment.provider_payment_id.is_(None)) | (Payment.provider_payment_id == made.id))
                    .values(**values).execution_options(synchronize_session=False))
    row = session.get(Payment, payment_id, populate_existing=True)
    out = PaymentOut.of(row)
    session.commit()
    return out


# --------------------------------------------------------------------------- applying a provider's fact

def _locate(session: Session, provider: str, fact: ProviderPayment) -> tuple[Payment, Order, Customer | None] | None:
    """The payment the fact is about, locked together with its order in one statement, with the
    order's customer. While the caller holds them (the session's identity map holds objects only
    weakly) the transition and its subscribers find them there instead of reading them again."""
    row = None
    if fact.id:
        row = session.exec(_locked(Payment.provider == provider, Payment.provider_payment_id == fact.id)).first()
    if row is None and fact.payment_id is not None:
        row = session.exec(_locked(Payment.id == fact.payment_id)).first()
        if row is not None and (row[0].provider != provider or (row[0].provider_payment_id not in (None, fact.id))):
            row = None
    return tuple(row) if row is not None else None


def _locked(*where):
    """``SELECT payment, order, customer … FOR UPDATE OF payment, order`` (the customer is read, not locked)."""
    return (select(Payment, Order, Customer)
            .join(Order, Order.id == Payment.order_id)
            .outerjoin(Customer, Customer.id == Order.customer_id)
            .where(*where)
            .with_for_update(of=[Payment.__table__, Order.__table__])
            .execution_options(populate_existing=True))


_PAYMENT = Payment.__table__


@functools.cache
def _update_payment(columns: tuple[str, ...]):
    """``UPDATE payment SET <columns> … WHERE id = :b_id``, built once per set of columns."""
    return update(_PAYMENT).where(_PAYMENT.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in columns})


def _write_payment(session: Session, payment: Payment, **values) -> None:
    """Write ``values`` to the (locked) payment row with one UPDATE and keep the loaded object in step
    — no unit-of-work flush on the crediting path. A second credited payment for the order still
    fails here, on the partial unique index."""
    session.connection().execute(_update_payment(tuple(values)), {"b_id": payment.id,
                                                                  **{f"b_{k}": v for k, v in values.items()}})
    for key, value in values.items():
        set_committed_value(payment, key, value)


def _alert_text(reason: str, *, payment_id: int | None, order_id: int | None, amount: str, provider: str):
    def render(lang: str) -> str:
        return t("payment.alert.not_credited", lang, reason=t(reason, lang), payment=payment_id or "—",
                 order=order_id or "—", amount=amount, provider=provider)
    return render


def dead_letter_payment(session: Session, *, provider: str, reason: str, fact: ProviderPayment,
                        payment: Payment | None, order_id: int | None, refundable: bool, now: datetime) -> None:
    """Record money that was not credited (no commit): a dead letter and an alert to owner and admins."""
    amount = f"{fact.amount_minor / (1 if fact.currency == 'XTR' else 100):.2f} {fact.currency}"
    record_dead_letter(session, provider=provider, kind="payment", reason=reason,
                       reference=str(payment.id) if payment is not None else fact.id,
                       detail=f"{provider} payment {fact.id}: {amount}, order {order_id}",
                       payload={"payment_id": payment.id if payment is not None else None, "order_id": order_id,
                                "provider_payment_id": fact.id, "amount_minor": fact.amount_minor,
                                "currency": fact.currency, "refundable": refundable},
                       now=now)
    enqueue_staff_alert(session, kind="payment_not_credited",
                        text=_alert_text(reason, payment_id=payment.id if payment else None, order_id=order_id,
                                         amount=amount, provider=provider),
                        dedupe_key=f"payment-dead:{provider}:{fact.id}", order_id=order_id)


def apply_provider_payment(session: Session, *, provider: str, fact: ProviderPayment,
                           now: datetime | None = None, actor: Actor | None = None) -> ApplyOut:
    """Apply what the provider says about a payment, once. No commit of its own when nothing is
    credited (the caller commits: the webhook inbox, reconciliation); crediting commits with the
    order transition. Safe to run any number of times, concurrently, from webhooks and reconciliation."""
    now = now or utcnow()
    other = providers.other_payer(session, provider=provider, provider_payment_id=fact.id, reference=fact.reference)
    if other is not None:  # not an order's payment (a booking's deposit): its payer applies it
        return other(session, provider=provider, fact=fact, now=now)
    actor = actor or Actor.system(f"payments:{provider}")
    located = _locate(session, provider, fact)
    payment, order, _customer = located if located is not None else (None, None, None)
    if payment is None:
        order = session.get(Order, fact.order_id) if fact.order_id is not None else None
        if fact.status != "succeeded":
            return ApplyOut(outcome="ignored", reason="payment.unknown")
        dead_letter_payment(session, provider=provider, reason="payment.unknown_order", fact=fact, payment=None,
                            order_id=order.id if order else None, refundable=True, now=now)
        return ApplyOut(outcome="dead", reason="payment.unknown_order")
    if payment.provider_payment_id is None and fact.id:
        payment.provider_payment_id = fact.id
    if fact.status != "succeeded":
        if fact.status == "canceled" and payment.status == P.pending.value:
            payment.status, payment.failure, payment.updated_at = P.canceled.value, (fact.cancellation_reason or "canceled")[:64], now
            session.add(payment)
            session.flush()
            return ApplyOut(outcome="canceled", payment_id=payment.id, order_id=payment.order_id)
        session.add(payment)
        session.flush()
        return ApplyOut(outcome="ignored", payment_id=payment.id, order_id=payment.order_id)
    if payment.status in MONEY_RECEIVED:
        return ApplyOut(outcome="already", payment_id=payment.id, order_id=payment.order_id)
    reason = None
    if (fact.amount_minor, fact.currency.upper()) != (payment.amount_minor, payment.currency.upper()):
        reason = "payment.amount_mismatch"
    elif order is None:
        reason = "payment.unknown_order"
    elif order.status == OrderStatus.cancelled:
        reason = "payment.order_cancelled"
    elif order.status != OrderStatus.new:
        reason = "payment.order_already_paid"
    elif payment.currency != "XTR" and payment.amount_minor != order.total_minor:
        reason = "payment.amount_mismatch"
    if reason is not None:
        payment.status, payment.failure, payment.paid_at, payment.updated_at = P.unmatched.value, reason, now, now
        session.add(payment)
        dead_letter_payment(session, provider=provider, reason=reason, fact=fact, payment=payment,
                            order_id=payment.order_id, refundable=True, now=now)
        audit.record(session, actor=actor, action="payment.not_credited", entity="payment", entity_id=payment.id,
                     after={"reason": reason, "amount_minor": fact.amount_minor, "currency": fact.currency})
        session.flush()
        return ApplyOut(outcome="dead", payment_id=payment.id, order_id=payment.order_id, reason=reason)
    _write_payment(session, payment, status=P.succeeded.value, failure=None, paid_at=now, updated_at=now,
                   provider_payment_id=payment.provider_payment_id)
    credit = audit.entry_values(actor=actor, action="payment.credit", entity="payment", entity_id=payment.id,
                                after={"order_id": payment.order_id, "amount_minor": payment.amount_minor,
                                       "currency": payment.currency})
    orders.credit_payment(session, actor=actor, order=order, reason=f"{provider}:{fact.id}"[:500], now=now,
                          audit_entry=credit)
    return ApplyOut(outcome="paid", payment_id=payment.id, order_id=payment.order_id)


# --------------------------------------------------------------------------- reading

def with_proofs(session: Session, rows) -> list[PaymentOut]:
    """``PaymentOut`` of ``rows``, each manual transfer with its screenshot's state (one query)."""
    manual = [r.id for r in rows if r.provider == PaymentProvider.manual.value]
    proofs = dict(session.execute(select(PaymentProof.payment_id, PaymentProof.decided_at)
                                  .where(PaymentProof.payment_id.in_(manual))).all()) if manual else {}
    out = []
    for row in rows:
        item = PaymentOut.of(row)
        if row.id in proofs:
            item.proof = ("waiting" if proofs[row.id] is None
                          else "accepted" if row.status in MONEY_RECEIVED else "rejected")
        out.append(item)
    return out


def _order_payments(session: Session, actor: Actor, order_id: int) -> tuple[Order, list[PaymentOut]]:
    """The order (the customer's own, or staff who see orders) and its payments, newest first."""
    order = session.get(Order, order_id)
    if order is None or (actor.is_customer and order.customer_id != actor.id):
        raise NotFound("order", order_id)
    if not actor.is_customer and not actor.is_system:
        require(actor, Perm.orders_view)
    rows = session.exec(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id.desc())).all()
    return order, with_proofs(session, rows)


def payments_for_order(session: Session, *, actor: Actor, order_id: int) -> list[PaymentOut]:
    """The order's payments, newest first (the customer's own order, or staff who see orders)."""
    _order, out = _order_payments(session, actor, order_id)
    session.rollback()
    return out


class PaymentViewOut(BaseModel):
    """What the customer's payment step shows: the order's status and its latest payment, the
    screenshot waiting for staff (kept when the order is opened again), and until when the order
    waits for payment (None once money is on its way: the order is not cancelled under it)."""

    order_id: int
    order_status: str
    total_minor: int
    methods: list[str]
    latest: PaymentOut | None
    proof_waiting: PaymentOut | None = None
    pay_by: datetime | None = None
    pay_by_local: str = ""  # "HH:MM" (with the date when not today) in the shop's time zone
    minutes_left: int = 0
    auto_cancel_minutes: int = 0
    transfer: TransferForOrder | None = None  # where to send a transfer (the shop entered it; manual enabled)


def pay_by_local(moment: datetime, now: datetime, tz) -> str:
    """When the order stops waiting, as the customer reads it: the shop's local time, with the date
    when that is not today there."""
    local, today = moment.astimezone(tz), now.astimezone(tz)
    return local.strftime("%H:%M") if local.date() == today.date() else local.strftime("%d.%m %H:%M")


def payment_view(session: Session, *, actor: Actor, order_id: int, settings=None,
                 now: datetime | None = None) -> PaymentViewOut:
    """The customer's own order (or staff): status, methods the shop enabled, the latest payment,
    a screenshot waiting for staff, and until when the order waits for payment."""
    _stamp, settings = configured(session, settings or get_settings())
    now = now or utcnow()
    order, shown = _order_payments(session, actor, order_id)
    waiting = next((p for p in shown if p.proof == "waiting" and p.status == P.pending.value), None)
    minutes = get_config(session).auto_cancel_minutes
    in_flight = order.status != OrderStatus.new or session.exec(
        select(Order.id).where(Order.id == order_id, orders.money_in_flight())).first() is not None
    methods = providers.enabled_methods(settings)
    out = PaymentViewOut(order_id=order_id, order_status=order.status, total_minor=order.total_minor,
                         methods=methods, latest=shown[0] if shown else None,
                         transfer=transfer_for_order(session, order_id) if PaymentProvider.manual in methods else None,
                         proof_waiting=waiting, auto_cancel_minutes=minutes,
                         pay_by=None if in_flight or order.channel != OrderChannel.storefront
                         else order.created_at + timedelta(minutes=minutes))
    if out.pay_by is not None:
        out.pay_by_local = pay_by_local(out.pay_by, now, shop_tz(session))
        out.minutes_left = max(0, -(-int((out.pay_by - now).total_seconds()) // 60))
    session.rollback()
    return out
