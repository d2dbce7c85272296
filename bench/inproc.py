"""In-process measurements: full rebuild, update-to-visible (second process), suggest, search."""
from __future__ import annotations

import dataclasses
import random
import string
import subprocess
import sys
import time
from pathlib import Path

from indexer.engine import SearchEngine

from .datasets import REPO, ArticleSet
from .queries import TEXTS
from .stats import summary, time_calls, timed, with_cpu

#: untimed warm-up queries (different strings from the measured list, so the measured round
#: is the first time the engine sees each query)
WARMUP = ["VPN 连不上", "重置密码", "打印", "邮件", "0x80004005", "Wi-Fi", "蓝屏 代码",
          "Office 365", "帐户", "網路", "outl", "共享盘", "证书过期", "ERR_SSL", "Teams"]


def _synonyms(aset: ArticleSet) -> Path | None:
    """The set's own synonym file (``articles/synonyms.txt`` for ours), as the app reads it."""
    extra = aset.source_dir / "synonyms.txt" if aset.source_dir else None
    return extra if extra and extra.is_file() else None


def _engine(folder: Path, aset: ArticleSet) -> SearchEngine:
    return SearchEngine(folder / "index", extra_synonyms=_synonyms(aset), cache_dir=folder)


def build(aset: ArticleSet, folder: Path) -> tuple[SearchEngine, dict]:
    eng = _engine(folder, aset)
    docs = [r.document() for r in aset.records]
    t0 = time.perf_counter()
    stats = eng.rebuild(docs)
    secs = time.perf_counter() - t0
    return eng, {"docs": stats.docs, "seconds": secs, "per_s": stats.docs / secs if secs else 0}


def _token(rng: random.Random) -> str:
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(8))


