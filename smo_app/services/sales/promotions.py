"""Promo codes (CR5) and gift certificates (CR6).

Promo code: case-insensitive, a %, an optional usage limit, optional expiry, optional once per
customer. A use is counted when an order is placed (a conditional UPDATE, so a limit of 5 gives
exactly 5 uses under any concurrency) and given back if that order is cancelled. "Once per
customer" is held by a partial unique index on promo_use, whatever the timing.

Staff edit a code's terms at any time; its text only while no order used it; they delete it only
if no order ever used it (else they switch it off). Editing and deleting lock the code's row, and a
checkout locks it for key share (:func:`find_promo` with ``lock=True``), so a use never points to a
deleted or renamed code: whichever comes second sees the other's result.

Gift certificate: single use. Placing an order reserves it (``active → reserved``, conditional),
payment redeems it, cancelling the order reactivates it.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import delete, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, func, select

from smo_app.models.base import utcnow
from smo_app.models.customer import Customer, customer_display_name
from smo_app.models.orders import Order
from smo_app.models.promotions import CertificateStatus, GiftCertificate, PromoCode, PromoUse
from smo_app.services.core import audit
from smo_app.services.core.paging import page_of
from smo_app.services.core.unique import unique_as
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed, get_or_not_found
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic


def normalize_code(code: str | None) -> str:
    return (code or "").strip().upper()


def _unique_violation(exc: IntegrityError, name: str) -> bool:
    """Whether the database refused a row for the unique index or constraint ``name`` (PostgreSQL
    names it; SQLite names the columns, so ``name`` is matched against the index's columns too)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":
        return getattr(getattr(orig, "diag", None), "constraint_name", None) == name
    return "UNIQUE constraint failed" in str(orig) and _UNIQUE_COLUMNS.get(name, name) in str(orig)


_UNIQUE_COLUMNS = {
    "ix_promo_code_code": "promo_code.code",
    "ix_gift_certificate_code": "gift_certificate.code",
    "uq_promo_use_once_per_customer": "promo_use.promo_id, promo_use.customer_id",
}


def _add_with_code(session: Session, row: PromoCode | GiftCertificate, index: str) -> None:
    """Insert a promo code or certificate; ``promo.code_taken`` if the same code was created
    meanwhile (the unique ``index`` refuses it after the read-only check passed)."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        if not _unique_violation(exc, index):
            raise
        session.rollback()
        raise ValidationFailed("promo.code_taken", f"{row.code} exists", promo=row.code) from exc


def _valid_code(code: str) -> str:
    code = normalize_code(code)
    if not (3 <= len(code) <= 32) or not all(c.isalnum() or c in "-_" for c in code):
        raise ValidationFailed("promo.code_invalid", "3–32 letters, digits, - or _")
    return code


# --------------------------------------------------------------------------- promo codes

class PromoOut(BaseModel):
    id: int
    code: str
    pct: int
    usage_limit: int | None
    used_count: int
    expires_at: datetime | None
    once_per_customer: bool
    active: bool
    orders: int = 0  # orders that used it, cancelled ones included: then it is neither renamed nor deleted


def _promo_out(p: PromoCode, orders: int = 0) -> PromoOut:
    return PromoOut.model_validate(p, from_attributes=True).model_copy(update={"orders": orders})


def _check_terms(pct: int, usage_limit: int | None) -> None:
    if not isinstance(pct, int) or not 1 <= pct <= 100:
        raise ValidationFailed("promo.pct_invalid", "pct 1..100")
    if usage_limit is not None and (not isinstance(usage_limit, int) or usage_limit < 1):
        raise ValidationFailed("promo.limit_invalid", "limit >= 1")


def _orders_using(session: Session, promo_id: int) -> int:
    return session.exec(select(func.count(Order.id)).where(Order.promo_code_id == promo_id)).one()


@atomic
def create_promo(session: Session, *, actor: Actor, code: str, pct: int, usage_limit: int | None = None,
                 expires_at: datetime | None = None, once_per_customer: bool = False) -> PromoOut:
    require(actor, Perm.promotions_manage)
    code = _valid_code(code)
    _check_terms(pct, usage_limit)
    if session.exec(select(PromoCode.id).where(PromoCode.code == code)).first() is not None:
        raise ValidationFailed("promo.code_taken", f"{code} exists", promo=code)
    promo = PromoCode(code=code, pct=pct, usage_limit=usage_limit, expires_at=expires_at,
                      once_per_customer=once_per_customer)
    _add_with_code(session, promo, "ix_promo_code_code")
    audit.record(session, actor=actor, action="promo.create", entity="promo_code", entity_id=promo.id,
                 after={"code": code, "pct": pct, "usage_limit": usage_limit, "expires_at": expires_at,
                        "once_per_customer": once_per_customer})
    session.commit()
    return _promo_out(promo)


def add_personal_promo(session: Session, *, code: str, pct: int, expires_at: datetime | None = None) -> PromoCode:
    """A one-use promo code (a prize handed to one customer), added to the caller's transaction (no
    commit, no permission: the calling use case decides and audits). ``promo.code_taken`` if the
    code exists."""
    code = _valid_code(code)
    _check_terms(pct, None)
    promo = PromoCode(code=code, pct=pct, usage_limit=1, expires_at=expires_at, once_per_customer=True)
    _add_with_code(session, promo, "ix_promo_code_code")
    return promo


@atomic
def set_promo_active(session: Session, *, actor: Actor, promo_id: int, active: bool) -> PromoOut:
    require(actor, Perm.promotions_manage)
    promo = get_or_not_found(session, PromoCode, promo_id, "promo_code")
    audit.record(session, actor=actor, action="promo.set_active", entity="promo_code", entity_id=promo_id,
                 before={"active": promo.active}, after={"active": active})
    promo.active = active
    session.add(promo)
    orders = _orders_using(session, promo_id)
    session.commit()
    return _promo_out(promo, orders)


EDITABLE = ("code", "pct", "usage_limit", "expires_at", "once_per_customer")


def _locked_promo(session: Session, promo_id: int) -> PromoCode:
    """The code's row, locked until commit: a checkout using it (which locks it for key share) waits,
    or has already committed its order."""
    promo = session.get(PromoCode, promo_id, with_for_update=True, populate_existing=True)
    if promo is None:
        raise NotFound("promo_code", promo_id)
    return promo


@atomic
def update_promo(session: Session, *, actor: Actor, promo_id: int, code: str, pct: int,
                 usage_limit: int | None = None, expires_at: datetime | None = None,
                 once_per_customer: bool = False) -> PromoOut:
    """Change a code's terms (discount %, usage limit, expiry, once per customer) and, while no order
    has used it, its text. Raises ``promo.code_in_use`` (renaming a used code), ``promo.code_taken``,
    ``promo.limit_below_used`` and the validation errors of :func:`create_promo`; audited with the
    old and new values of what changed; one commit (nothing when nothing changed)."""
    require(actor, Perm.promotions_manage)
    code = _valid_code(code)
    _check_terms(pct, usage_limit)
    promo = _locked_promo(session, promo_id)
    orders = _orders_using(session, promo_id)
    if usage_limit is not None and usage_limit < promo.used_count:
        raise ValidationFailed("promo.limit_below_used", "limit below uses", used=promo.used_count)
    if code != promo.code:
        if orders or promo.used_count:
            raise DomainError("promo.code_in_use", f"{promo.code} was used", promo=promo.code, orders=orders)
        if session.exec(select(PromoCode.id).where(PromoCode.code == code)).first() is not None:
            raise ValidationFailed("promo.code_taken", f"{code} exists", promo=code)
    wanted = {"code": code, "pct": pct, "usage_limit": usage_limit, "expires_at": expires_at,
              "once_per_customer": bool(once_per_customer)}
    changed = [k for k in EDITABLE if getattr(promo, k) != wanted[k]]
    if not changed:
        session.rollback()
        return _promo_out(promo, orders)
    before = {k: getattr(promo, k) for k in changed}
    for key in changed:
        setattr(promo, key, wanted[key])
    session.add(promo)
    with unique_as(session, "promo_code", "code", lambda: ValidationFailed("promo.code_taken", f"{code} exists",
                                                                           promo=code)):
        session.flush()
    audit.record(session, actor=actor, action="promo.update", entity="promo_code", entity_id=promo_id,
                 before=before, after={k: wanted[k] for k in changed})
    session.commit()
    return _promo_out(promo, orders)


@atomic
def delete_promo(session: Session, *, actor: Actor, promo_id: int) -> str:
    """Delete a code no order ever used (its text is free again); ``promo.in_use`` otherwise — a used
    code is switched off instead, keeping its orders' history. Audited; one commit."""
    require(actor, Perm.promotions_manage)
    promo = _locked_promo(session, promo_id)
    orders = _orders_using(session, promo_id)
    uses = session.exec(select(func.count(PromoUse.id)).where(PromoUse.promo_id == promo_id)).one()
    if orders or uses or promo.used_count:
        raise DomainError("promo.in_use", f"{promo.code} was used", promo=promo.code, orders=max(orders, uses, 1))
    code = promo.code
    audit.record(session, actor=actor, action="promo.delete", entity="promo_code", entity_id=promo_id,
                 before={k: getattr(promo, k) for k in (*EDITABLE, "active")})
    session.delete(promo)
    session.commit()
    return code


