"""The backoffice's read model and small use cases for orders (OR6, OR7, OR9).

The list pages, filters, searches and counts on the server in one statement per need; the card
adds the customer, the tracking number, the courier handoffs and the actions
:func:`orders.allowed_actions` offers (the transition table is never copied here). Status moves
themselves are :func:`orders.transition`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy import Select, and_, bindparam, false, func, or_, select
from sqlmodel import Session

from smo_app.models.couriers import CourierHandoff, CourierHandoffOrder
from smo_app.models.customer import Customer
from smo_app.models.orders import DeliveryType, Order, OrderLine, OrderStatus
from smo_app.services.core import audit, shop_locale
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import NotFound, ValidationFailed, get_or_not_found
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.text_search import folded_contains, icontains
from smo_app.services.core.tx import atomic
from smo_app.services.sales import orders
from smo_app.services.sales.couriers import refuse_unshippable
from smo_app.services.sales.order_dto import OrderOut, load_out
from smo_app.services.sales.order_states import ACTIVE_STATUSES, DELIVERY_LIST_STATUSES, action_rule, allowed
from smo_app.services.customers.admin import checked_message, send_message

S = OrderStatus
TABS: tuple[str, ...] = ("active", "new", "paid", "processing", "shipped", "completed", "cancelled", "all")
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_QUERY = 100
MAX_PICK_ORDERS = 200
_NUMBER = re.compile(r"^\s*[#№]?\s*(\d{1,12})\s*$")


class OrderRow(BaseModel):
    id: int
    created_at: datetime
    status: str
    channel: str
    customer_id: int | None
    customer_name: str  # the customer's name, else the contact or offline buyer name
    username: str
    phone: str
    total_minor: int
    delivery_type: str
    address: str
    tracking_number: str


class OrderListPage(BaseModel):
    rows: list[OrderRow]
    counts: dict[str, int]  # per tab, with the same search and dates
    total: int  # in the chosen tab
    page: int
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


def shop_day_bounds(date_from: date | None, date_to: date | None, tz=None) -> tuple[datetime | None, datetime | None]:
    """Shop-time days [from, to] as UTC instants [start, end) (``tz``: the shop's, see shop_locale)."""
    tz = tz or shop_locale.env_default().tz
    start = datetime.combine(date_from, time.min, tzinfo=tz) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz) if date_to else None
    if start and end and end <= start:
        raise ValidationFailed("order.period_invalid", "date_to before date_from")
    return start, end


def _customers_where(*conditions):
    """Orders of the customers matching ``conditions`` (the 20k-row customer table is searched once,
    not joined to every order)."""
    return Order.customer_id.in_(select(Customer.id).where(or_(*conditions)))


def _search_clause(query: str, dialect: str):
    """``#123`` / ``№123`` → that order; bare digits → that order number or a phone containing them
    (4+ digits); a phone typed with ``+``, spaces or dashes → the phone; otherwise names (customer,
    offline buyer) or @username."""
    query = (query or "").strip()
    if not query:
        return None
    if len(query) > MAX_QUERY:
        raise ValidationFailed("order.query_too_long", "query too long")
    number = _NUMBER.match(query)
    if number:
        digits = number.group(1)
        clauses = [Order.id == int(digits)] if int(digits) < 2**31 else []
        if len(digits) >= 4 and query[:1] not in "#№":
            clauses += [Order.phone.contains(digits), _customers_where(Customer.phone.contains(digits))]
        return or_(*clauses) if clauses else false()
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and re.fullmatch(r"[\d\s()+\-]+", query):
        return or_(Order.phone.contains(digits), _customers_where(Customer.phone.contains(digits)))
    if query.startswith("@"):
        return _customers_where(icontains(Customer.username, query[1:], dialect))
    # the customer's name or username (customers are searched once, not joined to every order);
    # offline buyers have only a name on the order
    return or_(_customers_where(folded_contains(Customer.search_key, query)),
               and_(Order.customer_id.is_(None), icontains(Order.buyer_name, query, dialect)))


def _tab_clause(tab: str):
    if tab == "active":
        return Order.status.in_(sorted(s.value for s in ACTIVE_STATUSES))
    if tab == "delivery":
        return and_(Order.status.in_(sorted(s.value for s in DELIVERY_LIST_STATUSES)),
                    Order.delivery_type != DeliveryType.store.value)
    if tab == "all":
        return None
    if tab not in TABS:
        raise ValidationFailed("order.tab_invalid", f"unknown tab {tab}")
    return Order.status == tab


