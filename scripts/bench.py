"""``make bench``: run every benchmark under bench/, then print one summary table.

Each benchmark is its own process and prints its figures as ratios against a floor measured in the
same run; its exit code says whether its bars held. A failing (or crashing) benchmark no longer
hides the ones after it: all run, the table names each with its verdict and last figure line, and
the exit code is non-zero when any bar failed.

    python scripts/bench.py                 # every bench/*.py (not _helpers.py)
    python scripts/bench.py checkout pos_taps   # just these (names without .py)
"""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"


@dataclass(frozen=True)
class BenchResult:
    name: str
    returncode: int
    seconds: float
    figure: str
    crashed: bool = False

    @property
    def verdict(self) -> str:
        if self.returncode == 0:
            return "ok"
        return "ERROR" if self.crashed or self.returncode != 1 else "FAIL"


def figure_line(output: str) -> str:
    """The line a reader wants in the summary: the last one naming a ratio, else the last line."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for line in reversed(lines):
        if "ratio" in line.lower() or "×" in line:
            return line
    return lines[-1] if lines else "(no output)"


def run_one(path: Path, python: str = sys.executable) -> BenchResult:
    print(f"== bench/{path.name}", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen([python, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:  # show it live as well
        sys.stdout.write(line)
        seen.append(line)
    code = proc.wait()
    output = "".join(seen)
    return BenchResult(path.stem, code, time.monotonic() - started, figure_line(output),
                       crashed="Traceback (most recent call last)" in output)


def summary(results: list[BenchResult]) -> str:
    width = max([len(r.name) for r in results] + [5])
    rows = [f"{'bench':{width}}  {'verdict':11}  {'time':>7}  last figure", "-" * (width + 40)]
    for r in results:
        rows.append(f"{r.name:{width}}  {r.verdict:11}  {r.seconds:6.0f}s  {r.figure[:110]}")
    failed = [r.name for r in results if r.returncode != 0]
    rows.append("all bars held" if not failed else f"bars failed: {', '.join(failed)}")
    return "\n".join(rows)


def main(argv: list[str], bench_dir: Path = BENCH_DIR) -> int:
    wanted = set(argv)
    paths = [p for p in sorted(bench_dir.glob("*.py"))
             if not p.name.startswith("_") and (not wanted or p.stem in wanted)]
    unknown = wanted - {p.stem for p in paths}
    if unknown:
        print(f"no such benchmark: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results = [run_one(p) for p in paths]
    print("\n" + summary(results))
    return 0 if all(r.returncode == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
