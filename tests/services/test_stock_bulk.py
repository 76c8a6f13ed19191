"""The bulk paths a pulled catalog takes, on SQLite and PostgreSQL: rows inserted at once get their
own ids back in order and read back as given, variants that arrive with stock open through the
ledger (one move each), and the garbage collector walks only what a bulk job makes; the checkout's
rows and statements, written on SQLite without SQLAlchemy's per-statement handling, come out as
SQLAlchemy writes them, its read gives SQLAlchemy's rows, a refused write raises SQLAlchemy's error
and a listener on the connection still sees every statement."""
from __future__ import annotations

import gc
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from smo_app.models.base import utcnow
from smo_app.models.catalog import Category, Product, Variant
from smo_app.models.outbox import Outbox
from smo_app.models.stock import StockMove
from smo_app.services.core.bulk import insert_many, quiet_collector, read, run, write_row, write_rows
from smo_app.services.stock import ledger
from tests.commerce_factories import SYSTEM, make_product, qty_of


def _variant_rows(product_id: int, openings: list[int], tag: str) -> list[dict]:
    return [{"product_id": product_id, "label": f"{tag}{i}", "price_minor": 1_000 + i, "weight_g": 0, "position": i,
             "is_default": False, "wholesale_price_minor": None, "wholesale_min_qty": 1, "sku": f"{tag}-{i}",
             "barcode": None, "qty": qty, "avg_cost_minor": 0, "active": True} for i, qty in enumerate(openings)]


def test_rows_inserted_at_once_get_their_own_ids_in_order_beside_gaps_and_earlier_rows(session: Session):
    # given categories already there, the newest of them deleted (a gap at the top)
    first = insert_many(session, Category.__table__, [{"name": f"old {i}", "position": i} for i in range(3)])
    session.execute(delete(Category.__table__).where(Category.__table__.c.id == first[-1]))
    session.commit()
    # when a page of new ones is inserted at once
    names = [f"new {i}" for i in range(50)]
    ids = insert_many(session, Category.__table__, [{"name": n, "position": 0} for n in names])
    session.commit()
    # then each id given back is the row with that name, all of them new
    found = dict(session.execute(select(Category.__table__.c.id, Category.__table__.c.name)
                                 .where(Category.__table__.c.id.in_(ids))).all())
    assert [found[i] for i in ids] == names and min(ids) > max(first[:2])
    assert insert_many(session, Category.__table__, []) == []


def test_rows_sharing_a_value_and_rows_with_their_own_are_written_as_given(session: Session):
    # given a page of products sharing one timestamp and one empty list, each with its own flags,
    # its own update time and its own list
    now, nothing = utcnow().replace(microsecond=0), []
    rows = [{"category_id": None, "name": f"Товар {i}", "search_key": f"товар {i}", "description": "", "details": "",
             "base_price_minor": 100 + i, "unit": "шт", "discount_pct": 0, "position": 0, "hidden": i % 2 == 1,
             "suspended": False, "deleted": False, "cross_sell": [i] if i % 3 else nothing, "low_stock_threshold": 3,
             "photos": nothing, "created_at": now, "updated_at": now + timedelta(seconds=i)} for i in range(6)]
    # when they are inserted at once
    ids = insert_many(session, Product.__table__, rows)
    session.commit()
    # then each reads back as it was given
    p = Product.__table__
    got = {r.id: r for r in session.execute(select(p.c.id, p.c.hidden, p.c.cross_sell, p.c.photos, p.c.created_at,
                                                   p.c.updated_at).where(p.c.id.in_(ids))).all()}
    assert [(got[i].hidden, got[i].cross_sell, got[i].photos, got[i].created_at, got[i].updated_at) for i in ids] == [
        (r["hidden"], r["cross_sell"], [], now, r["updated_at"]) for r in rows]


_MESSAGE_COLUMNS = [c for c in Outbox.__table__.c if c.name != "id"]


