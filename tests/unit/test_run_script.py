"""``make run`` (scripts/run.sh): Ctrl-C stops both the web app and the bot sidecar.

Given run.sh with stand-ins for Python and Reflex that only record their pid and sleep, when the
terminal's Ctrl-C reaches the script's process group, then neither process is left running.
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


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_ctrl_c_stops_the_web_app_and_the_sidecar(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    for name, body in (("python", FAKE_PYTHON), ("reflex", FAKE_REFLEX)):
        (tmp_path / name).write_text(body)
        (tmp_path / name).chmod(0o755)
    env = {**os.environ, "PIDS": str(pids), "SMO_RUN_PYTHON": str(tmp_path / "python"),
           "SMO_RUN_REFLEX": str(tmp_path / "reflex")}
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while not ((pids / "sidecar").exists() and (pids / "web").exists()):
            assert time.monotonic() < deadline, "run.sh did not start both processes"
            time.sleep(0.05)
        sidecar, web = int((pids / "sidecar").read_text()), int((pids / "web").read_text())
        # when Ctrl-C reaches the terminal's foreground process group
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # then both are gone and the script says so
    time.sleep(0.1)
    assert not _alive(sidecar) and not _alive(web)
    assert "smo stopped" in out