_ROW_COLUMNS = (Order.id, Order.created_at, Order.status, Order.channel, Order.customer_id,
                func.coalesce(func.nullif(Customer.full_name, ""), func.nullif(Order.contact_name, ""),
                              Order.buyer_name).label("customer_name"),
                func.coalesce(Customer.username, "").label("username"),
                func.coalesce(func.nullif(Order.phone, ""), Customer.phone, "").label("phone"),
                Order.total_minor, Order.delivery_type, Order.address, Order.tracking_number)


class ListStatements(NamedTuple):
    counts: Select | None  # (status, count) under the search and dates; None: counted from ``page``
    tab_count: Select | None  # the count of a tab that is not one status (``delivery``), else None
    page: Select  # the page's rows (for an exact number: that order, whatever its tab)
    params: dict | None = None  # values for ``page``'s bound parameters (a prepared statement)


_ROWS = select(*_ROW_COLUMNS).select_from(Order).outerjoin(Customer, Customer.id == Order.customer_id)
_COUNTS = select(Order.status, func.count()).select_from(Order)
# "#123" finds one order: one prepared statement (compiled once), counts taken from its row
_BY_NUMBER = _ROWS.where(Order.id == bindparam("number"))


def _exact_number(query: str) -> int | None:
    """``#123`` / ``№123`` (or a bare number too short to be a phone) → 123."""
    match = _NUMBER.match(query or "")
    if not match:
        return None
    digits = match.group(1)
    explicit = (query or "").strip()[:1] in "#№"
    return int(digits) if (explicit or len(digits) < 4) and int(digits) < 2**31 else None


def _in_tab(row: OrderRow, tab: str) -> bool:
    """Whether one fetched order belongs to ``tab`` (the same rule as :func:`_tab_clause`)."""
    if tab == "active":
        return row.status in {s.value for s in ACTIVE_STATUSES}
    if tab == "delivery":
        return row.status in {s.value for s in DELIVERY_LIST_STATUSES} and row.delivery_type != DeliveryType.store.value
    return tab == "all" or row.status == tab


def list_statements(*, dialect: str, tab: str = "active", query: str = "", date_from: date | None = None,
                    date_to: date | None = None, page: int = 1, page_size: int = PAGE_SIZE, tz=None) -> ListStatements:
    """The statements behind :func:`list_orders` (validated input; the benchmark times them raw);
    ``tz`` is the shop's time zone for the dates."""
    _tab_clause(tab)  # validates the tab
    number = _exact_number(query)
    if number is not None:
        return ListStatements(None, None, _BY_NUMBER, {"number": number})
    where = []
    search = _search_clause(query, dialect)
    if search is not None:
        where.append(search)
    start, end = shop_day_bounds(date_from, date_to, tz) if date_from or date_to else (None, None)
    if start:
        where.append(Order.created_at >= start)
    if end:
        where.append(Order.created_at < end)
    tab_clause = _tab_clause(tab)
    counts = _COUNTS.where(*where).group_by(Order.status)
    tab_count = select(func.count()).select_from(Order).where(*where, tab_clause) if tab == "delivery" else None
    rows = _ROWS.where(*where)
    if tab_clause is not None:
        rows = rows.where(tab_clause)
    rows = rows.order_by(Order.id.desc()).offset((page - 1) * page_size).limit(page_size)
    return ListStatements(counts, tab_count, rows)


