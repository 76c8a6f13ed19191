"""Analytics at 10,000,000 order lines on PostgreSQL: the year P&L, revenue by day for a year and
the ABC analysis of a year, each timed at the service layer against the simplest hand-written SQL
computing the same figures over the same tables, measured in the same run (best of a few runs).

Data (generated in SQL — generate_series, one transaction, indexes built after the rows): 15 months
(2025-08-01 … 2026-10-31, shop time Europe/Moscow), ~3.3 M orders of 1–5 lines (10 M lines),
2,500 products with two variants each and a skewed popularity; every channel; ~5 % cancelled and
~2 % unpaid orders (neither counts), the rest paid or completed; every fifth POS sale has a return
of one unit of its first line, refunded one to three days later. The measured year is the last
twelve months (~8 M lines in it).

The database (``smo_bench_analytics``) is kept between runs: it is reused when its schema revision
and row counts match what this bench generates, else dropped and generated again (a few minutes
on two cores; the run prints how long). ``--fresh`` regenerates, ``--drop`` drops it at the end.

The services read the closed days from the daily rollup (``services/analytics/rollup.py``), which the
run brings up to yesterday first (timed: on a kept database of an older schema, migrated in place,
that is the first build). The floor is the simplest hand-written SQL over the raw tables, run once
(its figures are the ones the service's must equal); "the rollup by hand" is the simplest SQL over
the rollup's tables (best of a few), printed beside it: the service's own cost over the rollup is a
few more statements (the watermark, the dirty days, manual entries, bookings).

Bars: each service call ≤ 2 s and ≤ 1.5× its floor.

Run: .venv/bin/python bench/analytics_10m.py [--fresh] [--drop]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SMO_DEMO", "1")

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

import smo_app.models  # noqa: E402,F401
from smo_app import migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.services.analytics import abc, pnl, revenue, rollup  # noqa: E402
from smo_app.services.analytics.periods import Period, SOLD_STATUSES  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402
from _timing import best_of  # noqa: E402

PG_ADMIN_URL = os.environ.get("SMO_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("SMO_BENCH_ANALYTICS_DB", "smo_bench_analytics")  # another name keeps a copy of its own
ABS_BAR_S = 2.0
RATIO_BAR = 1.5
PRODUCTS = 2500
VARIANTS_PER_PRODUCT = 2
ORDERS = 3_333_334  # 1–5 lines each, 3 on average: 10 M lines
TZ = ZoneInfo("Europe/Moscow")
FIRST = datetime(2025, 8, 1, tzinfo=TZ)
LAST = datetime(2026, 11, 1, tzinfo=TZ)
YEAR = Period(date(2025, 11, 1), date(2026, 10, 31))
REPEAT = 3
SOLD = "(" + ",".join(f"'{s}'" for s in SOLD_STATUSES) + ")"
T0 = "'2025-07-01 00:00:00+00'"


def admin():
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def bench_url() -> str:
    return make_url(PG_ADMIN_URL).set(database=DB_NAME).render_as_string(hide_password=False)


def drop_database() -> None:
    engine = admin()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    engine.dispose()


def counts(engine) -> tuple[str | None, int, int, int] | None:
    """(schema revision, orders, lines, returns) of the kept database, or None when there is none."""
    probe = admin()
    with probe.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}).first()
    probe.dispose()
    if not exists:
        return None
    try:
        with engine.connect() as conn:
            rev = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            o, ln, r = conn.execute(sa.text(
                'SELECT (SELECT count(*) FROM "order"), (SELECT count(*) FROM order_line), '
                '(SELECT count(*) FROM pos_return)')).one()
        return rev, int(o), int(ln), int(r)
    except sa.exc.DBAPIError:
        return None


def set_orders(n: int) -> None:
    global ORDERS, GENERATE
    GENERATE = GENERATE.replace(str(ORDERS), str(n))
    ORDERS = n


def expected_lines() -> int:
    return sum(1 + (i * 7919) % 5 for i in range(1, ORDERS + 1))


GENERATE = f"""
SET session_replication_role = replica;  -- no FK triggers while loading (superuser; the rows are consistent)
SET LOCAL work_mem = '256MB';
SET LOCAL maintenance_work_mem = '512MB';
SELECT setseed(0.24);
INSERT INTO product (id, name, description, details, base_price_minor, unit, discount_pct, position, hidden,
                     suspended, deleted, cross_sell, low_stock_threshold, photos, created_at, updated_at)
