"""SQLite connection rules: WAL, busy timeout, immediate transactions under concurrent writers."""
import threading

from sqlalchemy import text
from sqlmodel import Session, select

from smo_app.db import make_engine
from smo_app.models.shop import ShopSetting


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_concurrent_read_then_write_transactions_do_not_fail(sqlite_engine):
    # given a counter and 8 threads, each with its own engine (separate connections)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    with Session(sqlite_engine) as s:
        s.add(ShopSetting(key="counter", value=0))
        s.commit()
    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def worker():
        engine = make_engine(url)
        try:
            barrier.wait()
            for _ in range(10):
                with Session(engine) as s:
                    row = s.get(ShopSetting, "counter")  # read …
                    row.value = row.value + 1  # … then write, in one transaction
                    s.add(row)
                    s.commit()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    # when they all increment at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then nothing failed with "database is locked" and no increment was lost
    assert errors == []
    with Session(sqlite_engine) as s:
        assert s.exec(select(ShopSetting).where(ShopSetting.key == "counter")).one().value == 80


def _in_threads(work, n: int) -> list[Exception]:
    """Run ``work`` in ``n`` threads at once; the exceptions they raised."""
    errors: list[Exception] = []

    def run():
        try:
            work()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


def test_two_readers_do_not_wait_for_each_other(sqlite_engine):
    # given two read-only sessions on separate connections
    from smo_app.db import readonly_engine

    ro = readonly_engine(sqlite_engine)
    barrier = threading.Barrier(2, timeout=5)

    def reader():
        with Session(ro) as s:
            s.exec(select(ShopSetting)).all()  # the transaction is open …
            barrier.wait()  # … while the other reader opens its own

    # when both read at once, then both were inside a transaction at the same time (an immediate
    # BEGIN would make the second wait for the first, which waits at the barrier: a broken barrier)
    assert _in_threads(reader, 2) == []


def test_a_writer_is_never_locked_out_by_open_readers(sqlite_engine):
    # given a reader holding a read-only transaction open
    from smo_app.db import readonly_engine

    ro = readonly_engine(sqlite_engine)
    with Session(sqlite_engine) as s:
        s.add(ShopSetting(key="n", value=0))
        s.commit()
    reader = Session(ro)
    assert reader.get(ShopSetting, "n").value == 0

    def writer():
        for _ in range(5):
            with Session(sqlite_engine) as s:
                row = s.get(ShopSetting, "n")
                row.value += 1
                s.add(row)
                s.commit()

    try:
        # when writers (immediate transactions) commit meanwhile, from three threads
        errors = _in_threads(writer, 3)
        # then no writer got "database is locked", and the reader still sees its own snapshot
        assert errors == []
        reader.expire_all()
        assert reader.get(ShopSetting, "n").value == 0
    finally:
        reader.close()
    with Session(ro) as s:
        assert s.get(ShopSetting, "n").value == 15