def test_rows_a_hot_path_writes_read_back_as_sqlalchemy_writes_them(session: Session):
    # given a message row with a timestamp, a JSON payload and columns left to their defaults
    now = utcnow()
    row = {"created_at": now, "kind": "order_placed", "chat_id": 42, "customer_id": None, "staff_id": None,
           "payload": {"text": "Заказ №1 <b>принят</b>", "buttons": []}, "dedupe_key": None,
           "next_attempt_at": now, "expires_at": now + timedelta(minutes=30), "order_id": None}
    conn = session.connection()
    # when it is written by SQLAlchemy's insert, by write_row, and three times by write_rows
    ids = [conn.execute(insert(Outbox.__table__).returning(Outbox.__table__.c.id), row).scalar_one(),
           write_row(conn, Outbox.__table__, row)]
    write_rows(conn, Outbox.__table__, [row] * 3)
    session.commit()
    # then every copy reads back alike: the same values, defaults and payload, each with its own id
    got = session.execute(select(Outbox.__table__.c.id, *_MESSAGE_COLUMNS).order_by(Outbox.__table__.c.id)).all()
    assert [r.id for r in got[:2]] == ids and len(got) == 5
    assert all(tuple(r)[1:] == tuple(got[0])[1:] for r in got)
    assert got[0].payload == row["payload"] and got[0].status == "pending" and got[0].created_at == now


def test_a_fixed_statement_binds_its_own_values_and_the_given_ones(session: Session):
    # given a message waiting with a dedupe key, and a statement that sends it back to pending later
    now = utcnow().replace(microsecond=0)
    t = Outbox.__table__
    first = write_row(session.connection(), t, {"created_at": now, "kind": "x", "chat_id": 1, "payload": {"text": "a"},
                                                "dedupe_key": "k", "status": "failed", "next_attempt_at": now})
    retry = update(t).where(t.c.id == bindparam("mid")).values(
        status="pending", dedupe_key=None, next_attempt_at=bindparam("at"))
    # when it is run for the message, then for one that does not exist
    done = run(session.connection(), retry, {"mid": first, "at": now + timedelta(hours=1)}).rowcount
    missed = run(session.connection(), retry, {"mid": first + 1, "at": now}).rowcount
    session.commit()
    # then the message has the statement's own values and the time given, and only it was touched
    got = session.execute(select(t.c.status, t.c.dedupe_key, t.c.next_attempt_at).where(t.c.id == first)).one()
    assert (done, missed) == (1, 0) and tuple(got) == ("pending", None, now + timedelta(hours=1))


_V, _P = Variant.__table__, Product.__table__
_LINES = (select(_V.c.id, _V.c.label, _V.c.active, _V.c.wholesale_price_minor, _V.c.qty, _P.c.name, _P.c.hidden,
                 _P.c.created_at.label("product_created_at"))
          .join(_P, _P.c.id == _V.c.product_id).where(_P.c.id == bindparam("pid")).order_by(_V.c.id))


def test_a_hot_path_read_gives_the_rows_sqlalchemy_gives(session: Session):
    # given a product with an active and an inactive variant, one with a wholesale price
    product = make_product(session, variants=[{"label": "a", "price_minor": 100, "wholesale_price_minor": 80},
                                              {"label": "b", "price_minor": 200}])
    session.execute(update(_V).where(_V.c.product_id == product.id, _V.c.label == "b").values(active=False))
    session.commit()
    conn = session.connection()
    # when its lines are read by read() and by SQLAlchemy
    got = read(conn, _LINES, {"pid": product.id})
    expected = conn.execute(_LINES, {"pid": product.id}).all()
    # then the rows hold the same values of the same types, by position and by name
    assert [tuple(r) for r in got] == [tuple(r) for r in expected] and len(got) == 2
    assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in expected]
    assert [(r.label, r.active, r.hidden) for r in got] == [("a", True, False), ("b", False, False)]
    assert got[0].product_created_at.tzinfo is not None and got[0].product_created_at == expected[0].product_created_at