def list_orders(session: Session, *, actor: Actor, tab: str = "active", query: str = "",
                date_from: date | None = None, date_to: date | None = None, page: int = 1,
                page_size: int = PAGE_SIZE) -> OrderListPage:
    """OR7: one tab (``active``, a status, ``delivery`` or ``all``) newest first, filtered by a
    search and shop-time days, one page; with the count of every tab under the same filters."""
    require(actor, Perm.orders_view)
    page = max(1, int(page))
    page_size = min(max(1, int(page_size)), MAX_PAGE_SIZE)
    tz = shop_locale.shop_tz(session) if date_from or date_to else None
    stmts = list_statements(dialect=session.get_bind().dialect.name, tab=tab, query=query, date_from=date_from,
                            date_to=date_to, page=page, page_size=page_size, tz=tz)
    conn = session.connection()  # Core statements: no ORM entities to build
    if stmts.counts is None:  # one order by its number: counted from its row
        found = [OrderRow.model_validate(dict(r)) for r in conn.execute(stmts.page, stmts.params).mappings().all()]
        session.rollback()
        start, end = shop_day_bounds(date_from, date_to, tz) if date_from or date_to else (None, None)
        found = [r for r in found if (start is None or r.created_at >= start) and (end is None or r.created_at < end)]
        counts = {t: sum(1 for r in found if _in_tab(r, t)) for t in (*TABS, *(s.value for s in S))}
        rows = [r for r in found if _in_tab(r, tab)] if page == 1 else []
        return OrderListPage(rows=rows, counts=counts, total=sum(1 for r in found if _in_tab(r, tab)), page=page,
                             page_size=page_size)
    by_status = dict(conn.execute(stmts.counts).all())
    counts = {s.value: int(by_status.get(s.value, 0)) for s in S}
    counts["active"] = sum(counts[s.value] for s in ACTIVE_STATUSES)
    counts["all"] = sum(int(v) for v in by_status.values())
    total = conn.execute(stmts.tab_count).scalar_one() if stmts.tab_count is not None else counts.get(tab, 0)
    rows = conn.execute(stmts.page).mappings().all()
    session.rollback()
    return OrderListPage(rows=[OrderRow.model_validate(dict(r)) for r in rows], counts=counts, total=int(total),
                         page=page, page_size=page_size)


def delivery_list(session: Session, *, actor: Actor, page: int = 1, page_size: int = MAX_PAGE_SIZE) -> OrderListPage:
    """OR7 delivery list: paid and processing orders that travel (not sold in the store), with addresses."""
    return list_orders(session, actor=actor, tab="delivery", page=page, page_size=page_size)


# --------------------------------------------------------------------------- the card (OR6)

class CustomerRef(BaseModel):
    id: int
    name: str
    username: str
    phone: str
    telegram_id: int | None
    reachable: bool


class HandoffRef(BaseModel):
    id: int
    courier_name: str
    created_at: datetime


class OrderCard(BaseModel):
    order: OrderOut
    tracking_number: str
    customer: CustomerRef | None
    actions: list[orders.AllowedAction]
    handoffs: list[HandoffRef]
    can_message: bool


def get_order_card(session: Session, *, actor: Actor, order_id: int) -> OrderCard:
    require(actor, Perm.orders_view)
    order = get_or_not_found(session, Order, order_id, "order")
    out = load_out(session, order)
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    ref = CustomerRef(id=customer.id, name=customer.full_name, username=customer.username or "",
                      phone=customer.phone or "", telegram_id=customer.telegram_id,
                      reachable=customer.telegram_id is not None and not customer.unreachable) if customer else None
    handoffs = session.execute(
        select(CourierHandoff.id, CourierHandoff.courier_name, CourierHandoff.created_at)
        .join(CourierHandoffOrder, CourierHandoffOrder.handoff_id == CourierHandoff.id)
        .where(CourierHandoffOrder.order_id == order_id).order_by(CourierHandoff.id)).mappings().all()
    card = OrderCard(order=out, tracking_number=order.tracking_number, customer=ref,
                     actions=orders.allowed_actions(actor, order), handoffs=[HandoffRef(**h) for h in handoffs],
                     can_message=bool(ref and ref.reachable))
    session.rollback()
    return card


def move_order(session: Session, *, actor: Actor, order_id: int, to_status: str, reason: str = "",
               restock: bool = True) -> OrderOut:
    """A move pressed on the order card: a move whose rule asks why (a cancel, a step back) needs
    the staff member's reason (``order.reason_required``); the rest is :func:`orders.transition`'s."""
    order = get_or_not_found(session, Order, order_id, "order")
    reason = (reason or "").strip()
    if allowed(order.status, to_status) and not actor.is_customer and not reason \
            and action_rule(OrderStatus(order.status), OrderStatus(to_status)).needs_reason:
        raise ValidationFailed("order.reason_required", "this move needs a reason", field="reason")
    session.rollback()  # the move reads the order again under its own conditional update
    return orders.transition(session, actor=actor, order_id=order_id, to_status=to_status, reason=reason or None,
                             restock=restock)