SELECT i, 'Product ' || i, '', '', (i % 97 + 1) * 1000, 'pc', 0, i, false, false, false, '[]', 3, '[]',
       {T0}, {T0} FROM generate_series(1, {PRODUCTS}) i;
INSERT INTO variant (id, product_id, label, price_minor, weight_g, position, is_default, wholesale_min_qty, qty,
                     avg_cost_minor, active)
SELECT (p.id - 1) * {VARIANTS_PER_PRODUCT} + k, p.id, 'v' || k, p.base_price_minor + (k - 1) * 500, 100, k - 1, k = 1,
       1, 50, (p.base_price_minor + (k - 1) * 500) * 45 / 100, true
FROM product p CROSS JOIN generate_series(1, {VARIANTS_PER_PRODUCT}) k;
SELECT setval(pg_get_serial_sequence('product', 'id'), {PRODUCTS});
SELECT setval(pg_get_serial_sequence('variant', 'id'), {PRODUCTS * VARIANTS_PER_PRODUCT});
-- the lines first (1–5 per order, popular variants more often), then the orders from their sums
CREATE TEMP TABLE gl ON COMMIT DROP AS
SELECT o.i AS oid, 1 + (o.i * 3 + k) % 3 AS qty,
       1 + floor({PRODUCTS * VARIANTS_PER_PRODUCT} * random() * random())::int AS vid
FROM generate_series(1, {ORDERS}) o(i) CROSS JOIN LATERAL generate_series(1, 1 + (o.i::bigint * 7919) % 5) k;
CREATE TEMP TABLE go ON COMMIT DROP AS
SELECT g.oid, sum(g.qty * v.price_minor)::bigint AS goods, sum(g.qty * v.avg_cost_minor)::bigint AS cost
FROM gl g JOIN variant v ON v.id = g.vid GROUP BY g.oid;
INSERT INTO "order" (id, channel, status, goods_minor, discount_product_minor, discount_personal_minor,
                     discount_promo_minor, certificate_minor, bonus_minor, delivery_minor, total_minor, cost_minor,
                     shop_delivery_minor, delivery_type, delivery_payer, address, contact_name, phone, comment,
                     buyer_name, created_at, updated_at)
SELECT x.oid, x.channel,
       CASE WHEN x.oid % 19 = 0 THEN 'cancelled' WHEN x.oid % 53 = 0 THEN 'new' WHEN x.oid % 3 = 0 THEN 'paid'
            ELSE 'completed' END,
       x.goods, 0, 0, x.promo, 0, x.bonus, x.delivery, x.goods - x.promo - x.bonus + x.delivery, x.cost,
       CASE WHEN x.channel = 'b2b' AND x.oid % 40 = 0 THEN 25000 ELSE 0 END,
       'pickup', 'buyer', '', '', '', '', '', x.ts, x.ts
FROM (SELECT go.oid, go.goods, go.cost,
             CASE WHEN go.oid % 20 = 0 THEN 'b2b' WHEN go.oid % 7 = 0 THEN 'pos' ELSE 'storefront' END AS channel,
             CASE WHEN go.oid % 11 = 0 THEN least(5000, go.goods / 2) ELSE 0 END AS promo,
             CASE WHEN go.oid % 13 = 0 THEN least(3000, go.goods / 4) ELSE 0 END AS bonus,
             CASE WHEN go.oid % 4 = 0 THEN 30000 ELSE 0 END AS delivery,
             timestamptz '{FIRST.isoformat()}' + (go.oid - 1) * ((timestamptz '{LAST.isoformat()}'
                 - timestamptz '{FIRST.isoformat()}') / {ORDERS}) + (random() * 600) * interval '1 second' AS ts
      FROM go) x ORDER BY x.oid;
