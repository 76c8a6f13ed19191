"""What a provider says about a refund, applied once — whoever brings the news: a refund webhook
(Stripe's ``refund.*`` / ``charge.refund.updated`` / ``charge.refunded``, YooKassa's
``refund.succeeded`` once fetched back), or reconciliation asking about refunds still pending.

:func:`apply_provider_refund` locks the refund row and acts only while it is ``pending``:
``succeeded`` goes through :func:`refunds.confirm_refund` (the order's refunded money and the
loyalty ledger follow, once), ``canceled`` through :func:`refunds.fail_refund` (the reservation is
released, a dead letter and an alert). Anything else — a replay, a second event about the same
refund, reconciliation racing the webhook — finds the refund no longer pending and changes nothing.

A refund the shop does not know (made in the provider's dashboard) that has gone through is a dead
letter (``payment.refund_unknown``, one per provider refund) with an alert to owner and admins;
nothing else changes — the order and the ledger are for staff to settle.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session, select

from integrations.ports.payment import PaymentNotification, ProviderRefund
from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.integrations import DeadLetter
from smo_app.models.payments import Payment, Refund, RefundStatus
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.core.locks import xact_lock
from smo_app.services.integrations.dead_letters import record_dead_letter
from smo_app.services.messaging import outbox_tasks
from smo_app.services.messaging.outbox import enqueue_staff_alert, enqueue_task
from smo_app.services.payments import providers
from smo_app.services.payments.refunds import TASK_POLICY, canceled_error, confirm_refund, fail_refund

UNKNOWN = "payment.refund_unknown"
CHECK_TASK = "payment.refund_check"  # ask the provider about a payment's pending refunds
PENDING = RefundStatus.pending.value


class RefundApplyOut(BaseModel):
    outcome: Literal["confirmed", "failed", "pending", "already", "unknown"]
    refund_id: int | None = None
    order_id: int | None = None


def apply_provider_refund(session: Session, *, provider: str, fact: ProviderRefund, now: datetime | None = None,
                          actor: Actor | None = None, webhook_event_id: int | None = None) -> RefundApplyOut:
    """Apply the provider's word on a refund, once (no commit: the webhook inbox or reconciliation
    commits). Raises ``payment.refund_mismatch`` when the provider's amount or currency is not the
    refund's (nothing changes; the inbox dead-letters the event, reconciliation logs an error)."""
    now = now or utcnow()
    actor = actor or Actor.system(f"payments:{provider}")
    refund = _locate(session, provider, fact)
    if refund is None and providers.other_payer(session, provider=provider, provider_payment_id=fact.payment_id):
        return RefundApplyOut(outcome="already")  # a booking's deposit: recorded when it was refunded
    if refund is None:
        if fact.status == "succeeded":
            _dead_letter_unknown(session, provider=provider, fact=fact, now=now, webhook_event_id=webhook_event_id)
        return RefundApplyOut(outcome="unknown")
    out = dict(refund_id=refund.id, order_id=refund.order_id)
    if refund.status != PENDING:
        return RefundApplyOut(outcome="already", **out)
    payment = session.get(Payment, refund.payment_id, populate_existing=True)
    if fact.amount_minor is not None and (fact.amount_minor, fact.currency.upper()) != (
            refund.amount_minor, payment.currency.upper()):
        raise DomainError("payment.refund_mismatch",
                          f"{provider} refund {fact.id}: {fact.amount_minor} {fact.currency}, "
                          f"refund #{refund.id} is {refund.amount_minor} {payment.currency}")
    if fact.status == "succeeded":
        confirm_refund(session, refund_id=refund.id, actor=actor, provider_refund_id=fact.id, now=now)
        return RefundApplyOut(outcome="confirmed", **out)
    if fact.status == "canceled":
        refund.provider_refund_id = fact.id
        fail_refund(session, refund, payment, canceled_error(fact.failure_reason))
        session.flush()
        return RefundApplyOut(outcome="failed", **out)
    return RefundApplyOut(outcome="pending", **out)


