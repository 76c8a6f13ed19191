"""Reconciliation (PA3): ask the providers about payments still pending after N minutes and apply
what they say through the same once-only path as the webhooks (so a webhook and this job racing
each other credit once); give up on payments pending too long. Refunds the provider left pending
are asked about after the same N minutes and confirmed or failed through the refund webhooks' path
(``refund_sync``), once whoever comes first; a pending refund is never given up on (the money may
still go back). Every pass is logged."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlmodel import Session, select

from integrations.http import IntegrationError
from smo_app.models.base import utcnow
from smo_app.models.payments import Payment, PaymentProvider, PaymentStatus, ReconciliationRun, Refund, RefundStatus
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.core.permissions import Perm, require
from smo_app.services.payments import providers
from smo_app.services.payments.core import apply_provider_payment
from smo_app.services.payments.dto import FromRow
from smo_app.services.payments.refund_sync import apply_provider_refund
from smo_app.settings import get_settings

log = logging.getLogger(__name__)
ASKABLE = (PaymentProvider.yookassa.value, PaymentProvider.stripe.value)


class ReconcileOut(FromRow):
    id: int
    started_at: datetime
    finished_at: datetime | None
    checked: int
    applied: int
    expired: int
    errors: int
    refunds_checked: int = 0
    refunds_done: int = 0
    note: str | None


def _expire(session: Session, payment_id: int, now: datetime) -> bool:
    row = session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    if row is None or row.status != PaymentStatus.pending.value:
        session.rollback()
        return False
    row.status, row.failure, row.updated_at = PaymentStatus.canceled.value, "payment.expired", now
    session.add(row)
    session.commit()
    return True


def reconcile_pending(session: Session, *, now: datetime | None = None, after_minutes: int | None = None,
                      expire_minutes: int | None = None, limit: int = 200, settings=None) -> ReconcileOut:
    """One pass (the scheduler runs it every few minutes under a lease). Idempotent."""
    settings = settings or get_settings()
    now = now or utcnow()
    after = timedelta(minutes=after_minutes if after_minutes is not None else settings.payments_reconcile_after_minutes)
    expire = timedelta(minutes=expire_minutes if expire_minutes is not None else settings.payments_expire_after_minutes)
    run = ReconciliationRun(started_at=now)
    session.add(run)
    session.commit()
    run_id = run.id
    count = {"checked": 0, "applied": 0, "expired": 0, "errors": 0, "refunds_checked": 0, "refunds_done": 0}
    due = session.exec(select(Payment.id, Payment.provider, Payment.provider_payment_id, Payment.created_at)
                       .where(Payment.status == PaymentStatus.pending.value, Payment.created_at <= now - after,
                              Payment.provider != PaymentProvider.manual.value)
                       .order_by(Payment.id).limit(limit)).all()
    session.rollback()
    notes: list[str] = []
    for payment_id, provider, provider_payment_id, created_at in due:
        count["checked"] += 1
        with _one_item(session, count, notes, f"#{payment_id}"):
            if provider in ASKABLE and provider_payment_id:
                fact = providers.require_port(provider).get_payment(provider_payment_id)
                if fact.status in ("succeeded", "canceled"):
                    out = apply_provider_payment(session, provider=provider, fact=fact, now=now,
                                                 actor=Actor.system("payments:reconcile"))
                    session.commit()
                    if out.outcome in ("paid", "dead"):
                        count["applied"] += 1
                    elif out.outcome == "canceled":
                        count["expired"] += 1
                    continue
            if created_at <= now - expire and _expire(session, payment_id, now):
                count["expired"] += 1
    _reconcile_refunds(session, now=now, after=after, limit=limit, count=count, notes=notes)
    run = session.get(ReconciliationRun, run_id, populate_existing=True)
    for key, value in count.items():
        setattr(run, key, value)
    run.finished_at = utcnow()
    run.note = "; ".join(notes)[:500] or None
    session.add(run)
    session.commit()
    return ReconcileOut.of(run)


def _reconcile_refunds(session: Session, *, now: datetime, after: timedelta, limit: int, count: dict,
                       notes: list[str]) -> None:
    """Refunds pending at the provider (its refund id stored) for longer than ``after``: ask, apply.
    A refund still waiting for its outbox task (no provider id yet) is the task's to finish."""
    due = session.exec(select(Refund.id, Payment.provider, Refund.provider_refund_id)
                       .join(Payment, Payment.id == Refund.payment_id)
                       .where(Refund.status == RefundStatus.pending.value, Refund.provider_refund_id.is_not(None),
                              Refund.created_at <= now - after, Payment.provider != PaymentProvider.manual.value)
                       .order_by(Refund.id).limit(limit)).all()
    session.rollback()
    for refund_id, provider, provider_refund_id in due:
        count["refunds_checked"] += 1
        with _one_item(session, count, notes, f"refund #{refund_id}"):
            fact = providers.require_port(provider).get_refund(provider_refund_id)  # nothing held meanwhile
            out = apply_provider_refund(session, provider=provider, fact=fact, now=now,
                                        actor=Actor.system("payments:reconcile"))
            session.commit()
            if out.outcome in ("confirmed", "failed"):
                count["refunds_done"] += 1


@contextmanager
def _one_item(session: Session, count: dict, notes: list[str], label: str) -> Iterator[None]:
    """One payment or refund of a pass: a provider that cannot be reached or a refusal is rolled
    back, counted and noted, and the pass goes on with the next."""
    try:
        yield
    except (IntegrationError, DomainError) as exc:
        session.rollback()
        count["errors"] += 1
        notes.append(f"{label}: {exc}"[:120])
        log.warning("reconcile %s: %s", label, exc)


def list_runs(session: Session, *, actor: Actor, limit: int = 50) -> list[ReconcileOut]:
    require(actor, Perm.payments_view)
    rows = session.exec(select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(max(1, min(limit, 500)))).all()
    out = [ReconcileOut.of(r) for r in rows]
    session.rollback()
    return out


def run_now(session: Session, *, actor: Actor, now: datetime | None = None) -> ReconcileOut:
    """A reconciliation pass started from the backoffice (owner, admin)."""
    require(actor, Perm.payments_manage)
    return reconcile_pending(session, now=now)