SELECT setval(pg_get_serial_sequence('order', 'id'), {ORDERS});
INSERT INTO order_line (order_id, product_id, variant_id, name, variant_label, qty, unit_price_minor, goods_minor,
                        discount_minor, total_minor, unit_cost_minor)
SELECT g.oid, v.product_id, v.id, 'Product ' || v.product_id, v.label, g.qty, v.price_minor, g.qty * v.price_minor,
       0, g.qty * v.price_minor, v.avg_cost_minor
FROM gl g JOIN variant v ON v.id = g.vid ORDER BY g.oid;
INSERT INTO stock_move (variant_id, kind, delta, qty_after, unit_cost_minor, actor_kind, actor_name, created_at)
SELECT 1 + i % {PRODUCTS * VARIANTS_PER_PRODUCT}, CASE WHEN i % 4 = 0 THEN 'write_off' ELSE 'supply' END,
       CASE WHEN i % 4 = 0 THEN -1 ELSE 10 END, 10, 500, 'system', 'bench',
       timestamptz '{FIRST.isoformat()}' + i * interval '1000 seconds'
FROM generate_series(1, 38000) i;
INSERT INTO staff (id, username, full_name, role, is_active, language, created_at, updated_at)
VALUES (1, 'bench', 'Bench', 'seller', true, 'ru', {T0}, {T0});
INSERT INTO pos_register (id, name, active, created_at) VALUES (1, 'Bench register', true, {T0})
ON CONFLICT DO NOTHING;
INSERT INTO pos_shift (id, register_id, status, opened_by_id, opened_by_name, opened_at, float_minor, closed_by_name)
SELECT 1, min(id), 'open', 1, 'Bench', {T0}, 0, '' FROM pos_register;
INSERT INTO pos_sale (id, client_id, order_id, shift_id, register_id, seller_id, seller_name, total_minor,
                      discount_minor, manual_discount_minor, bonus_minor, cash_minor, card_minor, credit_minor,
                      tendered_minor, change_minor, returned_minor, created_at)
SELECT o.id, 'bench-' || o.id, o.id, 1, (SELECT min(id) FROM pos_register), 1, 'Bench', o.total_minor, 0, 0,
       o.bonus_minor, o.total_minor, 0, 0, o.total_minor, 0, 0, o.created_at
FROM "order" o WHERE o.channel = 'pos';
CREATE TEMP TABLE first_line ON COMMIT DROP AS  -- one pass: the lines' indexes are not built yet
SELECT s.id AS sale_id, s.created_at, f.line_id FROM pos_sale s
JOIN (SELECT order_id, min(id) AS line_id FROM order_line WHERE order_id % 35 = 0 GROUP BY order_id) f
  ON f.order_id = s.order_id
WHERE s.id % 5 = 0;
INSERT INTO pos_return (id, client_id, sale_id, shift_id, actor_name, goods_minor, cash_minor, card_minor,
                        credit_minor, bonus_back_minor, cashback_reversed_minor, reason, created_at)
SELECT f.sale_id, 'bench-r-' || f.sale_id, f.sale_id, 1, 'Bench', l.unit_price_minor, l.unit_price_minor, 0, 0, 0, 0,
       '', f.created_at + (1 + f.sale_id % 3) * interval '1 day' + (f.sale_id % 600) * interval '1 minute'
