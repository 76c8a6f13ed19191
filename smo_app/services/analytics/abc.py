"""AN4: ABC analysis of products by revenue in a period.

Products are ranked by revenue (order lines after product/personal discounts, sold orders of every
channel, minus the returned lines' amounts of the returns refunded in the period — a return counts
in the period of its refund, so a product returned more than sold in the period ranks last, in C —
and minus, for a payment refund confirmed in the period, the refunded share of the order's total
taken off each of its lines). A product is in class A while the revenue of the products ranked above it is under 80 %
of the total, B under 95 %, C after that — so the product that crosses a boundary stays in the
higher class. Manual revenue entries belong to no product and are not ranked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, func, select

from smo_app.models.catalog import Product
from smo_app.services.analytics import rollup
from smo_app.services.analytics.periods import make_period, product_parts, roomy_read, shop_tz
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.analytics import excel

A_PERCENT, B_PERCENT = 80, 95  # cumulative revenue before the product: A under 80 %, B under 95 %


@dataclass(frozen=True)
class AbcRow:
    rank: int
    product_id: int
    name: str
    qty: int
    revenue_minor: int
    share: float  # of the period's product revenue, 0..1
    cumulative: float  # including this product
    klass: str  # "A" | "B" | "C"


def classify(revenues: list[int]) -> list[str]:
    """Classes for revenues already sorted from the highest (integer arithmetic, no rounding drift)."""
    total = sum(revenues)
    classes, before = [], 0
    for revenue in revenues:
        if before * 100 < A_PERCENT * total:
            classes.append("A")
        elif before * 100 < B_PERCENT * total:
            classes.append("B")
        else:
            classes.append("C")
        before += revenue
    return classes


def abc_analysis(session: Session, *, actor: Actor, date_from: date | None, date_to: date | None,
                 tz: ZoneInfo | None = None) -> list[AbcRow]:
    require(actor, Perm.analytics_view)
    roomy_read(session)
    period = make_period(date_from, date_to)
    tz = tz or shop_tz(session)
    rollup.ensure_fresh(session, tz)
    # each part grouped by product first (a few thousand rows), then added up: the closed days from
    # the daily rollup (PostgreSQL), the others from the order lines, returns and refunds
    where = rollup.split(session, tz, period)
    spans = [p.bounds(tz) for p in ((period,) if where is None else where.raw)]
    parts = (product_parts(spans) if spans else []) + ([rollup.product_sums(where)] if where is not None else [])
    both = sa.union_all(*parts).subquery()
    per_product = (select(both.c.pid, func.sum(both.c.qty).label("qty"), func.sum(both.c.revenue).label("revenue"))
                   .group_by(both.c.pid).subquery())
    rows = session.exec(select(per_product.c.pid, Product.name, per_product.c.qty, per_product.c.revenue)
                        .join(Product, Product.id == per_product.c.pid)
                        .order_by(per_product.c.revenue.desc(), per_product.c.pid)).all()
    session.rollback()
    revenues = [int(r[3]) for r in rows]
    total = sum(revenues) or 1
    out, running = [], 0
    for rank, ((pid, name, qty, _), revenue, klass) in enumerate(zip(rows, revenues, classify(revenues)), start=1):
        running += revenue
        out.append(AbcRow(rank, int(pid), name, int(qty), revenue, revenue / total, running / total, klass))
    return out


def abc_workbook(session: Session, *, actor: Actor, date_from: date | None, date_to: date | None, lang: str = "ru",
                 tz: ZoneInfo | None = None) -> tuple[str, bytes]:
    rows = abc_analysis(session, actor=actor, date_from=date_from, date_to=date_to, tz=tz)
    return f"abc_{date_from.isoformat()}_{date_to.isoformat()}.xlsx", excel.abc_file(rows, lang=lang)
