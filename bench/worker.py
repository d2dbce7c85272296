"""A search worker without the web app: ``python -m bench.worker INDEX_DIR CACHE_DIR``.

Opens its own ``SearchEngine`` on the index, runs the 100 queries of ``queries.py`` (search with
snippets and suggest, 2 rounds, query caches cleared before each call so every query does its
work, after the housekeeping a server runs once each response has gone out: ``inproc._clear``)
and prints one JSON line: per-query timings and the process's memory (VmRSS, VmHWM, MB) — what
one gunicorn worker holds for the search engine, measured for sets too big to import through
the app in a benchmark run (the ``--no-http`` sets).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _mem() -> dict:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def main(argv: list[str]) -> int:
    from bench.inproc import WARMUP, _clear
    from bench.queries import TEXTS
    from bench.stats import summary
    from indexer.engine import SearchEngine

    t0 = time.perf_counter()
    eng = SearchEngine(Path(argv[0]), cache_dir=Path(argv[1]))
    for q in WARMUP:
        eng.suggest(q)
        eng.search(q)
    ready = time.perf_counter() - t0
    search, suggest = [], []
    for _ in range(2):
        for q in TEXTS:
            _clear(eng)
            t = time.perf_counter()
            eng.search(q, per_page=10)
            search.append((time.perf_counter() - t) * 1000)
            _clear(eng)
            t = time.perf_counter()
            eng.suggest(q, limit=5)
            suggest.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"ready_s": ready, "search": summary(search), "suggest": summary(suggest),
                      "memory": _mem()}))
    eng.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