def _locate(session: Session, provider: str, fact: ProviderRefund) -> Refund | None:
    """Our refund row for the provider's refund, locked (FOR UPDATE) and freshly read.

    By the provider's refund id; else — the provider may have acted before the shop stored that id:
    the outbox task is between its call and its commit, or retries after a "result unknown" answer —
    the pending refund of the same payment and amount still without an id is this one. Waiting for
    its lock lets an in-flight task finish first. Only a final answer is matched that way (a pending
    one is left for the task, which stores the id itself)."""
    by_id = (select(Refund.id).join(Payment, Payment.id == Refund.payment_id)
             .where(Payment.provider == provider, Refund.provider_refund_id == fact.id))
    found = session.exec(by_id).first()
    if found is None and fact.status != "pending" and fact.amount_minor is not None and fact.payment_id:
        candidates = session.exec(
            select(Refund.id).join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.provider == provider, Payment.provider_payment_id == fact.payment_id,
                   Refund.status == PENDING, Refund.provider_refund_id.is_(None),
                   Refund.amount_minor == fact.amount_minor)
            .order_by(Refund.id)).all()
        for candidate in candidates:
            row = session.get(Refund, candidate, with_for_update=True, populate_existing=True)
            if row.provider_refund_id == fact.id or (row.provider_refund_id is None and row.status == PENDING):
                return row
        found = session.exec(by_id).first()  # stored by the task while this waited
    if found is None:
        return None
    return session.get(Refund, found, with_for_update=True, populate_existing=True)


def _dead_letter_unknown(session: Session, *, provider: str, fact: ProviderRefund, now: datetime,
                         webhook_event_id: int | None) -> None:
    """One dead letter and one alert per provider refund, however many events tell of it (a named
    lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite, holds the check-then-write)."""
    xact_lock(session, f"{UNKNOWN}:{provider}:{fact.id}")
    seen = session.exec(select(DeadLetter.id).where(DeadLetter.provider == provider, DeadLetter.kind == "refund",
                                                    DeadLetter.reason == UNKNOWN,
                                                    DeadLetter.reference == fact.id[:128])).first()
    if seen is not None:
        return
    payment = session.exec(select(Payment).where(Payment.provider == provider,
                                                 Payment.provider_payment_id == fact.payment_id)).first() \
        if fact.payment_id else None
    order_id = payment.order_id if payment is not None else None
    amount = "—" if fact.amount_minor is None else \
        f"{fact.amount_minor / (1 if fact.currency == 'XTR' else 100):.2f} {fact.currency}"
    # no "payment_id" in the payload: the backoffice offers no refund of a payment for this letter
    record_dead_letter(session, provider=provider, kind="refund", reason=UNKNOWN, reference=fact.id,
                       detail=f"{provider} refund {fact.id} of payment {fact.payment_id or '—'} "
                              f"(#{payment.id if payment else '—'}): {amount}, order {order_id or '—'}",
                       payload={"order_id": order_id, "provider_payment_id": fact.payment_id,
                                "provider_refund_id": fact.id, "amount_minor": fact.amount_minor,
                                "currency": fact.currency, "refundable": False},
                       webhook_event_id=webhook_event_id, now=now)
    enqueue_staff_alert(session, kind="payment_refund_unknown", order_id=order_id,
                        dedupe_key=f"refund-unknown:{provider}:{fact.id}"[:100],
                        text=lambda lang: t("payment.alert.refund_unknown", lang, provider=provider, amount=amount,
                                            order=order_id or "—", refund=fact.id))


def apply_refund_notice(session: Session, *, provider: str, notice: PaymentNotification,
                        webhook_event_id: int | None = None) -> list[RefundApplyOut]:
    """The webhook inbox's branch for refund notices (no commit): each refund the notice carries;
    when it only names the payment (Stripe's ``charge.refunded`` without its refund list), an outbox
    task asks the provider about that payment's pending refunds after commit (the handler of a
    signed event makes no outside call)."""
    outs = [apply_provider_refund(session, provider=provider, fact=fact, webhook_event_id=webhook_event_id)
            for fact in notice.refunds]
    if notice.recheck_refunds_of:
        enqueue_task(session, kind=CHECK_TASK, payload={"provider": provider,
                                                        "provider_payment_id": notice.recheck_refunds_of},
                     dedupe_key=f"refund-check:{provider}:{notice.event_id}"[:128])
    return outs


def run_refund_check_task(session: Session, task: outbox_tasks.Task) -> None:
    """The outbox task: ask the provider about each refund of the payment still pending there and
    apply the answer once (no commit: the task worker commits). Unavailability raises to retry."""
    provider, provider_payment_id = task.payload["provider"], task.payload["provider_payment_id"]
    asked = session.exec(
        select(Refund.provider_refund_id).join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.provider == provider, Payment.provider_payment_id == provider_payment_id,
               Refund.status == PENDING, Refund.provider_refund_id.is_not(None))
        .order_by(Refund.id)).all()
    for provider_refund_id in asked:
        apply_provider_refund(session, provider=provider,
                              fact=providers.require_port(provider).get_refund(provider_refund_id))


def install() -> None:
    outbox_tasks.register_task_handler(CHECK_TASK, run_refund_check_task, TASK_POLICY)
