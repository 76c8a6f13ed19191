"""Analytics benchmark: 1,000,000 order lines (250,000 orders over two years, 2,000 products) in a
SQLite file; the daily revenue series for a year, the P&L summary for that year and the ABC
analysis for that year, timed at the service layer against a hand-written SQL floor over the same
rows in the same run (best of a few runs each). The P&L reads the cost of goods kept on each order
(the sum of its lines at their weighted average cost), the floor too.

Every POS order has its ``pos_sale``; every fifth of them has a return (one unit of its first line,
refunded one to three days later), which every figure and every floor takes off revenue on the
shop day of the refund (and, in the P&L, off the cost of goods; in ABC, off the product).

Bars: each service call ≤ 3× its floor, and the three together ≤ 2 s.

Run: .venv/bin/python bench/analytics.py [orders]   (4 lines per order)
"""
from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SMO_DEMO", "1")

from sqlmodel import Session  # noqa: E402

import smo_app.models  # noqa: E402,F401
from smo_app import migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.services.analytics import abc, pnl, revenue  # noqa: E402
from smo_app.services.analytics.periods import Period, SOLD_STATUSES  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402
from _timing import best_of  # noqa: E402

RATIO_BAR = 3.0
TOTAL_BAR_S = 2.0
PRODUCTS = 2000
LINES_PER_ORDER = 4
TZ = ZoneInfo("Europe/Moscow")
FIRST_DAY = date(2024, 11, 1)
YEAR = Period(date(2025, 11, 1), date(2026, 10, 31))  # the second of the two generated years
REPEAT = 3


