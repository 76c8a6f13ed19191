"""Case-insensitive "contains" that also works for Cyrillic on SQLite.

PostgreSQL's ILIKE folds any letter; SQLite's LIKE folds ASCII only, so there we also try the
usual spellings of the word (as typed, lower, upper, Capitalised). ``%`` and ``_`` are literal.
"""
from __future__ import annotations

from sqlalchemy import or_


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def case_variants(text: str) -> set[str]:
    return {text, text.lower(), text.upper(), text[:1].upper() + text[1:].lower()}


def icontains(column, text: str, dialect: str, *, prefix: bool = False):
    """``column`` contains ``text`` (or starts with it, with ``prefix``), ignoring case."""
    def pattern(v: str) -> str:
        return f"{escape_like(v)}%" if prefix else f"%{escape_like(v)}%"

    if dialect == "postgresql":
        return column.ilike(pattern(text), escape="\\")
    return or_(*[column.like(pattern(v), escape="\\") for v in sorted(case_variants(text))])
