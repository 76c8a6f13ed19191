"""Manual transfers (PA1): the customer attaches a screenshot of the payment; staff confirm it
(the order is paid through the same once-only path as any provider) or reject it with a reason.
Both decisions are audited and happen once (a conditional UPDATE on the proof)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from integrations.ports.payment import ProviderPayment
from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.orders import Order, OrderStatus
from smo_app.models.payments import Payment, PaymentProof, PaymentProvider, PaymentStatus
from smo_app.models.staff import Role, Staff
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, can, require
from smo_app.services.core.tx import atomic
from smo_app.services.messaging.outbox import enqueue_staff_alert
from smo_app.services.payments.core import apply_provider_payment, start_payment
from smo_app.services.payments.dto import ApplyOut, PaymentOut

MAX_PROOF_BYTES = 5 * 1024 * 1024
NOTE_MAX = 500
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def sniff_image(content: bytes) -> str | None:
    """The image type from the file's first bytes (never from the name or the browser's claim)."""
    for magic, kind in _SIGNATURES:
        if content.startswith(magic):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def checked_image(content: bytes) -> str:
    """The screenshot's image type; refuses a missing file, one too large, or one that is not a JPEG,
    PNG or WebP by its bytes (``payment.proof_missing``, ``payment.proof_too_large``,
    ``payment.proof_bad_type``). Also a booking's deposit screenshot (``bookings.deposit_proofs``)."""
    if not content:
        raise ValidationFailed("payment.proof_missing", "no file")
    if len(content) > MAX_PROOF_BYTES:
        raise ValidationFailed("payment.proof_too_large", "file too large", max_mb=MAX_PROOF_BYTES // (1024 * 1024))
    kind = sniff_image(content)
    if kind is None:
        raise ValidationFailed("payment.proof_bad_type", "not an image")
    return kind


def submit_proof(session: Session, *, actor: Actor, order_id: int, filename: str, content: bytes,
                 settings=None, now: datetime | None = None) -> PaymentOut:
    """Attach the customer's screenshot to the order's manual payment (started if needed); staff are
    told. A new screenshot replaces one not decided yet. Raises ``payment.proof_missing``,
    ``payment.proof_too_large``, ``payment.proof_bad_type``, ``payment.already_decided`` and the
    errors of :func:`start_payment`."""
    kind = checked_image(content)
    payment = start_payment(session, actor=actor, order_id=order_id, provider=PaymentProvider.manual,
                            settings=settings, now=now)
    return _store_proof(session, actor=actor, payment_id=payment.id, filename=filename, kind=kind, content=content,
                        now=now or utcnow())


@atomic
def _store_proof(session: Session, *, actor: Actor, payment_id: int, filename: str, kind: str, content: bytes,
                 now: datetime) -> PaymentOut:
    payment = session.get(Payment, payment_id, with_for_update=True)
    # then its order, as a decision and a provider's credit do (payment, then order): the auto-cancel
    # job locks the order before it looks for a screenshot, so one of them waits for the other
    order = session.exec(select(Order).where(Order.id == payment.order_id).with_for_update()
                         .execution_options(populate_existing=True)).first()
    proof = session.exec(select(PaymentProof).where(PaymentProof.payment_id == payment_id)).first()
    if (proof is not None and proof.decided_at is not None) or payment.status != PaymentStatus.pending.value:
        raise DomainError("payment.already_decided", "already decided")
    if order is None or order.status != OrderStatus.new:
        raise DomainError("payment.order_not_payable", "the order no longer waits for payment",
                          status=order.status if order is not None else "")
    if proof is None:
        proof = PaymentProof(payment_id=payment_id, filename="", content_type="", content=b"")
    proof.filename, proof.content_type, proof.content, proof.uploaded_at = (filename or "proof")[:200], kind, content, now
    session.add(proof)
    session.flush()
    audit.record(session, actor=actor, action="payment.proof", entity="payment", entity_id=payment_id,
                 after={"order_id": payment.order_id, "bytes": len(content)})
    order_id = payment.order_id
    enqueue_staff_alert(session, kind="payment_proof", roles=(Role.owner, Role.admin, Role.manager), order_id=order_id,
                        dedupe_key=f"payment-proof:{payment_id}:{int(now.timestamp())}",
                        text=lambda lang: t("payment.alert.proof", lang, order=order_id))
    out = PaymentOut.of(payment)
    session.commit()
    return out


def stored_screenshot(session: Session, *, actor: Actor, perm: Perm, key_column, key: int,
                      entity: str) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the screenshot whose ``key_column`` is ``key``, for staff
    allowed ``perm`` (a payment's; a booking's deposit's, ``bookings.deposit_proofs``)."""
    require(actor, perm)
    proof = session.exec(select(key_column.class_).where(key_column == key)).first()
    session.rollback()
    if proof is None:
        raise NotFound(entity, key)
    return proof.filename, proof.content_type, proof.content


def proof_of(session: Session, *, actor: Actor, payment_id: int) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of a payment's screenshot, for staff."""
    return stored_screenshot(session, actor=actor, perm=Perm.orders_view, key_column=PaymentProof.payment_id,
                             key=payment_id, entity="payment_proof")


class OrderProof(BaseModel):
    """The newest manual-transfer screenshot of an order, for the order card (no image bytes)."""

    payment_id: int
    payment_status: str
    amount_minor: int
    currency: str
    filename: str
    uploaded_at: datetime
    decided_at: datetime | None
    decided_by_name: str | None
    decision_note: str | None
    can_decide: bool  # undecided, the payment still pending, and the viewer may manage orders


def order_proof(session: Session, *, actor: Actor, order_id: int) -> OrderProof | None:
    """The order's newest manual payment with a screenshot (None: the customer sent none)."""
    require(actor, Perm.orders_view)
    row = session.execute(
        select(Payment.id, Payment.status, Payment.amount_minor, Payment.currency, PaymentProof.filename,
               PaymentProof.uploaded_at, PaymentProof.decided_at, PaymentProof.decision_note, Staff.full_name,
               Staff.username)
        .join(PaymentProof, PaymentProof.payment_id == Payment.id)
        .outerjoin(Staff, Staff.id == PaymentProof.decided_by)
        .where(Payment.order_id == order_id, Payment.provider == PaymentProvider.manual.value)
        .order_by(PaymentProof.uploaded_at.desc(), Payment.id.desc()).limit(1)).first()
    session.rollback()
    if row is None:
        return None
    (payment_id, status, amount, currency, filename, uploaded_at, decided_at, note, staff_name, staff_login) = row
    return OrderProof(payment_id=payment_id, payment_status=status, amount_minor=amount, currency=currency,
                      filename=filename, uploaded_at=uploaded_at, decided_at=decided_at,
                      decided_by_name=(staff_name or staff_login) if decided_at else None, decision_note=note,
                      can_decide=decided_at is None and status == PaymentStatus.pending.value
                      and can(actor, Perm.orders_manage))


def decision_note(accept: bool, note: str) -> str:
    """A decision's note, trimmed: a rejection needs one (``payment.reason_required``), none is too
    long (``payment.reason_too_long``). Also a booking's deposit screenshot's decision."""
    note = (note or "").strip()
    if not accept and not note:
        raise ValidationFailed("payment.reason_required", "a reason is required")
    if len(note) > NOTE_MAX:
        raise ValidationFailed("payment.reason_too_long", "too long", max=NOTE_MAX)
    return note


@atomic
def decide_manual_payment(session: Session, *, actor: Actor, payment_id: int, accept: bool, note: str = "",
                          now: datetime | None = None) -> ApplyOut:
    """Staff confirm (the order is paid once) or reject (a reason is required) a manual transfer."""
    require(actor, Perm.orders_manage)
    note = decision_note(accept, note)
    # the payment row first, as a screenshot upload takes it (payment, then its proof): a decision
    # and an upload at once queue up instead of deadlocking
    payment = session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    if payment is None:
        raise NotFound("payment", payment_id)
    # the time of the decision is read once the lock is held: a screenshot that got the lock first
    # (and is the one decided on) was never uploaded "after" the decision
    now = now or utcnow()
    if payment.provider != PaymentProvider.manual:
        raise DomainError("payment.not_manual", "not a manual transfer")
    decided_by = actor.id if actor.is_staff else None
    done = session.execute(update(PaymentProof).where(PaymentProof.payment_id == payment_id,
                                                      PaymentProof.decided_at.is_(None))
                           .values(decided_at=now, decided_by=decided_by, decision_note=note or None)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1 or payment.status != PaymentStatus.pending.value:
        raise DomainError("payment.already_decided", "already decided")
    audit.record(session, actor=actor, action="payment.manual_confirm" if accept else "payment.manual_reject",
                 entity="payment", entity_id=payment_id, after={"order_id": payment.order_id}, note=note or None)
    if not accept:
        payment.status, payment.failure, payment.updated_at = PaymentStatus.rejected.value, "payment.manual_rejected", now
        session.add(payment)
        session.commit()
        return ApplyOut(outcome="rejected", payment_id=payment_id, order_id=payment.order_id)
    fact = ProviderPayment(provider=PaymentProvider.manual.value, id=f"manual-{payment_id}", status="succeeded",
                           amount_minor=payment.amount_minor, currency=payment.currency, payment_id=payment_id,
                           order_id=payment.order_id)
    out = apply_provider_payment(session, provider=PaymentProvider.manual.value, fact=fact, now=now, actor=actor)
    session.commit()
    return out
