"""What the analytics rollup's write triggers cost a checkout on PostgreSQL: place_order (3-line
carts, one kept connection, as bench/checkout.py) timed with the triggers and with them disabled,
in alternating rounds on one throwaway database. The rollup is closed up to yesterday first, so the
triggers do all they do on a live shop: take the writers' shared lock, read the watermark, look the
order of each line up, and find today's moment not closed (no mark).

Bar: with the triggers ≤ 1.05× without (a checkout writes ~18 rows; the triggers add 4 row calls).
A checkout's ~20 ms on a loaded machine hides a few microseconds, so the triggers' own cost is also
measured on the server: 1 order and 3 lines inserted 2,000 times in one statement each, with and
without them (rolled back), per checkout.

Run: .venv/bin/python bench/checkout_pg_rollup.py [orders per side]
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("SMO_DEMO", "1")

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from checkout import fill_carts, run_service, seed  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.services.analytics import rollup  # noqa: E402
from tests import db_support  # noqa: E402

BAR = 1.05
ROUNDS = 10
TABLES = ("order", "order_line", "pos_return", "pos_return_line", "payment_refund")


def triggers(conn, on: bool) -> None:
    for table in TABLES:
        for kind in ("write", "update"):
            conn.execute(sa.text(f'ALTER TABLE "{table}" {"ENABLE" if on else "DISABLE"} TRIGGER '
                                 f"analytics_rollup_{table}_{kind}"))
    conn.commit()


SERVER_ROWS = 2000
COLUMNS = ("customer_id, channel, status, goods_minor, discount_product_minor, discount_personal_minor, "
           "discount_promo_minor, certificate_minor, bonus_minor, delivery_minor, total_minor, cost_minor, "
           "delivery_type, delivery_payer, address, contact_name, phone, comment, buyer_name, created_at, updated_at, "
           "tracking_number, refunded_minor, shop_delivery_minor")
LINE_COLUMNS = ("order_id, product_id, variant_id, name, variant_label, qty, unit_price_minor, goods_minor, "
                "discount_minor, total_minor, unit_cost_minor")


def server_side(conn, on: bool) -> float:
    """Seconds per checkout's rows (1 order, 3 lines), inserted on the server, triggers ``on`` or not."""
    triggers(conn, on)
    t0 = time.perf_counter()
    conn.execute(sa.text(f'INSERT INTO "order" ({COLUMNS}) SELECT {COLUMNS} FROM "order" o, '
                         f"generate_series(1, {SERVER_ROWS}) WHERE o.id = (SELECT min(id) FROM \"order\")"))
    conn.execute(sa.text(f"INSERT INTO order_line ({LINE_COLUMNS}) SELECT {LINE_COLUMNS} FROM order_line l, "
                         f"generate_series(1, {SERVER_ROWS * 3}) WHERE l.id = (SELECT max(id) FROM order_line)"))
    took = time.perf_counter() - t0
    conn.rollback()
    return took / SERVER_ROWS


def main() -> int:
    from smo_app import composition

    composition.start()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    url = db_support.create_pg_database("smo_bench_checkout_rollup")
    try:
        url, cids, vids = seed(url, 2 * n + 40)
        fill_carts(url, cids, vids)
        engine = make_engine(url)
        with Session(engine) as session:
            rollup.refresh(session)  # closed up to yesterday: the triggers compare, as in a live shop
        run_service(engine, cids[:40])  # warm-up
        on_ids, off_ids = cids[40:40 + n], cids[40 + n:]
        on_s, off_s = [], []
        with engine.connect() as admin:
            for r in range(ROUNDS):
                for on, ids, times in ((True, on_ids, on_s), (False, off_ids, off_s))[::1 if r % 2 else -1]:
                    triggers(admin, on)
                    batch = ids[r::ROUNDS]
                    times.append(run_service(engine, batch) / len(batch))
            server_on, server_off = [], []
            for r in range(ROUNDS):
                for on, times in ((True, server_on), (False, server_off))[::1 if r % 2 else -1]:
                    times.append(server_side(admin, on))
            triggers(admin, True)
        with engine.connect() as conn:
            marks = conn.execute(sa.text("SELECT count(*) FROM analytics_dirty_day")).scalar()
        engine.dispose()
    finally:
        db_support.drop_pg_database(url)
    with_t, without = statistics.median(on_s), statistics.median(off_s)
    ratio = with_t / without
    print(f"place_order on PostgreSQL, 3-line carts: {with_t * 1000:.2f} ms with the rollup triggers, "
          f"{without * 1000:.2f} ms without (medians of {ROUNDS} rounds of {n // ROUNDS})")
    print(f"ratio {ratio:.3f} (bar ≤ {BAR}) {'OK' if ratio <= BAR else 'ABOVE BAR'}; days marked dirty: {marks}; "
          f"load {os.getloadavg()[0]:.2f}")
    on_us, off_us = statistics.median(server_on) * 1e6, statistics.median(server_off) * 1e6
    print(f"on the server, 1 order + 3 lines: {on_us:.0f} µs with the triggers, {off_us:.0f} µs without: "
          f"the triggers cost {on_us - off_us:.0f} µs a checkout ({(on_us - off_us) / (without * 1e6):.1%} of one)")
    return 0 if ratio <= BAR else 1


if __name__ == "__main__":
    raise SystemExit(main())
