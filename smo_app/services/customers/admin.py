"""Customers in the backoffice (CR1–CR3): search, the customer card, staff edits, Excel exports,
and the one-action reset of a tester's data (SE1).

Search pages with "is there a next page" (one row more than the page) instead of an exact total,
so a search over many customers costs one indexed or scanned query, not two.
"""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, TypeAdapter
import sqlalchemy as sa
from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from smo_app.models.carts import Cart, CartItem
from smo_app.models.catalog import StockSubscription
from smo_app.models.customer import Customer, customer_display_name
from smo_app.models.loyalty import LoyaltyEntry
from smo_app.models.orders import Order, OrderEvent, OrderLine, OrderStatus
from smo_app.models.promotions import PromoUse
from smo_app.models.stock import StockMove
from smo_app.services.core import audit
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, ValidationFailed, get_or_not_found
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.text_search import case_variants, escape_like
from smo_app.text_fold import fold, phone_query_keys
from smo_app.services.core.tx import atomic
from smo_app.services.messaging.telegram_html import html_problem
from smo_app.services.messaging import outbox
from smo_app.i18n import t
from smo_app.services.core.shop_locale import shop_tz

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
CLOSED_STATUSES = (OrderStatus.completed.value, OrderStatus.cancelled.value)
COUNTED_STATUSES = tuple(s.value for s in OrderStatus if s != OrderStatus.cancelled and s != OrderStatus.new)


class CustomerRow(BaseModel):
    id: int
    telegram_id: int | None
    username: str | None
    full_name: str
    phone: str | None
    kind: str
    wholesale_approved: bool
    is_tester: bool
    personal_discount_pct: int
    bonus_balance_minor: int
    first_seen_at: datetime


_ROW_FIELDS = tuple(CustomerRow.model_fields)
_ROW_COLUMNS = tuple(Customer.__table__.c[f] for f in _ROW_FIELDS)


class CustomerPage(BaseModel):
    rows: list[CustomerRow]
    page: int
    page_size: int
    has_next: bool


class FriendRow(BaseModel):
    id: int
    full_name: str
    username: str | None
    first_seen_at: datetime


class OrderBrief(BaseModel):
    id: int
    status: str
    total_minor: int
    created_at: datetime


class CustomerCard(CustomerRow):
    email: str | None
    language: str
    note: str | None
    unreachable: bool
    last_seen_at: datetime
    inviter_id: int | None
    orders_count: int
    orders_sum_minor: int
    friends: list[FriendRow]
    recent_orders: list[OrderBrief]


def _plan(query: str) -> tuple[str, dict[str, Any]]:
    """The kind of search and its values: ``@name`` → username prefix; digits → Telegram id, id or
    phone; other text → name, username or phone containing it; nothing → everyone."""
    q = (query or "").strip()
    if q.startswith("@") and len(q) > 1:
        return "username", _variants(q[1:], prefix=True)
    digits = q.lstrip("+").replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
    if digits.isdigit():
        number = int(digits) if len(digits) <= 18 else -1
        anywhere, national = phone_query_keys(q)
        return "number", {"digits": f"%{escape_like(digits)}%", "number": number,
                          "phone_any": f"%{escape_like(anywhere)}%",
                          "phone_start": f"{escape_like(national)}%" if national else f"%{escape_like(anywhere)}%"}
    if q and q != "@":
        return "text", {"v0": f"%{escape_like(fold(q))}%"}
    return "all", {}


def _variants(text: str, *, prefix: bool = False) -> dict[str, str]:
    spellings = sorted(case_variants(text))
    spellings += [spellings[0]] * (4 - len(spellings))  # always four: one statement shape per kind
    return {f"v{i}": (f"{escape_like(v)}%" if prefix else f"%{escape_like(v)}%") for i, v in enumerate(spellings)}


def _contains(column, dialect: str):
    if dialect == "postgresql":
        return column.ilike(sa.bindparam("v0"), escape="\\")
    return or_(*[column.like(sa.bindparam(f"v{i}"), escape="\\") for i in range(4)])


def _where(kind: str, dialect: str, number: int | None = None):
    table = Customer.__table__.c
    if kind == "username":
        return _contains(table.username, dialect)
    if kind == "number":
        conds = [table.phone.like(sa.bindparam("digits"), escape="\\"),
                 table.phone_key.like(sa.bindparam("phone_any"), escape="\\"),
                 table.phone_key.like(sa.bindparam("phone_start"), escape="\\")]
        for column in (table.telegram_id, table.id):
            # an int4 column cannot be compared with a bigger number on PostgreSQL
            if dialect != "postgresql" or number is None or number < 2**31 or isinstance(column.type, sa.BigInteger):
                conds.append(column == sa.bindparam("number"))
        return or_(*conds)
    if kind == "text":
        # name and @username folded (smo_app.text_fold): any language, any case, both engines
        return or_(table.search_key.like(sa.bindparam("v0"), escape="\\"),
                   table.phone.like(sa.bindparam("v0"), escape="\\"))
    return None