def list_promos(session: Session, *, actor: Actor, page: int | None = None, page_size: int = 25) -> list[PromoOut]:
    """Newest first, each with the number of orders that used it; one page (+1 row) when ``page``."""
    require(actor, Perm.promotions_manage)
    newest = page_of(select(PromoCode).order_by(PromoCode.id.desc()), page, page_size).subquery()
    promo = aliased(PromoCode, newest)
    used = (select(func.count(Order.id)).where(Order.promo_code_id == promo.id).correlate(newest)
            .scalar_subquery())
    rows = session.exec(select(promo, used).order_by(promo.id.desc())).all()
    return [_promo_out(p, n) for p, n in rows]


def find_promo(session: Session, *, code: str, customer_id: int | None, now: datetime | None = None,
               lock: bool = False) -> PromoCode:
    """The promo for ``code`` if this customer may use it now; raises ``promo.*`` otherwise. No writes.
    ``lock``: for a checkout that will use it — the row is locked for key share until commit, so it
    cannot be deleted or renamed meanwhile (an edit or delete in progress is waited for)."""
    now = now or utcnow()
    query = select(PromoCode).where(PromoCode.code == normalize_code(code))
    if lock:
        query = query.with_for_update(key_share=True)
    promo = session.exec(query).first()
    if promo is None or not promo.active:
        raise DomainError("promo.not_found", f"no promo {code!r}", promo=normalize_code(code))
    if promo.expires_at is not None and promo.expires_at <= now:
        raise DomainError("promo.expired", f"promo {promo.code} expired", promo=promo.code)
    if promo.usage_limit is not None and promo.used_count >= promo.usage_limit:
        raise DomainError("promo.exhausted", f"promo {promo.code} used up", promo=promo.code)
    if promo.once_per_customer and customer_id is not None:
        used = session.exec(select(PromoUse.id).where(PromoUse.promo_id == promo.id,
                                                      PromoUse.customer_id == customer_id)).first()
        if used is not None:
            raise DomainError("promo.already_used", f"promo {promo.code} already used", promo=promo.code)
    return promo