_TRACKING = re.compile(r"^[A-Za-z0-9\-]{0,64}$")


@atomic
def set_tracking_number(session: Session, *, actor: Actor, order_id: int, tracking_number: str) -> str:
    """OR6: the carrier's tracking number (letters, digits, dashes; empty clears it), audited."""
    require(actor, Perm.orders_manage)
    value = (tracking_number or "").strip().replace(" ", "")
    if not _TRACKING.match(value):
        raise ValidationFailed("order.tracking_invalid", "letters, digits and dashes, up to 64")
    order = get_or_not_found(session, Order, order_id, "order")
    before = order.tracking_number
    if before == value:
        session.rollback()
        return value
    order.tracking_number = value
    session.add(order)
    audit.record(session, actor=actor, action="order.tracking_set", entity="order", entity_id=order_id,
                 before={"tracking_number": before}, after={"tracking_number": value})
    session.commit()
    return value


@atomic
def message_order_customer(session: Session, *, actor: Actor, order_id: int, text: str) -> None:
    """OR9: a message to the order's customer through the outbox (sent by the bot), audited."""
    require(actor, Perm.orders_manage)
    text = checked_message(text)
    order = get_or_not_found(session, Order, order_id, "order")
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    send_message(session, customer, kind="order_message", text=text, order_id=order_id)
    audit.record(session, actor=actor, action="order.message", entity="order", entity_id=order_id, note=text[:200])
    session.commit()


# --------------------------------------------------------------------------- pick list (OR7)

class PickVariant(BaseModel):
    variant_id: int
    variant_label: str
    qty: int
    order_ids: list[int]


class PickProduct(BaseModel):
    product_id: int
    name: str
    qty: int
    variants: list[PickVariant]


class PickList(BaseModel):
    order_ids: list[int]
    products: list[PickProduct]
    units: int


def pick_list(session: Session, *, actor: Actor, order_ids: Sequence[int], cash_on_delivery: bool = False) -> PickList:
    """The warehouse's pick list for the chosen orders: every product once with its variants, the
    quantity to take and which orders want it; sorted by product name. Only orders that may ship
    (paid or later; unpaid ones with ``cash_on_delivery``), others refused by number."""
    require(actor, Perm.orders_view)
    ids = sorted({int(i) for i in order_ids})
    if not ids:
        raise ValidationFailed("order.pick_empty", "choose at least one order")
    if len(ids) > MAX_PICK_ORDERS:
        raise ValidationFailed("order.pick_too_many", "too many orders", max=MAX_PICK_ORDERS)
    found = session.execute(select(Order.id, Order.status).where(Order.id.in_(ids))).all()
    missing = [i for i in ids if i not in {row.id for row in found}]
    if missing:
        raise NotFound("order", missing[0])
    refuse_unshippable(found, cash_on_delivery=cash_on_delivery)
    lines = session.execute(select(OrderLine.order_id, OrderLine.product_id, OrderLine.variant_id, OrderLine.name,
                                   OrderLine.variant_label, OrderLine.qty)
                            .where(OrderLine.order_id.in_(ids)).order_by(OrderLine.id)).all()
    session.rollback()
    products: dict[int, dict] = {}
    for order_id, product_id, variant_id, name, label, qty in lines:
        p = products.setdefault(product_id, {"product_id": product_id, "name": name, "qty": 0, "variants": {}})
        p["qty"] += qty
        v = p["variants"].setdefault(variant_id, {"variant_id": variant_id, "variant_label": label, "qty": 0,
                                                  "order_ids": []})
        v["qty"] += qty
        if order_id not in v["order_ids"]:
            v["order_ids"].append(order_id)
    out = [PickProduct(product_id=p["product_id"], name=p["name"], qty=p["qty"],
                       variants=sorted((PickVariant(**v) for v in p["variants"].values()),
                                       key=lambda v: (v.variant_label, v.variant_id)))
           for p in products.values()]
    out.sort(key=lambda p: (p.name.lower(), p.product_id))
    return PickList(order_ids=ids, products=out, units=sum(p.qty for p in out))


__all__ = ["OrderCard", "OrderListPage", "OrderRow", "PickList", "TABS", "delivery_list", "get_order_card",
           "list_orders", "message_order_customer", "pick_list", "set_tracking_number", "shop_day_bounds"]