def search_condition(query: str, dialect: str):
    """The WHERE clause of a customer search with its values bound (benchmarks compile it)."""
    kind, params = _plan(query)
    where = _where(kind, dialect, params.get("number"))
    return None if where is None else where.params(**params)


_STATEMENTS: dict[tuple, Any] = {}


def _statement(kind: str, dialect: str, testers_only: bool, small_number: bool):
    """One prepared statement per kind of search, built once (SQLAlchemy then reuses its SQL)."""
    key = (kind, dialect, testers_only, small_number)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        table = Customer.__table__
        stmt = sa.select(*_ROW_COLUMNS)
        where = _where(kind, dialect, 0 if small_number else 2**40)
        if where is not None:
            stmt = stmt.where(where)
        if testers_only:
            stmt = stmt.where(table.c.is_tester.is_(True))
        stmt = stmt.order_by(table.c.id.desc()).limit(sa.bindparam("lim")).offset(sa.bindparam("off"))
        _STATEMENTS[key] = stmt
    return stmt


_ROWS = TypeAdapter(list[CustomerRow])


def search_customers(session: Session, *, actor: Actor, query: str = "", page: int = 1,
                     page_size: int = PAGE_SIZE, testers_only: bool = False) -> CustomerPage:
    """CR1 search by @username, Telegram id, phone or name; newest first; server-side paging."""
    require(actor, Perm.customers_view)
    if len(query or "") > 100:
        raise ValidationFailed("customers.query_too_long", "query too long")
    page = max(1, int(page))
    page_size = min(max(1, int(page_size)), MAX_PAGE_SIZE)
    kind, params = _plan(query)
    dialect = session.get_bind().dialect.name
    stmt = _statement(kind, dialect, testers_only, params.get("number", 0) < 2**31)
    rows = session.connection().execute(stmt, {**params, "lim": page_size + 1, "off": (page - 1) * page_size}).mappings().all()
    session.rollback()
    return CustomerPage(rows=_ROWS.validate_python(rows[:page_size], from_attributes=False), page=page,
                        page_size=page_size, has_next=len(rows) > page_size)


def get_card(session: Session, *, actor: Actor, customer_id: int) -> CustomerCard:
    """CR1 card: contacts (the phone and name given at checkout when the profile has none), the
    orders placed (all but cancelled) and their paid sum, friends, note."""
    require(actor, Perm.customers_view)
    c = get_or_not_found(session, Customer, customer_id, "customer")
    count = session.exec(select(func.count(Order.id)).where(
        Order.customer_id == customer_id, Order.status != OrderStatus.cancelled.value)).one()
    total = session.exec(select(func.coalesce(func.sum(Order.total_minor), 0)).where(
        Order.customer_id == customer_id, Order.status.in_(COUNTED_STATUSES))).one()
    friends = session.exec(select(Customer).where(Customer.inviter_id == customer_id)
                           .order_by(Customer.id.desc()).limit(100)).all()
    recent = session.exec(select(Order).where(Order.customer_id == customer_id).order_by(Order.id.desc()).limit(10)).all()
    data = c.model_dump()
    if not data.get("phone"):
        data["phone"] = next((o.phone for o in recent if o.phone), None)
    if not (data.get("full_name") or "").strip():
        data["full_name"] = next((o.contact_name for o in recent if o.contact_name), "")
    data.update(orders_count=count, orders_sum_minor=int(total),
                friends=[FriendRow.model_validate(f, from_attributes=True) for f in friends],
                recent_orders=[OrderBrief.model_validate(o, from_attributes=True) for o in recent])
    return CustomerCard.model_validate(data)