def test_a_refused_hot_path_write_raises_as_sqlalchemy_does_and_listeners_see_the_statements(session: Session):
    # given a variant with an article code
    product = make_product(session, variants=[{"label": "a", "price_minor": 100, "sku": "ART-1"}])
    session.commit()
    row = {"product_id": product.id, "label": "b", "price_minor": 1, "weight_g": 0, "position": 1,
           "is_default": False, "wholesale_price_minor": None, "wholesale_min_qty": 1, "sku": "ART-1",
           "barcode": None, "qty": 0, "avg_cost_minor": 0, "active": True}
    # when a row that breaks its unique index is written by the hot path (nobody listening)
    with pytest.raises(IntegrityError):
        write_row(session.connection(), _V, row)  # the same article code
    session.rollback()
    # then the error is SQLAlchemy's, and the transaction rolled back as after any refused statement
    assert session.execute(select(_V.c.id).where(_V.c.product_id == product.id)).all() == [(product.variants[0].id,)]
    session.rollback()
    # when the hot path writes and updates a row while a listener watches the connection's statements
    conn = session.connection()
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(conn, "before_cursor_execute", listen)
    try:
        new_id = write_row(conn, _V, {**row, "sku": "ART-2"})
        run(conn, update(_V).where(_V.c.id == bindparam("vid")).values(qty=bindparam("n")), {"vid": new_id, "n": 3})
    finally:
        event.remove(conn, "before_cursor_execute", listen)
    # then the listener saw both statements, and they did their work
    assert len(seen) == 2 and seen[0].startswith("INSERT") and seen[1].startswith("UPDATE")
    assert conn.execute(select(_V.c.qty).where(_V.c.id == new_id)).scalar_one() == 3


def test_a_bulk_job_sets_the_older_objects_aside_from_the_collector_and_gives_them_back():
    # given a process whose collector sees everything (a worker that imported the web app has set
    # the import's objects aside: smo_app/smo_app.py; they are given back for this test, then again)
    set_aside_before = gc.get_freeze_count()
    gc.unfreeze()
    try:
        _bulk_jobs_set_aside_and_give_back()
    finally:
        if set_aside_before:
            gc.freeze()


def _bulk_jobs_set_aside_and_give_back():
    assert gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    # when a bulk job runs, and a second one beside it
    with quiet_collector():
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] >= 20_000
        with quiet_collector():
            pass
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] >= 20_000  # the first is still running
    # then the collector has the whole process again, at its usual pace, once both are done
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    # when something else had set objects aside already, a job leaves them as they are
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with quiet_collector():
            assert gc.get_freeze_count() <= frozen  # nothing more set aside (some may have been freed)
        assert gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()



def test_variants_arriving_with_stock_open_through_the_ledger_one_move_each(session: Session):
    # given a product of the shop
    product = make_product(session, name="Свеча")
    # when three variants arrive with 5, 0 and 2 in stock
    ids = ledger.insert_variants(session, actor=SYSTEM, rows=_variant_rows(product.id, [5, 0, 2], "c"), kind="sync",
                                 comment="МойСклад")
    session.commit()
    # then each has its stock, and the ledger holds one move per opening other than nothing
    assert [qty_of(session, vid) for vid in ids] == [5, 0, 2]
    moves = session.execute(select(StockMove.variant_id, StockMove.kind, StockMove.delta, StockMove.qty_after,
                                   StockMove.comment).where(StockMove.variant_id.in_(ids))
                            .order_by(StockMove.variant_id)).all()
    assert [tuple(m) for m in moves] == [(ids[0], "sync", 5, 5, "МойСклад"), (ids[2], "sync", 2, 2, "МойСклад")]
    # and the moves add up to what is on hand (the ledger rule), so a later count moves by the difference
    moved = ledger.apply_counts(session, actor=SYSTEM, targets={ids[0]: 3, ids[1]: 0}, kind="sync")
    session.commit()
    assert moved == [(ids[0], 5, 3)] and qty_of(session, ids[0]) == 3
    labels = session.execute(select(Variant.label).where(Variant.id.in_(ids)).order_by(Variant.id)).scalars().all()
    assert labels == ["c0", "c1", "c2"]
