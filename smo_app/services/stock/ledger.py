"""Stock ledger (WH1, WH2, WH4, WH5, WH6, WH8): supplies, write-offs, counts, edits, and the one helper
that changes a variant's on-hand quantity together with an appended StockMove.
"""
from __future__ import annotations

from datetime import datetime
from html import escape

from pydantic import BaseModel, Field
from sqlalchemy import select as sa_select
from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.catalog import Product, StockSubscription, Variant
from smo_app.models.customer import Customer
from smo_app.models.staff import Role
from smo_app.models.stock import MoveKind, StockMove, Supplier, Supply, SupplyLine
from smo_app.services.core import audit
from smo_app.services.messaging import outbox
from smo_app.services.core.actor import Actor
from smo_app.services.core.errors import DomainError, NotFound, ValidationFailed
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.tx import atomic


class MoveOut(BaseModel):
    id: int
    variant_id: int
    kind: str
    delta: int
    qty_after: int
    unit_cost_minor: int
    actor_name: str
    comment: str | None
    order_id: int | None
    created_at: datetime


def _to_move_out(move: StockMove) -> MoveOut:
    return MoveOut.model_validate(move, from_attributes=True)


# --------------------------------------------------------------------------- the ledger helper

def apply_move(
    session: Session,
    *,
    actor: Actor,
    variant_id: int,
    delta: int,
    kind: MoveKind | str,
    comment: str | None = None,
    order_id: int | None = None,
    supply_id: int | None = None,
    incoming_cost_minor: int | None = None,
    allow_negative: bool = False,
    notify: bool = True,
    now: datetime | None = None,
) -> StockMove:
    """Change on-hand stock by ``delta`` and append the StockMove. Runs inside the caller's
    transaction: it does not commit and does no permission check (callers do).

    A decrement is one conditional UPDATE (``qty >= n``) unless ``allow_negative`` (preorder);
    if the stock is not there it raises ``stock.insufficient`` and the caller's transaction must
    roll back. A supply with ``incoming_cost_minor`` recomputes the weighted average cost (WH2).
    Crossing 0 → >0 notifies back-in-stock subscribers (WH8); falling to the threshold alerts staff
    (both skipped with ``notify=False``).
    """
    now = now or utcnow()
    if delta == 0:
        raise ValueError("a stock move needs a non-zero delta")
    table = Variant.__table__
    if delta < 0 and not allow_negative:
        stmt = (
            update(table).where(table.c.id == variant_id, table.c.qty >= -delta)
            .values(qty=table.c.qty + delta).returning(table.c.qty, table.c.avg_cost_minor)
        )
        row = session.execute(stmt).first()
        if row is None:
            available = session.execute(sa_select(table.c.qty).where(table.c.id == variant_id)).scalar()
            if available is None:
                raise NotFound("variant", variant_id)
            raise DomainError("stock.insufficient", f"variant {variant_id}: {available} < {-delta}",
                              variant_id=variant_id, available=max(available, 0), requested=-delta)
        qty_after, cost = row
        move_cost = cost
    elif incoming_cost_minor is not None and delta > 0:
        current = session.execute(
            sa_select(table.c.qty, table.c.avg_cost_minor).where(table.c.id == variant_id).with_for_update()
        ).first()
        if current is None:
            raise NotFound("variant", variant_id)
        cost = weighted_average_cost(current.qty, current.avg_cost_minor, delta, incoming_cost_minor)
        qty_after = session.execute(
            update(table).where(table.c.id == variant_id)
            .values(qty=table.c.qty + delta, avg_cost_minor=cost).returning(table.c.qty)
        ).scalar_one()
        move_cost = incoming_cost_minor
    else:
        row = session.execute(
            update(table).where(table.c.id == variant_id)
            .values(qty=table.c.qty + delta).returning(table.c.qty, table.c.avg_cost_minor)
        ).first()
        if row is None:
            raise NotFound("variant", variant_id)
        qty_after, cost = row
        move_cost = cost
    _sync_loaded_variant(session, variant_id, qty_after, cost)
    move = StockMove(
        variant_id=variant_id, kind=str(kind), delta=delta, qty_after=qty_after, unit_cost_minor=move_cost,
        actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name[:128],
        comment=(comment or None) and comment[:500], order_id=order_id, supply_id=supply_id, created_at=now,
    )
    session.add(move)
    before = qty_after - delta
    if notify and before <= 0 < qty_after:
        _notify_back_in_stock(session, variant_id=variant_id, now=now)
    if notify and delta < 0:
        _maybe_low_stock_alert(session, variant_id=variant_id, before=before, after=qty_after)
    return move


