"""Text as search compares it, in every language and on every database engine.

SQLite's ``lower()``/``LIKE`` fold ASCII only, and PostgreSQL's follow the database's character
type (under the plain ``C`` locale Cyrillic is not folded either), so searchable text is kept folded
in a column of its own (``search_key``, ``phone_key``) written by the model's insert/update events,
and a query is folded the same way before it is compared with ``LIKE``: the answer is the same
whatever the engine or its locale. Folding is Python's ``casefold`` (any script), ``ё`` read as
``е`` (Russian writes both), and runs of white space as one space.
"""
from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")


def fold(*parts: str | None) -> str:
    """``"Свеча  «Лаванда»", "SKU-1"`` → ``"свеча «лаванда» sku-1"``."""
    text = " ".join(p for p in parts if p)
    return _SPACES.sub(" ", text.casefold().replace("ё", "е")).strip()


def digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def phone_key(phone: str | None) -> str:
    """A phone's digits as compared: a Russian number without its country prefix, so ``8 916 …``,
    ``+7 916 …`` and ``916 …`` are one number (``9161234567``); other numbers as their digits."""
    d = digits(phone)
    if len(d) == 11 and d[0] in "78":
        return d[1:]
    return d


def phone_query_keys(text: str) -> tuple[str, str | None]:
    """What a typed phone (or part of one) is looked up by: its digits anywhere in the number, and,
    when it starts as a Russian number does (``8…``, ``+7…``, ``7…``), the rest from the start of
    the national number (``8916`` → ``916…``)."""
    d = digits(text)
    stripped = text.strip()
    if len(d) >= 11 and d[0] in "78":
        return d[1:], None
    if d[:1] in ("7", "8") and (stripped.startswith(("+7", "8", "7"))) and len(d) >= 2:
        return d, d[1:]
    return d, None
