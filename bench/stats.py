"""Percentiles and small timing helpers."""
from __future__ import annotations

import math
import time
from typing import Callable, Iterable


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0…100); NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(1, math.ceil(p / 100 * len(s)))
    return s[k - 1]


def summary(values_ms: list[float]) -> dict:
    return {"n": len(values_ms), "p50": percentile(values_ms, 50),
            "p95": percentile(values_ms, 95), "p99": percentile(values_ms, 99),
            "max": max(values_ms) if values_ms else float("nan")}


def time_calls(fn: Callable[[str], object], queries: Iterable[str], repeat: int,
               warmup: int = 1) -> tuple[list[float], list[object]]:
    """Run ``fn(q)`` for every query, ``warmup`` untimed rounds then ``repeat`` timed rounds.

    Returns the timings in ms (``repeat × len(queries)``) and the results of the last round."""
    queries = list(queries)
    for _ in range(warmup):
        for q in queries:
            fn(q)
    times: list[float] = []
    last: list[object] = []
    for r in range(repeat):
        last = []
        for q in queries:
            t0 = time.perf_counter()
            out = fn(q)
            times.append((time.perf_counter() - t0) * 1000)
            last.append(out)
    return times, last
