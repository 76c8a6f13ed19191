"""``make bench`` (scripts/bench.py): every benchmark runs, a summary table ends the output, and the
exit code says whether all bars held."""
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_runner", ROOT / "scripts" / "bench.py")
bench_runner = importlib.util.module_from_spec(_spec)
sys.modules["bench_runner"] = bench_runner  # its dataclass looks its module up
_spec.loader.exec_module(bench_runner)


def _bench(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(body)


def test_a_failing_bar_does_not_hide_the_benches_after_it(tmp_path, capsys):
    # given three benches, the first failing its bar and the second crashing
    _bench(tmp_path, "a_orders", "print('worst ratio 3.70 — bar ≤ 3×: FAIL')\nraise SystemExit(1)\n")
    _bench(tmp_path, "b_broken", "raise RuntimeError('boom')\n")
    _bench(tmp_path, "c_search", "print('p95 ratio 1.20 (bar ≤ 3)')\nprint('PASS')\n")
    # when make bench runs them
    code = bench_runner.main([], bench_dir=tmp_path)
    out = capsys.readouterr().out
    # then all three ran and the summary names each with its verdict and figure
    table = out[out.index("bench  "):]
    assert "a_orders" in table and "FAIL" in table and "3.70" in table
    assert "b_broken" in table and "ERROR" in table
    assert "c_search" in table and "ok" in table and "p95 ratio 1.20" in table
    assert "bars failed: a_orders, b_broken" in table
    # and the exit code says not all held
    assert code == 1


def test_all_bars_holding_exit_zero_and_a_chosen_bench_runs_alone(tmp_path, capsys):
    _bench(tmp_path, "a_orders", "print('worst ratio 1.10 — bar ≤ 3×: PASS')\n")
    _bench(tmp_path, "b_other", "raise SystemExit(1)\n")
    assert bench_runner.main(["a_orders"], bench_dir=tmp_path) == 0
    out = capsys.readouterr().out
    assert "all bars held" in out and "b_other" not in out
    assert bench_runner.main(["nope"], bench_dir=tmp_path) == 2