_V = Variant.__table__
_DECREMENT = (update(_V).where(_V.c.id == bindparam("vid"), _V.c.qty >= bindparam("n"))
              .values(qty=_V.c.qty - bindparam("n")).returning(_V.c.qty, _V.c.avg_cost_minor))
_DECREMENT_ANY = (update(_V).where(_V.c.id == bindparam("vid"))
                  .values(qty=_V.c.qty - bindparam("n")).returning(_V.c.qty, _V.c.avg_cost_minor))
_INSERT_MOVE = insert(StockMove.__table__)


def take_for_order(
    session: Session,
    *,
    actor: Actor,
    items: list[tuple[int, int, int | None]],
    order_id: int | None,
    allow_negative: bool = False,
    now: datetime | None = None,
) -> list[tuple[int, int]]:
    """Take stock for an order's lines: ``items`` is (variant_id, qty, low_stock_threshold or None).

    Inside the caller's transaction (no commit, no permission check). Decrements run in variant-id
    order as conditional UPDATEs; the ``sale`` moves are appended in one batch (with ``order_id=None``
    the caller appends them with :func:`append_sale_moves` once the order exists). Returns
    (qty_after, unit_cost_minor) per item in the given order; raises ``stock.insufficient``.
    """
    now = now or utcnow()
    conn = session.connection()
    results: dict[int, tuple[int, int]] = {}
    decrement = _DECREMENT_ANY if allow_negative else _DECREMENT
    for vid, qty, _threshold in sorted(items, key=lambda i: i[0]):
        row = conn.execute(decrement, {"vid": vid, "n": qty}).first()
        if row is None:
            table = Variant.__table__
            available = conn.execute(sa_select(table.c.qty).where(table.c.id == vid)).scalar()
            if available is None:
                raise NotFound("variant", vid)
            raise DomainError("stock.insufficient", f"variant {vid}: {available} < {qty}",
                              variant_id=vid, available=max(available, 0), requested=qty)
        results[vid] = (row[0], row[1])
        _sync_loaded_variant(session, vid, row[0], row[1])
    taken = [results[vid] for vid, _, _ in items]
    if order_id is not None:
        append_sale_moves(session, actor=actor, items=items, taken=taken, order_id=order_id, now=now)
    for vid, qty, threshold in items:
        after = results[vid][0]
        if threshold is None or after + qty > threshold >= after:
            _maybe_low_stock_alert(session, variant_id=vid, before=after + qty, after=after)
    return taken


def append_sale_moves(session: Session, *, actor: Actor, items: list[tuple[int, int, int | None]],
                      taken: list[tuple[int, int]], order_id: int, now: datetime) -> None:
    """The ``sale`` StockMoves for stock already taken by :func:`take_for_order` (no commit)."""
    session.connection().execute(_INSERT_MOVE, [
        {"variant_id": vid, "kind": MoveKind.sale.value, "delta": -qty, "qty_after": after,
         "unit_cost_minor": cost, "actor_kind": actor.kind, "actor_id": actor.id, "actor_name": actor.name[:128],
         "comment": None, "order_id": order_id, "supply_id": None, "created_at": now}
        for (vid, qty, _), (after, cost) in zip(items, taken)
    ])


def weighted_average_cost(old_qty: int, old_cost_minor: int, in_qty: int, in_cost_minor: int) -> int:
    """WH2: ``(old_qty*old_cost + in_qty*in_cost) / (old_qty + in_qty)``, rounded half up.

    Stock at or below zero (preorder) carries no cost: the incoming cost becomes the average.
    """
    if in_qty <= 0:
        raise ValueError("incoming quantity must be positive")
    if old_qty <= 0:
        return in_cost_minor
    total = old_qty * old_cost_minor + in_qty * in_cost_minor
    units = old_qty + in_qty
    return (2 * total + units) // (2 * units)


def _sync_loaded_variant(session: Session, variant_id: int, qty: int, cost: int) -> None:
    """Keep an already loaded Variant in step with the Core UPDATE (no extra query)."""
    obj = session.identity_map.get(identity_key(Variant, variant_id))
    if obj is not None:
        set_committed_value(obj, "qty", qty)
        set_committed_value(obj, "avg_cost_minor", cost)


