"""Storefront search benchmark: catalog search by name over 10,000 products (ST2).

p95 latency of ``catalog.browse.search_products`` (the service the Mini App calls: visibility
rules, up to 40 tiles priced for the customer) against a floor measured in the same run: one
hand-written SQL query over the same rows returning the same product ids (visible products whose
name contains the query, in display order, limit 40), on the same engine. Prints the ratio.

Run: .venv/bin/python bench/storefront_search.py [products] [sqlite|postgres-url]
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SMO_DEMO", "1")

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

import smo_app.models  # noqa: E402,F401
from smo_app import migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.models.catalog import Category, Product, Variant  # noqa: E402
from smo_app.models.customer import Customer  # noqa: E402
from smo_app.services.catalog import browse  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402

WORDS = ["масло", "свеча", "мыло", "соль", "крем", "бальзам", "спрей", "саше", "диффузор", "скраб"]
SCENTS = ["лаванда", "ваниль", "роза", "кедр", "мята", "апельсин", "жасмин", "сандал", "бергамот", "пачули"]
QUERIES = ["лаванда", "Свеча", "кедр 12", "мыло роза", "бергамот", "zzz", "масло", "ваниль 9"]
ROUNDS = 30
BAR = 3.0  # the service may cost at most 3× the bare query (it prices and filters the tiles too)


def setup(url: str, n: int) -> int:
    migrations.upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(7)
    with Session(engine) as s:
        cats = [Category(name=f"Категория {i}", position=i, hidden=(i == 9)) for i in range(10)]
        s.add_all(cats)
        s.flush()
        products = []
        for i in range(n):
            name = f"{rnd.choice(WORDS).capitalize()} {rnd.choice(SCENTS)} {i}"
            products.append(Product(name=name, category_id=cats[i % 10].id, base_price_minor=45000 + i,
                                    position=i, hidden=(i % 50 == 0), discount_pct=(10 if i % 7 == 0 else 0)))
        s.add_all(products)
        s.flush()
        s.add_all([Variant(product_id=p.id, label="10 мл", price_minor=p.base_price_minor, qty=(i % 5), weight_g=30,
                           is_default=True) for i, p in enumerate(products)])
        customer = Customer(telegram_id=9_000_000_001, full_name="Bench")
        s.add(customer)
        s.commit()
        return customer.id


def raw_sql(session: Session, query: str) -> list[int]:
    pg = session.get_bind().dialect.name == "postgresql"
    like = "p.name ILIKE :q" if pg else "(p.name LIKE :q OR p.name LIKE :ql OR p.name LIKE :qc OR p.name LIKE :qu)"
    sql = text(f"""
        SELECT p.id FROM product p LEFT JOIN category c ON c.id = p.category_id
        WHERE NOT p.deleted AND NOT p.hidden AND (c.id IS NULL OR NOT c.hidden) AND {like}
        ORDER BY p.position, p.id LIMIT 40""")
    return list(session.execute(sql, {"q": f"%{query}%", "ql": f"%{query.lower()}%",
                                      "qc": f"%{query.capitalize()}%", "qu": f"%{query.upper()}%"}).scalars())


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    from smo_app import composition

    composition.start()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        cid = setup(url, n)
        print(f"seeded {n} products in {time.perf_counter() - t0:.1f}s ({url.split(':')[0]})")
        engine = make_engine(url)
        me = Actor.customer(cid)
        service, floor = [], []
        with Session(engine) as s:
            for q in QUERIES:  # same answers (ids, order) from both
                ids = [p.id for p in browse.search_products(s, actor=me, query=q)]
                assert ids == raw_sql(s, q), q
            for _ in range(ROUNDS):
                for q in QUERIES:
                    t = time.perf_counter()
                    browse.search_products(s, actor=me, query=q)
                    service.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    raw_sql(s, q)
                    floor.append(time.perf_counter() - t)
        ratio = p95(service) / p95(floor)
        print(f"search p95: service {p95(service) * 1000:.2f} ms, raw SQL floor {p95(floor) * 1000:.2f} ms, "
              f"ratio {ratio:.2f} (bar <= {BAR})")
        engine.dispose()
        if ratio > BAR:
            sys.exit(1)


if __name__ == "__main__":
    main()
