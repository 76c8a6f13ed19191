"""Stock adjustments: a single quantity edit, bulk write-offs, inventory counts and customer
returns. Each is an ordinary move through :func:`smo_app.services.stock.ledger.apply_move`.

Write-offs and counts take typed :class:`StockLine` lists (from a screen through
``line_parser``, from a file import, an API or an ERP sync alike). One bad line rejects the
whole batch with ``stock.batch_rejected``: ``errors`` lists every bad line as
``{"row", "code", "params"}``; the message names the first one.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select as sa_select
from sqlmodel import Session

from smo_app.models.catalog import Product, Variant
from smo_app.models.stock import MoveKind
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic
from smo_app.services.stock.ledger import MoveOut, to_move_out, apply_move


class StockLine(BaseModel):
    """One item of a batch: a variant and a quantity. ``row`` is where the caller got it from
    (a line of a form, a row of a file); errors name it. Default: the position, from 1."""

    variant_id: int
    qty: int
    row: int | None = None


MAX_STOCK_QTY = 10_000_000  # units (grams for goods sold by weight) in one line or on hand: a typo guard


class RowError(BaseModel):
    row: int
    code: str  # an i18n key: stock.line_format, stock.line_qty, stock.line_unknown_id, …
    params: dict[str, Any] = Field(default_factory=dict)


def reject(errors: list[RowError]) -> None:
    """Raise ``stock.batch_rejected``: every row error in ``errors``, the first one in the message."""
    errors = sorted(errors, key=lambda e: e.row)
    first = errors[0]
    raise ValidationFailed("stock.batch_rejected", f"row {first.row}: {first.code}",
                           errors=[e.model_dump() for e in errors],
                           row=first.row, reason_code=first.code, reason_params=first.params)


def _batch_lines(lines: list[StockLine | dict]) -> list[StockLine]:
    """A batch's lines, typed and numbered by position where they carry no row; ``stock.batch_empty``
    for none."""
    out = []
    for position, line in enumerate(lines, start=1):
        line = line if isinstance(line, StockLine) else StockLine.model_validate(line)
        out.append(line if line.row is not None else line.model_copy(update={"row": position}))
    if not out:
        raise ValidationFailed("stock.batch_empty", "no lines")
    return out


@atomic
def set_quantity(session: Session, *, actor: Actor, variant_id: int, qty: int, comment: str | None = None,
                 now: datetime | None = None) -> MoveOut | None:
    """WH3 single edit: set the on-hand quantity; the difference is logged as an ``edit`` move."""
    require(actor, Perm.stock_manage)
    if qty < 0:
        raise ValidationFailed("stock.qty_invalid", "quantity must be >= 0")
    current = _locked_qty(session, variant_id)
    if current == qty:
        return None
    move = apply_move(session, actor=actor, variant_id=variant_id, delta=qty - current, kind=MoveKind.edit,
                      comment=comment, allow_negative=True, now=now)
    audit.record(session, actor=actor, action="stock.edit", entity="variant", entity_id=variant_id,
                 before={"qty": current}, after={"qty": qty}, note=comment)
    session.commit()
    return to_move_out(move)


def _locked_qty(session: Session, variant_id: int) -> int:
    table = Variant.__table__
    qty = session.execute(sa_select(table.c.qty).where(table.c.id == variant_id).with_for_update()).scalar()
    if qty is None:
        raise NotFound("variant", variant_id)
    return qty


class BatchOut(BaseModel):
    moves: list[MoveOut]


@atomic
def write_off(session: Session, *, actor: Actor, lines: list[StockLine | dict], comment: str | None = None,
              now: datetime | None = None, errors: list[RowError] | None = None) -> BatchOut:
    """WH3 bulk write-off. Quantities must be > 0; lines of one variant add up. One bad line
    rejects the whole batch (``stock.batch_rejected``, see the module docstring), and the refusal
    names every bad line — ``errors`` are those found before (lines that did not read)."""
    require(actor, Perm.stock_manage)
    errors = list(errors or [])
    if errors and not lines:
        reject(errors)
    lines = _batch_lines(lines)
    wanted: dict[int, int] = {}
    first_row: dict[int, int] = {}
    for line in lines:
        if line.qty <= 0:
            errors.append(RowError(row=line.row, code="stock.line_qty"))
            continue
        wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.qty
        first_row.setdefault(line.variant_id, line.row)
    for vid, qty in wanted.items():
        variant = session.get(Variant, vid)
        if variant is None:
            errors.append(RowError(row=first_row[vid], code="stock.line_unknown_id", params={"id": vid}))
        elif variant.qty < qty:
            errors.append(RowError(row=first_row[vid], code="stock.line_insufficient",
                                   params={"id": vid, "available": variant.qty}))
    if errors:
        reject(errors)
    moves = []
    for vid in sorted(wanted):
        try:
            move = apply_move(session, actor=actor, variant_id=vid, delta=-wanted[vid], kind=MoveKind.write_off,
                              comment=comment, now=now)
        except DomainError:  # sold meanwhile: the conditional decrement refused
            session.rollback()
            reject([RowError(row=first_row[vid], code="stock.line_insufficient", params={"id": vid, "available": 0})])
        audit.record(session, actor=actor, action="stock.write_off", entity="variant", entity_id=vid,
                     before={"qty": move.qty_after + wanted[vid]}, after={"qty": move.qty_after}, note=comment)
        moves.append(to_move_out(move))
    session.commit()
    return BatchOut(moves=moves)


class CountLine(BaseModel):
    variant_id: int
    name: str
    expected: int
    counted: int
    difference: int


class CountOut(BaseModel):
    lines: list[CountLine]
    applied: bool


@atomic
def count_inventory(session: Session, *, actor: Actor, lines: list[StockLine | dict], apply: bool = False,
                    comment: str | None = None, now: datetime | None = None) -> CountOut:
    """WH5: counted quantities (≥ 0, one line per variant) → discrepancies; with ``apply`` each
    difference becomes a ``count`` move."""
    require(actor, Perm.stock_manage)
    lines = _batch_lines(lines)
    errors: list[RowError] = []
    seen: dict[int, int] = {}
    counted: dict[int, int] = {}
    for line in lines:
        vid = line.variant_id
        if line.qty < 0:
            errors.append(RowError(row=line.row, code="stock.line_qty"))
        elif vid in seen:
            errors.append(RowError(row=line.row, code="stock.line_duplicate", params={"id": vid, "first": seen[vid]}))
        elif session.get(Variant, vid) is None:
            errors.append(RowError(row=line.row, code="stock.line_unknown_id", params={"id": vid}))
        else:
            seen[vid] = line.row
            counted[vid] = line.qty
    if errors:
        reject(errors)
    out = []
    for vid in sorted(counted):
        expected = _locked_qty(session, vid) if apply else session.get(Variant, vid).qty
        variant = session.get(Variant, vid)
        product = session.get(Product, variant.product_id)
        diff = counted[vid] - expected
        out.append(CountLine(variant_id=vid, name=f"{product.name} {variant.label}".strip(), expected=expected,
                             counted=counted[vid], difference=diff))
        if apply and diff:
            apply_move(session, actor=actor, variant_id=vid, delta=diff, kind=MoveKind.count, comment=comment,
                       allow_negative=True, now=now)
            audit.record(session, actor=actor, action="stock.count", entity="variant", entity_id=vid,
                         before={"qty": expected}, after={"qty": counted[vid]}, note=comment)
    if apply:
        session.commit()
    return CountOut(lines=out, applied=apply)


@atomic
def receive_return(session: Session, *, actor: Actor, variant_id: int, qty: int, order_id: int | None = None,
                   comment: str | None = None, now: datetime | None = None) -> MoveOut:
    """A customer brought goods back (POS return): a ``return`` move."""
    require(actor, Perm.pos_sell)
    if qty <= 0:
        raise ValidationFailed("stock.qty_invalid", "quantity must be > 0")
    move = apply_move(session, actor=actor, variant_id=variant_id, delta=qty, kind=MoveKind.return_,
                      order_id=order_id, comment=comment, now=now)
    audit.record(session, actor=actor, action="stock.return", entity="variant", entity_id=variant_id,
                 after={"qty": move.qty_after, "returned": qty, "order_id": order_id}, note=comment)
    session.commit()
    return to_move_out(move)
