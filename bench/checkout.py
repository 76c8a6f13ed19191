"""Checkout benchmark: place_order throughput for 3-line carts on a SQLite file database.

Printed as a ratio against a floor measured in the same run: the same rows (order, 3 lines, 3
conditional stock decrements, 3 stock moves, order event, outbox row, audit row, cart emptied)
written by one hand-written sqlite3 transaction per order. Bar: ratio >= 0.5. Also prints the SQL
statements one place_order sends.
Also prints p95 place-order latency with 8 concurrent writers.

Run: .venv/bin/python bench/checkout.py [orders]
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SMO_DEMO", "1")

from sqlalchemy import event  # noqa: E402
from sqlmodel import Session  # noqa: E402

import smo_app.models  # noqa: E402,F401
from smo_app import migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.models.carts import Cart, CartItem  # noqa: E402
from smo_app.models.customer import Customer  # noqa: E402
from smo_app.services.catalog import products as catalog  # noqa: E402
from smo_app.services.sales import orders  # noqa: E402
from smo_app.services.stock import supplies  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402

BAR = 0.5
LINES = 3
PRODUCTS = 30
ROUNDS = 10


def setup(path: Path, n_customers: int) -> tuple[str, list[int], list[int]]:
    return seed(f"sqlite:///{path}", n_customers)


def seed(url: str, n_customers: int) -> tuple[str, list[int], list[int]]:
    """Migrate ``url`` and add the products (stocked) and ``n_customers`` customers."""
    migrations.upgrade(url)
    engine = make_engine(url)
    system = Actor.system("bench")
    with Session(engine, expire_on_commit=False) as s:
        sid = supplies.create_supplier(s, actor=system, name="Bench supplier").id
        vids = []
        for i in range(PRODUCTS):
            p = catalog.create_product(s, actor=system, name=f"Масло {i}", variants=f"10 мл:{450 + i}:15")
            vids.append(p.variants[0].id)
        supplies.receive_supply(s, actor=system, supplier_id=sid,
                             items=[{"variant_id": v, "qty": 1_000_000, "total_minor": 20_000_000} for v in vids])
        customers = [Customer(telegram_id=10_000_000 + i, full_name=f"Bench {i}") for i in range(n_customers)]
        s.add_all(customers)
        s.commit()
        cids = [c.id for c in customers]
    engine.dispose()
    return url, cids, vids


def fill_carts(url: str, cids: list[int], vids: list[int]) -> None:
    engine = make_engine(url)
    with Session(engine) as s:
        carts = [Cart(customer_id=c) for c in cids]
        s.add_all(carts)
        s.flush()
        for n, cart in enumerate(carts):
            for k in range(LINES):
                s.add(CartItem(cart_id=cart.id, variant_id=vids[(n + k * 7) % len(vids)], qty=1 + k))
        s.commit()
    engine.dispose()


def run_service(engine, cids: list[int]) -> float:
    """Seconds to place one order per customer in ``cids``, sequentially, through one session on one
    kept connection (like the floor's single sqlite3 connection, and like a long-lived worker)."""
    with engine.connect() as conn, Session(bind=conn, expire_on_commit=False) as s:
        start = time.perf_counter()
        for cid in cids:
            orders.place_order(s, actor=Actor.customer(cid), customer_id=cid)
        elapsed = time.perf_counter() - start
    return elapsed


def count_statements(url: str, cids: list[int]) -> float:
    """SQL statements sent per place_order (BEGIN and the statements; COMMIT is not a statement here).

    Counted on an engine of its own: a listener makes SQLAlchemy dispatch events around every
    statement of its engine, which the timed engine must not pay."""
    engine = make_engine(url)
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    def begun(conn):  # the BEGIN the dialect sends (not through a cursor event)
        sent.append("BEGIN")

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "begin", begun)
    try:
        run_service(engine, cids)
    finally:
        engine.dispose()
    return len(sent) / len(cids)


