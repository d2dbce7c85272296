"""CPU time per search and suggest on an existing index, robust to a busy machine:
``python bench/cputime.py INDEX_DIR [--rounds 3]``.

Wall-clock figures on this shared 2-core machine move 3–9× with the load of other jobs; the CPU
time a call spends in its own thread (``time.thread_time``) moves far less, so two versions of
the code can be compared on the same index at different times. Runs the 100 queries of
``queries.py`` (search with snippets, ``per_page=10``; suggest ``limit=5``; anonymous), clearing
the snapshot's result and suggestion caches before every call (term scores stay, as in a warm
worker), after 15 warm-up queries; prints p50 / p95 / p99 in ms.

To compare with another commit: ``git worktree add /tmp/base <commit>``, copy the index folder
(its ``index`` symlink and ``index.d``) twice, and run this file from each tree with its own
``indexer`` on the path (``cd /tmp/base && python /path/to/bench/cputime.py COPY``). Round 2 of
issue 8 used the ``kb eval --set corpus`` index (``instance/eval/corpus-*/``).
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _queries():
    spec = importlib.util.spec_from_file_location("bench_queries", HERE / "queries.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return list(mod.TEXTS)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    sys.path.insert(0, os.getcwd())          # the indexer of the tree this runs from
    import indexer
    from indexer.engine import SearchEngine

    texts = _queries()
    public = frozenset({"public"})
    with tempfile.TemporaryDirectory() as cache:
        eng = SearchEngine(args.index, cache_dir=Path(cache))
        problem = eng.check()
        if problem is not None:
            print(f"index {args.index} {problem}")
            return 1
        for q in texts[:15]:
            eng.search(q, audiences=public)
            eng.suggest(q, audiences=public)
        times: dict[str, list[float]] = {"search": [], "suggest": []}
        for _round in range(args.rounds):
            for q in texts:
                snap = eng._state()
                snap.result_cache.clear()
                t = time.thread_time()
                eng.search(q, audiences=public, per_page=10)
                times["search"].append((time.thread_time() - t) * 1000)
                snap.suggest_cache.clear()
                t = time.thread_time()
                eng.suggest(q, audiences=public, limit=5)
                times["suggest"].append((time.thread_time() - t) * 1000)
        eng.close()
    print(f"indexer: {Path(indexer.__file__).parent}; load average {os.getloadavg()[0]:.1f}")
    for kind, v in times.items():
        print(f"{kind:8} CPU ms p50 / p95 / p99: {_pct(v, 0.5):.2f} / {_pct(v, 0.95):.2f} / "
              f"{_pct(v, 0.99):.2f}  (n={len(v)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
