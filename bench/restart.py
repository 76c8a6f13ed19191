"""Restart benchmark: `make run` (scripts/run.sh) from start to the first page, frontend already built.

Starts scripts/run.sh as `make run` does (demo shop, its own free ports and a database in a
temporary folder), waits until the storefront's first page answers, stops it with SIGTERM and
starts it again. The first start (a new database: migrations from nothing, the demo seeded, and the
frontend built when the app changed since the last build) is printed as it is; the restarts (the
database at head, the demo there, the build reused: smo_app/serve.py) are the figure.

Bar: restart <= 10 s, absolute: it is what the person at the terminal waits for, and no floor
measures "a restart" but the restart itself. For scale it is also printed against the floor of this
run: a bare `python -c "import smo_app.smo_app"` (the app's imports, which the web app's worker pays
once whatever is done). Under a heavy load the import alone takes several seconds: compare runs at
similar load.

Run: .venv/bin/python bench/restart.py [restarts]
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _net import answers, free_port  # (bench/ is the script's folder)

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
BAR_S = 10.0
FIRST_BAR_S = 60.0
TIMEOUT_S = 900
GRACE_S = 2.0  # the app keeps running this long after its first page (not counted)


def floor_import_s() -> float:
    t0 = time.perf_counter()
    subprocess.run([PY, "-c", "import smo_app.smo_app"], cwd=ROOT, check=True, env=_env_base())
    return time.perf_counter() - t0


def _env_base() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SMO_DEMO", "1")
    # as the Makefile: Node and bun from .tools, the venv's tools (bench/ may be run without make)
    env["PATH"] = f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
    env.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    return env


def start_to_first_page(env: dict[str, str], port: int, log: Path) -> float:
    """Seconds from starting run.sh to the first page; run.sh is stopped (SIGTERM) afterwards."""
    t0 = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not answers(f"http://127.0.0.1:{port}/"):
            if proc.poll() is not None:
                raise SystemExit(f"run.sh ended ({proc.returncode}) before the first page; see {log}")
            if time.perf_counter() - t0 > TIMEOUT_S:
                raise SystemExit(f"no first page within {TIMEOUT_S} s; see {log}")
            time.sleep(0.1)
        elapsed = time.perf_counter() - t0
        time.sleep(GRACE_S)  # as a person would: the app notes its build is good right after its first page
    finally:
        proc.send_signal(signal.SIGTERM)  # run.sh stops the web app, the sidecar and the fakes
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return elapsed


def main() -> int:
    restarts = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = _env_base() | {
            "SMO_PORT": str(port), "SMO_DEMO_FAKES_PORT": str(free_port()),
            "SMO_DATABASE_URL": f"sqlite:///{Path(tmp) / 'restart.db'}",
        }
        log = ROOT / "var" / "bench-restart.log"  # kept: what run.sh said, should it fail
        log.parent.mkdir(exist_ok=True)
        log.write_text("")
        first = start_to_first_page(env, port, log)
        floors, times = [], []
        for _ in range(restarts):  # alternate: load on the machine hits both alike
            floors.append(floor_import_s())
            times.append(start_to_first_page(env, port, log))
    restart, floor = statistics.median(times), statistics.median(floors)
    print(f"first `make run` (new database, migrations, demo seeded, frontend built if changed): {first:.1f} s "
          f"(bar {FIRST_BAR_S:.0f} s when it builds)")
    print(f"restart to the first page (frontend built, database at head): median {restart:.1f} s of {restarts} "
          f"({', '.join(f'{t:.1f}' for t in times)}) (bar {BAR_S:.0f} s) {'OK' if restart <= BAR_S else 'ABOVE BAR'}")
    print(f"floor (bare `python -c 'import smo_app.smo_app'`): {floor:.1f} s; restart = {restart / floor:.1f}x the floor")
    print(f"(machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0 if restart <= BAR_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
