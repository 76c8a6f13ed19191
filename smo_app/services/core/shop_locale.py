"""The shop's time zone and language (SE1): the owner's choice on the settings page when there is
one, else the environment (``SMO_SHOP_TIMEZONE``, ``SMO_LANGUAGE``).

Everything that turns a stored UTC moment into a shop day or picks the shop's default language
reads it here. Reading is cheap: one primary-key query per database every :data:`TTL_SECONDS` at
most (a per-process cache), dropped at once in the process that changes the setting; another
process (the bot sidecar, a second web worker) follows within the TTL.

* services: ``shop_tz(session)`` / ``shop_language(session)`` (refresh through their session);
* the event loop (Reflex computed vars, formatting): :func:`cached` — never touches the database,
  the last value read for the app's database (the screens' guards refresh it), else the
  environment's.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlmodel import Session

from smo_app.models.shop import ShopSetting
from smo_app.settings import get_settings

TTL_SECONDS = 10.0
LANGUAGES = ("ru", "en")
KEYS = ("shop_timezone", "language")

_T = ShopSetting.__table__
_READ = select(_T.c.key, _T.c.value).where(_T.c.key.in_(KEYS))
_cache: dict[str, tuple[float, "ShopLocale"]] = {}
_generation = 0
_lock = threading.Lock()


@dataclass(frozen=True)
class ShopLocale:
    timezone: str
    language: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo keeps one instance per key


def valid_timezone(name: str | None) -> bool:
    if not name or not isinstance(name, str):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def env_default() -> ShopLocale:
    s = get_settings()
    return ShopLocale(timezone=s.shop_timezone, language=s.language)


def _key(url) -> str:
    return make_url(url).render_as_string(hide_password=False) if isinstance(url, str) \
        else url.render_as_string(hide_password=False)


def _read(session: Session) -> ShopLocale:
    stored = dict(session.connection().execute(_READ).all())
    default = env_default()
    tz = stored.get("shop_timezone")
    lang = stored.get("language")
    return ShopLocale(timezone=tz if valid_timezone(tz) else default.timezone,
                      language=lang if lang in LANGUAGES else default.language)


def shop_locale(session: Session) -> ShopLocale:
    """The effective time zone and language for ``session``'s database (cached, see the module)."""
    key = _key(session.get_bind().url)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    generation = _generation
    value = _read(session)
    with _lock:
        if generation == _generation:  # not changed meanwhile: the value read is current
            _cache[key] = (now + TTL_SECONDS, value)
    return value


def shop_tz(session: Session) -> ZoneInfo:
    return shop_locale(session).tz


def shop_language(session: Session) -> str:
    return shop_locale(session).language


def cached() -> ShopLocale:
    """Without a session and without waiting: the last value read for the app's database (even past
    its TTL), else the environment's."""
    try:
        hit = _cache.get(_key(get_settings().database_url))
        return hit[1] if hit is not None else env_default()
    except Exception:  # noqa: BLE001 - invalid settings are reported elsewhere; screens stay usable
        return ShopLocale(timezone="Europe/Moscow", language="ru")


def invalidate() -> None:
    """Forget every cached value (the setting changed, or a test starts on a fresh database)."""
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()
