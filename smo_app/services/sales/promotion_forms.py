"""The promotions page's forms (CR4, CR5): promo codes and gift certificates as the manager types
them — the discount, the usage limit and the days as whole numbers, the face value in rubles, the
expiry as a day (``YYYY-MM-DD``) that runs to the end of that day in the shop's time zone.
"""
from __future__ import annotations

from datetime import datetime, time

from sqlmodel import Session

from smo_app.models.promotions import PromoCode
from smo_app.services.core import shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound
from smo_app.services.core.form_input import amount, optional_day, optional_whole_number, whole_number
from smo_app.services.core.permissions import Perm, require
from smo_app.services.sales import promotions

CERTIFICATE_DAYS = 365  # a certificate's validity when the form leaves the days empty


def _expiry(session: Session, text: str, kept: datetime | None = None) -> datetime | None:
    """The typed day → the end of that day in the shop's time zone; the day ``kept`` already falls
    on keeps that very moment (an unchanged form changes nothing); empty → no expiry."""
    tz = shop_locale.shop_tz(session)
    day = optional_day(text, "promo.expires_invalid", field="expires")
    if day is None:
        return None
    if kept is not None and kept.astimezone(tz).date() == day:
        return kept
    return datetime.combine(day, time(23, 59, 59), tz)


def _terms(pct: str, limit: str) -> dict:
    return {"pct": whole_number(pct, "promo.number_invalid", field="pct", minimum=0),
            "usage_limit": optional_whole_number(limit, "promo.number_invalid", field="limit", minimum=0)}


def create_promo_as_typed(session: Session, *, actor: Actor, code: str, pct: str, limit: str = "", expires: str = "",
                          once_per_customer: bool = False) -> promotions.PromoOut:
    require(actor, Perm.promotions_manage)
    terms = _terms(pct, limit)
    return promotions.create_promo(session, actor=actor, code=code, expires_at=_expiry(session, expires),
                                   once_per_customer=once_per_customer, **terms)


def update_promo_as_typed(session: Session, *, actor: Actor, promo_id: int, code: str, pct: str, limit: str = "",
                          expires: str = "", once_per_customer: bool = False) -> promotions.PromoOut:
    """An empty code keeps the code's text; the stored expiry stays as it is while its day is unchanged."""
    require(actor, Perm.promotions_manage)
    terms = _terms(pct, limit)
    promo = session.get(PromoCode, promo_id)
    if promo is None:
        raise NotFound("promo_code", promo_id)
    current_code, expires_at = promo.code, _expiry(session, expires, kept=promo.expires_at)
    session.rollback()  # update_promo reads the code again, locked
    return promotions.update_promo(session, actor=actor, promo_id=promo_id, code=(code or "").strip() or current_code,
                                   expires_at=expires_at, once_per_customer=once_per_customer, **terms)


def create_certificate_as_typed(session: Session, *, actor: Actor, face: str, code: str = "",
                                days: str = "") -> promotions.CertificateOut:
    require(actor, Perm.promotions_manage)
    face_minor = amount(face, "certificate.face_not_amount", field="face")
    valid_days = optional_whole_number(days, "promo.number_invalid", field="days", minimum=0)
    return promotions.create_certificate(session, actor=actor, face_minor=face_minor, code=(code or "").strip() or None,
                                         valid_days=CERTIFICATE_DAYS if valid_days is None else valid_days)