def _notify_back_in_stock(session: Session, *, variant_id: int, now: datetime) -> None:
    subs = session.exec(
        select(StockSubscription).where(StockSubscription.variant_id == variant_id, StockSubscription.notified_at.is_(None))
    ).all()
    if not subs:
        return
    variant = session.get(Variant, variant_id)
    product = session.get(Product, variant.product_id)
    name = f"{product.name} {variant.label}".strip()
    for sub in subs:
        customer = session.get(Customer, sub.customer_id)
        if customer is not None:
            outbox.enqueue_to_customer(
                session, customer=customer, kind="back_in_stock",
                text=t("notify.back_in_stock", customer.language, name=escape(name)),
                dedupe_key=f"back_in_stock:{sub.id}:{now.isoformat()}",
            )
        sub.notified_at = now
        session.add(sub)


def _maybe_low_stock_alert(session: Session, *, variant_id: int, before: int, after: int) -> None:
    threshold = session.execute(
        sa_select(Product.__table__.c.low_stock_threshold, Product.__table__.c.name, Variant.__table__.c.label)
        .join(Variant.__table__, Variant.__table__.c.product_id == Product.__table__.c.id)
        .where(Variant.__table__.c.id == variant_id)
    ).first()
    if threshold is None:
        return
    limit, name, label = threshold
    if before > limit >= after:
        outbox.enqueue_staff_alert(
            session, kind="low_stock", roles=(Role.owner, Role.admin, Role.manager),
            text=t("notify.low_stock", "ru", name=escape(f"{name} {label}".strip()), qty=after, id=variant_id),
        )


# --------------------------------------------------------------------------- suppliers and supplies (WH4)

class SupplierOut(BaseModel):
    id: int
    name: str
    contact: str
    note: str
    active: bool


@atomic
def create_supplier(session: Session, *, actor: Actor, name: str, contact: str = "", note: str = "") -> SupplierOut:
    require(actor, Perm.stock_manage)
    name = (name or "").strip()
    if not 1 <= len(name) <= 128:
        raise ValidationFailed("supplier.name_invalid", "supplier name 1..128 chars")
    if session.exec(select(Supplier.id).where(Supplier.name == name)).first() is not None:
        raise ValidationFailed("supplier.name_taken", f"supplier {name} exists", name=name)
    supplier = Supplier(name=name, contact=(contact or "")[:256], note=(note or "")[:1000])
    session.add(supplier)
    session.flush()
    audit.record(session, actor=actor, action="supplier.create", entity="supplier", entity_id=supplier.id,
                 after={"name": name})
    session.commit()
    return SupplierOut.model_validate(supplier, from_attributes=True)


def list_suppliers(session: Session, *, actor: Actor) -> list[SupplierOut]:
    require(actor, Perm.stock_manage)
    rows = session.exec(select(Supplier).where(Supplier.active).order_by(Supplier.name)).all()
    return [SupplierOut.model_validate(r, from_attributes=True) for r in rows]


class SupplyItemIn(BaseModel):
    variant_id: int
    qty: int = Field(gt=0)
    total_minor: int = Field(ge=0)  # what the batch of this item cost; split per unit


class SupplyLineOut(BaseModel):
    variant_id: int
    qty: int
    unit_cost_minor: int
    qty_after: int
    avg_cost_after_minor: int


class SupplyOut(BaseModel):
    id: int
    supplier_id: int
    total_minor: int
    units: int
    lines: list[SupplyLineOut]


