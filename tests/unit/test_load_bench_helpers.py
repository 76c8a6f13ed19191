"""The pure pieces of the socket-level benches (bench/_reflex_client.py, bench/_timing.py, bench/load.py):
Reflex's event framing, reading the vars an update changes, percentiles, and the load test's bars."""
import math
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import _reflex_client as client  # noqa: E402
import _timing as timing  # noqa: E402
import load  # noqa: E402


def test_an_event_is_framed_as_the_reflex_frontend_frames_it():
    msg = client.event_message("state.store.open_product", {"product_id": 3}, "/")
    assert msg == {"name": "state.store.open_product", "payload": {"product_id": 3},
                   "router_data": {"pathname": "/", "asPath": "/"}}
    assert client.event_message("state.pos.tick", None, "/pos")["payload"] == {}


def test_an_update_s_vars_are_read_by_bare_name_across_its_states():
    update = {"delta": {"state.store": {"busy_rx_state_": False, "notice_rx_state_": "ok"},
                        "state.store.cart": {"lines_rx_state_": []}},
              "events": [{"name": "_call_script"}]}
    assert client.changed_vars(update) == {"busy": False, "notice": "ok", "lines": []}
    assert client.changed_vars({"events": []}) == {} and client.changed_vars(None) == {}
    assert client.is_done("lines", {"lines": []}) and not client.is_done("card", {"lines": []})
    assert client.is_done(lambda ch: ch.get("busy") is False, {"busy": False})


def test_percentiles_are_nearest_rank_and_in_milliseconds():
    samples = [i / 1000 for i in range(1, 101)]  # 1 … 100 ms
    p50, p95, top = timing.spread_ms(samples)
    assert (round(p50), round(p95), round(top)) == (51, 95, 100)
    assert timing.pct([0.2], 0.95) == 0.2
    assert all(math.isnan(x) for x in timing.spread_ms([]))


def test_redis_commands_are_summed_over_commandstats():
    stats = {"cmdstat_get": {"calls": 7, "usec": 10}, "cmdstat_set": {"calls": 3}, "errorstat_ERR": {"count": 1}}
    assert load.redis_calls(stats) == 10


def test_the_bars_slowdown_with_two_workers_and_scaling_from_one_to_four():
    def run(alone_ms: float, loaded_ms: float, orders: int) -> load.Run:
        r = load.Run(seconds=10.0, orders=orders)
        for role in r.roles:
            r.alone[role] = [alone_ms / 1000] * 20
            r.loaded[role] = [loaded_ms / 1000] * 20
        return r

    bars = load.verdicts({1: run(20, 200, 10), 2: run(20, 25, 15), 4: run(20, 40, 16)})

    def held(prefix: str) -> list[bool]:
        return [ok for text, ok in bars if text.startswith(prefix)]

    # one worker's slowdown is printed but not judged; two workers' 1.25× holds, four workers' 2× fails
    assert held("1 workers: shopper") == []
    assert held("2 workers: shopper taps slowed 1.25×") == [True]
    assert held("4 workers: shopper taps slowed 2.00×") == [False]
    assert held("orders/s with 4 workers / 1 worker = 1.60") == [True]
    scale = [ok for text, ok in load.verdicts({1: run(20, 20, 10), 4: run(20, 20, 15)}) if text.startswith("orders/s")]
    assert scale == [False]
    assert load.slowdown([], [0.1]) != load.slowdown([], [0.1])  # NaN without a floor


def test_the_machine_s_busy_cpu_leaves_out_idle_and_iowait(tmp_path):
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal
    stat.write_text("cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n")
    busy, total = load.machine_cpu(stat)
    assert (busy, total) == (160, 1000)


def test_cpu_of_processes_is_summed_by_a_word_in_their_command_line(tmp_path):
    def proc(pid: int, cmdline: bytes, utime: int, stime: int) -> None:
        d = tmp_path / str(pid)
        d.mkdir()
        (d / "cmdline").write_bytes(cmdline)
        rest = ["S", "1", "1"] + ["0"] * 8 + [str(utime), str(stime)] + ["0"] * 10
        (d / "stat").write_text(f"{pid} (post gres) " + " ".join(rest))

    proc(10, b"postgres: 15/main: root smo_bench_load_ab 127.0.0.1(5) idle", 100, 50)
    proc(11, b"postgres: 15/main: root smo_bench_load_ab 127.0.0.1(6) idle", 10, 0)
    proc(12, b"postgres: 15/main: root other_db 127.0.0.1(7) idle", 999, 999)
    tick = os.sysconf("SC_CLK_TCK")
    before = load.named_cpu_seconds("smo_bench_load_ab", tmp_path)
    assert before == {10: 150 / tick, 11: 10 / tick}
    # between two readings: the processes alive at the second, a new one from 0
    assert load.cpu_between({10: 100 / tick, 13: 500 / tick}, before) == 60 / tick