@atomic
def update_customer(session: Session, *, actor: Actor, customer_id: int, personal_discount_pct: int | None = None,
                    note: str | None = None, wholesale_approved: bool | None = None,
                    is_tester: bool | None = None) -> CustomerCard:
    """CR2: personal discount, manager note, wholesale approval (managers and up); the tester flag
    is the owner's (SE1). Every change is audited with before and after."""
    require(actor, Perm.customers_manage)
    if is_tester is not None:
        require(actor, Perm.settings_manage)
    c = get_or_not_found(session, Customer, customer_id, "customer")
    changes: dict[str, Any] = {}
    if personal_discount_pct is not None:
        if not 0 <= int(personal_discount_pct) <= 100:
            raise ValidationFailed("customers.discount_invalid", "discount 0..100")
        changes["personal_discount_pct"] = int(personal_discount_pct)
    if note is not None:
        note = note.strip()
        if len(note) > 1000:
            raise ValidationFailed("customers.note_too_long", "note over 1000 chars")
        changes["note"] = note or None
    if wholesale_approved is not None:
        changes["wholesale_approved"] = bool(wholesale_approved)
        changes["kind"] = "wholesale" if wholesale_approved else "retail"
    if is_tester is not None:
        changes["is_tester"] = bool(is_tester)
    before = {k: getattr(c, k) for k in changes if getattr(c, k) != changes[k]}
    if before:
        for key in before:
            setattr(c, key, changes[key])
        session.add(c)
        audit.record(session, actor=actor, action="customer.update", entity="customer", entity_id=customer_id,
                     before=before, after={k: changes[k] for k in before})
        session.commit()
    return get_card(session, actor=actor, customer_id=customer_id)


def checked_message(text: str) -> str:
    """A staff member's message to a customer, trimmed: 1–4000 characters of valid Telegram HTML
    (``customers.message_invalid`` / ``customers.message_html`` otherwise)."""
    text = (text or "").strip()
    if not 1 <= len(text) <= 4000:
        raise ValidationFailed("customers.message_invalid", "message 1..4000 chars")
    problem = html_problem(text)
    if problem:
        raise ValidationFailed("customers.message_html", problem, problem=problem)
    return text


def send_message(session: Session, customer: Customer | None, *, kind: str, text: str,
                 order_id: int | None = None) -> None:
    """Queue a staff member's message to the customer's Telegram chat (no commit);
    ``customers.unreachable`` when there is no customer, no chat, or the bot is blocked."""
    if customer is None or outbox.enqueue_to_customer(session, customer=customer, kind=kind, text=text,
                                                      order_id=order_id) is None:
        raise DomainError("customers.unreachable", "no Telegram chat or bot blocked")


@atomic
def message_customer(session: Session, *, actor: Actor, customer_id: int, text: str) -> None:
    """CR2 direct message: queued in the outbox (sent by the bot, or visible there without one)."""
    require(actor, Perm.customers_manage)
    text = checked_message(text)
    c = get_or_not_found(session, Customer, customer_id, "customer")
    send_message(session, c, kind="direct_message", text=text)
    audit.record(session, actor=actor, action="customer.message", entity="customer", entity_id=customer_id,
                 note=text[:200])
    session.commit()


class ResetOut(BaseModel):
    customer_id: int
    orders: int
    loyalty_entries: int


@atomic
def reset_tester(session: Session, *, actor: Actor, customer_id: int) -> ResetOut:
    """SE1: wipe a tester's cart, orders, bonuses and subscriptions in one transaction.

    Refused while the tester has an open order (cancel it first, so its stock comes back).
    Stock moves stay in the ledger; they only lose the link to the deleted order."""
    require(actor, Perm.settings_manage)
    c = get_or_not_found(session, Customer, customer_id, "customer")
    if not c.is_tester:
        raise DomainError("customers.not_tester", "only testers can be reset")
    order_ids = list(session.exec(select(Order.id).where(Order.customer_id == customer_id)).all())
    if order_ids and session.exec(select(Order.id).where(Order.id.in_(order_ids),
                                                         Order.status.not_in(CLOSED_STATUSES))).first():
        raise DomainError("customers.tester_open_orders", "tester has open orders")
    entries = session.exec(select(func.count(LoyaltyEntry.id)).where(LoyaltyEntry.customer_id == customer_id)).one()
    cart_ids = list(session.exec(select(Cart.id).where(Cart.customer_id == customer_id)).all())
    if cart_ids:
        session.execute(delete(CartItem).where(CartItem.cart_id.in_(cart_ids)))
        session.execute(delete(Cart).where(Cart.id.in_(cart_ids)))
    session.execute(delete(StockSubscription).where(StockSubscription.customer_id == customer_id))
    session.execute(delete(LoyaltyEntry).where(LoyaltyEntry.customer_id == customer_id))
    if order_ids:
        session.execute(update(LoyaltyEntry).where(LoyaltyEntry.order_id.in_(order_ids)).values(order_id=None))
        session.execute(update(StockMove).where(StockMove.order_id.in_(order_ids)).values(order_id=None))
        session.execute(delete(PromoUse).where(PromoUse.order_id.in_(order_ids)))
        session.execute(delete(OrderEvent).where(OrderEvent.order_id.in_(order_ids)))
        session.execute(delete(OrderLine).where(OrderLine.order_id.in_(order_ids)))
        session.execute(delete(Order).where(Order.id.in_(order_ids)))
    session.execute(update(Customer).where(Customer.id == customer_id).values(bonus_balance_minor=0))
    audit.record(session, actor=actor, action="customer.tester_reset", entity="customer", entity_id=customer_id,
                 before={"orders": len(order_ids), "loyalty_entries": entries, "bonus_balance_minor": c.bonus_balance_minor},
                 after={"orders": 0, "loyalty_entries": 0, "bonus_balance_minor": 0})
    session.commit()
    return ResetOut(customer_id=customer_id, orders=len(order_ids), loyalty_entries=entries)


