"""Russian and English UI text.

Each module in this package (one per area: core, commerce, bot, ui, …) defines ``RU`` and ``EN``
dicts of the same keys. ``t(key, lang, **params)`` formats one; a DomainError's ``code`` is a key.
Russian is the default; an unknown key falls back to Russian, then to the key itself.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

from smo_app.formats import money, number

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


@lru_cache(maxsize=1)
def catalogs() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {"ru": {}, "en": {}}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for lang, attr in (("ru", "RU"), ("en", "EN")):
            table = getattr(module, attr, {})
            clash = set(table) & set(merged[lang])
            if clash:
                raise RuntimeError(f"i18n keys defined twice ({info.name}): {sorted(clash)[:5]}")
            merged[lang].update(table)
    return merged


def normalize_language(lang: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """``lang`` as one of :data:`LANGUAGES` (``en-GB`` → ``en``), else ``default``."""
    lang = (lang or "").lower()[:2]
    return lang if lang in LANGUAGES else (default if default in LANGUAGES else DEFAULT_LANGUAGE)


def t(key: str, lang: str | None = None, **params: Any) -> str:
    lang = normalize_language(lang)
    tables = catalogs()
    text = tables[lang].get(key) or tables[DEFAULT_LANGUAGE].get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def status_text(value: Any, lang: str | None = None) -> Any:
    """An order's stored status (``cancelled``) as the screens name it (``отменён``)."""
    key = f"ui.cust.order_status.{value}"
    out = t(key, lang)
    return value if out == key else out


BOUNDS = frozenset({"min", "max", "available"})  # numbers a refusal names: grouped as the language writes them


def error_params(params: dict[str, Any], lang: str | None = None) -> dict[str, Any]:
    """A refusal's parameters as the viewer reads them: a stored status by its screen name, an
    amount (``max_minor``) in the viewer's money format (as ``max``)."""
    out = dict(params)
    for name, value in params.items():
        if name == "status" or name.endswith("_status"):
            out[name] = status_text(value, lang)
        elif name.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool):
            out[name.removesuffix("_minor")] = money(value, lang=normalize_language(lang))
        elif name in BOUNDS and isinstance(value, int) and not isinstance(value, bool):
            out[name] = number(value, normalize_language(lang), digits=0)  # "10 000 000", not "10000000"
    return out


def error_text(error: Exception, lang: str | None = None) -> str:
    """Translated text for a DomainError (or a generic message for anything else)."""
    code = getattr(error, "code", None)
    if code:
        params = error_params(dict(getattr(error, "params", {})), lang)
        if "reason_code" in params:  # a row-level error inside a batch: its own code, translated too
            params["reason"] = t(params.pop("reason_code"), lang, **params.pop("reason_params", {}) or {})
        return t(code, lang, **params)
    return t("common.unexpected_error", lang)
