"""The second process of the update-to-visible measurement.

``python -m bench.watcher INDEX_DIR`` opens its own ``SearchEngine`` on the index, warms it up
and prints ``ready``.  Then, for each line ``TOKEN`` read from stdin, it answers ``polling``,
polls ``suggest("TOKEN ")`` (a complete word looked up in titles) every ~2 ms until a hit's
title holds TOKEN, and prints ``seen <time.monotonic()> <polls> <cold_ms> <warm_ms>``, where
cold/warm are the times of one fixed search right after the change became visible (first search
on the new index generation) and once more.  Gives up after 10 s per token (``timeout``).
CLOCK_MONOTONIC is system-wide on Linux, so the parent can subtract its own monotonic start.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

POLL_SLEEP = 0.002
GIVE_UP = 10.0
PROBE = "VPN 连接失败"


def main(argv: list[str]) -> int:
    from indexer.engine import SearchEngine

    eng = SearchEngine(Path(argv[0]), cache_dir=Path(argv[1]) if len(argv) > 1 else None)
    eng.suggest("vpn")
    eng.search(PROBE)
    print("ready", flush=True)
    for line in sys.stdin:
        token = line.strip()
        if not token:
            continue
        polls = 0
        print("polling", flush=True)
        deadline = time.monotonic() + GIVE_UP
        seen = None
        while time.monotonic() < deadline:
            polls += 1
            res = eng.suggest(token + " ", limit=3)
            if any(token in h.title.lower() for h in res.hits):
                seen = time.monotonic()
                break
            time.sleep(POLL_SLEEP)
        if seen is None:
            print("timeout", flush=True)
            continue
        t0 = time.perf_counter()
        eng.search(PROBE)
        cold = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        eng.search(PROBE)
        warm = (time.perf_counter() - t0) * 1000
        print(f"seen {seen:.6f} {polls} {cold:.3f} {warm:.3f}", flush=True)
    eng.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
