"""The one parser of ``ID qty`` text (one line per item) → typed lines: the warehouse's write-off
and count forms, and — with a third column, the price per unit — the B2B entry form
(``ID qty price``). An adapter for screens: services take typed lines, never text.

Blank lines and ``#`` comments are skipped; ``:`` and ``;`` may separate the columns.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from smo_app.money import parse_money
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.stock.adjustments import MAX_STOCK_QTY, RowError, StockLine, reject


class PricedLine(StockLine):
    """A line with its price per unit, in kopecks (``ID qty price``)."""

    unit_price_minor: int


class ParsedLines(BaseModel):
    lines: list[StockLine] = Field(default_factory=list)  # PricedLine when parsed ``priced``
    errors: list[RowError] = Field(default_factory=list)


def parse_lines(text: str, *, priced: bool = False) -> ParsedLines:
    """Each line becomes a :class:`StockLine` (``row`` = its line number) or a :class:`RowError`
    with code ``stock.line_format`` (not two numbers; three with ``priced``) or ``stock.line_qty``
    (the quantity is not a whole number). ``priced``: the third column is the price per unit in
    rubles (``1500``, ``1500,50``) → :class:`PricedLine` (``stock.line_price`` if it is not an
    amount). Whether a quantity or a price is allowed (> 0, ≥ 0) is the service's rule."""
    out = ParsedLines()
    for no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(":", " ").replace(";", " ").split()
        if len(parts) != (3 if priced else 2) or not parts[0].isdigit():
            out.errors.append(RowError(row=no, code="stock.line_format"))
        elif not parts[1].lstrip("-").isdigit():
            out.errors.append(RowError(row=no, code="stock.line_qty"))
        elif abs(int(parts[1])) > MAX_STOCK_QTY:
            out.errors.append(RowError(row=no, code="stock.line_qty_range", params={"max": MAX_STOCK_QTY}))
        elif not priced:
            out.lines.append(StockLine(row=no, variant_id=int(parts[0]), qty=int(parts[1])))
        else:
            try:
                price = parse_money(parts[2])
            except ValueError:
                out.errors.append(RowError(row=no, code="stock.line_price"))
                continue
            out.lines.append(PricedLine(row=no, variant_id=int(parts[0]), qty=int(parts[1]), unit_price_minor=price))
    return out


def lines_from_text(text: str) -> list[StockLine]:
    """The typed lines of ``text``, or ``stock.batch_rejected`` naming the first bad line
    (``stock.batch_empty`` when there is no line at all)."""
    parsed = parse_lines(text)
    if parsed.errors:
        reject(parsed.errors)
    if not parsed.lines:
        raise ValidationFailed("stock.batch_empty", "no lines")
    return parsed.lines
