"""The screen's ``ID qty`` text (one line per item) → typed stock lines, for the write-off and
count forms. An adapter for the screen: services take :class:`StockLine` lists, never text.

Blank lines and ``#`` comments are skipped; ``:`` and ``;`` may separate the two numbers.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from smo_app.services.core.errors import ValidationFailed
from smo_app.services.stock.adjustments import RowError, StockLine, reject


class ParsedLines(BaseModel):
    lines: list[StockLine] = Field(default_factory=list)
    errors: list[RowError] = Field(default_factory=list)


def parse_lines(text: str) -> ParsedLines:
    """Each line becomes a :class:`StockLine` (``row`` = its line number) or a :class:`RowError`
    with code ``stock.line_format`` (not two numbers) or ``stock.line_qty`` (the quantity is not a
    whole number). Whether a quantity is allowed (> 0, ≥ 0) is the service's rule."""
    out = ParsedLines()
    for no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(":", " ").replace(";", " ").split()
        if len(parts) != 2 or not parts[0].isdigit():
            out.errors.append(RowError(row=no, code="stock.line_format"))
        elif not parts[1].lstrip("-").isdigit():
            out.errors.append(RowError(row=no, code="stock.line_qty"))
        else:
            out.lines.append(StockLine(row=no, variant_id=int(parts[0]), qty=int(parts[1])))
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
