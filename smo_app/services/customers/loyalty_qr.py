"""The customer's loyalty QR for the POS: a short-lived token signed with the shop's secret key.

``v1.<customer id>.<issued at, unix s>.<signature>`` where the signature is HMAC-SHA256 under a key
derived from ``SMO_SECRET_KEY`` for this purpose only (base64url, 22 chars). It names the customer
but cannot be made up or changed without the key, and stops working after the TTL, so a screenshot
or an old token is useless.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.customer import Customer
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError
from smo_app.services.core.permissions import Perm, require
from smo_app.services.customers.registration import CustomerOut
from smo_app.settings import get_settings

_TOKEN = re.compile(r"^v1\.(\d{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$")
DEFAULT_TTL = timedelta(minutes=5)
FUTURE_SKEW = timedelta(minutes=1)


def _key(secret_key: str | None) -> bytes:
    if secret_key is None:
        secret_key = get_settings().secret_key.get_secret_value()
    return hmac.new(secret_key.encode(), b"smo/loyalty-qr/v1", hashlib.sha256).digest()


def _ttl(ttl: timedelta | None) -> timedelta:
    if ttl is not None:
        return ttl

    return timedelta(seconds=get_settings().loyalty_qr_ttl_seconds)


def _sign(key: bytes, customer_id: int, issued: int) -> str:
    mac = hmac.new(key, f"v1.{customer_id}.{issued}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def issue_loyalty_token(customer_id: int, now: datetime, *, secret_key: str | None = None) -> str:
    if customer_id <= 0:
        raise ValueError("customer id must be positive")
    issued = int(now.timestamp())
    return f"v1.{customer_id}.{issued}.{_sign(_key(secret_key), customer_id, issued)}"


def resolve_loyalty_token(token: str, now: datetime, *, secret_key: str | None = None,
                          ttl: timedelta | None = None) -> int:
    """The customer id, or DomainError ``loyalty.qr_invalid`` (not ours, tampered) /
    ``loyalty.qr_expired`` (older than the TTL)."""
    m = _TOKEN.match((token or "").strip())
    if not m:
        raise DomainError("loyalty.qr_invalid", "not a loyalty token")
    customer_id, issued, signature = int(m.group(1)), int(m.group(2)), m.group(3)
    if not hmac.compare_digest(_sign(_key(secret_key), customer_id, issued), signature):
        raise DomainError("loyalty.qr_invalid", "bad signature")
    age = now.timestamp() - issued
    if age < -FUTURE_SKEW.total_seconds():
        raise DomainError("loyalty.qr_invalid", "issued in the future")
    if age > _ttl(ttl).total_seconds():
        raise DomainError("loyalty.qr_expired", "token expired")
    return customer_id


def customer_for_loyalty_token(session: Session, *, actor: Actor, token: str, now: datetime | None = None) -> CustomerOut:
    """The POS scans a customer's QR: who it is (staff who may look customers up only)."""
    require(actor, Perm.customers_view)
    customer_id = resolve_loyalty_token(token, now or utcnow())
    row = session.get(Customer, customer_id)
    if row is None:
        session.rollback()
        raise DomainError("loyalty.qr_invalid", "no such customer")
    out = CustomerOut.model_validate(row, from_attributes=True)
    session.rollback()
    return out


# --------------------------------------------------------------------------- the card's short code

_CARD_CODE = re.compile(r"^\s*(\d{1,12})\s*-\s*(\d{4})\s*$")


def _card_digits(key: bytes, customer_id: int, window: int) -> str:
    mac = hmac.new(key, f"card.{customer_id}.{window}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:4], 'big') % 10000:04d}"


def card_code(customer_id: int, now: datetime, *, secret_key: str | None = None, ttl: timedelta | None = None) -> str:
    """What the loyalty card shows under its QR for a seller to type when no scanner is at hand:
    ``<customer id>-<4 digits>``, the digits signed with the shop's key for the current period of
    the QR's TTL — short, and as short-lived as the QR (the previous period's code still works, so
    a code read just before the turn is not refused)."""
    if customer_id <= 0:
        raise ValueError("customer id must be positive")
    window = int(now.timestamp() // _ttl(ttl).total_seconds())
    return f"{customer_id}-{_card_digits(_key(secret_key), customer_id, window)}"


def looks_like_card_code(text: str) -> bool:
    return _CARD_CODE.match(text or "") is not None


def resolve_card_code(code: str, now: datetime, *, secret_key: str | None = None, ttl: timedelta | None = None) -> int:
    """The customer id of a card code typed at the POS, or DomainError ``loyalty.code_invalid``."""
    m = _CARD_CODE.match(code or "")
    if not m:
        raise DomainError("loyalty.code_invalid", "not a card code", code=(code or "")[:20])
    customer_id, digits = int(m.group(1)), m.group(2)
    window = int(now.timestamp() // _ttl(ttl).total_seconds())
    key = _key(secret_key)
    if not any(hmac.compare_digest(_card_digits(key, customer_id, w), digits) for w in (window, window - 1)):
        raise DomainError("loyalty.code_invalid", "wrong or expired card code", code=f"{customer_id}-{digits}")
    return customer_id
