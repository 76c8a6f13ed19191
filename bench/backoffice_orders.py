"""Orders list benchmark (backoffice): 100,000 orders from 20,000 customers in SQLite.

For the first page of a status tab with a search (a name, a phone, an order number) and with no
search, it measures the p95 server time of the service call ``order_admin.list_orders``
(permission check, the per-tab counts, the page, DTOs) and of a raw SQL floor: the same
statements (counts by status and the page; one statement for an exact order number) as SQL text on a connection from the same engine
(pool checkout, the engine's transaction begin and rollback, fetch), over the same rows in the
same run. Bar: service p95 ≤ 3 × floor p95 for every case. Figures are printed.

Each sample times a batch of calls, sized so the floor's batch lasts ≥ 5 ms (bench/_timing.py):
a sub-millisecond floor cannot be timed call by call.

Run: .venv/bin/python bench/backoffice_orders.py [--orders 100000] [--customers 20000] [--repeat 40]
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SMO_DEMO", "1")

from sqlmodel import Session  # noqa: E402

import smo_app.models  # noqa: E402,F401
from smo_app import migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.models.staff import Role  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402
from smo_app.services.sales import order_admin  # noqa: E402
from smo_app.text_fold import fold, phone_key  # noqa: E402
from _timing import paired_p95_ms  # noqa: E402  (bench/ is the script's folder)

BAR = 3.0
STATUSES = ("new", "paid", "processing", "shipped", "delivered", "completed", "completed", "completed", "cancelled")
FIRST = ["Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Жанна", "Зоя", "Иван", "Кира", "Olga", "Peter", "Maria"]
LAST = ["Иванова", "Петров", "Сидорова", "Кузнецов", "Смирнова", "Попов", "Lee", "Smith", "Novak"]


def seed(path: Path, orders: int, customers: int) -> None:
    """Everything in SQL (recursive CTEs, one transaction): customers with names and phones, orders
    spread over two years and the statuses, most with a customer, some offline buyers."""
    first = ",".join(f"('{n}')" for n in FIRST)
    last = ",".join(f"('{n}')" for n in LAST)
    statuses = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(STATUSES))
    db = sqlite3.connect(path)
    # the customer's search columns, as the model's insert events write them
    db.create_function("fold_name", 2, lambda name, username: fold(name, username)[:200])
    db.create_function("phone_key", 1, lambda phone: phone_key(phone)[:32])
    db.executescript(f"""
    PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
    BEGIN;
    CREATE TEMP TABLE f(i INTEGER PRIMARY KEY, n TEXT); INSERT INTO f(n) VALUES {first};
    CREATE TEMP TABLE l(i INTEGER PRIMARY KEY, n TEXT); INSERT INTO l(n) VALUES {last};
    WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < {customers})
    INSERT INTO customer (id, telegram_id, username, full_name, phone, language, kind, wholesale_approved, is_tester,
                          personal_discount_pct, unreachable, first_seen_at, last_seen_at, bonus_balance_minor)
    SELECT k, 5000000000 + k, CASE WHEN k % 3 THEN 'user' || k END,
           (SELECT f.n FROM f WHERE f.i = 1 + k % {len(FIRST)}) || ' ' ||
           (SELECT l.n FROM l WHERE l.i = 1 + (k / {len(FIRST)}) % {len(LAST)}),
           '+79' || (100000000 + (k * 7919) % 900000000), 'ru', 'retail', 0, 0, 0, 0,
           '2024-10-01 00:00:00.000000', '2024-10-01 00:00:00.000000', 0 FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {orders})
    INSERT INTO "order" (id, customer_id, channel, status, goods_minor, discount_product_minor, discount_personal_minor,
                         discount_promo_minor, certificate_minor, bonus_minor, delivery_minor, total_minor, cost_minor,
                         delivery_type, delivery_payer, address, contact_name, phone, comment, buyer_name, created_at,
                         updated_at, tracking_number)
    SELECT i, CASE WHEN i % 20 THEN 1 + (i * 31) % {customers} END, CASE WHEN i % 20 THEN 'storefront' ELSE 'b2b' END,
           CASE i % {len(STATUSES)} {statuses} END, 100000 + i % 5000, 0, 0, 0, 0, 0, 30000, 130000 + i % 5000, 40000,
           'courier', 'buyer', 'Moscow, street ' || (i % 500), '', '', '', CASE WHEN i % 20 THEN '' ELSE 'Cafe ' || i END,
           strftime('%Y-%m-%d %H:%M:%S.000000', 1730419200 + i * (2 * 365 * 86400 / {orders}), 'unixepoch'),
           strftime('%Y-%m-%d %H:%M:%S.000000', 1730419200 + i * (2 * 365 * 86400 / {orders}), 'unixepoch'), ''
    FROM n;
    UPDATE "order" SET phone = (SELECT phone FROM customer WHERE customer.id = "order".customer_id),
                       contact_name = (SELECT full_name FROM customer WHERE customer.id = "order".customer_id)
    WHERE customer_id IS NOT NULL;
    UPDATE customer SET search_key = fold_name(full_name, username), phone_key = phone_key(phone);
    COMMIT;
    ANALYZE;
    """)
    db.close()


def main() -> int:
    from smo_app import composition

    composition.start()
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / "bench.db"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    t0 = time.perf_counter()
    seed(path, args.orders, args.customers)
    print(f"orders: {args.orders}, customers: {args.customers}, repeats: {args.repeat}; seeded in "
          f"{time.perf_counter() - t0:.1f} s (p95 in ms)")
    engine = make_engine(url)
    manager = Actor.staff(1, Role.manager, "bench")
    with sqlite3.connect(path) as db:
        phone = db.execute("""SELECT phone FROM "order" WHERE status = 'new' AND phone != '' ORDER BY id
                              LIMIT 1 OFFSET 100""").fetchone()[0]
    cases = {
        "active, no search": ("active", ""),
        "paid, name": ("paid", "петров"),
        "completed, latin": ("completed", "smith"),
        "new, phone digits": ("new", phone[-7:]),
        "all, order number": ("all", f"#{args.orders // 2}"),
        "shipped, @username": ("shipped", "@user1234"),
    }
    print(f"{'case':22} {'rows':>4} {'total':>6} {'service':>9} {'floor':>9} {'ratio':>6}")
    worst = 0.0
    with Session(engine) as session:
        dialect = session.get_bind().dialect
        for label, (tab, query) in cases.items():
            stmts = order_admin.list_statements(dialect=dialect.name, tab=tab, query=query)
            raw_sql = []
            page_stmt = stmts.page.params(**stmts.params) if stmts.params else stmts.page
            for stmt in (s for s in (stmts.counts, page_stmt) if s is not None):
                compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
                params = compiled.construct_params()
                raw_sql.append((str(compiled), tuple(params[k] for k in compiled.positiontup)))
            rows, total = 0, 0

            def service():
                nonlocal rows, total
                page = order_admin.list_orders(session, actor=manager, tab=tab, query=query)
                rows, total = len(page.rows), page.total

            def floor():
                with engine.connect() as conn:
                    for sql, params in raw_sql:
                        conn.exec_driver_sql(sql, params).fetchall()

            (s95, f95), _k = paired_p95_ms([service, floor], args.repeat)
            ratio = s95 / f95 if f95 else float("inf")
            worst = max(worst, ratio)
            print(f"{label:22} {rows:>4} {total:>6} {s95:>9.2f} {f95:>9.2f} {ratio:>6.2f}")
    ok = worst <= BAR
    print(f"worst ratio {worst:.2f} — bar ≤ {BAR:.0f}×: {'PASS' if ok else 'FAIL'}")
    engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
