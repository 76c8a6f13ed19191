"""What a person typed into a form field → a value, or the refusal that says how to type it.

A screen's service takes the text as typed and reads it here, so the rule ("a whole number", "an
amount in rubles", "a day as YYYY-MM-DD") and its message belong to the service — the same for
every screen — and a state only passes the text on and shows the answer. Each reader raises
``ValidationFailed(code, field=…, **params)`` with the caller's code.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from smo_app.money import parse_money
from smo_app.services.core.errors import ValidationFailed


def _refuse(code: str, text: object, field: str | None, params: dict[str, Any]) -> ValidationFailed:
    where = {"field": field} if field else {}
    errors = [{"field": field, "code": code}] if field else None
    return ValidationFailed(code, f"not readable: {text!r}", errors=errors, **where, **params)


def whole_number(text: object, code: str, *, field: str | None = None, minimum: int | None = None,
                 default: int | None = None, maximum: int | None = None, range_code: str | None = None,
                 **params: Any) -> int:
    """``" 12 "`` → ``12`` (``-3`` too unless ``minimum`` says otherwise); ``""`` → ``default``
    when one is given; anything else refused with ``code``. With ``range_code`` a number outside
    ``minimum``..``maximum`` is refused with it (its message names the bounds: ``min``, ``max``),
    so "abc" and "99 999 999 999" get different answers."""
    raw = str(text if text is not None else "").strip().replace("\u00a0", "").replace(" ", "")
    if not raw and default is not None:
        return default
    if not raw.lstrip("-").isdigit() or raw.count("-") > (1 if raw.startswith("-") else 0):
        raise _refuse(code, text, field, params)
    value = int(raw)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = {"min": minimum, "max": maximum} if range_code else {}
        raise _refuse(range_code or code, text, field, {**params, **bounds})
    return value


def optional_whole_number(text: object, code: str, *, field: str | None = None, minimum: int | None = None,
                          **params: Any) -> int | None:
    """As :func:`whole_number`, but an empty field is ``None`` (no limit, no value)."""
    raw = str(text if text is not None else "").strip()
    return whole_number(raw, code, field=field, minimum=minimum, **params) if raw else None


def amount(text: object, code: str, *, field: str | None = None, **params: Any) -> int:
    """An amount in rubles as typed (``"1 500,50"``) → minor units (``150050``)."""
    try:
        return parse_money(str(text if text is not None else ""))
    except ValueError:
        raise _refuse(code, text, field, params) from None


def amount_text(minor: int) -> str:
    """An amount as a form shows it for editing, the inverse of :func:`amount`: ``300050`` →
    ``3000.50``, ``300000`` → ``3000`` (read back in any language)."""
    return f"{minor / 100:.2f}".removesuffix(".00")


def optional_amount(text: object, code: str, *, field: str | None = None, **params: Any) -> int | None:
    """As :func:`amount`, but an empty field is ``None``."""
    raw = str(text if text is not None else "").strip()
    return amount(raw, code, field=field, **params) if raw else None


def signed_amount(text: object, code: str, *, field: str | None = None, **params: Any) -> int:
    """``"+500"`` / ``"500"`` → ``50000``, ``"-200"`` → ``-20000``."""
    raw = str(text if text is not None else "").strip()
    sign = -1 if raw.startswith("-") else 1
    return sign * amount(raw.lstrip("+-"), code, field=field, **params)


def day(text: object, code: str, *, field: str | None = None, **params: Any) -> date:
    """``"2026-11-30"`` → that date."""
    try:
        return date.fromisoformat(str(text if text is not None else "").strip())
    except ValueError:
        raise _refuse(code, text, field, params) from None


def optional_day(text: object, code: str, *, field: str | None = None, **params: Any) -> date | None:
    raw = str(text if text is not None else "").strip()
    return day(raw, code, field=field, **params) if raw else None
