"""Run calls at the same moment, each in its own thread on its own connection (a barrier releases them)."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from smo_app.db import make_engine
from smo_app.services.core.errors import DomainError
from tests.db_support import pg_connections


def run_at_once(engine: Engine, calls: list[Callable[[Session], Any]]) -> list[tuple[str, Any]]:
    """``call(session)`` for each call, all released together; returns ``(outcome, value)`` in call order:
    outcome is "ok", a DomainError code, or "crash:<type>:<message>"."""
    with pg_connections(engine, len(calls) + 1):
        return _run_at_once(engine, calls)


def _run_at_once(engine: Engine, calls: list[Callable[[Session], Any]]) -> list[tuple[str, Any]]:
    url = engine.url.render_as_string(hide_password=False)
    workers = make_engine(url, pool_size=len(calls) + 1, max_overflow=0 if engine.dialect.name == "postgresql" else 50,
                          pool_timeout=120)
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("crash:not-run", None)] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            with Session(workers, expire_on_commit=False) as s:
                results[i] = ("ok", calls[i](s))
        except DomainError as exc:
            results[i] = (exc.code, None)
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            results[i] = (f"crash:{type(exc).__name__}:{str(exc)[:200]}", None)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=180)
    workers.dispose()
    return results


def outcomes(results: list[tuple[str, Any]]) -> Counter:
    return Counter(outcome for outcome, _ in results)
