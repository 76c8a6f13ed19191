"""Paired timing for the benches: a service call against its floor, measured in the same run.

A floor that costs a fraction of a millisecond (one indexed statement) cannot be timed call by call:
the clock's resolution, a scheduler tick or a garbage-collector pause is as large as the call
itself, and a p95 of such samples measures the machine, not the code. So every sample here runs the
call ``k`` times in a row, ``k`` chosen once so that the floor's sample lasts at least
``min_sample_s``; the p95 is taken over samples and reported per call. Who goes first alternates.
(Not a benchmark itself: the leading underscore keeps ``make bench`` from running it.)
"""
from __future__ import annotations

import math
import statistics
import time
from typing import Callable


def pct(samples: list[float], q: float) -> float:
    """The ``q`` quantile (0…1) of ``samples``, nearest rank; NaN for none."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def spread_ms(samples: list[float]) -> tuple[float, float, float]:
    """(p50, p95, max) in ms of ``samples`` in seconds (NaN for none)."""
    ms = [s * 1000 for s in samples]
    return pct(ms, .5), pct(ms, .95), max(ms) if ms else float("nan")


def figures(name: str, samples: list[float]) -> str:
    p50, p95_, top = spread_ms(samples)
    return f"{name:<28} n={len(samples):<5} p50={p50:7.1f} ms  p95={p95_:7.1f} ms  max={top:7.1f} ms"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def batch_size(floor: Callable[[], object], min_sample_s: float) -> int:
    floor()  # warm: caches, compiled statements
    t0 = time.perf_counter()
    floor()
    once = max(time.perf_counter() - t0, 1e-6)
    return max(1, math.ceil(min_sample_s / once))


def paired_p95_ms(calls: list[Callable[[], object]], repeat: int, *, floor_index: int = 1,
                  min_sample_s: float = 0.005) -> tuple[list[float], int]:
    """p95 per call in ms for each of ``calls`` (same order) and the batch size used."""
    k = batch_size(calls[floor_index], min_sample_s)
    samples: list[list[float]] = [[] for _ in calls]
    order = list(range(len(calls)))
    for i in range(repeat):
        for who in (order if i % 2 else order[::-1]):
            fn = calls[who]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            samples[who].append((time.perf_counter() - t0) / k)
    return [p95(s) * 1000 for s in samples], k


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The shortest of ``repeat`` runs of a slow call (seconds) and its last result: for calls long
    enough that one run is a sample of its own."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result