@atomic
def receive_supply(
    session: Session,
    *,
    actor: Actor,
    supplier_id: int,
    items: list[SupplyItemIn | dict],
    comment: str | None = None,
    now: datetime | None = None,
) -> SupplyOut:
    """WH4: 1) supplier, 2) items with quantities, 3) the batch price per item, split per unit
    (rounded half up to the kopeck). Each item is a ``supply`` move and moves the average cost."""
    require(actor, Perm.stock_manage)
    items = [i if isinstance(i, SupplyItemIn) else SupplyItemIn.model_validate(i) for i in items]
    if not items:
        raise ValidationFailed("supply.empty", "a supply needs at least one item")
    if session.get(Supplier, supplier_id) is None:
        raise NotFound("supplier", supplier_id)
    for item in items:
        if session.get(Variant, item.variant_id) is None:
            raise ValidationFailed("supply.unknown_variant", f"no variant {item.variant_id}", id=item.variant_id)
    now = now or utcnow()
    supply = Supply(supplier_id=supplier_id, total_minor=sum(i.total_minor for i in items),
                    units=sum(i.qty for i in items), comment=comment, actor_name=actor.name[:128], created_at=now)
    session.add(supply)
    session.flush()
    lines = []
    for item in sorted(items, key=lambda i: i.variant_id):
        unit_cost = (2 * item.total_minor + item.qty) // (2 * item.qty)
        before = session.get(Variant, item.variant_id)
        before_state = {"qty": before.qty, "avg_cost_minor": before.avg_cost_minor}
        move = apply_move(session, actor=actor, variant_id=item.variant_id, delta=item.qty, kind=MoveKind.supply,
                          comment=comment, supply_id=supply.id, incoming_cost_minor=unit_cost, now=now)
        session.add(SupplyLine(supply_id=supply.id, variant_id=item.variant_id, qty=item.qty, unit_cost_minor=unit_cost))
        avg_after = session.get(Variant, item.variant_id).avg_cost_minor
        audit.record(session, actor=actor, action="stock.supply", entity="variant", entity_id=item.variant_id,
                     before=before_state, after={"qty": move.qty_after, "avg_cost_minor": avg_after,
                                                 "unit_cost_minor": unit_cost, "supply_id": supply.id})
        lines.append(SupplyLineOut(variant_id=item.variant_id, qty=item.qty, unit_cost_minor=unit_cost,
                                   qty_after=move.qty_after, avg_cost_after_minor=avg_after))
    session.commit()
    return SupplyOut(id=supply.id, supplier_id=supplier_id, total_minor=supply.total_minor, units=supply.units,
                     lines=lines)


# --------------------------------------------------------------------------- edits, write-offs, counts

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
    return _to_move_out(move)


def _locked_qty(session: Session, variant_id: int) -> int:
    table = Variant.__table__
    qty = session.execute(sa_select(table.c.qty).where(table.c.id == variant_id).with_for_update()).scalar()
    if qty is None:
        raise NotFound("variant", variant_id)
    return qty


def parse_lines(text: str) -> tuple[list[tuple[int, int, int]], list[dict]]:
    """``ID qty`` per line → [(line_no, id, qty)], errors. Blank lines and ``#`` comments are skipped."""
    parsed, errors = [], []
    for no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(":", " ").replace(";", " ").split()
        if len(parts) != 2 or not parts[0].isdigit():
            errors.append({"line": no, "code": "stock.line_format", "text": raw})
            continue
        if not parts[1].lstrip("-").isdigit():
            errors.append({"line": no, "code": "stock.line_qty", "text": raw})
            continue
        parsed.append((no, int(parts[0]), int(parts[1])))
    return parsed, errors


def _reject(errors: list[dict]) -> None:
    errors.sort(key=lambda e: e["line"])
    first = errors[0]
    params = first.get("params", {})
    raise ValidationFailed("stock.batch_rejected", f"line {first['line']}: {first['code']}", errors=errors,
                           line=first["line"], reason_ru=t(first["code"], "ru", **params),
                           reason_en=t(first["code"], "en", **params))


class BatchOut(BaseModel):
    moves: list[MoveOut]


