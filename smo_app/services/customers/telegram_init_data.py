"""Telegram Mini App ``initData`` verification (pure; no database).

Exactly as Telegram documents it: secret = HMAC-SHA256(key="WebAppData", msg=bot_token); the hash
is HMAC-SHA256(key=secret, msg=data-check-string), the data-check-string being every received
``key=value`` except ``hash``, sorted by key and joined by newlines; compared in constant time;
``auth_date`` not older than the allowed age. Anything else is refused with a DomainError and the
caller must write nothing. (aiogram's helper compares with ``==`` and ignores ``auth_date``.)
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel, ConfigDict, ValidationError

from smo_app.services.core.errors import DomainError

log = logging.getLogger(__name__)

MAX_INIT_DATA_LENGTH = 8192
DEMO_TELEGRAM_ID = 100_000_001  # the demo customer (customers.sessions.sign_in_demo_customer)
FUTURE_SKEW = timedelta(minutes=5)  # clocks differ a little; more than this is not a real auth_date


class TelegramUser(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool | None = None
    photo_url: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()


class TelegramInitData(BaseModel):
    user: TelegramUser
    auth_date: datetime
    start_param: str | None = None
    query_id: str | None = None
    chat_type: str | None = None
    chat_instance: str | None = None


def _refuse(code: str, why: str) -> DomainError:
    log.warning("Mini App sign-in refused: %s", why)
    return DomainError(code, why)


def secret_for(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def verify_init_data(init_data: str, *, bot_token: str, max_age: timedelta, now: datetime) -> TelegramInitData:
    """The verified init data. Raises ``identity.init_data_missing`` (nothing sent),
    ``identity.init_data_invalid`` (malformed, no hash, forged or tampered) or
    ``identity.init_data_expired`` (older than ``max_age``)."""
    if not bot_token:
        raise DomainError("identity.not_configured", "no bot token: Mini App sign-in is off")
    if not init_data or not init_data.strip():
        raise _refuse("identity.init_data_missing", "no init data")
    if len(init_data) > MAX_INIT_DATA_LENGTH:
        raise _refuse("identity.init_data_invalid", "init data too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise _refuse("identity.init_data_invalid", "init data is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise _refuse("identity.init_data_invalid", "a field is repeated")
    received = fields.get("hash", "")
    if not received:
        raise _refuse("identity.init_data_invalid", "no hash")
    expected = hmac.new(secret_for(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.lower().encode()):
        raise _refuse("identity.init_data_invalid", "hash mismatch (forged, tampered or another bot)")
    try:
        auth_date = datetime.fromtimestamp(int(fields.get("auth_date", "")), tz=timezone.utc)
        user = TelegramUser.model_validate(json.loads(fields.get("user", "")))
    except (ValueError, OverflowError, ValidationError, TypeError):
        raise _refuse("identity.init_data_invalid", "auth_date or user missing or malformed") from None
    if auth_date > now + FUTURE_SKEW:
        raise _refuse("identity.init_data_invalid", "auth_date in the future")
    if now - auth_date > max_age:
        raise _refuse("identity.init_data_expired", f"auth_date {auth_date.isoformat()} older than {max_age}")
    return TelegramInitData(user=user, auth_date=auth_date, start_param=fields.get("start_param") or None,
                            query_id=fields.get("query_id"), chat_type=fields.get("chat_type"),
                            chat_instance=fields.get("chat_instance"))


def sign_init_data(fields: dict[str, str], *, bot_token: str) -> str:
    """Init data signed the way Telegram signs it (tests; the shop itself never signs any: a token
    anyone knows would let anyone sign in as anyone)."""
    fields = {k: v for k, v in fields.items() if k != "hash"}
    digest = hmac.new(secret_for(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})
