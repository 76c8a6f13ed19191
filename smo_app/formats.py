"""Numbers and dates as the viewer's language writes them (Babel's CLDR data): one place for the
screens, the Excel and PDF files and the bot's texts.

* :func:`money` — ``4 727,07 ₽`` (ru) / ``4,727.07 ₽`` (en); whole amounts drop the kopecks;
* :func:`number` — ``1 234,5`` / ``1,234.5``;
* :func:`percent` — a share given in percent points: ``650,3 %`` / ``650.3%``, with a sign on request;
* :func:`day`, :func:`moment`, :func:`day_short` — dates in the viewer's language (the moment in the
  shop's time zone the caller passes); :func:`zone` — a time zone as a person names it.
"""
from __future__ import annotations

import functools
from datetime import date, datetime, tzinfo
from decimal import Decimal

from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_timezone_location
from babel.numbers import format_decimal

LOCALES = {"ru": "ru_RU", "en": "en_US"}
CURRENCY_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€"}
NBSP = "\u00a0"


def locale(lang: str | None) -> str:
    return LOCALES.get((lang or "ru")[:2], "ru_RU")


def number(value: float | int, lang: str = "ru", *, digits: int = 2) -> str:
    """``1234.5`` → ``1 234,5`` (ru) / ``1,234.5`` (en), at most ``digits`` decimals."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale(lang)).replace("\u202f", NBSP)


def money(minor: int, currency: str = "RUB", lang: str = "ru") -> str:
    """``123456`` → ``1 234,56 ₽`` (ru) or ``1,234.56 ₽`` (en); whole amounts drop the kopecks; the
    sign stays with the number (``-50 ₽``). Babel's ``#,##0.00`` / ``#,##0`` with the locale's
    separators, written directly (every order's message carries an amount: Babel's formatter costs
    a tenth of a millisecond a call)."""
    minor = int(minor)
    group, decimal = _separators(locale(lang))
    whole, cents = divmod(abs(minor), 100)
    text = f"{whole:,}".replace(",", group) + (f"{decimal}{cents:02d}" if cents else "")
    return f"{'-' if minor < 0 else ''}{text}{NBSP}{CURRENCY_SYMBOLS.get(currency, currency)}"


@functools.cache
def _separators(locale_name: str) -> tuple[str, str]:
    """The locale's group and decimal separators, as Babel writes ``1 234,50`` (ru) / ``1,234.50`` (en)."""
    probe = format_decimal(Decimal("1234.5"), format="#,##0.00", locale=locale_name).replace("\u202f", NBSP)
    return probe[1], probe[5]


def percent(points: float | int, lang: str = "ru", *, digits: int = 1, signed: bool = False) -> str:
    """``28.94`` (percent points) → ``28,9 %`` (ru) / ``28.9%`` (en); ``signed``: ``+650,3 %``."""
    text = number(abs(points), lang, digits=digits)
    sign = ("-" if points < 0 else "+") if signed and points else ("-" if points < 0 else "")
    return f"{sign}{text}{NBSP}%" if locale(lang).startswith("ru") else f"{sign}{text}%"


def day(value: date, lang: str = "ru") -> str:
    """``2026-11-05`` → ``05.11.2026`` (ru) / ``Nov 5, 2026`` (en)."""
    return format_date(value, format="medium" if not locale(lang).startswith("ru") else "dd.MM.yyyy",
                       locale=locale(lang))


def day_short(value: date, lang: str = "ru") -> str:
    """A chart axis label: ``05.11`` (ru) / ``11/5`` (en)."""
    return format_date(value, format="dd.MM" if locale(lang).startswith("ru") else "M/d", locale=locale(lang))


def moment(value: datetime, lang: str = "ru", tz: tzinfo | None = None) -> str:
    """A stored moment in ``tz`` (the shop's zone): ``05.11.2026 14:30`` / ``Nov 5, 2026, 2:30 PM``."""
    if tz is not None and value.tzinfo is not None:
        value = value.astimezone(tz)
    if locale(lang).startswith("ru"):
        return format_datetime(value, format="dd.MM.yyyy HH:mm", locale=locale(lang))
    return format_datetime(value, format="MMM d, yyyy, h:mm a", locale=locale(lang))


def size(n_bytes: int, lang: str = "ru") -> str:
    """A file size: ``54 091`` bytes → ``52,8 КБ`` / ``52.8 KB``."""
    units = ("Б", "КБ", "МБ", "ГБ") if locale(lang).startswith("ru") else ("B", "KB", "MB", "GB")
    value, unit = float(n_bytes), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{number(value, lang, digits=1 if unit else 0)}{NBSP}{units[unit]}"


def zone(name: str, lang: str = "ru", at: datetime | None = None) -> str:
    """``Europe/Moscow`` → ``Москва, UTC+3`` (ru) / ``Moscow, UTC+3`` (en): the zone's city as the
    language writes it and its offset at ``at`` (now)."""
    try:
        tz = ZoneInfo(name)
    except (KeyError, ValueError):
        return name
    city = get_timezone_location(tz, locale=locale(lang), return_city=True)
    offset = (at or datetime.now(tz)).astimezone(tz).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    hours, rest = divmod(abs(minutes), 60)
    return f"{city}, UTC{'+' if minutes >= 0 else '−'}{hours}" + (f":{rest:02d}" if rest else "")
