"""AN5 / WH7: stock valuation at average cost, and the stock movements of a period, as Excel."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from smo_app.models.catalog import Product, Variant
from smo_app.models.stock import StockMove
from smo_app.services.analytics.periods import make_period, shop_tz
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import PermissionDenied
from smo_app.services.core.permissions import Perm, can
from smo_app.services.analytics import excel


def require_stock_reports(actor: Actor) -> None:
    """Stock figures are for whoever runs the warehouse or reads analytics."""
    if not (can(actor, Perm.analytics_view) or can(actor, Perm.stock_manage)):
        raise PermissionDenied(Perm.analytics_view.value)


@dataclass(frozen=True)
class StockValueRow:
    variant_id: int
    product: str
    variant: str
    qty: int
    avg_cost_minor: int
    value_minor: int  # qty × average cost
    price_minor: int
    retail_value_minor: int  # qty × price


@dataclass(frozen=True)
class MoveRow:
    created_at: datetime  # shop-local
    product: str
    variant: str
    kind: str
    delta: int
    qty_after: int
    unit_cost_minor: int
    order_id: int | None
    actor_name: str
    comment: str
    actor_kind: str = "staff"


def stock_valuation(session: Session, *, actor: Actor) -> list[StockValueRow]:
    """Every variant with stock on hand (or below zero in preorder mode), valued in SQL — a deleted
    product's leftover stock included: it is still the shop's money."""
    require_stock_reports(actor)
    rows = session.exec(
        select(Variant.id, Product.name, Variant.label, Variant.qty, Variant.avg_cost_minor,
               Variant.qty * Variant.avg_cost_minor, Variant.price_minor, Variant.qty * Variant.price_minor)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.qty != 0)
        .order_by(Product.name, Variant.position, Variant.id)).all()
    session.rollback()
    return [StockValueRow(*(r[0], r[1], r[2]), *(int(v) for v in r[3:])) for r in rows]


def stock_moves(session: Session, *, actor: Actor, date_from: date | None, date_to: date | None,
                tz: ZoneInfo | None = None) -> list[MoveRow]:
    require_stock_reports(actor)
    period = make_period(date_from, date_to)
    tz = tz or shop_tz(session)
    start, end = period.bounds(tz)
    rows = session.exec(
        select(StockMove.created_at, Product.name, Variant.label, StockMove.kind, StockMove.delta, StockMove.qty_after,
               StockMove.unit_cost_minor, StockMove.order_id, StockMove.actor_name, StockMove.comment,
               StockMove.actor_kind)
        .join(Variant, Variant.id == StockMove.variant_id).join(Product, Product.id == Variant.product_id)
        .where(StockMove.created_at >= start, StockMove.created_at < end)
        .order_by(StockMove.created_at, StockMove.id)).all()
    session.rollback()
    return [MoveRow(r[0].astimezone(tz), *r[1:9], r[9] or "", r[10]) for r in rows]


def stock_valuation_workbook(session: Session, *, actor: Actor, lang: str = "ru", today: date | None = None) -> tuple[str, bytes]:
    rows = stock_valuation(session, actor=actor)
    day = today or datetime.now(shop_tz(session)).date()
    return f"stock_valuation_{day.isoformat()}.xlsx", excel.stock_valuation_file(rows, lang=lang)


def stock_moves_workbook(session: Session, *, actor: Actor, date_from: date | None, date_to: date | None,
                         lang: str = "ru", tz: ZoneInfo | None = None) -> tuple[str, bytes]:
    rows = stock_moves(session, actor=actor, date_from=date_from, date_to=date_to, tz=tz)
    return f"stock_moves_{date_from.isoformat()}_{date_to.isoformat()}.xlsx", excel.stock_moves_file(rows, lang=lang)
