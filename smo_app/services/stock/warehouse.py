"""The warehouse screen's use cases and read-models (WH3–WH8), over the stock ledger, adjustments
and supplies: the overview filtered and paged with its sums, one variant's moves and waiting
subscribers, and the forms as typed — ``ID qty`` lines (read by :mod:`.line_parser`), a quantity,
the batch price of each supplied item.
"""
from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, func, select

from smo_app.models.catalog import Product, StockSubscription, Variant
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import ValidationFailed
from smo_app.services.core.form_input import amount, whole_number
from smo_app.services.core.permissions import Perm, require
from smo_app.services.stock import adjustments, ledger, line_parser, supplies
from smo_app.services.stock.adjustments import MAX_STOCK_QTY

LEVELS = ("all", "red", "yellow", "green")
PAGE_SIZE = 50


class OverviewPage(BaseModel):
    rows: list[ledger.StockRow]
    total_rows: int
    units: int
    value_minor: int
    retail_minor: int
    counts: dict[str, int]  # level → rows
    page: int
    pages: int


class VariantCard(BaseModel):
    """The variant dialog: its newest moves and the customers waiting for it to come back (WH8)."""

    moves: list[ledger.MoveOut]
    waiting: int


class SupplyItemOut(BaseModel):
    variant_id: int
    name: str
    qty: int


def overview(session: Session, *, actor: Actor, search: str = "", level: str = "all", page: int = 1,
             page_size: int = PAGE_SIZE) -> OverviewPage:
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


def variant_card(session: Session, *, actor: Actor, variant_id: int, limit: int = 100) -> VariantCard:
    out = VariantCard(moves=ledger.list_moves(session, actor=actor, variant_id=variant_id, limit=limit),
                      waiting=waiting_subscribers(session, actor=actor, variant_id=variant_id))
    session.rollback()
    return out


def waiting_subscribers(session: Session, *, actor: Actor, variant_id: int) -> int:
    """Customers waiting for this variant to come back (not yet notified)."""
    require(actor, Perm.stock_manage)
    return session.exec(select(func.count(StockSubscription.id)).where(
        StockSubscription.variant_id == variant_id, StockSubscription.notified_at.is_(None))).one()


def variant_labels(session: Session, *, actor: Actor, variant_ids: list[int]) -> dict[int, str]:
    """``{variant id: "Product label"}`` for the ids that exist."""
    require(actor, Perm.stock_manage)
    if not variant_ids:
        return {}
    rows = session.exec(select(Variant.id, Product.name, Variant.label).join(Product, Product.id == Variant.product_id)
                        .where(Variant.id.in_(variant_ids))).all()
    return {vid: f"{name} {label}".strip() for vid, name, label in rows}


def set_quantity(session: Session, *, actor: Actor, variant_id: int, qty: str | int, comment: str = ""):
    """The single edit: ``qty`` as typed — a whole number from 0 to :data:`MAX_STOCK_QTY`."""
    count = whole_number(qty, "stock.qty_format", field="qty", minimum=0, maximum=MAX_STOCK_QTY,
                         range_code="stock.qty_range")
    return adjustments.set_quantity(session, actor=actor, variant_id=variant_id, qty=count, comment=comment or None)


def write_off(session: Session, *, actor: Actor, text: str, comment: str = "") -> adjustments.BatchOut:
    """The write-off form: every bad line is named at once — those that do not read and those the
    stock refuses (an unknown ID, more than there is)."""
    parsed = line_parser.parse_lines(text)
    return adjustments.write_off(session, actor=actor, lines=parsed.lines, comment=comment or None, errors=parsed.errors)


def count_preview(session: Session, *, actor: Actor, text: str) -> adjustments.CountOut:
    """WH5 step one: the discrepancies the count would write, nothing written."""
    try:
        return adjustments.count_inventory(session, actor=actor, lines=line_parser.lines_from_text(text), apply=False)
    finally:
        session.rollback()


def count_apply(session: Session, *, actor: Actor, text: str, comment: str = "") -> adjustments.CountOut:
    return adjustments.count_inventory(session, actor=actor, lines=line_parser.lines_from_text(text), apply=True,
                                       comment=comment or None)


def suppliers(session: Session, *, actor: Actor) -> list[supplies.SupplierOut]:
    return supplies.list_suppliers(session, actor=actor)


def create_supplier(session: Session, *, actor: Actor, name: str, contact: str = "", note: str = ""):
    return supplies.create_supplier(session, actor=actor, name=name, contact=contact, note=note)


def supply_items(session: Session, *, actor: Actor, text: str) -> list[SupplyItemOut]:
    """Step 2 of a supply: ``ID qty`` lines → known goods with quantities (one item per variant,
    repeated lines summed); bad lines are refused by line."""
    parsed = line_parser.parse_lines(text)
    errors = list(parsed.errors)
    names = variant_labels(session, actor=actor, variant_ids=[ln.variant_id for ln in parsed.lines])
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
    return [SupplyItemOut(variant_id=vid, name=names[vid], qty=qty) for vid, qty in items.items()]


def receive_supply(session: Session, *, actor: Actor, supplier_id: int, text: str, prices: dict[str, str],
                   comment: str = "") -> supplies.SupplyOut:
    """Step 3: the goods of step 2 (``text``, read again) with the batch price typed for each
    (``prices``: variant id → rubles as typed), split per unit by the supplies service."""
    items = []
    for item in supply_items(session, actor=actor, text=text):
        total = amount(prices.get(str(item.variant_id), ""), "stock.batch_price_invalid",
                       field=f"price_{item.variant_id}", name=item.name)
        items.append(supplies.SupplyItemIn(variant_id=item.variant_id, qty=item.qty, total_minor=total))
    return supplies.receive_supply(session, actor=actor, supplier_id=supplier_id, items=items, comment=comment or None)
