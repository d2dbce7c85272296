"""Readers without mmap (issue 13 item 11) against the former mmap'd readers, same index.

    nice -n 10 .venv/bin/python -m bench.mmap_readers [--set corpus|ours] [--rounds 3]

Builds the set's index once, then times ``search`` (ranked-results cache cleared before each
call, term scores cleared too = a fresh snapshot) and uncached ``suggest`` with the snapshot
opened both ways, alternating rounds so load changes hit both alike.  Prints p50/p95 and the
ratio no-mmap / mmap.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

import indexer.snapshot as snapshot_mod

from .datasets import load
from .inproc import WARMUP, _engine
from .queries import TEXTS
from .stats import summary


class MmapStorage(FileStorage):
    def __init__(self, path, supports_mmap=True, **kw):
        super().__init__(path, supports_mmap=True, **kw)


def measure(eng, rounds: int) -> dict:
    search, fresh, sugg = [], [], []
    for _ in range(rounds):
        for q in TEXTS:
            eng._gen.clear_caches(terms=False)
            t0 = time.perf_counter()
            eng.search(q, per_page=10)
            search.append((time.perf_counter() - t0) * 1000)
            eng._gen.clear_caches(terms=True)
            t0 = time.perf_counter()
            eng.search(q, per_page=10)
            fresh.append((time.perf_counter() - t0) * 1000)
            eng._gen.suggest_cache.clear()
            t0 = time.perf_counter()
            eng.suggest(q, limit=5)
            sugg.append((time.perf_counter() - t0) * 1000)
    return {"search": search, "search_new_snapshot": fresh, "suggest": sugg}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="corpus")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    aset = load([args.set])[args.set]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        eng = _engine(folder, aset)
        eng.rebuild([r.document() for r in aset.records])
        times = {"mmap": {}, "no mmap": {}}
        for r in range(args.rounds * 2):
            kind = "mmap" if r % 2 == 0 else "no mmap"
            snapshot_mod.FileStorage = MmapStorage if kind == "mmap" else FileStorage
            eng.close()
            eng = _engine(folder, aset)
            for q in WARMUP:
                eng.search(q)
                eng.suggest(q)
            for k, v in measure(eng, 1).items():
                times[kind].setdefault(k, []).extend(v)
        eng.close()
    print(f"set {args.set}: {len(aset.records)} articles, {len(TEXTS)} queries × {args.rounds} rounds each way")
    print(f"{'measure':24} {'mmap p50/p95 ms':>18} {'no mmap p50/p95 ms':>20} {'ratio p50 · p95':>16}")
    for k in times["mmap"]:
        a, b = summary(times["mmap"][k]), summary(times["no mmap"][k])
        print(f"{k:24} {a['p50']:8.2f} / {a['p95']:6.2f} {b['p50']:10.2f} / {b['p95']:6.2f}"
              f" {b['p50'] / a['p50']:8.2f} · {b['p95'] / a['p95']:.2f}")


if __name__ == "__main__":
    main()
