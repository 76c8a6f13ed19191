"""Secrets the owner enters on a screen (provider tokens), stored encrypted.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived from
``SMO_SECRET_KEY``: a database copy alone does not give the tokens away. Changing the secret key
makes stored secrets unreadable (:func:`decrypt` returns None and the owner enters them again).
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from smo_app.settings import get_settings

_CONTEXT = b"smo.secrets.v1"


def _fernet() -> Fernet:
    secret = get_settings().secret_key.get_secret_value().encode()
    key = hashlib.pbkdf2_hmac("sha256", secret, _CONTEXT, 100_000)
    return Fernet(base64.urlsafe_b64encode(key))


_cache: dict[str, Fernet] = {}


def _cached() -> Fernet:
    secret = get_settings().secret_key.get_secret_value()
    found = _cache.get(secret)
    if found is None:
        _cache.clear()
        found = _cache[secret] = _fernet()
    return found


def encrypt(plain: str) -> str:
    return _cached().encrypt(plain.encode()).decode()


def decrypt(token: str | None) -> str | None:
    """The stored secret, or None (nothing stored, or stored under another secret key)."""
    if not token:
        return None
    try:
        return _cached().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def masked(plain: str | None) -> str:
    """What a screen shows of a secret: its last 4 characters."""
    return f"••••{plain[-4:]}" if plain and len(plain) > 4 else ("••••" if plain else "")
