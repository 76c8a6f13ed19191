"""A starter of bot sidecars that has imported the sidecar once (tests only).

``python -m bot_sidecar`` spends about 5 s of CPU before it does anything, nearly all of it importing
aiogram (its ~300 pydantic types) and the app. The kill -9 and two-sidecar tests start a sidecar six
times. This process imports those modules once and then, for each start asked on its standard input,
forks: the child sets the environment it was given, points its output at the log and runs
``bot_sidecar.__main__.main()``. Each sidecar is still a process of its own, on its own database
connections, that SIGTERM stops and SIGKILL kills for real; only the import is shared.

Nothing runs before the fork but imports: no thread, no event loop, no database connection, no
settings read (checked below), so the child starts as clean as ``python -m bot_sidecar`` would.

Protocol (one JSON line each way): ``{"env": {...}, "log": "/path" | null}`` → ``{"pid": 1234}``.
Children are not reaped here: one that ended stays a zombie until this process exits, so the test can
read its exit status from ``/proc`` (:class:`tests.bot.procs.Forked`).
"""
from __future__ import annotations

import json
import os
import sys

PRELOAD = (  # what the sidecar imports on its way up (bot_sidecar/__main__.py, run and _run_online)
    "aiogram",
    "bot_sidecar.__main__",
    "bot_sidecar.dispatcher",
    "bot_sidecar.middlewares.lanes",
    "bot_sidecar.outbox",
    "bot_sidecar.scheduler",
    "bot_sidecar.telegram",
    "smo_app.calling",
    "smo_app.composition",
    "smo_app.db",
    "smo_app.migrations",
    "smo_app.schema_state",
)


def _child(env: dict[str, str], log: str | None) -> None:
    """In the forked child: become the sidecar, never return."""
    code = 1
    try:
        os.setpgid(0, 0)  # its own process group, as a Popen'd sidecar's signals reach it alone
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if log else os.open(os.devnull, os.O_WRONLY)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.environ.clear()
        os.environ.update(env)
        from smo_app.settings import reset_settings_cache

        reset_settings_cache()
        from bot_sidecar.__main__ import main

        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - as an uncaught exception ends `python -m bot_sidecar`
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    from smo_app.settings import get_settings

    if get_settings.cache_info().currsize:  # a module read the settings on import: the child would inherit them
        raise SystemExit("a preloaded module read the settings at import; the zygote cannot start sidecars cleanly")
    requests, answers = sys.stdin, sys.stdout
    answers.write("READY\n")
    answers.flush()
    for line in requests:
        asked = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(asked["env"], asked.get("log"))
        answers.write(json.dumps({"pid": pid}) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
