"""``make run`` (scripts/run.sh): Ctrl-C or SIGTERM stops both the web app and the bot sidecar.

Given run.sh with stand-ins for Python and Reflex that only record their pid and sleep, when the
terminal's Ctrl-C reaches the script's process group (or a supervisor sends SIGTERM to the script
alone), then neither process is left running.

The script is started with SIGINT at its default: a job started in the background of a
non-interactive shell (``make test &``, nohup, some CI runners) inherits SIGINT as *ignored*, and
bash can neither trap nor receive an ignored signal — a real terminal never does that.
"""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$2" = "bot_sidecar" ]; then echo $$ > "$PIDS/sidecar"; exec sleep 300; fi
if [ "$2" = "smo_app.serve" ]; then echo $$ > "$PIDS/web"; exec sleep 300; fi
exit 0
"""
FAKE_REFLEX = """#!/usr/bin/env bash
echo $$ > "$PIDS/web"; exec sleep 300
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie waiting for its parent counts as gone
        return f.read().split()[2] != "Z"


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _start_run_sh(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    for name, body in (("python", FAKE_PYTHON), ("reflex", FAKE_REFLEX)):
        (tmp_path / name).write_text(body)
        (tmp_path / name).chmod(0o755)
    env = {**os.environ, "PIDS": str(pids), "SMO_RUN_PYTHON": str(tmp_path / "python"),
           "SMO_RUN_REFLEX": str(tmp_path / "reflex"), "SMO_SIDECAR_WAIT_S": "0"}  # no page to wait for
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], env=env, start_new_session=True,
                            preexec_fn=_default_signals,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while not (_pid(pids / "sidecar") and _pid(pids / "web")):
        assert time.monotonic() < deadline, "run.sh did not start both processes"
        assert proc.poll() is None, "run.sh ended before starting both processes"
        time.sleep(0.05)
    return proc, _pid(pids / "sidecar"), _pid(pids / "web")


def _pid(path: Path) -> int:
    text = path.read_text().strip() if path.exists() else ""
    return int(text) if text else 0


def _end(proc, *pids: int) -> None:
    """Whatever the test saw, leave nothing running."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_ctrl_c_stops_the_web_app_and_the_sidecar(tmp_path):
    proc, sidecar, web = _start_run_sh(tmp_path)
    try:
        # when Ctrl-C reaches the terminal's foreground process group
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        alive = _alive(sidecar), _alive(web)
        _end(proc, sidecar, web)
    # then both are gone and the script says so
    assert alive == (False, False)
    assert "smo stopped" in out


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_sigterm_to_the_script_alone_stops_the_web_app_and_the_sidecar(tmp_path):
    proc, sidecar, web = _start_run_sh(tmp_path)
    try:
        # when a supervisor sends SIGTERM to the script's process only
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        alive = _alive(sidecar), _alive(web)
        _end(proc, sidecar, web)
    # then both are gone, the script says so and ends as a terminated process does
    assert alive == (False, False)
    assert "smo stopped" in out
    assert proc.returncode == 143