def consume_promo(session: Session, *, promo: PromoCode, customer_id: int | None, order_id: int,
                  discount_minor: int, now: datetime | None = None) -> None:
    """Count one use for ``order_id``; inside the caller's transaction (no commit).
    Raises ``promo.exhausted`` when a concurrent checkout took the last use, and
    ``promo.already_used`` when a once-per-customer code was used by this customer meanwhile (the
    database's partial unique index on promo_use holds it; the caller's transaction must roll
    back)."""
    table = PromoCode.__table__
    row = session.execute(
        update(table).where(table.c.id == promo.id, table.c.active.is_(True),
                            or_(table.c.usage_limit.is_(None), table.c.used_count < table.c.usage_limit))
        .values(used_count=table.c.used_count + 1).returning(table.c.used_count)
    ).first()
    if row is None:
        raise DomainError("promo.exhausted", f"promo {promo.code} used up", promo=promo.code)
    set_committed_value(promo, "used_count", row[0])
    try:
        session.execute(insert(PromoUse.__table__).values(
            promo_id=promo.id, customer_id=customer_id, order_id=order_id, discount_minor=discount_minor,
            once_per_customer=bool(promo.once_per_customer and customer_id is not None), created_at=now or utcnow()))
    except IntegrityError as exc:  # the unique index: this customer's use was counted meanwhile
        if not _unique_violation(exc, "uq_promo_use_once_per_customer"):
            raise
        raise DomainError("promo.already_used", f"promo {promo.code} already used", promo=promo.code) from exc


def release_promo(session: Session, *, order_id: int) -> None:
    """Give back the use counted for a cancelled order (no commit)."""
    use = session.exec(select(PromoUse).where(PromoUse.order_id == order_id)).first()
    if use is None:
        return
    session.execute(update(PromoCode).where(PromoCode.id == use.promo_id, PromoCode.used_count > 0)
                    .values(used_count=PromoCode.used_count - 1).execution_options(synchronize_session="fetch"))
    session.execute(delete(PromoUse.__table__).where(PromoUse.__table__.c.id == use.id))
    session.expunge(use)


class PromoStats(BaseModel):
    promo: PromoOut
    uses: int
    customers: int
    discount_minor: int


def promo_stats(session: Session, *, actor: Actor, promo_id: int) -> PromoStats:
    require(actor, Perm.promotions_manage)
    promo = get_or_not_found(session, PromoCode, promo_id, "promo_code")
    uses, customers, total = session.exec(
        select(func.count(PromoUse.id), func.count(func.distinct(PromoUse.customer_id)),
               func.coalesce(func.sum(PromoUse.discount_minor), 0)).where(PromoUse.promo_id == promo_id)
    ).one()
    return PromoStats(promo=_promo_out(promo, _orders_using(session, promo_id)), uses=uses, customers=customers,
                      discount_minor=total)


