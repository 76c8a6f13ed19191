"""The stock ledger: the one helper that changes a variant's on-hand quantity together with an
appended StockMove (:func:`apply_move`), the batch path orders take stock through
(:func:`take_for_order`, :func:`append_sale_moves`), the bulk paths of a pulled catalog
(:func:`apply_counts`, :func:`insert_variants`), the weighted average cost, and reading
(the moves, the overview). Supplies, adjustments (edits, write-offs, counts, returns) and
back-in-stock subscriptions live in their own modules and all move stock through here.
"""
from __future__ import annotations

import functools
from datetime import datetime
from html import escape

from pydantic import BaseModel
from sqlalchemy import select as sa_select
from sqlalchemy import Connection, bindparam, case, insert, or_, update
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from smo_app.i18n import t
from smo_app.models.base import utcnow
from smo_app.models.catalog import Product, Variant
from smo_app.models.staff import Role
from smo_app.models.stock import MoveKind, StockMove
from smo_app.services.messaging import outbox
from smo_app.services.integrations import outbound_webhooks
from smo_app.services.core.actor import Actor
from smo_app.services.core.bulk import insert_many, insert_rows, run, write_rows
from smo_app.services.core.errors import DomainError, NotFound
from smo_app.services.core.permissions import Perm, require
from smo_app.services.core.text_search import folded_contains
from smo_app.services.stock import subscriptions


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
    actor_kind: str = "staff"


def to_move_out(move: StockMove) -> MoveOut:
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
        subscriptions.notify_back_in_stock(session, variant_id=variant_id, now=now)
    if notify and delta < 0:
        _maybe_low_stock_alert(session, variant_id=variant_id, before=before, after=qty_after)
    return move


_V = Variant.__table__
_DECREMENT = (update(_V).where(_V.c.id == bindparam("vid"), _V.c.qty >= bindparam("n"))
              .values(qty=_V.c.qty - bindparam("n")).returning(_V.c.qty, _V.c.avg_cost_minor))
_DECREMENT_ANY = (update(_V).where(_V.c.id == bindparam("vid"))
                  .values(qty=_V.c.qty - bindparam("n")).returning(_V.c.qty, _V.c.avg_cost_minor))
_INSERT_MOVE = insert(StockMove.__table__)


@functools.lru_cache(maxsize=64)
def _decrement_many(lines: int, allow_negative: bool):
    """``UPDATE variant SET qty = qty - n`` for ``lines`` (variant ``v<i>``, quantity ``n<i>``) pairs
    in one statement, only where the quantity is there (unless ``allow_negative``), RETURNING
    (id, qty, avg_cost_minor) of the rows decremented."""
    need = case(*[(_V.c.id == bindparam(f"v{i}"), bindparam(f"n{i}")) for i in range(lines)])
    where = [_V.c.id.in_([bindparam(f"v{i}") for i in range(lines)])]
    if not allow_negative:
        where.append(_V.c.qty >= need)
    return update(_V).where(*where).values(qty=_V.c.qty - need).returning(_V.c.id, _V.c.qty, _V.c.avg_cost_minor)


def take_for_order(
    session: Session,
    *,
    actor: Actor,
    items: list[tuple[int, int, int | None]],
    order_id: int | None,
    allow_negative: bool = False,
    now: datetime | None = None,
    conn: Connection | None = None,
) -> list[tuple[int, int]]:
    """Take stock for an order's lines: ``items`` is (variant_id, qty, low_stock_threshold or None).

    Inside the caller's transaction (no commit, no permission check); ``conn``: the session's
    connection when the caller holds it already. Decrements run in variant-id order as conditional
    UPDATEs; the ``sale`` moves are appended in one batch (with ``order_id=None`` the caller appends
    them with :func:`append_sale_moves` once the order exists). Returns (qty_after, unit_cost_minor)
    per item in the given order; raises ``stock.insufficient``.
    """
    now = now or utcnow()
    conn = conn or session.connection()
    results: dict[int, tuple[int, int]] = {}
    decrement = _DECREMENT_ANY if allow_negative else _DECREMENT
    ordered = sorted(items, key=lambda i: i[0])
    if len(ordered) > 1 and conn.dialect.name == "sqlite":
        # SQLite holds the whole database for the transaction (no row locks to take in order):
        # one statement decrements every line that has enough; a line left out is short
        got = run(conn, _decrement_many(len(ordered), allow_negative),
                           {f"v{i}": vid for i, (vid, _, _) in enumerate(ordered)}
                           | {f"n{i}": qty for i, (_, qty, _) in enumerate(ordered)}).fetchall()
        results.update({vid: (after, cost) for vid, after, cost in got})
    for vid, qty, _threshold in ordered:
        row = results.get(vid) or run(conn, decrement, {"vid": vid, "n": qty}).fetchone()
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
        append_sale_moves(session, actor=actor, items=items, taken=taken, order_id=order_id, now=now, conn=conn)
    for vid, qty, threshold in items:
        after = results[vid][0]
        if threshold is None or after + qty > threshold >= after:
            _maybe_low_stock_alert(session, variant_id=vid, before=after + qty, after=after)
    return taken


