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
