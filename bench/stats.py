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


def timed(fn, *args, **kwargs):
    """(result, wall ms, CPU ms of this process) of one call."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000


def with_cpu(wall_ms: list[float], cpu_ms: list[float]) -> dict:
    """``summary`` of the wall times plus ``cpu_p50`` / ``cpu_p95`` (process CPU time: the
    reliable figure on a shared, loaded machine)."""
    out = summary(wall_ms)
    out["cpu_p50"] = percentile(cpu_ms, 50)
    out["cpu_p95"] = percentile(cpu_ms, 95)
    return out


def growth_exponent(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(time) over log(size): 1.0 = linear in the number of
    articles, 0 = flat.  None with fewer than two usable points."""
    pts = [(math.log(n), math.log(t)) for n, t in points if n > 0 and t and t > 0 and math.isfinite(t)]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    if not den:
        return None
    return sum((x - mx) * (y - my) for x, y in pts) / den