def append_sale_moves(session: Session, *, actor: Actor, items: list[tuple[int, int, int | None]],
                      taken: list[tuple[int, int]], order_id: int, now: datetime,
                      conn: Connection | None = None) -> None:
    """The ``sale`` StockMoves for stock already taken by :func:`take_for_order` (no commit;
    ``conn``: the session's connection when the caller holds it already)."""
    write_rows(conn or session.connection(), StockMove.__table__, [
        {"variant_id": vid, "kind": MoveKind.sale.value, "delta": -qty, "qty_after": after,
         "unit_cost_minor": cost, "actor_kind": actor.kind, "actor_id": actor.id, "actor_name": actor.name[:128],
         "comment": None, "order_id": order_id, "supply_id": None, "created_at": now}
        for (vid, qty, _), (after, cost) in zip(items, taken)
    ])


def apply_counts(session: Session, *, actor: Actor, targets: dict[int, int], kind: MoveKind | str,
                 comment: str | None = None, now: datetime | None = None) -> list[tuple[int, int, int]]:
    """Set the on-hand quantity of many variants to ``targets`` (variant id -> quantity) through the
    ledger: the rows are locked in id order (``SELECT … FOR UPDATE``: a checkout waits, and what it
    took is seen), each one that differs is moved by the difference with one appended move of
    ``kind``. Inside the caller's transaction (no commit, no permission check). Returns
    (variant_id, before, after) for the variants moved; back-in-stock subscribers are notified."""
    if not targets:
        return []
    now = now or utcnow()
    table = Variant.__table__
    ids = sorted(targets)
    current: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        rows = session.execute(sa_select(table.c.id, table.c.qty, table.c.avg_cost_minor)
                               .where(table.c.id.in_(chunk)).order_by(table.c.id).with_for_update()).all()
        current.update({r.id: (r.qty, r.avg_cost_minor) for r in rows})
    moved = [(vid, current[vid][0], targets[vid]) for vid in ids if vid in current and current[vid][0] != targets[vid]]
    if not moved:
        return []
    conn = session.connection()
    conn.execute(update(table).where(table.c.id == bindparam("vid")).values(qty=bindparam("after")),
                 [{"vid": vid, "after": after} for vid, _, after in moved])
    conn.execute(_INSERT_MOVE, [
        {"variant_id": vid, "kind": str(kind), "delta": after - before, "qty_after": after,
         "unit_cost_minor": current[vid][1], "actor_kind": actor.kind, "actor_id": actor.id,
         "actor_name": actor.name[:128], "comment": (comment or None) and comment[:500], "order_id": None,
         "supply_id": None, "created_at": now}
        for vid, before, after in moved
    ])
    for vid, before, after in moved:
        _sync_loaded_variant(session, vid, after, current[vid][1])
    back = sorted(vid for vid, before, after in moved if before <= 0 < after)
    for vid in subscriptions.waiting_among(session, back):  # one query for all, then only those with subscribers
        subscriptions.notify_back_in_stock(session, variant_id=vid, now=now)
    return moved


def insert_variants(session: Session, *, actor: Actor, rows: list[dict], kind: MoveKind | str,
                    comment: str | None = None, now: datetime | None = None) -> list[int]:
    """Create many variants at once with their opening stock: ``rows`` are rows of the variant table,
    each ``qty`` the quantity it opens with, and every opening other than 0 is appended as a move of
    ``kind`` (from nothing to ``qty``) — the bulk path for goods that arrive with stock (a catalog
    pulled from an ERP). Inside the caller's transaction (no commit, no permission check); returns
    the new ids in the order given. A new variant has no subscribers to notify."""
    if not rows:
        return []
    now = now or utcnow()
    ids = insert_many(session, Variant.__table__, rows)
    moves = [
        {"variant_id": vid, "kind": str(kind), "delta": row["qty"], "qty_after": row["qty"],
         "unit_cost_minor": row.get("avg_cost_minor") or 0, "actor_kind": actor.kind, "actor_id": actor.id,
         "actor_name": actor.name[:128], "comment": (comment or None) and comment[:500], "order_id": None,
         "supply_id": None, "created_at": now}
        for vid, row in zip(ids, rows) if row.get("qty")
    ]
    insert_rows(session, StockMove.__table__, moves)
    return ids


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
    if not session.identity_map:  # nothing loaded (a checkout's own session): nothing to keep in step
        return
    obj = session.identity_map.get(identity_key(Variant, variant_id))
    if obj is not None:
        set_committed_value(obj, "qty", qty)
        set_committed_value(obj, "avg_cost_minor", cost)


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
        outbound_webhooks.emit(session, "stock.low", {"variant_id": variant_id, "name": f"{name} {label}".strip(),
                                                      "qty": after, "threshold": limit})


# --------------------------------------------------------------------------- reading

def list_moves(session: Session, *, actor: Actor, variant_id: int | None = None, limit: int = 100) -> list[MoveOut]:
    require(actor, Perm.stock_manage)
    query = select(StockMove)
    if variant_id is not None:
        query = query.where(StockMove.variant_id == variant_id)
    rows = session.exec(query.order_by(StockMove.id.desc()).limit(min(max(limit, 1), 1000))).all()
    return [to_move_out(r) for r in rows]


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
        query = query.where(or_(folded_contains(Product.search_key, search), folded_contains(Variant.search_key, search)))
    rows = []
    for variant, product in session.exec(query.order_by(Product.name, Variant.position)).all():
        level = "red" if variant.qty <= 0 else ("yellow" if variant.qty <= product.low_stock_threshold else "green")
        rows.append(StockRow(
            variant_id=variant.id, product_id=product.id, name=f"{product.name} {variant.label}".strip(),
            qty=variant.qty, avg_cost_minor=variant.avg_cost_minor, value_minor=max(variant.qty, 0) * variant.avg_cost_minor,
            price_minor=variant.price_minor, level=level,
        ))
    return rows
