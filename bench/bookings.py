"""Bookings benchmark.

1. Free-slot search for a month (the Mini App's month view, ``availability.month_days``) across 10
   providers holding 5,000 bookings that month (every provider booked wall to wall, 09:00–21:00
   shop time, so every candidate start of every day is examined), on a SQLite file, against a floor
   measured in the same run: the same answer computed by one hand-written SQL statement (candidate
   starts from a recursive CTE, kept where no booking of that provider overlaps their buffered
   range — an index probe each, bounded by a booking lasting under a day). Paired p95 (bench/_timing.py). Bar: service ≤ 3× the floor.
2. 120 concurrent booking attempts on 10 slots (12 customers per slot, threads on separate
   connections released together by a barrier) on PostgreSQL (SQLite when no server answers):
   exactly 10 booked, 0 double (no two live bookings of the provider overlap), p95 latency printed.

Run: .venv/bin/python bench/bookings.py
"""
from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SMO_DEMO", "1")
os.environ.setdefault("SMO_SHOP_TIMEZONE", "Europe/Moscow")

from sqlmodel import Session, select  # noqa: E402

import smo_app.models  # noqa: E402,F401
from bench._timing import p95, paired_p95_ms  # noqa: E402
from smo_app import composition, migrations  # noqa: E402
from smo_app.db import make_engine  # noqa: E402
from smo_app.models.bookings import Booking, BookingState  # noqa: E402
from smo_app.services.bookings import availability, booking, calendar, catalog  # noqa: E402
from smo_app.services.core.actor import Actor  # noqa: E402
from smo_app.services.core.errors import DomainError  # noqa: E402
from tests import db_support  # noqa: E402

RATIO_BAR = 3.0
PROVIDERS = 10
TARGET_BOOKINGS = 5000
ATTEMPTS, SLOTS = 120, 10
TZ = ZoneInfo("Europe/Moscow")
SYSTEM = Actor.system("bench")
OPEN_MIN, CLOSE_MIN = 9 * 60, 21 * 60
REPEAT = 25


