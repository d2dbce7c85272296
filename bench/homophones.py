"""Cost of pinyin-slip correction (``indexer/homophones.py``) on an existing index:
``python -m bench.homophones INDEX_DIR CACHE_DIR`` prints one JSON line; ``--cputime off|on``
instead runs ``bench/cputime.py`` on the index with ``query.HOMOPHONES`` switched off or on.

Measured in a fresh process: VmRSS after two queries, the character table's load (CPU ms, RSS
growth), the homophone keys of one snapshot (count, CPU to build them), a slip query, CPU
of ``searching.homophone_fixes`` over the 100 bench queries (result cache cleared), and whether
the ``pypinyin`` package was imported (it must not be: its phrase table costs +55 MB).
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
            out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return out


def measure(index: Path, cache: Path) -> dict:
    from bench.queries import TEXTS
    from indexer import homophones, searching
    from indexer.engine import SearchEngine

    eng = SearchEngine(index, cache_dir=cache)
    eng.search("vpn 连不上")
    eng.search("打印机")
    out: dict = {"fresh": _mem()}
    t = time.thread_time()
    homophones.readings("置")
    out["table_load_cpu_ms"] = round((time.thread_time() - t) * 1000, 1)
    out["after_table"] = _mem()
    snap = eng._gen
    public = frozenset({"public"})
    s = snap.acquire()
    try:
        t = time.thread_time()
        keys = snap.homophones(s, public, eng.dictionary_terms)
        out["keys_build_cpu_ms"] = round((time.thread_time() - t) * 1000, 1)
    finally:
        snap.release(s)
    out["homophone_keys"] = len(keys)
    t = time.thread_time()
    r = eng.search("重至密码")
    out["slip_query_cpu_ms"] = round((time.thread_time() - t) * 1000, 1)
    out["slip_did_you_mean"] = r.did_you_mean
    orig, costs = searching.homophone_fixes, []

    def timed(*a, **k):
        t0 = time.thread_time()
        r = orig(*a, **k)
        costs.append((time.thread_time() - t0) * 1000)
        return r

    searching.homophone_fixes = timed
    try:
        for rnd in ("first_pass", "second_pass"):   # first: each term's first look-up
            costs.clear()
            for q in TEXTS:
                snap.result_cache.clear()
                eng.search(q)
            costs.sort()
            out[f"homophone_fixes_cpu_ms_{rnd}"] = {
                "n": len(costs), "p50": round(costs[len(costs) // 2], 3),
                "p95": round(costs[int(0.95 * len(costs))], 3), "max": round(costs[-1], 3)}
    finally:
        searching.homophone_fixes = orig
    out["after_queries"] = _mem()
    out["pypinyin_imported"] = "pypinyin" in sys.modules
    eng.close()
    return out


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "--cputime":
        import importlib.util

        from indexer import query
        query.HOMOPHONES = argv[1] == "on"
        spec = importlib.util.spec_from_file_location("cputime", Path(__file__).with_name("cputime.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        print(f"query.HOMOPHONES = {query.HOMOPHONES}")
        return mod.main(argv[2:])
    if len(argv) != 2:
        print(__doc__)
        return 2
    print(json.dumps(measure(Path(argv[0]), Path(argv[1])), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
