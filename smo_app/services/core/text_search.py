"""Case-insensitive "contains" in any language on both engines.

Searchable columns that people type into (product names, SKUs and barcodes, customers' names) are
kept folded in ``search_key`` columns (smo_app.text_fold): :func:`folded_contains` compares them with
the folded query by ``LIKE`` — one plain comparison, the same on SQLite and PostgreSQL whatever the
database's locale. :func:`icontains` is for text without such a column (an order's buyer name):
PostgreSQL's ILIKE; on SQLite, whose LIKE folds ASCII only, the usual spellings of the word (as
typed, lower, upper, Capitalised). ``%`` and ``_`` are literal in both.
"""
from __future__ import annotations

from sqlalchemy import or_

from smo_app.text_fold import fold


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


def folded_contains(column, text: str, *, prefix: bool = False):
    """``column`` — a folded search column (``search_key``, see smo_app.text_fold) — contains the
    folded ``text`` (or starts with it). The same answer on SQLite and PostgreSQL, in any language
    and under any database locale."""
    key = escape_like(fold(text))
    return column.like(f"{key}%" if prefix else f"%{key}%", escape="\\")