# --------------------------------------------------------------------------- gift certificates

class CertificateOut(BaseModel):
    id: int
    code: str
    face_minor: int
    expires_at: datetime | None
    status: str
    order_id: int | None
    redeemed_by_customer_id: int | None
    redeemed_at: datetime | None
    redeemed_by_name: str = ""  # the customer's name (their @username, else their phone), never "client 11"


def _cert_out(c: GiftCertificate, names: dict[int, str] | None = None) -> CertificateOut:
    out = CertificateOut.model_validate(c, from_attributes=True)
    if names and c.redeemed_by_customer_id in names:
        out.redeemed_by_name = names[c.redeemed_by_customer_id]
    return out


@atomic
def create_certificate(session: Session, *, actor: Actor, face_minor: int, code: str | None = None,
                       valid_days: int | None = 365, now: datetime | None = None) -> CertificateOut:
    require(actor, Perm.promotions_manage)
    if face_minor <= 0:
        raise ValidationFailed("certificate.face_invalid", "face value must be positive")
    code = _valid_code(code) if code else "GIFT-" + secrets.token_hex(4).upper()
    if session.exec(select(GiftCertificate.id).where(GiftCertificate.code == code)).first() is not None:
        raise ValidationFailed("promo.code_taken", f"{code} exists", promo=code)
    now = now or utcnow()
    cert = GiftCertificate(code=code, face_minor=face_minor,
                           expires_at=now + timedelta(days=valid_days) if valid_days else None, created_at=now)
    _add_with_code(session, cert, "ix_gift_certificate_code")
    audit.record(session, actor=actor, action="certificate.create", entity="gift_certificate", entity_id=cert.id,
                 after={"code": code, "face_minor": face_minor, "expires_at": cert.expires_at})
    session.commit()
    return _cert_out(cert)


def list_certificates(session: Session, *, actor: Actor, page: int | None = None,
                      page_size: int = 25) -> list[CertificateOut]:
    """Newest first; one page (+1 row) when ``page``."""
    require(actor, Perm.promotions_manage)
    query = page_of(select(GiftCertificate).order_by(GiftCertificate.id.desc()), page, page_size)
    certs = session.exec(query).all()
    ids = {c.redeemed_by_customer_id for c in certs if c.redeemed_by_customer_id}
    names = {row.id: customer_display_name(row) for row in session.exec(select(Customer).where(Customer.id.in_(ids)))} \
        if ids else {}
    return [_cert_out(c, names) for c in certs]


def find_certificate(session: Session, *, code: str, now: datetime | None = None) -> GiftCertificate:
    """An active, unexpired certificate for ``code``; raises ``certificate.*`` otherwise. No writes."""
    now = now or utcnow()
    cert = session.exec(select(GiftCertificate).where(GiftCertificate.code == normalize_code(code))).first()
    if cert is None or cert.status == CertificateStatus.void:
        raise DomainError("certificate.not_found", f"no certificate {code!r}")
    if cert.status != CertificateStatus.active:
        raise DomainError("certificate.used", f"certificate {cert.code} already used")
    if cert.expires_at is not None and cert.expires_at <= now:
        raise DomainError("certificate.expired", f"certificate {cert.code} expired")
    return cert


def reserve_certificate(session: Session, *, certificate_id: int, order_id: int) -> None:
    """``active → reserved`` for ``order_id`` by a conditional UPDATE (no commit);
    raises ``certificate.used`` if someone else got there first."""
    result = session.execute(update(GiftCertificate).where(GiftCertificate.id == certificate_id,
                                                           GiftCertificate.status == CertificateStatus.active.value)
                             .values(status=CertificateStatus.reserved.value, order_id=order_id))
    if result.rowcount != 1:
        raise DomainError("certificate.used", f"certificate {certificate_id} already used")


def redeem_certificate(session: Session, *, order_id: int, customer_id: int | None, now: datetime) -> None:
    """The order was paid: its reserved certificate is redeemed for good (no commit)."""
    session.execute(update(GiftCertificate).where(GiftCertificate.order_id == order_id,
                                                  GiftCertificate.status == CertificateStatus.reserved.value)
                    .values(status=CertificateStatus.redeemed.value, redeemed_by_customer_id=customer_id,
                            redeemed_at=now))


def reactivate_certificate(session: Session, *, order_id: int) -> None:
    """The order was cancelled: its certificate can be used again (no commit)."""
    session.execute(update(GiftCertificate).where(GiftCertificate.order_id == order_id,
                                                  GiftCertificate.status.in_([CertificateStatus.reserved.value,
                                                            CertificateStatus.redeemed.value]))
                    .values(status=CertificateStatus.active.value, order_id=None,
                            redeemed_by_customer_id=None, redeemed_at=None))