# --------------------------------------------------------------------------- Excel (CR3)

def _day_bounds(date_from: date, date_to: date, tz) -> tuple[datetime, datetime]:
    if date_to < date_from:
        raise ValidationFailed("customers.period_invalid", "date_to before date_from")
    if (date_to - date_from).days > 3660:
        raise ValidationFailed("customers.period_invalid", "period too long")
    return datetime.combine(date_from, time.min, tz), datetime.combine(date_to + timedelta(days=1), time.min, tz)


def _sheet(wb, title: str, header: list[str], rows) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)


def _rub(minor: int) -> float:
    return round(minor / 100, 2)


def export_xlsx(session: Session, *, actor: Actor, date_from: date, date_to: date, lang: str = "ru",
                tz=None) -> bytes:
    """CR3: one workbook — customers, new per day in the period, conversion (registered in the
    period → ordered), repeat purchases, average check per day. Amounts in rubles."""
    from openpyxl import Workbook

    require(actor, Perm.customers_view)
    if tz is None:
        tz = shop_tz(session)
    start, end = _day_bounds(date_from, date_to, tz)
    wb = Workbook()
    wb.remove(wb.active)
    h = lambda key: t(f"xlsx.cust.{key}", lang)  # noqa: E731
    stats = {cid: (n, s) for cid, n, s in session.exec(
        select(Order.customer_id, func.count(Order.id), func.sum(Order.total_minor))
        .where(Order.status.in_(COUNTED_STATUSES), Order.customer_id.is_not(None)).group_by(Order.customer_id)).all()}
    customers = session.exec(select(Customer).order_by(Customer.id)).all()
    _sheet(wb, h("sheet_customers"),
           [h("id"), h("telegram_id"), h("username"), h("name"), h("phone"), h("registered"), h("kind"),
            h("bonuses"), h("discount"), h("orders"), h("sum")],
           ((c.id, c.telegram_id, c.username or "", c.full_name, c.phone or "",
             c.first_seen_at.astimezone(tz).strftime("%Y-%m-%d"), h(f"kind.{c.kind}"), _rub(c.bonus_balance_minor),
             c.personal_discount_pct, stats.get(c.id, (0, 0))[0], _rub(stats.get(c.id, (0, 0))[1] or 0))
            for c in customers))
    new_by_day: dict[str, int] = {}
    new_ids = []
    for c in customers:
        if start <= c.first_seen_at < end:
            day = c.first_seen_at.astimezone(tz).strftime("%Y-%m-%d")
            new_by_day[day] = new_by_day.get(day, 0) + 1
            new_ids.append(c.id)
    _sheet(wb, h("sheet_new"), [h("day"), h("new")], sorted(new_by_day.items()))
    buyers = set(session.exec(select(Order.customer_id).where(Order.customer_id.in_(new_ids),
                                                              Order.status.in_(COUNTED_STATUSES))).all()) if new_ids else set()
    conv = round(100.0 * len(buyers) / len(new_ids), 1) if new_ids else 0.0
    _sheet(wb, h("sheet_conversion"), [h("registered"), h("buyers"), h("conversion")], [(len(new_ids), len(buyers), conv)])
    names = {c.id: customer_display_name(c) for c in customers}  # a name beside the number, never "client 11" alone
    repeat = [(cid, names.get(cid, ""), n, _rub(s or 0)) for cid, (n, s) in sorted(stats.items()) if n >= 2]
    _sheet(wb, h("sheet_repeat"), [h("id"), h("name"), h("orders"), h("sum")], repeat)
    by_day: dict[str, list[int]] = {}
    for created, total in session.exec(select(Order.created_at, Order.total_minor).where(
            Order.status.in_(COUNTED_STATUSES), Order.created_at >= start, Order.created_at < end)).all():
        by_day.setdefault(created.astimezone(tz).strftime("%Y-%m-%d"), []).append(total)
    _sheet(wb, h("sheet_avg"), [h("day"), h("orders"), h("sum"), h("avg")],
           [(d, len(v), _rub(sum(v)), _rub(sum(v) // len(v))) for d, v in sorted(by_day.items())])
    session.rollback()
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
