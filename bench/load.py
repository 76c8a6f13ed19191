"""Load test of the whole shop in its production topology: PostgreSQL, Redis, 1, 2 and 4 web workers.

The app runs as ``scripts/run_prod_local.sh`` runs it (``python -m smo_app.serve`` with
``SMO_REDIS_URL`` and ``GRANIAN_WORKERS=N``; the pages when a build is there, else the backend alone,
which is all socket clients need) on a fresh PostgreSQL database with the demo shop, and a Redis of
its own on a free port (so INFO commandstats counts this app's commands only). The clients are
socket-level tabs speaking Reflex's event protocol (bench/_reflex_client.py), plus plain HTTP:

* Mini App shoppers (default 200): the first screen over HTTP (``GET /api/storefront/first-paint``,
  and ``GET /`` when the pages are served), then on the socket: a product card, add to cart, the
  cart, checkout (contacts, pickup point, delivery, extras) and place the order; again and again,
  a human's pause (``--think``) between taps;
* POS tablets (20) selling: an item or two, "all cash", pay — and the sale page's 2-second clock;
* managers (5) paging the orders list (tabs, next/previous page);
* payment webhooks arriving (Stripe, signed, over HTTP) for orders waiting for their payment.

Beside each role a few *tappers* — tabs of the same kind that only send a trivial event (one that
sets a var and nothing else: the Mini App's dismiss-notice, the POS camera toggle, the orders list's
tick box) about once a second. Each configuration runs a floor phase (tappers only: everyone else is
connected and idle) and then the loaded phase (everyone); the tappers' p50/p95/max in both phases
give each role's slowdown by the others' load, measured in the same run. The floor runs twice: first
with the tapping tablets' own 2-second clocks stopped (the floor as this bench measured it until
2026-12-07, printed beside as "the old floor"), then with them running as they run in the loaded
phase and on a real tablet — a tablet's tap waits behind its own clock's event (Reflex runs one tab's
events one after another), and that is the tablet itself, not the others; the bar is judged on this
second floor.

Printed per configuration: the trivial taps per role (alone / loaded), orders/s (placed orders + POS
sales), payments/s, errors (timeouts, refusals, HTTP errors, tracebacks in the app's log: must be 0),
Redis commands per event (INFO commandstats delta / events) and PostgreSQL transactions per event
(pg_stat_database xact_commit + xact_rollback delta / events; every transaction is at least one
round trip), the CPU of the app, Redis, PostgreSQL's backends and the whole machine (other work
included), and the clients' own process: its CPU and its event loop's lag (how late
a 50 ms sleep wakes: every tap measured also waits that long on the clients' side, so a lag near the
taps' figures would mean the clients, not the app, are slow), with ``uptime``'s load average.

Bars: with ≥ 2 workers no role's trivial-tap p95 slowed > 1.5× by the others; orders/s with 4 workers
≥ 1.6× that with 1 worker; 0 errors. What bounds the scaling is printed beside it: the machine's CPU
count (the clients run on it too).

Run: .venv/bin/python bench/load.py [--shoppers 200] [--tablets 20] [--managers 5] [--webhooks 5]
     [--seconds 60] [--floor-seconds 20] [--workers 1,2,4] [--think 1.0,3.0]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SMO_DEMO", "1")

from _net import answers, free_port, stop_group  # noqa: E402  (bench/ is the script's folder)
from _reflex_client import ReflexClient  # noqa: E402
from _timing import spread_ms  # noqa: E402

SLOWDOWN_BAR = 1.5  # a role's trivial-tap p95, loaded / alone, with >= 2 workers
SCALING_BAR = 1.6  # orders/s with 4 workers / with 1 worker
TAP_EVERY = 1.0  # seconds between a tapper's taps (jittered)
POS_CLOCK = 2.0  # the sale page's poll
TIMEOUT = 30.0
PATH_STORE, PATH_POS, PATH_ORDERS = "/", "/pos", "/admin/orders"


# --------------------------------------------------------------------------- figures (pure)

def redis_calls(commandstats: dict) -> int:
    """Commands run, summed over INFO commandstats (``{"cmdstat_get": {"calls": 3, …}, …}``)."""
    return sum(int(v.get("calls", 0)) for k, v in commandstats.items() if k.startswith("cmdstat_"))


def _cpu_seconds(keep, proc: Path) -> dict[int, float]:
    """CPU time (user + system) by pid of the live processes for which ``keep(their /proc folder, the
    fields of their stat after the name)`` holds."""
    out, tick = {}, os.sysconf("SC_CLK_TCK")
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if keep(stat.parent, fields):  # state, ppid, pgrp, …, utime (12th), stime (13th)
                out[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return out


def group_cpu_seconds(pgid: int, proc: Path = Path("/proc")) -> float:
    """CPU time (user + system) of the live processes in process group ``pgid`` (the app and its workers)."""
    return sum(_cpu_seconds(lambda _, fields: int(fields[2]) == pgid, proc).values())


def machine_cpu(stat: Path = Path("/proc/stat")) -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far (every process, this bench's or not)."""
    fields = [int(x) for x in stat.read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def named_cpu_seconds(word: str, proc: Path = Path("/proc")) -> dict[int, float]:
    """CPU time (user + system) by pid of the live processes whose command line holds ``word``
    (PostgreSQL's backends carry their database's name in their title)."""
    return _cpu_seconds(lambda folder, _: word in (folder / "cmdline").read_bytes().decode(errors="replace"), proc)


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings by the processes alive at the second (one that started between
    them counts from 0; one that ended between them is not seen)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def slowdown(alone: list[float], loaded: list[float]) -> float:
    """p95 loaded / p95 alone (NaN when either has no samples)."""
    a, b = spread_ms(alone)[1], spread_ms(loaded)[1]
    return b / a if a == a and b == b and a > 0 else float("nan")


def verdicts(runs: dict[int, "Run"]) -> list[tuple[str, bool]]:
    """The bars, each as (what was measured, held)."""
    out = []
    for workers, run in sorted(runs.items()):
        if workers >= 2:
            for role in run.roles:
                ratio = slowdown(run.alone[role], run.loaded[role])
                out.append((f"{workers} workers: {role} taps slowed {ratio:.2f}× by the others (bar ≤ {SLOWDOWN_BAR})",
                            ratio <= SLOWDOWN_BAR))
        out.append((f"{workers} workers: {run.errors} errors (bar 0)", run.errors == 0))
    if 1 in runs and 4 in runs and runs[1].orders_per_s > 0:
        scale = runs[4].orders_per_s / runs[1].orders_per_s
        out.append((f"orders/s with 4 workers / 1 worker = {scale:.2f} (bar ≥ {SCALING_BAR})", scale >= SCALING_BAR))
    return out


@dataclass
class Run:
    """One configuration's results."""
    roles: tuple[str, ...] = ("shopper", "pos", "manager")
    alone: dict[str, list[float]] = field(default_factory=lambda: {"shopper": [], "pos": [], "manager": []})
    # the floor as measured before 2026-12-07: the tapping tablets' own clocks stopped (printed beside)
    alone_no_clock: dict[str, list[float]] = field(default_factory=lambda: {"shopper": [], "pos": [], "manager": []})
    loaded: dict[str, list[float]] = field(default_factory=lambda: {"shopper": [], "pos": [], "manager": []})
    orders: int = 0
    sales: int = 0
    payments: int = 0
    events: int = 0  # socket events and HTTP requests in the loaded phase
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    redis_commands: int = 0
    redis_bytes: int = 0
    app_cpu: float = 0.0  # seconds of CPU the app's processes used in the loaded phase
    redis_cpu: float = 0.0  # seconds of CPU Redis used in the loaded phase
    pg_cpu: float = 0.0  # seconds of CPU the live PostgreSQL backends of the bench's database used (loaded phase)
    machine_busy: float = 0.0  # the machine's CPU busy, all processes, as a share of all its cores (loaded phase)
    pg_transactions: int = 0
    client_cpu: float = 0.0  # seconds of CPU this process (all the clients) used in the loaded phase
    client_lag: dict[str, list[float]] = field(default_factory=lambda: {"alone": [], "loaded": []})
    seconds: float = 0.0
    load: str = ""

    @property
    def orders_per_s(self) -> float:
        return (self.orders + self.sales) / self.seconds if self.seconds else 0.0

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


# --------------------------------------------------------------------------- the shop

@dataclass
class Shop:
    db_url: str
    customers: list[str]  # customer session tokens
    pos: list[tuple[str, str]]  # (POS session, device token)
    registers: list[int]
    variants: list[int]
    products: list[int]  # the products of ``variants`` (stock enough for any run)
    managers: list[str]  # backoffice session tokens
    webhook_orders: list[tuple[int, int, str, int]]  # (order, payment, intent, total)


def prepare(db_url: str, shoppers: int, tablets: int, managers: int, payments: int) -> Shop:
    """The demo shop (as ``make run`` seeds it), then the bench's customers, tablets, managers and
    orders waiting for a Stripe payment."""
    env = {**os.environ, "SMO_DATABASE_URL": db_url, "SMO_DEMO": "1"}
    subprocess.run([sys.executable, "-m", "smo_app.cli", "migrate", "--seed-demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    from sqlmodel import Session

    import payments_webhooks
    import pos_taps
    from smo_app.db import make_engine
    from smo_app.models.catalog import Variant
    from smo_app.models.customer import Customer
    from smo_app.models.staff import Role
    from smo_app.services.core.actor import Actor
    from smo_app.services.customers.sessions import start_customer_session
    from smo_app.services.staff import accounts, auth

    pos, registers, variants = pos_taps.prepare(db_url, tablets, 0)
    engine = make_engine(db_url)
    with Session(engine) as s:
        people = [Customer(telegram_id=7_300_000_000 + i, full_name=f"Покупатель {i}") for i in range(shoppers)]
        s.add_all(people)
        s.commit()
        customers = [start_customer_session(s, customer_id=c.id) for c in people]
        bo = []
        for i in range(managers):
            accounts.create_staff(s, actor=Actor.system("bench"), username=f"loadmgr{i}", full_name=f"Менеджер {i}",
                                  role=Role.manager, password="load-bench-1")
            bo.append(auth.sign_in_password(s, username=f"loadmgr{i}", password="load-bench-1").token)
        products = [s.get(Variant, v).product_id for v in variants]
    rows = payments_webhooks.seed(engine, payments, "load")
    engine.dispose()
    return Shop(db_url, customers, pos, registers, variants, products, bo, rows)


class StateNames:
    """The state paths the clients address (from the app's state tree)."""

    def __init__(self) -> None:
        import smo_app.smo_app  # noqa: F401  (the app's state tree)
        from smo_app.state.customer_session import CustomerSessionState
        from smo_app.state.orders import OrdersState
        from smo_app.state.session import SessionState
        from smo_app.state.storefront import StoreState
        from smo_app.state.storefront_cart import CartState
        from smo_app.state.storefront_checkout import CheckoutState

        self.hydrate = f"{StoreState.get_root_state().get_full_name()}.hydrate_and_load"
        self.store, self.cart, self.checkout = (StoreState.get_full_name(), CartState.get_full_name(),
                                                CheckoutState.get_full_name())
        self.orders = OrdersState.get_full_name()
        self.customer_token = f"{CustomerSessionState.get_full_name()}.customer_token_rx_state_"
        self.bo_token = f"{SessionState.get_full_name()}.bo_token_rx_state_"


# --------------------------------------------------------------------------- the clients

class Shopper(ReflexClient):
    def __init__(self, base: str, token: str, names: StateNames, products: list[int]) -> None:
        super().__init__(base, PATH_STORE)
        self.customer, self.n, self.products = token, names, products

    async def open(self) -> None:
        await self.connect(self.n.hydrate, {self.n.customer_token: self.customer}, until="tiles", timeout=TIMEOUT * 2)
        await self.call(f"{self.n.store}.boot", {"info": {}}, until="in_telegram")

    async def tap(self) -> float:
        return await self.call(f"{self.n.store}.dismiss_notice", until="notice")

    async def step(self, handler: str, payload: dict | None = None, *, until) -> None:
        await self.call(handler, payload, until=until)
        if self.vars.get("step_error") or self.vars.get("notice_error"):
            raise Refused(f"{handler.rsplit('.', 1)[-1]}: {self.vars.get('step_error') or self.vars.get('notice')}")

    async def buy(self, think) -> bool:
        """One order: a product card, add, the cart, the checkout's steps, place. False when the
        product shown was sold out (no order)."""
        s, c, k = self.n.store, self.n.cart, self.n.checkout
        # one of the bench's products (the demo's own would sell out over a long run)
        await self.step(f"{s}.open_product", {"product_id": random.choice(self.products)}, until="card")
        await think()
        if not self.vars.get("variant_id"):  # sold out: look at another one next time
            return False
        await self.step(f"{s}.add_to_cart", until=lambda ch: ch.get("busy") is False)
        await think()
        await self.step(f"{c}.show_cart", until="lines")
        await think()
        await self.step(f"{k}.start_checkout", until="step")
        await think()
        await self.step(f"{k}.set_contact", {"form": {"contact_name": "Ольга", "phone": "+79161234567"}},
                        until="points")
        await think()
        points = self.vars.get("points") or []
        if points:
            await self.step(f"{k}.pick_point", {"code": points[0]["code"]}, until="point_code")
        await self.step(f"{k}.set_delivery", {"form": {}}, until="step")
        await think()
        await self.step(f"{k}.set_extras", {"form": {}}, until="client_ref")
        await think()
        await self.step(f"{k}.place", until=lambda ch: ch.get("busy") is False)
        if self.vars.get("cart_count") != 0:
            raise Refused("place: the order was not placed")
        return True


class Manager(ReflexClient):
    def __init__(self, base: str, token: str, names: StateNames) -> None:
        super().__init__(base, PATH_ORDERS)
        self.bo, self.n = token, names

    async def open(self) -> None:
        await self.connect(self.n.hydrate, {self.n.bo_token: self.bo}, until="rows", timeout=TIMEOUT * 2)

    async def tap(self) -> float:
        return await self.call(f"{self.n.orders}.toggle", {"order_id": 1, "on": not self.vars.get("selected")},
                               until="selected")

    async def page(self) -> None:
        o = self.n.orders
        if self.vars.get("has_next") and random.random() < 0.6:
            await self.call(f"{o}.go", {"delta": 1}, until="rows")
        elif (self.vars.get("page") or 1) > 1:
            await self.call(f"{o}.go", {"delta": -1}, until="rows")
        else:
            await self.call(f"{o}.set_tab", {"tab": random.choice(["active", "all", "new"])}, until="rows")


class Refused(Exception):
    """A step the app refused (its message shown to the person)."""


class PhaseOver(Exception):
    """The loaded phase ended in the middle of a journey."""


async def sell(tablet, variants: list[int]) -> None:
    """One POS sale: an item or two, all cash, pay (the receipt's redirect follows)."""
    for _ in range(random.randint(1, 2)):
        await tablet.call("add", "lines", {"variant_id": random.choice(variants)})
    await tablet.call("all_cash", "tendered_text")
    await tablet.call("pay", "tendered_text")


# --------------------------------------------------------------------------- one configuration

class Measure:
    """Redis commands and PostgreSQL transactions between two readings."""

    def __init__(self, redis_url: str, db_url: str) -> None:
        import redis
        import sqlalchemy as sa
        from sqlalchemy.engine import make_url

        self.redis = redis.Redis.from_url(redis_url)
        self.db = make_url(db_url).database
        self.engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
        self.sql = sa.text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :d")

    app_pgid = 0

    async def read(self) -> tuple[float, ...]:
        """(Redis commands, Redis bytes in and out, PostgreSQL transactions, the app's CPU seconds, Redis's
        CPU seconds, the bench database's live PostgreSQL backends' CPU seconds, the machine's busy and
        total jiffies) so far."""
        await asyncio.sleep(1.2)  # PostgreSQL's backends report their counts at most once a second
        with self.engine.connect() as conn:
            xacts = conn.execute(self.sql, {"d": self.db}).scalar_one()
        net, cpu = self.redis.info("stats"), self.redis.info("cpu")
        return (redis_calls(self.redis.info("commandstats")),
                int(net["total_net_input_bytes"]) + int(net["total_net_output_bytes"]), int(xacts),
                group_cpu_seconds(self.app_pgid), float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]),
                named_cpu_seconds(self.db), *machine_cpu())


async def run_config(base: str, shop: Shop, args, run: Run, measure: Measure, pages: bool) -> None:
    import aiohttp

    import pos_taps

    names = StateNames()
    pos_names = pos_taps.state_names()
    rnd = random.Random(7)
    think_lo, think_hi = args.think

    phase_end = {"at": float("inf")}

    async def think() -> None:
        """A shopper's pause; a journey still under way when the phase ends is left (not counted)."""
        if time.monotonic() > phase_end["at"]:
            raise PhaseOver
        await asyncio.sleep(rnd.uniform(think_lo, think_hi))

    shoppers = [Shopper(base, t, names, shop.products) for t in shop.customers[:args.shoppers]]
    shop_tappers = [Shopper(base, t, names, shop.products) for t in shop.customers[args.shoppers:]]
    sellers = [pos_taps.Tablet(base, t, pos_names) for t in shop.pos[:args.tablets]]
    pos_tappers = [pos_taps.Tablet(base, t, pos_names) for t in shop.pos[args.tablets:]]
    managers = [Manager(base, t, names) for t in shop.managers[:args.managers]]
    mgr_tappers = [Manager(base, t, names) for t in shop.managers[args.managers:]]
    everyone = [*shoppers, *shop_tappers, *sellers, *pos_tappers, *managers, *mgr_tappers]
    started = time.monotonic()
    for i in range(0, len(everyone), 20):  # open the tabs twenty at a time
        await asyncio.gather(*[c.open() if not isinstance(c, pos_taps.Tablet) else c.connect()
                               for c in everyone[i:i + 20]])
    for t in [*sellers, *pos_tappers]:
        await t.call("load", "shift_label")
    print(f"  {len(everyone)} tabs open in {time.monotonic() - started:.0f} s", flush=True)

    tap_of = {"shopper": (shop_tappers, lambda c: c.tap()),
              "pos": (pos_tappers, lambda c: c.call("toggle_camera", "camera_open")),
              "manager": (mgr_tappers, lambda c: c.tap())}
    for tappers, tap in tap_of.values():  # warm-up, not counted
        for c in tappers:
            await tap(c)

    async def tapping(role: str, client, until: float, into: dict[str, list[float]]) -> None:
        tap = tap_of[role][1]
        r = random.Random(id(client))
        await asyncio.sleep(r.uniform(0, TAP_EVERY))
        while time.monotonic() < until:
            try:
                into[role].append(await tap(client))
            except asyncio.TimeoutError:
                run.error(f"{role} tap timed out")
            await asyncio.sleep(r.uniform(0.5, 1.5) * TAP_EVERY)

    def tappers_until(until: float, into: dict[str, list[float]]) -> list:
        return [tapping(role, c, until, into) for role, (cs, _) in tap_of.items() for c in cs]

    async def lag(until: float, into: list[float]) -> None:
        """How late this process's event loop wakes a 50 ms sleep: time every tap measured also spent
        waiting for the clients' own loop (all the tabs share one process and the machine's cores)."""
        while time.monotonic() < until:
            t = time.perf_counter()
            await asyncio.sleep(0.05)
            into.append(time.perf_counter() - t - 0.05)

    async def clock(t, until: float) -> None:
        await asyncio.sleep(rnd.uniform(0, POS_CLOCK))
        while time.monotonic() < until:
            await t.send("tick")
            await asyncio.sleep(POS_CLOCK)

    # the floor: tappers alone, everyone else connected and idle; first as the bench measured it
    # before (the tapping tablets' own clocks stopped), then with their clocks running, as they run
    # in the loaded phase (a tablet's own clock is part of it, not "the others")
    await measure.read()
    until = time.monotonic() + args.floor_seconds
    await asyncio.gather(*tappers_until(until, run.alone_no_clock))
    until = time.monotonic() + args.floor_seconds
    await asyncio.gather(*tappers_until(until, run.alone), *[clock(t, until) for t in pos_tappers],
                         lag(until, run.client_lag["alone"]))

    http_requests = {"n": 0}

    async def shopping(c: Shopper, until: float, http) -> None:
        await asyncio.sleep(rnd.uniform(0, think_hi))
        while time.monotonic() < until:
            try:
                for path in (["/"] if pages else []) + ["/api/storefront/first-paint"]:
                    http_requests["n"] += 1
                    async with http.get(base + path, cookies={"smo_customer_session": c.customer}) as r:
                        await r.read()
                        if r.status != 200:
                            run.error(f"GET {path} {r.status}")
                if await c.buy(think):
                    run.orders += 1
            except asyncio.TimeoutError:
                run.error("shopper step timed out")
            except Refused as exc:
                run.error(f"shopper refused ({str(exc)[:60]})")
            except PhaseOver:
                return
            except Exception as exc:  # noqa: BLE001 - counted, the others go on
                run.error(f"shopper {type(exc).__name__}")
            await asyncio.sleep(rnd.uniform(think_lo, think_hi))

    async def selling(t, until: float) -> None:
        await asyncio.sleep(rnd.uniform(0, 2))
        while time.monotonic() < until:
            try:
                await sell(t, shop.variants)
                run.sales += 1
            except asyncio.TimeoutError:
                run.error("POS sale timed out")
            except Exception as exc:  # noqa: BLE001 - counted, the others go on
                run.error(f"POS sale {type(exc).__name__}")
            await asyncio.sleep(rnd.uniform(1.0, 3.0))

    async def paging(m: Manager, until: float) -> None:
        await asyncio.sleep(rnd.uniform(0, 3))
        while time.monotonic() < until:
            try:
                await m.page()
            except asyncio.TimeoutError:
                run.error("manager page timed out")
            except Exception as exc:  # noqa: BLE001 - counted, the others go on
                run.error(f"manager page {type(exc).__name__}")
            await asyncio.sleep(rnd.uniform(1.0, 4.0))

    async def webhooks(until: float, http) -> None:
        from integrations.stripe.fake import DEMO_WEBHOOK_SECRET

        import payments_webhooks

        rows = list(shop.webhook_orders)
        while time.monotonic() < until and rows:
            body, headers = payments_webhooks.stripe_event(*rows.pop(), secret=DEMO_WEBHOOK_SECRET)
            http_requests["n"] += 1
            async with http.post(base + "/api/webhooks/stripe", data=body, headers=headers) as r:
                answer = await r.json(content_type=None)
                if r.status == 200 and answer.get("ok"):
                    run.payments += 1
                else:
                    run.error(f"webhook {r.status} {answer}")
            await asyncio.sleep(rnd.expovariate(args.webhooks))

    # the loaded phase
    before = await measure.read()
    async with aiohttp.ClientSession() as http:
        until = phase_end["at"] = time.monotonic() + args.seconds
        t0, cpu0 = time.monotonic(), time.process_time()
        sent_before = sum(c.sent for c in everyone)
        await asyncio.gather(*tappers_until(until, run.loaded), lag(until, run.client_lag["loaded"]),
                             *[shopping(c, until, http) for c in shoppers],
                             *[selling(t, until) for t in sellers],
                             *[clock(t, until) for t in [*sellers, *pos_tappers]],
                             *[paging(m, until) for m in managers],
                             webhooks(until, http))
        run.seconds, run.client_cpu = time.monotonic() - t0, time.process_time() - cpu0
    after = await measure.read()
    run.events = sum(c.sent for c in everyone) - sent_before + http_requests["n"]
    (run.redis_commands, run.redis_bytes, run.pg_transactions, run.app_cpu, run.redis_cpu, _, busy,
     total) = (a - b if not isinstance(a, dict) else 0 for a, b in zip(after, before))
    run.pg_cpu = cpu_between(before[5], after[5])
    run.machine_busy = busy / max(total, 1)
    await asyncio.gather(*[c.close() for c in everyone], return_exceptions=True)


# --------------------------------------------------------------------------- the app and its Redis

def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=open(workdir / "redis.log", "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def pages_built(port: int) -> bool:
    from smo_app import serve

    return serve.is_built(serve.sources_digest(), port)


def start_app(db_url: str, redis_url: str, workers: int, port: int, log: Path, pages: bool) -> subprocess.Popen:
    """``python -m smo_app.serve`` as scripts/run_prod_local.sh starts it (the backend alone without a build)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMO_", "REFLEX_", "GRANIAN_"))}
    env.update(SMO_DATABASE_URL=db_url, SMO_REDIS_URL=redis_url, GRANIAN_WORKERS=str(workers), SMO_DEMO="1",
               REFLEX_USE_SYSTEM_BUN="1", PYTHONUNBUFFERED="1",
               PATH=f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}")
    cmd = [sys.executable, "-m", "smo_app.serve", "--port", str(port)] + ([] if pages else ["--backend-only"])
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def tracebacks(log: Path) -> int:
    return log.read_text(errors="replace").count("Traceback (most recent call last)") if log.exists() else 0


def uptime_load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --------------------------------------------------------------------------- report

def print_run(workers: int, run: Run) -> None:
    """One configuration's figures, as soon as it is done."""
    print(f"\n{workers} worker{'s' if workers > 1 else ''}   (load average {run.load})")
    for role in run.roles:
        a, b = spread_ms(run.alone[role]), spread_ms(run.loaded[role])
        print(f"  {role:8} trivial tap  alone p50/p95/max {a[0]:6.1f}/{a[1]:6.1f}/{a[2]:6.1f} ms   "
              f"loaded {b[0]:6.1f}/{b[1]:6.1f}/{b[2]:6.1f} ms   ratio {slowdown(run.alone[role], run.loaded[role]):.2f}×")
        c = spread_ms(run.alone_no_clock[role])
        print(f"  {'':8} (alone with the tablets' own clocks stopped, the old floor: p50/p95/max "
              f"{c[0]:.1f}/{c[1]:.1f}/{c[2]:.1f} ms, ratio {slowdown(run.alone_no_clock[role], run.loaded[role]):.2f}×)")
    events = max(run.events, 1)
    print(f"  orders/s {run.orders_per_s:.2f} ({run.orders} Mini App orders + {run.sales} POS sales in "
          f"{run.seconds:.0f} s), payments {run.payments}, events {run.events}")
    print(f"  Redis commands/event {run.redis_commands / events:.1f} ({run.redis_bytes / events / 1024:.1f} KiB)   "
          f"PostgreSQL transactions/event {run.pg_transactions / events:.2f}")
    print(f"  the app's CPU: {run.app_cpu / events * 1000:.1f} ms/event, {run.app_cpu / max(run.seconds, 1e-9):.2f} of "
          f"{os.cpu_count()} cores; Redis {run.redis_cpu / max(run.seconds, 1e-9):.2f}, PostgreSQL's backends "
          f"{run.pg_cpu / max(run.seconds, 1e-9):.2f} (those alive at the end); the machine busy "
          f"{run.machine_busy:.0%} (every process on it, other work included)")
    a, b = spread_ms(run.client_lag["alone"]), spread_ms(run.client_lag["loaded"])
    print(f"  the clients' process: {run.client_cpu / max(run.seconds, 1e-9):.2f} of {os.cpu_count()} cores; its event "
          f"loop's lag p50/p95/max alone {a[0]:.1f}/{a[1]:.1f}/{a[2]:.1f} ms, loaded {b[0]:.1f}/{b[1]:.1f}/{b[2]:.1f} ms")
    print(f"  errors {run.errors}" + (f"  {run.error_kinds}" if run.errors else ""), flush=True)


def report(runs: dict[int, Run], args) -> bool:
    print(f"\nload: {args.shoppers} shoppers, {args.tablets} POS tablets, {args.managers} managers, "
          f"~{args.webhooks}/s payment webhooks; {args.seconds:.0f} s loaded, {args.floor_seconds:.0f} s alone; "
          f"{os.cpu_count()} CPUs (clients on the same machine)")
    ok = True
    for text, held in verdicts(runs):
        print(f"{'PASS' if held else 'FAIL'}  {text}")
        ok = ok and held
    print(f"what bounds the scaling: {os.cpu_count()} CPUs shared by the workers, Redis, PostgreSQL and these "
          "clients — more workers than cores add no CPU; a second worker takes the GIL-bound event loop off one core")
    print("PASS" if ok else "FAIL")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--tablets", type=int, default=20)
    parser.add_argument("--managers", type=int, default=5)
    parser.add_argument("--webhooks", type=float, default=5.0, help="payment webhooks per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="the loaded phase, per configuration")
    parser.add_argument("--floor-seconds", type=float, default=20.0, help="each of the two floor phases, per configuration")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--think", default="1.0,3.0", help="a shopper's pause between taps, seconds (low,high)")
    args = parser.parse_args()
    args.think = tuple(float(x) for x in args.think.split(","))
    workers = [int(w) for w in args.workers.split(",")]
    tappers = {"shopper": max(2, args.shoppers // 20), "pos": 4, "manager": 2}

    from smo_app import composition
    from tests import db_support

    composition.start()
    reason = db_support.pg_unavailable_reason()
    if reason:
        print(f"SKIP: {reason}")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="smo-load-"))
    redis_port = free_port()
    redis_proc = start_redis(redis_port, workdir)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    db_url = db_support.create_pg_database("smo_bench_load")
    runs: dict[int, Run] = {}
    try:
        payments = int(args.webhooks * args.seconds * 1.5) * len(workers) + 10
        shop = prepare(db_url, args.shoppers + tappers["shopper"], args.tablets + tappers["pos"],
                       args.managers + tappers["manager"], payments)
        measure = Measure(redis_url, db_url)
        for n in workers:
            port = free_port()
            pages = pages_built(port)
            log = workdir / f"app-{n}.log"
            measure.redis.flushall()
            proc = start_app(db_url, redis_url, n, port, log, pages)
            measure.app_pgid = proc.pid
            base = f"http://127.0.0.1:{port}"
            run = Run()
            try:
                deadline = time.monotonic() + 600
                while not (answers(base + "/ping") and answers(base + "/api/health")):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"the app did not start; see {log}")
                    time.sleep(0.5)
                print(f"{n} worker(s): the app answers on {base} ({'pages' if pages else 'backend only'})", flush=True)
                take = int(args.webhooks * args.seconds * 1.5) + 5
                config_shop = Shop(**{**shop.__dict__, "webhook_orders": shop.webhook_orders[:take]})
                shop.webhook_orders = shop.webhook_orders[take:]
                asyncio.run(run_config(base, config_shop, args, run, measure, pages))
                run.load = uptime_load()
            finally:
                stop_group(proc)
            for _ in range(tracebacks(log)):
                run.error("traceback in the app's log")
            runs[n] = run
            print_run(n, run)
    finally:
        stop_group(redis_proc)
        db_support.drop_pg_database(db_url)
    return 0 if report(runs, args) else 1


if __name__ == "__main__":
    sys.exit(main())
