"""AN3: profit and loss for a period.

revenue        = goods at list price − product/personal/promo discounts − bonuses spent
                 + delivery charged to buyers  (= order total + gift certificate paid)
                 + manual revenue entries
                 − returns (money refunded in the period — cash, card, or counted towards an
                   exchange's new sale — = returned goods at their sale price − bonuses given back)
                 − payment refunds (money sent back through the payment provider or by hand,
                   confirmed in the period; no goods come back, so the cost of goods stays)
cost of goods  = Σ line qty × the line's weighted average cost at the moment of sale — kept on the
                 order as ``cost_minor`` when the order is created (every channel), so the sum
                 reads orders only
                 − Σ returned qty × the returned line's ``unit_cost_minor`` (the units came back)
gross profit   = revenue − cost of goods; margin = gross profit / revenue
delivery costs = delivery charged on sold orders (passed on to the carrier) + delivery the shop
                 pays itself (a B2B order with ``delivery_payer = "shop"``: ``shop_delivery_minor``,
                 not in the order's total)
write-offs     = Σ written-off qty × average cost at that moment (incl. cancelled orders written off)
result         = gross profit − delivery costs − write-offs

Sold orders are those placed in the period and paid or beyond, from every channel; cancelled and
unpaid ones never count. A return counts in the period of its refund (shop time), whenever the
order was placed. Each figure is one aggregate query; on PostgreSQL the closed days' sums come from
the daily rollup (``rollup``), the same figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from smo_app.models.catalog import Product, Variant
from smo_app.models.orders import Order, OrderLine
from smo_app.models.payments import Refund
from smo_app.models.pos import PosReturn, PosReturnLine, PosSale
from smo_app.models.stock import MoveKind, StockMove
from smo_app.services.analytics import rollup
from smo_app.services.analytics.periods import (ORDER_REVENUE, RETURN_REFUND, Period, make_period, manual_revenue,
                                                refunds_in, returns_in, roomy_read, shop_tz, sold_orders_in)
from smo_app.services.core.actor import Actor
from smo_app.services.core.permissions import Perm, require
from smo_app.services.analytics import excel


@dataclass(frozen=True)
class PnlSummary:
    date_from: date
    date_to: date
    orders: int
    goods_minor: int
    discount_product_minor: int
    discount_personal_minor: int
    discount_promo_minor: int
    bonus_minor: int
    certificate_minor: int
    delivery_charged_minor: int
    orders_revenue_minor: int
    manual_revenue_minor: int
    cogs_minor: int  # of the sold orders
    delivery_costs_minor: int
    write_offs_minor: int
    write_off_units: int
    returns: int = 0  # returns refunded in the period
    returns_minor: int = 0  # money refunded (positive; taken off revenue)
    returns_cogs_minor: int = 0  # cost of the returned units (positive; taken off the cost of goods)
    refunds: int = 0  # payment refunds confirmed in the period
    refunds_minor: int = 0  # their money (positive; taken off revenue)

    @property
    def revenue_minor(self) -> int:
        return self.orders_revenue_minor + self.manual_revenue_minor - self.returns_minor - self.refunds_minor

    @property
    def net_cogs_minor(self) -> int:
        """Cost of goods sold minus the cost of the units that came back."""
        return self.cogs_minor - self.returns_cogs_minor

    @property
    def gross_profit_minor(self) -> int:
        return self.revenue_minor - self.net_cogs_minor

    @property
    def margin(self) -> float | None:
        """Gross margin as a fraction (0.4 = 40 %); None without revenue."""
        return self.gross_profit_minor / self.revenue_minor if self.revenue_minor else None

    @property
    def result_minor(self) -> int:
        return self.gross_profit_minor - self.delivery_costs_minor - self.write_offs_minor


def pnl_summary(session: Session, *, actor: Actor, date_from: date | None, date_to: date | None,
                tz: ZoneInfo | None = None) -> PnlSummary:
    require(actor, Perm.analytics_view)
    roomy_read(session)
    period = make_period(date_from, date_to)
    tz = tz or shop_tz(session)
    rollup.ensure_fresh(session, tz)
    out = compute_summary(session, tz, period)
    session.rollback()
    return out


def compute_summary(session: Session, tz: ZoneInfo, period: Period) -> PnlSummary:
    """The P&L of ``period``: the sold orders, returns and refunds of the closed days from the daily
    rollup (PostgreSQL), of the other days from their tables; write-offs and manual entries read raw."""
    start, end = period.bounds(tz)
    where = rollup.split(session, tz, period)
    sums = dict.fromkeys(rollup.SUMS, 0) if where is None else rollup.channel_sums(session, where)
    for run in ((period,) if where is None else where.raw):
        for name, value in raw_sums(session, tz, run).items():
            sums[name] += value

    def total(col):
        return func.coalesce(func.sum(col), 0)

    w = session.exec(select(total(-StockMove.delta * StockMove.unit_cost_minor), total(-StockMove.delta)).where(
        StockMove.kind == MoveKind.write_off.value, StockMove.created_at >= start, StockMove.created_at < end)).one()
    manual = sum(r.revenue_minor for r in manual_revenue(session, tz, period, False))
    return PnlSummary(
        date_from=period.date_from, date_to=period.date_to, orders=sums["orders"], goods_minor=sums["goods_minor"],
        discount_product_minor=sums["discount_product_minor"], discount_personal_minor=sums["discount_personal_minor"],
        discount_promo_minor=sums["discount_promo_minor"], bonus_minor=sums["bonus_minor"],
        certificate_minor=sums["certificate_minor"], delivery_charged_minor=sums["delivery_minor"],
        orders_revenue_minor=sums["revenue_minor"], manual_revenue_minor=manual, cogs_minor=sums["cost_minor"],
        delivery_costs_minor=sums["delivery_minor"] + sums["shop_delivery_minor"],
        write_offs_minor=int(w[0]), write_off_units=int(w[1]),
        returns=sums["returns"], returns_minor=sums["returns_minor"], returns_cogs_minor=sums["returns_cogs_minor"],
        refunds=sums["refunds"], refunds_minor=sums["refunds_minor"],
    )


def raw_sums(session: Session, tz: ZoneInfo, period: Period) -> dict[str, int]:
    """``rollup.SUMS`` of ``period`` from the orders, returns and refunds themselves."""
    start, end = period.bounds(tz)

    def total(col):
        return func.coalesce(func.sum(col), 0)

    o = session.exec(select(
        func.count(), total(Order.goods_minor), total(Order.discount_product_minor), total(Order.discount_personal_minor),
        total(Order.discount_promo_minor), total(Order.bonus_minor), total(Order.certificate_minor),
        total(Order.delivery_minor), total(ORDER_REVENUE), total(Order.cost_minor), total(Order.shop_delivery_minor),
    ).where(*sold_orders_in(start, end))).one()
    r = session.exec(select(func.count(), total(RETURN_REFUND)).select_from(PosReturn)
                     .join(PosSale, PosSale.id == PosReturn.sale_id).join(Order, Order.id == PosSale.order_id)
                     .where(*returns_in(start, end))).one()
    r_cogs = session.exec(select(total(PosReturnLine.qty * OrderLine.unit_cost_minor)).select_from(PosReturnLine)
                          .join(PosReturn, PosReturn.id == PosReturnLine.return_id)
                          .join(OrderLine, OrderLine.id == PosReturnLine.order_line_id)
                          .join(Order, Order.id == OrderLine.order_id).where(*returns_in(start, end))).one()
    f = session.exec(select(func.count(), total(Refund.order_minor)).select_from(Refund)
                     .join(Order, Order.id == Refund.order_id).where(*refunds_in(start, end))).one()
    return {name: int(value) for name, value in zip(rollup.SUMS, (*o, *r, r_cogs, *f))}


@dataclass(frozen=True)
class OrderDetail:
    id: int
    created_at: datetime  # shop-local
    channel: str
    status: str
    goods_minor: int
    discount_minor: int  # product + personal + promo
    bonus_minor: int
    certificate_minor: int
    delivery_minor: int
    revenue_minor: int
    cogs_minor: int

    @property
    def gross_profit_minor(self) -> int:
        return self.revenue_minor - self.cogs_minor


@dataclass(frozen=True)
class WriteOffDetail:
    created_at: datetime  # shop-local
    product: str
    variant: str
    qty: int
    unit_cost_minor: int
    comment: str
    actor_name: str

    @property
    def cost_minor(self) -> int:
        return self.qty * self.unit_cost_minor


def order_details(session: Session, tz: ZoneInfo, period: Period) -> list[OrderDetail]:
    """Sold orders of the period with their cost of goods."""
    start, end = period.bounds(tz)
    rows = session.exec(select(
        Order.id, Order.created_at, Order.channel, Order.status, Order.goods_minor,
        Order.discount_product_minor + Order.discount_personal_minor + Order.discount_promo_minor,
        Order.bonus_minor, Order.certificate_minor, Order.delivery_minor, ORDER_REVENUE, Order.cost_minor,
    ).where(*sold_orders_in(start, end)).order_by(Order.created_at, Order.id)).all()
    return [OrderDetail(r[0], r[1].astimezone(tz), *r[2:10], int(r[10])) for r in rows]


@dataclass(frozen=True)
class ReturnDetail:
    id: int
    created_at: datetime  # shop-local, the refund
    order_id: int
    order_placed_at: datetime  # shop-local
    channel: str
    items: str  # "name variant × qty; …"
    goods_minor: int  # returned goods at their sale price (after discounts)
    bonus_back_minor: int  # bonuses the sale spent, given back
    refund_minor: int  # money back (cash, card, or towards an exchange): goods − bonuses given back
    cogs_minor: int  # cost of the returned units

    @property
    def gross_profit_minor(self) -> int:
        """What the return took off gross profit (negative)."""
        return self.cogs_minor - self.refund_minor


def return_details(session: Session, tz: ZoneInfo, period: Period) -> list[ReturnDetail]:
    """Returns refunded in the period, with what came back and its cost."""
    start, end = period.bounds(tz)
    rows = session.exec(
        select(PosReturn.id, PosReturn.created_at, Order.id, Order.created_at, Order.channel, PosReturn.goods_minor,
               PosReturn.bonus_back_minor, RETURN_REFUND)
        .select_from(PosReturn).join(PosSale, PosSale.id == PosReturn.sale_id).join(Order, Order.id == PosSale.order_id)
        .where(*returns_in(start, end)).order_by(PosReturn.created_at, PosReturn.id)).all()
    items: dict[int, list[str]] = {}
    costs: dict[int, int] = {}
    if rows:
        lines = session.exec(
            select(PosReturnLine.return_id, OrderLine.name, OrderLine.variant_label, PosReturnLine.qty,
                   OrderLine.unit_cost_minor)
            .join(OrderLine, OrderLine.id == PosReturnLine.order_line_id)
            .where(PosReturnLine.return_id.in_([r[0] for r in rows])).order_by(PosReturnLine.id)).all()
        for rid, name, label, qty, unit_cost in lines:
            items.setdefault(rid, []).append(f"{name} {label}".strip() + f" × {qty}")
            costs[rid] = costs.get(rid, 0) + qty * unit_cost
    return [ReturnDetail(r[0], r[1].astimezone(tz), r[2], r[3].astimezone(tz), r[4], "; ".join(items.get(r[0], [])),
                         int(r[5]), int(r[6]), int(r[7]), costs.get(r[0], 0)) for r in rows]


def write_off_details(session: Session, tz: ZoneInfo, period: Period) -> list[WriteOffDetail]:
    start, end = period.bounds(tz)
    rows = session.exec(
        select(StockMove.created_at, Product.name, Variant.label, -StockMove.delta, StockMove.unit_cost_minor,
               StockMove.comment, StockMove.actor_name)
        .join(Variant, Variant.id == StockMove.variant_id).join(Product, Product.id == Variant.product_id)
        .where(StockMove.kind == MoveKind.write_off.value, StockMove.created_at >= start, StockMove.created_at < end)
        .order_by(StockMove.created_at, StockMove.id)).all()
    return [WriteOffDetail(r[0].astimezone(tz), r[1], r[2], int(r[3]), int(r[4]), r[5] or "", r[6]) for r in rows]


def pnl_workbook(session: Session, *, actor: Actor, date_from: date | None, date_to: date | None, lang: str = "ru",
                 tz: ZoneInfo | None = None) -> tuple[str, bytes]:
    """The P&L Excel file (summary, order details, returns, write-offs): ``(filename, bytes)``."""
    require(actor, Perm.analytics_view)
    roomy_read(session)
    period = make_period(date_from, date_to)
    tz = tz or shop_tz(session)
    rollup.ensure_fresh(session, tz)
    summary = compute_summary(session, tz, period)
    orders = order_details(session, tz, period)
    returned = return_details(session, tz, period)
    write_offs = write_off_details(session, tz, period)
    session.rollback()
    content = excel.pnl_file(summary, orders, write_offs, returned, lang=lang)
    return f"pnl_{period.date_from.isoformat()}_{period.date_to.isoformat()}.xlsx", content