@atomic
def write_off(session: Session, *, actor: Actor, lines: str, comment: str | None = None,
              now: datetime | None = None) -> BatchOut:
    """WH3 bulk write-off from ``ID qty`` lines. One bad line rejects the whole batch
    (``stock.batch_rejected`` with ``errors`` = line number, code)."""
    require(actor, Perm.stock_manage)
    parsed, errors = parse_lines(lines)
    wanted: dict[int, int] = {}
    first_line: dict[int, int] = {}
    for no, vid, qty in parsed:
        if qty <= 0:
            errors.append({"line": no, "code": "stock.line_qty", "params": {}})
            continue
        wanted[vid] = wanted.get(vid, 0) + qty
        first_line.setdefault(vid, no)
    for vid, qty in wanted.items():
        variant = session.get(Variant, vid)
        if variant is None:
            errors.append({"line": first_line[vid], "code": "stock.line_unknown_id", "params": {"id": vid}})
        elif variant.qty < qty:
            errors.append({"line": first_line[vid], "code": "stock.line_insufficient",
                           "params": {"id": vid, "available": variant.qty}})
    if not parsed and not errors:
        raise ValidationFailed("stock.batch_empty", "no lines")
    if errors:
        _reject(errors)
    moves = []
    for vid in sorted(wanted):
        try:
            move = apply_move(session, actor=actor, variant_id=vid, delta=-wanted[vid], kind=MoveKind.write_off,
                              comment=comment, now=now)
        except DomainError:
            session.rollback()
            _reject([{"line": first_line[vid], "code": "stock.line_insufficient", "params": {"id": vid, "available": 0}}])
        audit.record(session, actor=actor, action="stock.write_off", entity="variant", entity_id=vid,
                     before={"qty": move.qty_after + wanted[vid]}, after={"qty": move.qty_after}, note=comment)
        moves.append(_to_move_out(move))
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
def count_inventory(session: Session, *, actor: Actor, lines: str, apply: bool = False,
                    comment: str | None = None, now: datetime | None = None) -> CountOut:
    """WH5: ``ID real_qty`` lines → discrepancies; with ``apply`` each difference becomes a ``count`` move."""
    require(actor, Perm.stock_manage)
    parsed, errors = parse_lines(lines)
    seen: dict[int, int] = {}
    counted: dict[int, int] = {}
    for no, vid, qty in parsed:
        if qty < 0:
            errors.append({"line": no, "code": "stock.line_qty", "params": {}})
        elif vid in seen:
            errors.append({"line": no, "code": "stock.line_duplicate", "params": {"id": vid, "first": seen[vid]}})
        elif session.get(Variant, vid) is None:
            errors.append({"line": no, "code": "stock.line_unknown_id", "params": {"id": vid}})
        else:
            seen[vid] = no
            counted[vid] = qty
    if not parsed and not errors:
        raise ValidationFailed("stock.batch_empty", "no lines")
    if errors:
        _reject(errors)
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
    return _to_move_out(move)


# --------------------------------------------------------------------------- reading

def list_moves(session: Session, *, actor: Actor, variant_id: int | None = None, limit: int = 100) -> list[MoveOut]:
    require(actor, Perm.stock_manage)
    query = select(StockMove)
    if variant_id is not None:
        query = query.where(StockMove.variant_id == variant_id)
    rows = session.exec(query.order_by(StockMove.id.desc()).limit(min(max(limit, 1), 1000))).all()
    return [_to_move_out(r) for r in rows]


class StockRow(BaseModel):
    variant_id: int
    product_id: int
    name: str
    qty: int
    avg_cost_minor: int
    value_minor: int
    price_minor: int
    level: str  # green | yellow | red


def stock_overview(session: Session, *, actor: Actor, search: str | None = None) -> list[StockRow]:
    """WH3: every active variant with quantity, cost, stock value and a traffic-light level."""
    require(actor, Perm.stock_manage)
    query = select(Variant, Product).join(Product, Product.id == Variant.product_id).where(
        Variant.active, Product.deleted.is_(False))  # type: ignore[union-attr]
    if search:
        query = query.where(Product.name.icontains(search.strip()))
    rows = []
    for variant, product in session.exec(query.order_by(Product.name, Variant.position)).all():
        level = "red" if variant.qty <= 0 else ("yellow" if variant.qty <= product.low_stock_threshold else "green")
        rows.append(StockRow(
            variant_id=variant.id, product_id=product.id, name=f"{product.name} {variant.label}".strip(),
            qty=variant.qty, avg_cost_minor=variant.avg_cost_minor, value_minor=max(variant.qty, 0) * variant.avg_cost_minor,
            price_minor=variant.price_minor, level=level,
        ))
    return rows


@atomic
def subscribe_back_in_stock(session: Session, *, actor: Actor, customer_id: int, variant_id: int) -> bool:
    """ST3 "notify me": a customer subscribes to a variant; True if newly subscribed."""
    if not (actor.is_system or (actor.is_customer and actor.id == customer_id)):
        require(actor, Perm.customers_manage)
    if session.get(Variant, variant_id) is None:
        raise NotFound("variant", variant_id)
    existing = session.exec(select(StockSubscription).where(
        StockSubscription.customer_id == customer_id, StockSubscription.variant_id == variant_id)).first()
    if existing is not None:
        if existing.notified_at is None:
            return False
        existing.notified_at = None
        session.add(existing)
    else:
        session.add(StockSubscription(customer_id=customer_id, variant_id=variant_id))
    session.commit()
    return True