def floor_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def run_floor(conn: sqlite3.Connection, cids: list[int]) -> float:
    """The same rows, one hand-written sqlite3 transaction per order."""
    now = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    start = time.perf_counter()
    for cid in cids:
        conn.execute("BEGIN IMMEDIATE")
        cart_id, = conn.execute("SELECT id FROM cart WHERE customer_id = ?", (cid,)).fetchone()
        items = conn.execute(
            "SELECT ci.variant_id, ci.qty, v.price_minor, v.product_id, p.name, v.label FROM cart_item ci "
            "JOIN variant v ON v.id = ci.variant_id JOIN product p ON p.id = v.product_id "
            "WHERE ci.cart_id = ? ORDER BY ci.variant_id", (cart_id,)).fetchall()
        total = sum(q * price for _, q, price, *_ in items)
        cur = conn.execute(
            'INSERT INTO "order" (customer_id, channel, status, goods_minor, discount_product_minor, '
            "discount_personal_minor, discount_promo_minor, certificate_minor, bonus_minor, delivery_minor, "
            "total_minor, cost_minor, delivery_type, delivery_payer, address, contact_name, phone, comment, "
            "buyer_name, created_at, updated_at) VALUES (?, 'storefront', 'new', ?, 0, 0, 0, 0, 0, 0, ?, 0, "
            "'pickup', 'buyer', '', '', '', '', '', ?, ?)", (cid, total, total, now, now))
        order_id = cur.lastrowid
        for vid, q, price, pid, name, label in items:
            row = conn.execute("UPDATE variant SET qty = qty - ? WHERE id = ? AND qty >= ? "
                               "RETURNING qty, avg_cost_minor", (q, vid, q)).fetchone()
            qty_after, cost = row
            conn.execute("INSERT INTO stock_move (variant_id, kind, delta, qty_after, unit_cost_minor, actor_kind, "
                         "actor_id, actor_name, order_id, created_at) VALUES (?, 'sale', ?, ?, ?, 'customer', ?, '', ?, ?)",
                         (vid, -q, qty_after, cost, cid, order_id, now))
            conn.execute("INSERT INTO order_line (order_id, product_id, variant_id, name, variant_label, qty, "
                         "unit_price_minor, goods_minor, discount_minor, total_minor, unit_cost_minor) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                         (order_id, pid, vid, name, label, q, price, q * price, q * price, cost))
        conn.execute("INSERT INTO order_event (order_id, to_status, actor_kind, actor_id, actor_name, created_at) "
                     "VALUES (?, 'new', 'customer', ?, '', ?)", (order_id, cid, now))
        conn.execute("INSERT INTO outbox (created_at, lane, kind, chat_id, customer_id, payload, dedupe_key, status, "
                     "attempts, next_attempt_at) VALUES (?, 'telegram', 'order_status', ?, ?, ?, ?, 'pending', 0, ?)",
                     (now, 10_000_000 + cid, cid, json.dumps({"text": f"Заказ №{order_id}"}),
                      f"floor:{order_id}", now))
        conn.execute("INSERT INTO audit_entry (created_at, actor_kind, actor_id, actor_name, action, entity, entity_id, "
                     "after) VALUES (?, 'customer', ?, '', 'order.place', 'order', ?, ?)",
                     (now, cid, str(order_id), json.dumps({"total_minor": total})))
        conn.execute("DELETE FROM cart_item WHERE cart_id = ?", (cart_id,))
        conn.execute("UPDATE cart SET updated_at = ?, promo_code = NULL, abandoned_reminder_at = NULL WHERE id = ?",
                     (now, cart_id))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    return elapsed


def run_concurrent(url: str, cids: list[int], writers: int = 8) -> tuple[float, float]:
    engine = make_engine(url, pool_size=writers, max_overflow=0)
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def worker(mine: list[int]) -> None:
        local = []
        barrier.wait()
        with Session(engine, expire_on_commit=False) as s:
            for cid in mine:
                t0 = time.perf_counter()
                orders.place_order(s, actor=Actor.customer(cid), customer_id=cid)
                local.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(local)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(cids[i::writers],)) for i in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - start
    engine.dispose()
    p95 = statistics.quantiles(latencies, n=20)[-1]
    return p95, len(latencies) / elapsed


def main() -> int:
    from smo_app import composition

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("orders", type=int, nargs="?", default=500,
                        help="orders per side (place_order, the floor, 8 concurrent writers); default 500")
    n = parser.parse_args().orders
    composition.start()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url, cids, vids = setup(path, 3 * n)
        service_ids, floor_ids, concurrent_ids = cids[:n], cids[n:2 * n], cids[2 * n:]
        fill_carts(url, cids, vids)
        engine, floor_conn = make_engine(url), floor_connection(path)
        run_service(engine, service_ids[:20])  # warm-up: imports, statement caches
        statements = count_statements(url, service_ids[20:21])
        run_floor(floor_conn, floor_ids[:20])
        service_ids, floor_ids = service_ids[21:], floor_ids[20:]
        # alternate rounds so that load on the machine hits both sides alike
        rounds = ROUNDS
        service_time = floor_time = 0.0
        for r in range(rounds):
            service_time += run_service(engine, service_ids[r::rounds])
            floor_time += run_floor(floor_conn, floor_ids[r::rounds])
        service, floor = len(service_ids) / service_time, len(floor_ids) / floor_time
        engine.dispose()
        floor_conn.close()
        p95, concurrent_rate = run_concurrent(url, concurrent_ids)
    ratio = service / floor
    print(f"place_order, {LINES}-line carts, SQLite file: {service:,.0f} orders/s")
    print(f"floor (hand-written sqlite3, same rows, 1 txn/order): {floor:,.0f} orders/s")
    print(f"SQL statements per place_order: {statements:.0f} (the floor: 18, with its BEGIN)")
    print(f"ratio vs floor: {ratio:.2f} (bar {BAR}) {'OK' if ratio >= BAR else 'BELOW BAR'}")
    print(f"8 concurrent writers: p95 place_order latency {p95 * 1000:.1f} ms, {concurrent_rate:,.0f} orders/s")
    print(f"(machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: CPU contention slows the "
          "Python side more than the floor, so compare runs at similar load)")
    return 0 if ratio >= BAR else 1


if __name__ == "__main__":
    raise SystemExit(main())
