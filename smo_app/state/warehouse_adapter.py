"""The warehouse screen's only door to the stock services.

Every call the warehouse state makes goes through one function here, with the screen's shapes
(text lines as typed, pages, level filters). When the stock package changes its signatures
(typed lines instead of text, modules split), only this file is re-pointed.
"""
from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from smo_app.services.catalog import stock_view
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.stock import adjustments, ledger, line_parser, supplies

LEVELS = ("all", "red", "yellow", "green")


class OverviewPage(BaseModel):
    rows: list[ledger.StockRow]
    total_rows: int
    units: int
    value_minor: int
    retail_minor: int
    counts: dict[str, int]  # level → rows
    page: int
    pages: int


def overview(session: Session, *, actor: Actor, search: str = "", level: str = "all", page: int = 1,
             page_size: int = 50) -> OverviewPage:
    """WH3 overview filtered by name and traffic-light level, paged; sums over the filtered rows."""
    rows = ledger.stock_overview(session, actor=actor, search=search or None)
    session.rollback()
    counts = {lvl: sum(1 for r in rows if r.level == lvl) for lvl in LEVELS[1:]}
    counts["all"] = len(rows)
    if level in LEVELS[1:]:
        rows = [r for r in rows if r.level == level]
    pages = max(1, -(-len(rows) // page_size))
    page = min(max(1, page), pages)
    return OverviewPage(
        rows=rows[(page - 1) * page_size: page * page_size], total_rows=len(rows),
        units=sum(max(r.qty, 0) for r in rows), value_minor=sum(r.value_minor for r in rows),
        retail_minor=sum(max(r.qty, 0) * r.price_minor for r in rows), counts=counts, page=page, pages=pages,
    )


def set_quantity(session: Session, *, actor: Actor, variant_id: int, qty: int, comment: str):
    return adjustments.set_quantity(session, actor=actor, variant_id=variant_id, qty=qty, comment=comment or None)


def write_off(session: Session, *, actor: Actor, text: str, comment: str):
    return adjustments.write_off(session, actor=actor, lines=line_parser.lines_from_text(text), comment=comment or None)


def count_preview(session: Session, *, actor: Actor, text: str) -> adjustments.CountOut:
    try:
        return adjustments.count_inventory(session, actor=actor, lines=line_parser.lines_from_text(text), apply=False)
    finally:
        session.rollback()


def count_apply(session: Session, *, actor: Actor, text: str, comment: str) -> adjustments.CountOut:
    return adjustments.count_inventory(session, actor=actor, lines=line_parser.lines_from_text(text), apply=True,
                                       comment=comment or None)


def suppliers(session: Session, *, actor: Actor) -> list[supplies.SupplierOut]:
    return supplies.list_suppliers(session, actor=actor)


def create_supplier(session: Session, *, actor: Actor, name: str, contact: str = "", note: str = ""):
    return supplies.create_supplier(session, actor=actor, name=name, contact=contact, note=note)


def supply_items(session: Session, *, actor: Actor, text: str) -> list[tuple[int, str, int]]:
    """Step 2 of a supply: ``ID qty`` lines → (variant id, name, qty); bad lines are refused by line."""
    parsed = line_parser.parse_lines(text)
    errors = list(parsed.errors)
    names = stock_view.variant_labels(session, actor=actor, variant_ids=[ln.variant_id for ln in parsed.lines])
    items: dict[int, int] = {}
    for ln in parsed.lines:
        if ln.qty <= 0:
            errors.append(adjustments.RowError(row=ln.row, code="stock.line_qty"))
        elif ln.variant_id not in names:
            errors.append(adjustments.RowError(row=ln.row, code="stock.line_unknown_id", params={"id": ln.variant_id}))
        else:
            items[ln.variant_id] = items.get(ln.variant_id, 0) + ln.qty
    if errors:
        adjustments.reject(errors)
    if not items:
        raise ValidationFailed("stock.batch_empty", "no lines")
    return [(vid, names[vid], qty) for vid, qty in items.items()]


def receive_supply(session: Session, *, actor: Actor, supplier_id: int, items: list[dict], comment: str):
    return supplies.receive_supply(session, actor=actor, supplier_id=supplier_id, items=items, comment=comment or None)


def moves(session: Session, *, actor: Actor, variant_id: int, limit: int = 100) -> list[ledger.MoveOut]:
    out = ledger.list_moves(session, actor=actor, variant_id=variant_id, limit=limit)
    session.rollback()
    return out


def waiting_subscribers(session: Session, *, actor: Actor, variant_id: int) -> int:
    return stock_view.waiting_subscribers(session, actor=actor, variant_id=variant_id)