def generate(path: Path, orders: int) -> None:
    """Everything in SQL: recursive CTEs, one transaction."""
    start = datetime(2024, 10, 31, 21, 0, tzinfo=timezone.utc).timestamp()  # 2024-11-01 00:00 MSK
    step = 2 * 365 * 86400 / orders
    db = sqlite3.connect(path)
    db.executescript(f"""
    PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
    BEGIN;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PRODUCTS})
    INSERT INTO product (id, name, description, details, base_price_minor, unit, discount_pct, position, hidden,
                         suspended, deleted, cross_sell, low_stock_threshold, photos, created_at, updated_at)
    SELECT i, 'Product ' || i, '', '', (i % 97 + 1) * 1000, 'pc', 0, i, 0, 0, 0, '[]', 3, '[]',
           '2024-10-01 00:00:00.000000', '2024-10-01 00:00:00.000000' FROM n;
    INSERT INTO variant (id, product_id, label, price_minor, weight_g, position, is_default, wholesale_min_qty, qty,
                         avg_cost_minor, active)
    SELECT id, id, '', base_price_minor, 100, 0, 1, 1, 50, base_price_minor * 45 / 100, 1 FROM product;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {orders})
    INSERT INTO "order" (id, channel, status, goods_minor, discount_product_minor, discount_personal_minor,
                         discount_promo_minor, certificate_minor, bonus_minor, delivery_minor, total_minor, cost_minor,
                         delivery_type, delivery_payer, address, contact_name, phone, comment, buyer_name,
                         created_at, updated_at)
    SELECT i, CASE WHEN i % 20 = 0 THEN 'b2b' WHEN i % 7 = 0 THEN 'pos' ELSE 'storefront' END,
           CASE WHEN i % 19 = 0 THEN 'cancelled' WHEN i % 53 = 0 THEN 'new' WHEN i % 3 = 0 THEN 'paid'
                ELSE 'completed' END,
           0, 0, 0, CASE WHEN i % 11 = 0 THEN 5000 ELSE 0 END, 0, CASE WHEN i % 13 = 0 THEN 3000 ELSE 0 END,
           CASE WHEN i % 4 = 0 THEN 30000 ELSE 0 END, 0, 0, 'pickup', 'buyer', '', '', '', '', '', ts, ts
    FROM (SELECT i, strftime('%Y-%m-%d %H:%M:%S', {start} + (i - 1) * {step} + abs(random() % 600), 'unixepoch')
                    || '.000000' AS ts FROM n);
    WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < {LINES_PER_ORDER}),
    x AS MATERIALIZED (SELECT o.id AS oid, 1 + (o.id * 7 + k.j) % 3 AS qty,
                              1 + (abs(random()) % {PRODUCTS}) * (abs(random()) % {PRODUCTS}) / {PRODUCTS} AS pid
                       FROM "order" o CROSS JOIN k)
    INSERT INTO order_line (order_id, product_id, variant_id, name, variant_label, qty, unit_price_minor, goods_minor,
                            discount_minor, total_minor, unit_cost_minor)
    SELECT x.oid, p.id, p.id, p.name, '', x.qty, p.base_price_minor, x.qty * p.base_price_minor, 0,
           x.qty * p.base_price_minor, p.base_price_minor * 45 / 100
    FROM x JOIN product p ON p.id = x.pid ORDER BY x.oid;
    CREATE TEMP TABLE agg AS SELECT order_id, sum(goods_minor) AS goods, sum(qty * unit_cost_minor) AS cost
                             FROM order_line GROUP BY order_id;
    UPDATE "order" SET goods_minor = agg.goods, cost_minor = agg.cost,
                       total_minor = agg.goods - "order".discount_promo_minor - "order".bonus_minor
                                     + "order".delivery_minor
    FROM agg WHERE agg.order_id = "order".id;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO stock_move (variant_id, kind, delta, qty_after, unit_cost_minor, actor_kind, actor_name, created_at)
    SELECT 1 + i % {PRODUCTS}, CASE WHEN i % 4 = 0 THEN 'write_off' ELSE 'supply' END,
           CASE WHEN i % 4 = 0 THEN -1 ELSE 10 END, 10, 500, 'system', 'bench',
           strftime('%Y-%m-%d %H:%M:%S', {start} + i * 3150, 'unixepoch') || '.000000' FROM n;
    INSERT INTO staff (id, username, full_name, role, is_active, language, created_at, updated_at)
    VALUES (1, 'bench', 'Bench', 'seller', 1, 'ru', '2024-10-01 00:00:00.000000', '2024-10-01 00:00:00.000000');
    INSERT OR IGNORE INTO pos_register (id, name, active, created_at)
    VALUES (1, 'Bench register', 1, '2024-10-01 00:00:00.000000');
    INSERT INTO pos_shift (id, register_id, status, opened_by_id, opened_by_name, opened_at, float_minor, closed_by_name)
    SELECT 1, min(id), 'open', 1, 'Bench', '2024-10-01 00:00:00.000000', 0, '' FROM pos_register;
    INSERT INTO pos_sale (id, client_id, order_id, shift_id, register_id, seller_id, seller_name, total_minor,
                          discount_minor, manual_discount_minor, bonus_minor, cash_minor, card_minor, credit_minor,
                          tendered_minor, change_minor, returned_minor, created_at)
    SELECT o.id, 'bench-' || o.id, o.id, 1, (SELECT min(id) FROM pos_register), 1, 'Bench', o.total_minor, 0, 0,
           o.bonus_minor, o.total_minor, 0, 0, o.total_minor, 0, 0, o.created_at
    FROM "order" o WHERE o.channel = 'pos';
    CREATE TEMP TABLE first_line AS
    SELECT s.id AS sale_id, s.order_id, s.created_at,
           (SELECT min(l.id) FROM order_line l WHERE l.order_id = s.order_id) AS line_id
    FROM pos_sale s WHERE s.id % 5 = 0;
    INSERT INTO pos_return (id, client_id, sale_id, shift_id, actor_name, goods_minor, cash_minor, card_minor,
                            credit_minor, bonus_back_minor, cashback_reversed_minor, reason, created_at)
    SELECT f.sale_id, 'bench-r-' || f.sale_id, f.sale_id, 1, 'Bench', l.unit_price_minor, l.unit_price_minor, 0, 0, 0, 0,
           '', strftime('%Y-%m-%d %H:%M:%S', f.created_at, '+' || (1 + f.sale_id % 3) || ' days', '+' ||
                        (f.sale_id % 600) || ' minutes') || '.000000'
    FROM first_line f JOIN order_line l ON l.id = f.line_id;
    INSERT INTO pos_return_line (return_id, order_line_id, variant_id, qty, amount_minor)
    SELECT f.sale_id, l.id, l.variant_id, 1, l.unit_price_minor FROM first_line f JOIN order_line l ON l.id = f.line_id;
    UPDATE pos_sale SET returned_minor = (SELECT r.goods_minor FROM pos_return r WHERE r.sale_id = pos_sale.id)
    WHERE id IN (SELECT sale_id FROM pos_return);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
    INSERT INTO manual_revenue (day, amount_minor, note, created_by_name, created_at)
    SELECT date('{FIRST_DAY.isoformat()}', '+' || (i * 7) || ' days'), 100000 + i, 'fair', 'bench',
           '2024-11-01 00:00:00.000000' FROM n;
    COMMIT;
    ANALYZE;
    """)
    db.close()


