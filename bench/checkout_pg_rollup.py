"""What the analytics rollup's write triggers cost a checkout on PostgreSQL: place_order (3-line
carts, one kept connection, as bench/checkout.py) timed with the triggers and with them disabled,
in alternating rounds on one throwaway database. The rollup is closed up to yesterday first, so the
triggers do all they do on a live shop: take the writers' shared lock, read the watermark, look the
order of each line up, and find today's moment not closed (no mark).

Bar: with the triggers ≤ 1.05× without (a checkout writes ~18 rows; the triggers add 4 row calls).

Run: .venv/bin/python bench/checkout_pg_rollup.py [orders per side]
"""
from __future__ import annotations

import os
import statistics
import sys
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
    return 0 if ratio <= BAR else 1


if __name__ == "__main__":
    raise SystemExit(main())