def update_visible(eng: SearchEngine, aset: ArticleSet, folder: Path, n: int) -> dict:
    """Update one article ``n`` times in this process; a second process waits to see each."""
    rng = random.Random(20261122)
    # the watcher searches as an anonymous reader: the article must be public
    public = [r for r in aset.records if r.audience == "public"] or aset.records
    rec = public[len(public) // 2]
    proc = subprocess.Popen([sys.executable, "-m", "bench.watcher", str(folder / "index"), str(folder)],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    visible, calls, cold, warm, polls = [], [], [], [], []
    timeouts = 0
    try:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("watcher did not start")
        for _ in range(n):
            token = _token(rng)
            proc.stdin.write(token + "\n")
            proc.stdin.flush()
            if proc.stdout.readline().strip() != "polling":
                raise RuntimeError("watcher protocol error")
            doc = dataclasses.replace(rec, title=f"{rec.title} {token}").document()
            t0 = time.monotonic()
            eng.update([doc])
            calls.append((time.monotonic() - t0) * 1000)
            reply = proc.stdout.readline().split()
            if not reply or reply[0] != "seen":
                timeouts += 1
                continue
            visible.append((float(reply[1]) - t0) * 1000)
            polls.append(int(reply[2]))
            cold.append(float(reply[3]))
            warm.append(float(reply[4]))
        eng.update([rec.document()])   # put the original back
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return {"visible": summary(visible), "call": summary(calls), "timeouts": timeouts,
            "first_search_after": summary(cold), "search_warm": summary(warm)}


def _between(eng: SearchEngine) -> None:
    """What a server does between two responses: the engine's deferred housekeeping
    (``SearchEngine.housekeeping``, after each response in the app; stop 33) — outside the
    timing, as it is outside a request's time there."""
    eng.housekeeping()


def _clear_suggest_cache(eng: SearchEngine) -> bool:
    """Drop the engine's per-snapshot suggest cache (an internal; False if it is not there),
    after the housekeeping a server does between two responses (``_between``)."""
    _between(eng)
    gen = getattr(eng, "_gen", None)
    cache = getattr(gen, "suggest_cache", None)
    if cache is None:
        return False
    cache.clear()
    return True


def _clear(eng: SearchEngine, **kw) -> None:
    """Between two timed calls: the housekeeping a server does after a response
    (``_between``), then the snapshot's query caches cleared (``kw``: more of them)."""
    _between(eng)
    if eng._gen is not None:
        try:
            eng._gen.clear_caches(**kw)
        except TypeError:          # an engine without per-segment caches (older code)
            eng._gen.clear_caches(terms=True)


def queries(eng: SearchEngine, suggest_rounds: int, search_rounds: int) -> dict:
    """In-process latency.  Headline figures have **no cache hits**: the snapshot's query
    caches (ranked results, suggestions) are cleared before every call, outside the timing —
    the per-term data stays, as in a warm worker.  Cached figures (the same queries repeated)
    are reported separately.  Every figure has its process-CPU p50/p95 beside the wall time."""
    for q in WARMUP:
        eng.suggest(q)
        eng.search(q)
    out = {}
    # suggest, uncached: the candidate cache is cleared before every call (outside the timing)
    bypass = _clear_suggest_cache(eng)
    wall, cpu = [], []
    empty = 0
    for r in range(suggest_rounds):
        for q in TEXTS:
            _clear_suggest_cache(eng)
            res, w, c = timed(eng.suggest, q, limit=5)
            wall.append(w)
            cpu.append(c)
            if r == 0 and not res.hits:
                empty += 1
    out["suggest"] = with_cpu(wall, cpu) | {"empty": empty, "cache_bypassed": bypass}
    out["slowest_suggest"] = slowest(wall, 5)
    # suggest, as repeated (served from the snapshot's cache)
    times, _ = time_calls(lambda q: eng.suggest(q, limit=5), TEXTS, suggest_rounds, warmup=1)
    out["suggest_cached"] = summary(times)
    # search: no cache hits (results cache cleared before every call; term data warm), then
    # as on a new snapshot after a commit (combined term scores cleared, per-segment postings
    # kept — what a commit really leaves), then a cold process (every cached posting cleared)
    for key, kw in (("search", {}), ("search_new_snapshot", {"terms": True}),
                    ("search_cold", {"segments": True})):
        wall, cpu = [], []
        empty = 0
        for r in range(search_rounds if key == "search" else 1):
            for q in TEXTS:
                _clear(eng, **kw)
                res, w, c = timed(eng.search, q, per_page=10)
                wall.append(w)
                cpu.append(c)
                if r == 0 and not res.hits:
                    empty += 1
        out[key] = with_cpu(wall, cpu) | {"empty": empty}
        out[f"slowest_{key}"] = slowest(wall, 5)
    out["search_uncached"] = out["search"]          # the name earlier runs used
    out["slowest_search_uncached"] = out["slowest_search"]
    # search, cached: the same queries repeated (served from the ranked-results cache)
    times, _ = time_calls(lambda q: eng.search(q, per_page=10), TEXTS, search_rounds, warmup=1)
    out["search_cached"] = summary(times)
    return out


def after_commit(eng: SearchEngine, aset: ArticleSet, n: int) -> dict:
    """First search in this process after each of ``n`` commits (one article updated): the
    new snapshot opens its searcher, joins the per-segment data and scores from the segments'
    cached postings plus the new segment's."""
    rng = random.Random(20261201)
    rec = aset.records[len(aset.records) // 3]
    wall, cpu = [], []
    for i in range(n):
        doc = dataclasses.replace(rec, title=f"{rec.title} {_token(rng)}").document()
        eng.update([doc])
        q = TEXTS[(i * 7) % len(TEXTS)]
        _res, w, c = timed(eng.search, q, per_page=10)
        wall.append(w)
        cpu.append(c)
    eng.update([rec.document()])
    return with_cpu(wall, cpu)


def _fresh_process(module: str, *args: str) -> dict:
    """Run ``python -m module args…`` (a new process: nothing cached from this one) and return
    the JSON object its last line prints."""
    import json

    res = subprocess.run([sys.executable, "-m", module, *args],
                         cwd=REPO, stdout=subprocess.PIPE, text=True, timeout=1800, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def worker(folder: Path) -> dict:
    """A fresh process serving the index (``bench.worker``): its timings and memory."""
    return _fresh_process("bench.worker", str(folder / "index"), str(folder))


def paired(folder: Path, aset: ArticleSet, tantivy_dir: Path, suggest_rounds: int,
           search_rounds: int, runs: int = 1) -> dict:
    """Ours and tantivy timed in alternating rounds, in ``runs`` fresh processes one after the
    other (``bench.paired``): the ratio without the machine's drift between two measurements.

    Returns the run whose ratio of p95s is the median (the upper one of an even count) with
    ``ratio`` (its ratio), ``ratios`` (every run's, in order) and ``runs``; ``page_ratios``
    (every run's ours ÷ ``tantivy_page``, the like-for-like figure) and ``page_ratio`` (their
    median; None with an index that stores no pages).  One process's
    ratio is 200 timings' p95 on a shared machine: stop 30 measured 7.8× and 9.3× for the same
    code, index size and machine half an hour apart; the median of several processes (seconds
    each) is the figure a slow minute cannot decide alone."""
    extra = _synonyms(aset)
    got = []
    for _ in range(max(1, runs)):
        r = _fresh_process("bench.paired", str(folder / "index"), str(folder), str(tantivy_dir),
                           str(suggest_rounds), str(search_rounds), str(extra) if extra else "")
        r["ratio"] = r["ours"]["p95"] / r["tantivy"]["p95"]
        got.append(r)
    median = sorted(got, key=lambda r: r["ratio"])[len(got) // 2]
    # like for like (stop 32): ours ÷ tantivy doing a results page's work too, median of the runs
    pages = [r["ours"]["p95"] / r["tantivy_page"]["p95"] for r in got if r.get("tantivy_page")]
    return median | {"ratios": [r["ratio"] for r in got], "runs": len(got),
                     "page_ratios": pages,
                     "page_ratio": sorted(pages)[len(pages) // 2] if pages else None}


def slowest(times: list[float], k: int) -> list[tuple[str, float]]:
    """The ``k`` queries with the highest median time (``times`` = rounds × TEXTS, in order)."""
    n = len(TEXTS)
    per = []
    for i, q in enumerate(TEXTS):
        mine = sorted(times[i::n])
        if mine:
            per.append((q, mine[len(mine) // 2]))
    per.sort(key=lambda t: -t[1])
    return per[:k]