FROM first_line f JOIN order_line l ON l.id = f.line_id;
INSERT INTO pos_return_line (return_id, order_line_id, variant_id, qty, amount_minor)
SELECT f.sale_id, l.id, l.variant_id, 1, l.unit_price_minor FROM first_line f JOIN order_line l ON l.id = f.line_id;
UPDATE pos_sale s SET returned_minor = r.goods_minor FROM pos_return r WHERE r.sale_id = s.id;
INSERT INTO manual_revenue (day, amount_minor, note, created_by_name, created_at)
SELECT date '2025-08-01' + i * 7, 100000 + i, 'fair', 'bench', {T0} FROM generate_series(1, 60) i;
"""


def secondary_indexes(conn, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of ``tables`` that are not a primary key or a constraint."""
    return [tuple(r) for r in conn.execute(sa.text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = ANY(:t) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"), {"t": list(tables)}).all()]


def generate(url: str) -> float:
    drop_database()
    engine = admin()
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    engine.dispose()
    migrations.upgrade(url)
    t0 = time.perf_counter()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        # the lines' and orders' secondary indexes are built once after the rows, not row by row
        kept = secondary_indexes(conn, ("order", "order_line"))
        for name, _ in kept:
            conn.execute(sa.text(f'DROP INDEX "{name}"'))
        with conn.connection.driver_connection.cursor() as cur:  # one script, no parameters
            cur.execute(GENERATE)
        conn.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
        for _, definition in kept:
            conn.execute(sa.text(definition))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - t0


def best(fn) -> tuple[float, object]:
    return best_of(fn, REPEAT)


def floors(conn):
    """The same figures as one would write them by hand in SQL, over the same tables."""
    start, end = YEAR.bounds(TZ)
    p = {"s": start, "e": end, "df": YEAR.date_from, "dt": YEAR.date_to, "tz": TZ.key}

    def q(sql: str):
        return conn.execute(sa.text(sql), p).all()

    def daily():
        return q(f"""SELECT timezone(:tz, created_at)::date d, channel, sum(total_minor + certificate_minor), count(*)
                     FROM "order" WHERE created_at >= :s AND created_at < :e AND status IN {SOLD} GROUP BY d, channel
                     UNION ALL
                     SELECT day, 'manual', sum(amount_minor), 0 FROM manual_revenue WHERE day BETWEEN :df AND :dt
                     GROUP BY day
                     UNION ALL
                     SELECT timezone(:tz, r.created_at)::date d, o.channel,
                            -sum(r.cash_minor + r.card_minor + r.credit_minor), 0
                     FROM pos_return r JOIN pos_sale s ON s.id = r.sale_id JOIN "order" o ON o.id = s.order_id
                     WHERE r.created_at >= :s AND r.created_at < :e AND o.status IN {SOLD} GROUP BY d, o.channel""")

    def pnl_floor():
        o = q(f"""SELECT count(*), sum(goods_minor), sum(discount_product_minor), sum(discount_personal_minor),
                         sum(discount_promo_minor), sum(bonus_minor), sum(certificate_minor), sum(delivery_minor),
                         sum(total_minor + certificate_minor), sum(cost_minor), sum(shop_delivery_minor) FROM "order"
                  WHERE created_at >= :s AND created_at < :e AND status IN {SOLD}""")[0]
        w = q("""SELECT sum(-delta * unit_cost_minor), sum(-delta) FROM stock_move
                 WHERE kind = 'write_off' AND created_at >= :s AND created_at < :e""")[0]
        m = q("SELECT sum(amount_minor) FROM manual_revenue WHERE day BETWEEN :df AND :dt")[0]
        r = q(f"""SELECT count(*), sum(r.cash_minor + r.card_minor + r.credit_minor) FROM pos_return r
                  JOIN pos_sale s ON s.id = r.sale_id JOIN "order" o ON o.id = s.order_id
                  WHERE r.created_at >= :s AND r.created_at < :e AND o.status IN {SOLD}""")[0]
        rc = q(f"""SELECT sum(rl.qty * l.unit_cost_minor) FROM pos_return_line rl
                   JOIN pos_return r ON r.id = rl.return_id JOIN order_line l ON l.id = rl.order_line_id
                   JOIN "order" o ON o.id = l.order_id
                   WHERE r.created_at >= :s AND r.created_at < :e AND o.status IN {SOLD}""")[0]
        return o, w, m, r, rc

    def abc_floor():
        return q(f"""SELECT b.pid, p.name, sum(b.qty), sum(b.rev) AS rev FROM (
                       SELECT l.product_id AS pid, sum(l.qty) AS qty, sum(l.total_minor) AS rev
                       FROM order_line l JOIN "order" o ON o.id = l.order_id
                       WHERE o.created_at >= :s AND o.created_at < :e AND o.status IN {SOLD} GROUP BY l.product_id
                       UNION ALL
                       SELECT l.product_id, -sum(rl.qty), -sum(rl.amount_minor) FROM pos_return_line rl
                       JOIN pos_return r ON r.id = rl.return_id JOIN order_line l ON l.id = rl.order_line_id
                       JOIN "order" o ON o.id = l.order_id
                       WHERE r.created_at >= :s AND r.created_at < :e AND o.status IN {SOLD} GROUP BY l.product_id
                     ) b JOIN product p ON p.id = b.pid GROUP BY b.pid, p.name ORDER BY rev DESC""")

    return daily, pnl_floor, abc_floor


def rollup_floors(conn):
    """The same figures read by hand from the daily rollup (every day of the year is closed)."""
    p = {"df": YEAR.date_from, "dt": YEAR.date_to, "s": YEAR.bounds(TZ)[0], "e": YEAR.bounds(TZ)[1]}

    def q(sql: str):
        return conn.execute(sa.text(sql), p).all()

    def daily():
        return q("""SELECT day, channel, revenue_minor - returns_minor - refunds_minor, orders FROM analytics_day_channel
                    WHERE day BETWEEN :df AND :dt
                    UNION ALL
                    SELECT day, 'manual', sum(amount_minor), 0 FROM manual_revenue WHERE day BETWEEN :df AND :dt
                    GROUP BY day""")

    def pnl_floor():
        return (q(f"SELECT {', '.join(f'sum({n})' for n in rollup.SUMS)} FROM analytics_day_channel "
                  "WHERE day BETWEEN :df AND :dt"),
                q("""SELECT sum(-delta * unit_cost_minor), sum(-delta) FROM stock_move
                     WHERE kind = 'write_off' AND created_at >= :s AND created_at < :e"""),
                q("SELECT sum(amount_minor) FROM manual_revenue WHERE day BETWEEN :df AND :dt"))

    def abc_floor():
        return q("""SELECT b.product_id, p.name, sum(b.qty), sum(b.revenue_minor) AS rev FROM analytics_day_product b
                    JOIN product p ON p.id = b.product_id WHERE b.day BETWEEN :df AND :dt
                    GROUP BY b.product_id, p.name ORDER BY rev DESC""")

    return daily, pnl_floor, abc_floor


def build_rollup(engine) -> None:
    """Close every day up to yesterday in the daily rollup, as the sidecar's job does (timed: the
    first build of a kept database is the migration's backfill), then let the planner see it."""
    t0 = time.perf_counter()
    with Session(engine) as session:
        out = rollup.refresh(session, tz=TZ)
    built = time.perf_counter() - t0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE analytics_day_channel, analytics_day_product"))
        rows = conn.execute(sa.text("SELECT (SELECT count(*) FROM analytics_day_channel), "
                                    "(SELECT count(*) FROM analytics_day_product)")).one()
    print(f"daily rollup: closed up to {out.closed_day}, {out.days} days computed in {built:.1f} s "
          f"({rows[0]:,} day × channel rows, {rows[1]:,} day × product rows)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="generate the database again")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--orders", type=int, default=ORDERS,
                        help="a smaller database to try the bench out (replaces the kept one)")
    args = parser.parse_args()
    set_orders(args.orders)
    from smo_app import composition

    composition.start()
    url = bench_url()
    head = migrations.head_revision()
    want = (head, ORDERS, expected_lines())
    engine = make_engine(url)
    have = None if args.fresh else counts(engine)
    if have is not None and have[0] != head and have[1:3] == want[1:]:
        try:  # the same rows at an older schema: migrate them (the rollup's tables come empty)
            migrations.upgrade(url)
            print(f"{DB_NAME}: migrated from {have[0]} to {head}", flush=True)
            have = counts(engine)
        except Exception as exc:  # noqa: BLE001 - not a revision of ours: generate it again
            print(f"{DB_NAME} not migrated ({type(exc).__name__}): generating it again", flush=True)
    if have is None or have[:3] != want:
        engine.dispose()
        print(f"generating {ORDERS:,} orders / {want[2]:,} lines in {DB_NAME} "
              f"(kept: {have[:3] if have else 'none'}) …", flush=True)
        gen = generate(url)
        engine = make_engine(url)
        have = counts(engine)
        print(f"generated in {gen:.0f} s", flush=True)
    else:
        print(f"reusing {DB_NAME} (schema {head})", flush=True)
    print(f"{have[1]:,} orders, {have[2]:,} order lines, {have[3]:,} POS returns, {PRODUCTS:,} products × "
          f"{VARIANTS_PER_PRODUCT} variants; year {YEAR.date_from} … {YEAR.date_to}; load {os.getloadavg()[0]:.2f}")

    build_rollup(engine)
    owner = Actor.system("bench")
    kw = {"date_from": YEAR.date_from, "date_to": YEAR.date_to, "tz": TZ}
    ok = True
    results = {}
    with Session(engine) as session, engine.connect() as raw:
        checks = [("P&L, 1 year", lambda: pnl.pnl_summary(session, actor=owner, **kw)),
                  ("revenue by day, 1 year", lambda: revenue.daily_revenue(session, actor=owner, **kw)),
                  ("ABC, 1 year", lambda: abc.abc_analysis(session, actor=owner, **kw))]
        (raw_daily, raw_pnl, raw_abc), (daily_floor, pnl_floor, abc_floor) = floors(raw), rollup_floors(raw)
        for (name, service), floor, by_hand in zip(checks, (raw_pnl, raw_daily, raw_abc),
                                                   (pnl_floor, daily_floor, abc_floor)):
            t0 = time.perf_counter()
            floor_rows = floor()  # once: the figures the service must equal, and the bar's floor
            floor_s = time.perf_counter() - t0
            raw.rollback()
            hand_s, _ = best(by_hand)
            raw.rollback()
            service_s, out = best(service)
            results[name] = (out, floor_rows)
            ratio = service_s / floor_s if floor_s else float("inf")
            passed = ratio <= RATIO_BAR and service_s <= ABS_BAR_S
            ok &= passed
            print(f"{name:24s} service {service_s:6.3f} s (bar ≤ {ABS_BAR_S:.0f} s)   floor {floor_s:6.2f} s   "
                  f"ratio {ratio:5.3f} (bar ≤ {RATIO_BAR})  {'ok' if passed else 'FAIL'}   "
                  f"(the rollup by hand: {hand_s:5.3f} s, service {service_s / hand_s:4.1f}×)   "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    engine.dispose()
    # the service's figures are the raw tables' (computed by hand above)
    summary, (o, _, m, r, rc) = results["P&L, 1 year"]
    assert summary.revenue_minor == o[8] + (m[0] or 0) - (r[1] or 0), "P&L revenue differs from the floor"
    assert summary.cogs_minor == o[9] and summary.returns_cogs_minor == (rc[0] or 0), "P&L cost differs from the floor"
    assert summary.returns and summary.returns == r[0], "the bench year has no returns"
    series, floor_daily = results["revenue by day, 1 year"]
    assert series.revenue_minor == sum(r[2] for r in floor_daily), "daily revenue differs from the floor"
    by_day = {}
    for d, _, rev, _ in floor_daily:
        by_day[d] = by_day.get(d, 0) + rev
    assert all(day.revenue_minor == by_day.get(day.day, 0) for day in series.days), "a day differs from the floor"
    abc_rows, floor_abc = results["ABC, 1 year"]
    assert {(r.product_id, r.qty, r.revenue_minor) for r in abc_rows} == {(int(p), int(q), int(v)) for p, _, q, v in
                                                                          floor_abc}, "ABC differs from the floor"
    print(f"year revenue {summary.revenue_minor / 100:,.2f}, gross margin {summary.margin:.1%}, "
          f"{sum(1 for r in abc_rows if r.klass == 'A')} A-class products of {len(abc_rows)}")
    if args.drop:
        drop_database()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