def best(fn) -> tuple[float, object]:
    return best_of(fn, REPEAT)


def floors(path: Path):
    """The same figures as one would write them by hand in SQL, over the same rows."""
    start, end = (v.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") for v in YEAR.bounds(TZ))
    offset = f"+{int(datetime(2026, 1, 1, tzinfo=TZ).utcoffset().total_seconds())} seconds"
    sold = "(" + ",".join(f"'{s}'" for s in SOLD_STATUSES) + ")"
    manual = (YEAR.date_from.isoformat(), YEAR.date_to.isoformat())
    db = sqlite3.connect(path)

    def daily():
        rows = db.execute(f"""SELECT date(created_at, '{offset}') d, channel, sum(total_minor + certificate_minor),
                              count(*) FROM "order" WHERE created_at >= ? AND created_at < ? AND status IN {sold}
                              GROUP BY d, channel""", (start, end)).fetchall()
        rows += db.execute("SELECT day, 'manual', sum(amount_minor), 0 FROM manual_revenue WHERE day >= ? AND day <= ? "
                           "GROUP BY day", manual).fetchall()
        rows += db.execute(f"""SELECT date(r.created_at, '{offset}') d, o.channel,
                               -sum(r.cash_minor + r.card_minor + r.credit_minor), 0
                               FROM pos_return r JOIN pos_sale s ON s.id = r.sale_id JOIN "order" o ON o.id = s.order_id
                               WHERE r.created_at >= ? AND r.created_at < ? AND o.status IN {sold}
                               GROUP BY d, o.channel""", (start, end)).fetchall()
        return rows

    def pnl_floor():
        o = db.execute(f"""SELECT count(*), sum(goods_minor), sum(discount_product_minor), sum(discount_personal_minor),
                           sum(discount_promo_minor), sum(bonus_minor), sum(certificate_minor), sum(delivery_minor),
                           sum(total_minor + certificate_minor), sum(cost_minor), sum(shop_delivery_minor) FROM "order"
                           WHERE created_at >= ? AND created_at < ? AND status IN {sold}""", (start, end)).fetchone()
        w = db.execute("""SELECT sum(-delta * unit_cost_minor), sum(-delta) FROM stock_move
                          WHERE kind = 'write_off' AND created_at >= ? AND created_at < ?""", (start, end)).fetchone()
        m = db.execute("SELECT sum(amount_minor) FROM manual_revenue WHERE day >= ? AND day <= ?", manual).fetchone()
        r = db.execute(f"""SELECT count(*), sum(r.cash_minor + r.card_minor + r.credit_minor) FROM pos_return r
                           JOIN pos_sale s ON s.id = r.sale_id JOIN "order" o ON o.id = s.order_id
                           WHERE r.created_at >= ? AND r.created_at < ? AND o.status IN {sold}""",
                       (start, end)).fetchone()
        rc = db.execute(f"""SELECT sum(rl.qty * l.unit_cost_minor) FROM pos_return_line rl
                            JOIN pos_return r ON r.id = rl.return_id JOIN order_line l ON l.id = rl.order_line_id
                            JOIN "order" o ON o.id = l.order_id
                            WHERE r.created_at >= ? AND r.created_at < ? AND o.status IN {sold}""",
                        (start, end)).fetchone()
        return o, w, m, r, rc

    def abc_floor():
        return db.execute(f"""SELECT b.pid, p.name, sum(b.qty), sum(b.rev) AS rev FROM (
                                SELECT l.product_id AS pid, sum(l.qty) AS qty, sum(l.total_minor) AS rev
                                FROM order_line l JOIN "order" o ON o.id = l.order_id
                                WHERE o.created_at >= ? AND o.created_at < ? AND o.status IN {sold}
                                GROUP BY l.product_id
                                UNION ALL
                                SELECT l.product_id, -sum(rl.qty), -sum(rl.amount_minor) FROM pos_return_line rl
                                JOIN pos_return r ON r.id = rl.return_id JOIN order_line l ON l.id = rl.order_line_id
                                JOIN "order" o ON o.id = l.order_id
                                WHERE r.created_at >= ? AND r.created_at < ? AND o.status IN {sold}
                                GROUP BY l.product_id
                                UNION ALL
                                SELECT l.product_id, 0, -sum(l.total_minor * f.order_minor / o.total_minor)
                                FROM payment_refund f JOIN "order" o ON o.id = f.order_id
                                JOIN order_line l ON l.order_id = o.id
                                WHERE f.status = 'succeeded' AND f.done_at >= ? AND f.done_at < ? AND f.order_minor > 0
                                  AND o.status IN {sold} AND o.total_minor > 0
                                GROUP BY l.product_id) b
                              JOIN product p ON p.id = b.pid GROUP BY b.pid ORDER BY rev DESC""",
                          (start, end, start, end, start, end)).fetchall()

    return db, daily, pnl_floor, abc_floor


def main() -> int:
    from smo_app import composition

    composition.start()
    orders = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
    tmp = Path(tempfile.mkdtemp(prefix="smo-bench-analytics-"))
    path = tmp / "analytics.db"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    t0 = time.perf_counter()
    generate(path, orders)
    gen = time.perf_counter() - t0
    db = sqlite3.connect(path)
    n_orders, n_lines, n_returns = db.execute('SELECT (SELECT count(*) FROM "order"), (SELECT count(*) FROM order_line), '
                                              '(SELECT count(*) FROM pos_return)').fetchone()
    db.close()
    print(f"generated {n_orders:,} orders, {n_lines:,} order lines, {n_returns:,} POS returns, {PRODUCTS:,} products "
          f"in {gen:.1f} s")

    engine = make_engine(url)
    owner = Actor.system("bench")
    kw = {"date_from": YEAR.date_from, "date_to": YEAR.date_to, "tz": TZ}
    fdb, daily_floor, pnl_floor, abc_floor = floors(path)
    with Session(engine) as session:
        checks = [
            ("daily revenue, 1 year", lambda: revenue.daily_revenue(session, actor=owner, **kw), daily_floor),
            ("P&L summary, 1 year", lambda: pnl.pnl_summary(session, actor=owner, **kw), pnl_floor),
            ("ABC analysis, 1 year", lambda: abc.abc_analysis(session, actor=owner, **kw), abc_floor),
        ]
        ok, total = True, 0.0
        results = {}
        for name, service, floor in checks:
            floor_s, floor_rows = best(floor)
            service_s, out = best(service)
            results[name] = (out, floor_rows)
            total += service_s
            ratio = service_s / floor_s if floor_s else float("inf")
            passed = ratio <= RATIO_BAR
            ok &= passed
            print(f"{name:24s} service {service_s * 1000:8.1f} ms   floor {floor_s * 1000:8.1f} ms   "
                  f"ratio {ratio:4.2f} (bar ≤ {RATIO_BAR})  {'ok' if passed else 'FAIL'}")
    fdb.close()
    engine.dispose()
    # the service and the floor agree on the figures
    series, floor_daily = results["daily revenue, 1 year"]
    assert series.revenue_minor == sum(r[2] for r in floor_daily), "daily revenue differs from the floor"
    summary, (o, _, m, r, rc) = results["P&L summary, 1 year"]
    assert summary.revenue_minor == o[8] + (m[0] or 0) - (r[1] or 0), "P&L revenue differs from the floor"
    assert summary.cogs_minor == o[9] and summary.returns_cogs_minor == (rc[0] or 0), "P&L cost differs from the floor"
    assert summary.delivery_costs_minor == (o[7] or 0) + (o[10] or 0), "P&L delivery costs differ from the floor"
    assert summary.returns and summary.returns == r[0], "the bench year has no returns"
    abc_rows, floor_abc = results["ABC analysis, 1 year"]
    assert sum(r.revenue_minor for r in abc_rows) == sum(r[3] for r in floor_abc), "ABC differs from the floor"
    total_ok = total <= TOTAL_BAR_S
    print(f"{'three together':24s} service {total * 1000:8.1f} ms   bar ≤ {TOTAL_BAR_S * 1000:.0f} ms  "
          f"{'ok' if total_ok else 'FAIL'}")
    print(f"year revenue {summary.revenue_minor / 100:,.2f}, gross margin {summary.margin:.1%}, "
          f"{sum(1 for r in abc_rows if r.klass == 'A')} A-class products of {len(abc_rows)}")
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    return 0 if ok and total_ok else 1


if __name__ == "__main__":
    sys.exit(main())
