"""Customer search benchmark (backoffice, CR1): 20,000 customers in SQLite.

For each kind of search a manager types (@username, Telegram id, phone digits, a name in another
case, the first page with no query) it measures the p95 server time of the service call
``search_customers`` (permission check, query, DTOs) and of a raw SQL floor: the same WHERE
clause, order and page as SQL text, run on a connection from the same engine (pool checkout,
the engine's transaction begin and rollback, fetch) over the same rows in the same run.
Bar: service p95 ≤ 3 × floor p95 for every search. The bare DB-API cursor on a held connection
(no pool, no transaction) is printed too, for reference.

Each sample times a batch of calls, sized so the floor's batch lasts ≥ 5 ms (bench/_timing.py):
a sub-millisecond floor cannot be timed call by call.

Run: .venv/bin/python bench/backoffice_customers.py [--customers 20000] [--repeat 60]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SMO_DEMO", "1")

from sqlalchemy import select  # noqa: E402
from sqlmodel import Session  # noqa: E402

import smo_app.models  # noqa: E402,F401
from smo_app import migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.models.customer import Customer  # noqa: E402
from smo_app.models.staff import Role  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402
from smo_app.services.customers import admin  # noqa: E402
from _timing import paired_p95_ms  # noqa: E402  (bench/ is the script's folder)

BAR = 3.0
FIRST = ["Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Жанна", "Зоя", "Иван", "Кира", "Olga", "Peter", "Maria"]
LAST = ["Иванова", "Петров", "Сидорова", "Кузнецов", "Смирнова", "Попов", "Lee", "Smith", "Novak"]


def seed(engine, n: int) -> None:
    rnd = random.Random(7)
    with Session(engine) as s:
        s.add_all([Customer(
            telegram_id=100_000_000 + i * 7, username=f"user{i}" if i % 3 else None,
            full_name=f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", phone=f"+79{rnd.randrange(10**8, 10**9)}" if i % 2 else None,
        ) for i in range(n)])
        s.commit()


def main() -> int:
    from smo_app import composition

    composition.start()
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    seed(engine, args.customers)
    manager = Actor.staff(1, Role.manager, "bench")
    with Session(engine) as s:
        some_phone = s.exec(select(Customer.phone).where(Customer.phone.is_not(None)).limit(1)).first()[0]
    searches = {
        "first page": "",
        "@username": "@user1234",
        "telegram id": str(100_000_000 + 4321 * 7),
        "phone digits": some_phone[3:9],
        "name, lower case": "вера",
        "latin name": "smith",
    }
    print(f"customers: {args.customers}, repeats: {args.repeat} (p95 in ms)")
    print(f"{'search':18} {'rows':>4} {'service':>9} {'floor':>9} {'ratio':>6} {'bare cur':>9}")
    worst = 0.0
    with Session(engine) as session:
        dialect = session.get_bind().dialect
        for label, query in searches.items():
            # the floor: the same statement, compiled once, run on the raw DB-API cursor
            table = Customer.__table__
            stmt = select(table)
            cond = admin.search_condition(query, dialect.name)
            if cond is not None:
                stmt = stmt.where(cond)
            stmt = stmt.order_by(table.c.id.desc()).limit(admin.PAGE_SIZE + 1).offset(0)
            compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            sql, params = str(compiled), compiled.construct_params()
            positional = [params[k] for k in compiled.positiontup]
            raw = engine.raw_connection()
            rows = 0

            def service():
                nonlocal rows
                rows = len(admin.search_customers(session, actor=manager, query=query).rows)

            def floor():
                with engine.connect() as conn:
                    conn.exec_driver_sql(sql, tuple(positional)).fetchall()

            def bare():
                cur = raw.cursor()
                cur.execute(sql, positional)
                cur.fetchall()
                cur.close()

            (s95, f95, b95), _k = paired_p95_ms([service, floor, bare], args.repeat)
            raw.close()
            ratio = s95 / f95 if f95 else float("inf")
            worst = max(worst, ratio)
            print(f"{label:18} {rows:>4} {s95:>9.2f} {f95:>9.2f} {ratio:>6.2f} {b95:>9.2f}")
    ok = worst <= BAR
    print(f"worst ratio {worst:.2f} — bar ≤ {BAR:.0f}×: {'PASS' if ok else 'FAIL'}")
    engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