def _month() -> tuple[int, int]:
    """Next month that has 31 days (the search must lie ahead of now)."""
    d = datetime.now(TZ).date().replace(day=1)
    while True:
        d = (d + timedelta(days=32)).replace(day=1)
        if ((d + timedelta(days=32)).replace(day=1) - d).days == 31:
            return d.year, d.month


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def seed_month(path: Path, year: int, month: int) -> int:
    """10 providers, the searched service (60 min, every 30, 15 min after) and a 30-minute one whose
    bookings fill every provider's day: 16 a day, 45 minutes apart with their buffer. Returns the
    searched service's id."""
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    db = sqlite3.connect(path)
    now = _utc_text(datetime.now(timezone.utc))
    db.executemany("INSERT INTO staff (id, username, full_name, role, is_active, language, created_at, updated_at) "
                   "VALUES (?, ?, ?, 'manager', 1, 'ru', ?, ?)",
                   [(i, f"p{i}", f"Provider {i}", now, now) for i in range(1, PROVIDERS + 1)])
    db.commit()
    db.close()
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        searched = catalog.save_service(s, actor=SYSTEM, data=catalog.ServiceIn(
            name="Консультация", price_minor=300000, duration_min=60, step_min=30, buffer_after_min=15, place="Студия",
            min_notice_min=0, max_ahead_days=366, provider_ids=list(range(1, PROVIDERS + 1))))
        filler = catalog.save_service(s, actor=SYSTEM, data=catalog.ServiceIn(
            name="Экспресс", price_minor=100000, duration_min=30, step_min=45, buffer_after_min=15, place="Студия",
            min_notice_min=0, max_ahead_days=366, provider_ids=list(range(1, PROVIDERS + 1))))
        for r in range(1, PROVIDERS + 1):
            calendar.set_week(s, actor=SYSTEM, resource=r, week={d: [(OPEN_MIN, CLOSE_MIN)] for d in range(7)})
    engine.dispose()
    rows = []
    first = date(year, month, 1)
    days = [first + timedelta(days=i) for i in range(31)] + [first - timedelta(days=1)]
    for day in days:
        for r in range(1, PROVIDERS + 1):
            for k in range((CLOSE_MIN - OPEN_MIN) // 45):
                if len(rows) >= TARGET_BOOKINGS:
                    break
                start = datetime.combine(day, datetime.min.time(), TZ) + timedelta(minutes=OPEN_MIN + 45 * k)
                end = start + timedelta(minutes=30)
                rows.append((filler.id, r, r, _utc_text(start), _utc_text(end), _utc_text(start),
                             _utc_text(end + timedelta(minutes=15)), now))
    db = sqlite3.connect(path)
    db.executemany(
        "INSERT INTO booking (service_id, staff_id, resource, exclusive, starts_at, ends_at, busy_from, busy_to, state, "
        "format, place, contact_name, contact_phone, price_minor, deposit_minor, deposit_refunded_minor, cancel_reason, "
        "cancelled_by, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, 'confirmed', 'offline', '', '', "
        "'', 0, 0, 0, '', '', 1, ?, ?)", [(*row, row[-1]) for row in rows])
    db.commit()
    db.close()
    return searched.id


FLOOR_SQL = """
WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < :days - 1),
k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < :last_k),
cand AS (
  SELECT p.staff_id AS r, d.i AS day,
         strftime('%Y-%m-%d %H:%M:%S', :first_open + d.i * 86400 + k.j * :step * 60, 'unixepoch') || '.000000' AS lo,
         strftime('%Y-%m-%d %H:%M:%S', :first_open + d.i * 86400 + k.j * :step * 60 + :busy * 60, 'unixepoch')
           || '.000000' AS hi
  FROM booking_service_provider p CROSS JOIN d CROSS JOIN k WHERE p.service_id = :service)
SELECT DISTINCT day FROM cand c
WHERE NOT EXISTS (SELECT 1 FROM booking b WHERE b.resource = c.r AND b.busy_from < c.hi AND b.busy_to > c.lo
                  AND b.busy_from > strftime('%Y-%m-%d %H:%M:%S', c.lo, '-1 day') AND b.state != 'cancelled')
ORDER BY day
"""


def bench_search() -> bool:
    year, month = _month()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bookings.db"
        service_id = seed_month(path, year, month)
        engine = make_engine(f"sqlite:///{path}")
        raw = sqlite3.connect(path)
        with Session(engine) as s:
            count = s.exec(select(Booking.id)).all()
        first_open = datetime.combine(date(year, month, 1), datetime.min.time(), TZ) + timedelta(minutes=OPEN_MIN)
        params = {"days": 31, "last_k": (CLOSE_MIN - OPEN_MIN - 60) // 30, "step": 30, "busy": 75,
                  "first_open": int(first_open.timestamp()), "service": service_id}
        now = datetime.now(timezone.utc)

        def service():
            with Session(engine) as s:
                return availability.month_days(s, actor=SYSTEM, service_id=service_id, year=year, month=month, now=now)

        def floor():
            return raw.execute(FLOOR_SQL, params).fetchall()

        def rows_only():  # for reference: only fetching the month's bookings, no answer computed
            return raw.execute("SELECT resource, busy_from, busy_to FROM booking WHERE busy_from >= ? AND busy_to <= ?",
                               (_utc_text(first_open - timedelta(days=2)), _utc_text(first_open + timedelta(days=33)))
                               ).fetchall()

        assert service().free_days == [] and floor() == [], "the month is booked wall to wall"
        (svc_ms, floor_ms, rows_ms), k = paired_p95_ms([service, floor, rows_only], REPEAT)
        raw.close()
        engine.dispose()
    ratio = svc_ms / floor_ms
    ok = ratio <= RATIO_BAR
    print(f"month search: {len(count)} bookings, {PROVIDERS} providers, {year}-{month:02d}; "
          f"service p95 {svc_ms:.1f} ms, raw-SQL floor p95 {floor_ms:.1f} ms (batch {k}); "
          f"for reference, fetching the month's rows alone {rows_ms:.1f} ms")
    print(f"search ratio {ratio:.2f} — bar ≤ {RATIO_BAR:.0f}×: {'PASS' if ok else 'FAIL'}")
    return ok


def _race_engine():
    reason = db_support.pg_unavailable_reason()
    if reason is None:
        url = db_support.create_pg_database("smo_bench_bookings")
        migrations.upgrade(url)
        # as many connections at once as the server allows us (100 in all): the rest queue for one
        return make_engine(url, pool_size=60, max_overflow=0, pool_timeout=300), url
    print(f"(PostgreSQL unavailable — {reason}; racing on SQLite)")
    tmp = tempfile.mkdtemp()
    url = f"sqlite:///{Path(tmp) / 'race.db'}"
    migrations.upgrade(url)
    return make_engine(url, pool_size=ATTEMPTS + 2, max_overflow=0, pool_timeout=120), None


def bench_race() -> bool:
    engine, pg_url = _race_engine()
    try:
        with Session(engine, expire_on_commit=False) as s:
            service = catalog.save_service(s, actor=SYSTEM, data=catalog.ServiceIn(
                name="Консультация", price_minor=300000, duration_min=60, step_min=15, buffer_after_min=15,
                place="Студия", min_notice_min=0))
            calendar.set_week(s, actor=SYSTEM, resource=0, week={d: [(8 * 60, 22 * 60)] for d in range(7)})
        day = datetime.now(TZ).date() + timedelta(days=3)
        # ten slots back to back with their buffers (an hour and 15 minutes apart): all ten can be booked
        slots = [datetime.combine(day, datetime.min.time(), TZ) + timedelta(minutes=8 * 60 + 75 * i) for i in range(SLOTS)]
        barrier = threading.Barrier(ATTEMPTS)
        outcomes: list[str] = [""] * ATTEMPTS
        latency: list[float] = [0.0] * ATTEMPTS

        def attempt(i: int) -> None:
            barrier.wait()
            t0 = time.perf_counter()
            try:
                with Session(engine, expire_on_commit=False) as s:
                    booking.book(s, actor=SYSTEM, service_id=service.id, starts_at=slots[i % SLOTS],
                                 contact_name=f"Гость {i}", contact_phone=f"+7916{i:07d}")
                outcomes[i] = "ok"
            except DomainError as exc:
                outcomes[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - counted as a crash
                outcomes[i] = f"crash:{type(exc).__name__}: {str(exc)[:120]}"
            latency[i] = time.perf_counter() - t0

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        with Session(engine) as s:
            live = sorted(s.exec(select(Booking).where(Booking.state != BookingState.cancelled.value)).all(),
                          key=lambda b: b.busy_from)
        doubles = sum(1 for a, b in zip(live, live[1:]) if b.busy_from < a.busy_to)
        booked = outcomes.count("ok")
        crashes = [o for o in outcomes if o.startswith("crash")]
        ok = booked == SLOTS and len(live) == SLOTS and doubles == 0 and not crashes
        print(f"race on {engine.dialect.name}: {ATTEMPTS} attempts on {SLOTS} slots → {booked} booked, "
              f"{outcomes.count('bookings.slot_taken')} told taken, {doubles} double, {len(crashes)} crashed; "
              f"p95 {p95(latency) * 1000:.0f} ms")
        for crash in sorted(set(crashes))[:3]:
            print("  ", crash)
        print(f"race: {'PASS' if ok else 'FAIL'}")
        return ok
    finally:
        engine.dispose()
        if pg_url:
            db_support.drop_pg_database(pg_url)


def main() -> int:
    composition.start()
    results = [bench_search(), bench_race()]
    print("PASS" if all(results) else "FAIL")
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
