"""MoySklad sync benchmark: a full pull of 20,000 assortment rows + the stock report from the fake
MoySklad (a separate process enforcing MoySklad's real limits: a user token's 4 units a request, 45
units per 3-second window, 5 for the stock report, at most 5 in flight), timed against the
limit-bound floor measured in the same run — the same requests (every page and the report), sent as
fast as the limits allow through a limiter of their own, doing nothing with the answers.

Bars: the full pull ≤ 1.25 × the floor; an incremental pull of 500 changes in ≤ 10 requests; no 429
from the fake (a well-behaved client never exceeds the window). Prints requests, 429s and the
largest 3-second window (weight units) of each.

Run: .venv/bin/python bench/moysklad_sync.py [--items 20000] [--db-url URL]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SMO_DEMO", "1")

import httpx  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402

from integrations.moysklad import MoyskladConnector  # noqa: E402
from integrations.moysklad.client import PAGE_LIMIT, MoyskladClient  # noqa: E402
from integrations.moysklad.fake import DEMO_TOKEN, PREFIX, STORE_ID  # noqa: E402
from integrations.moysklad.limiter import WINDOW_SECONDS, WeightedLimiter  # noqa: E402
from smo_app import composition, migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.models.erp import ErpConnection, ErpItemLink  # noqa: E402
from smo_app.services.core import secrets  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402
from smo_app.services.erp import runs  # noqa: E402
from _net import free_port  # noqa: E402  (bench/ is the script's folder)

RATIO_BAR = 1.25
INCREMENTAL_BAR = 10
CHANGES = 500


def start_fake(items: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "integrations.moysklad.fake", "--port", str(port), "--items",
                             str(items), "--token-kind", "user"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()  # "fake MoySklad on …": the catalog is seeded and the port open
    return proc, f"http://127.0.0.1:{port}"


def stats(server: str) -> dict:
    return httpx.get(f"{server}/__fake__/stats").json()


def floor(base: str, items: int) -> float:
    """Every request the data needs, as fast as the limits allow, answers thrown away."""
    client = MoyskladClient(token=DEMO_TOKEN, base_url=base, token_kind="user", limiter=WeightedLimiter())
    headers = {"X-Lognex-Remap-Beta-Feature": "assortmentWithoutStock"}
    started = time.perf_counter()
    first = client.request("GET", "/entity/assortment", params={"limit": PAGE_LIMIT, "offset": 0,
                                                                "filter": "archived=true;archived=false"},
                           headers=headers)
    size = first.json()["meta"]["size"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = [pool.submit(client.request, "GET", "/entity/assortment", headers=headers,
                             params={"limit": PAGE_LIMIT, "offset": off, "filter": "archived=true;archived=false"})
                 for off in range(PAGE_LIMIT, size, PAGE_LIMIT)]
        report = pool.submit(client.request, "GET", "/report/stock/all/current",
                             params={"stockType": "freeStock", "filter": f"storeId={STORE_ID}"})
        for f in [*pages, report]:
            f.result().read()
    took = time.perf_counter() - started
    client.close()
    return took


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--db-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    composition.start()
    proc, server = start_fake(args.items)
    tmp = tempfile.TemporaryDirectory()
    try:
        base = server + PREFIX
        url = args.db_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        composition.use(erp=MoyskladConnector(mode="live", default_base=base, timeout=60))
        with Session(engine) as session:
            session.add(ErpConnection(provider="moysklad", enabled=True, token_encrypted=secrets.encrypt(DEMO_TOKEN),
                                      token_kind="user", store_id=STORE_ID, price_type=""))
            session.commit()
        floor_s = floor(base, args.items)
        after_floor = stats(server)
        time.sleep(WINDOW_SECONDS + 0.2)  # the floor's window is over: the pull starts on a clear budget
        system = Actor.system("bench")
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            run = runs.pull(session, actor=system, kind="full")
            pull_s = time.perf_counter() - started
            linked = session.exec(select(func.count()).select_from(ErpItemLink)).one()
        ratio = pull_s / floor_s
        time.sleep(WINDOW_SECONDS + 0.2)
        with Session(engine, expire_on_commit=False) as session:  # the daily pull on a catalog already here
            started = time.perf_counter()
            daily = runs.pull(session, actor=system, kind="full")
            daily_s = time.perf_counter() - started
        httpx.post(f"{server}/__fake__/change", params={"n": CHANGES})
        time.sleep(WINDOW_SECONDS + 0.2)
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            inc = runs.pull(session, actor=system, kind="incremental", changed_since_minutes=5)
            inc_s = time.perf_counter() - started
        fake = stats(server)
        engine.dispose()
        print(f"moysklad sync bench: {args.items} assortment rows + stock, user token (4 units a request, "
              f"45 units / 3 s, stock report 5 units, ≤ 5 in flight), {'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}")
        print(f"  floor (requests only):   {floor_s:.2f} s, {after_floor['requests']} requests")
        print(f"  full pull:               {pull_s:.2f} s = {ratio:.2f} x floor   (bar <= {RATIO_BAR}); "
              f"{run.items_created} created, {linked} linked, {run.stock_changed} stock moves")
        print(f"    requests {run.requests}, 429s {run.throttled}, largest 3-second window {run.max_window_units} units")
        print(f"  daily full pull (catalog already linked): {daily_s:.2f} s = {daily_s / floor_s:.2f} x floor; "
              f"{daily.items_updated} updated, {daily.stock_changed} stock moves, 429s {daily.throttled}")
        print(f"  incremental, {CHANGES} changes: {inc_s:.2f} s, {inc.requests} requests (bar <= {INCREMENTAL_BAR}), "
              f"{inc.items_updated} updated, {inc.stock_changed} stock moves, 429s {inc.throttled}, "
              f"largest window {inc.max_window_units} units")
        print(f"  the fake: {fake['requests']} requests, refused {fake['refused']} (bar 0), largest 3-second window "
              f"{fake['max_window_units']} units (limit 45), most in flight {fake['max_in_flight']} (limit 5)")
        ok = (run.status == "ok" and ratio <= RATIO_BAR and inc.requests <= INCREMENTAL_BAR and inc.status == "ok"
              and fake["refused"] == 0 and fake["max_window_units"] <= 45 and inc.items_updated >= CHANGES)
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        proc.terminate()
        proc.wait(10)
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
