"""Search benchmark: ``make bench`` (or ``.venv/bin/python bench/search.py [--sets …] [--quick]``).

For each article set (ours, corpus, 10k) it measures, in one run: full rebuild, update-to-visible
in a second process, suggest and search latency in-process, a SQLite FTS5 trigram baseline, and
the same API over HTTP with gunicorn (2 workers, --preload) on 127.0.0.1, plus worker start-up
and memory.  Prints a table with the targets beside the figures and writes it as Markdown to
``bench/out/results.md`` (and the raw figures to ``bench/out/results.json``).  See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import datasets, inproc, load, report, server  # noqa: E402
from bench import tantivy_engine, work  # noqa: E402
from bench.fts5 import Fts5  # noqa: E402
from bench.queries import TEXTS  # noqa: E402
from bench.stats import timed, with_cpu  # noqa: E402

OUT = REPO / "bench" / "out"
SETS = ("ours", "corpus", "10k", "30k")   # make bench
ALL_SETS = SETS + ("100k",)               # make bench BENCH_ARGS=--100k (adds about an hour)
NO_HTTP = {"30k", "100k"}                 # sizes measured in-process only unless --http-all


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def settings(quick: bool) -> dict:
    if quick:
        return {"suggest_rounds": 1, "search_rounds": 1, "updates": 5, "fts_rounds": 1,
                "http_suggest_rounds": 1, "http_search_rounds": 1, "commits": 5,
                "paired_runs": 1, "load_requests": {"suggest": 300, "search": 150}}
    return {"suggest_rounds": 3, "search_rounds": 2, "updates": 20, "fts_rounds": 3,
            "http_suggest_rounds": 3, "http_search_rounds": 2, "commits": 10,
            "paired_runs": 5, "load_requests": {"suggest": 1000, "search": 500}}


def fts5(aset, folder: Path, rounds: int) -> dict:
    db = Fts5(str(folder / "fts5.sqlite3"))
    try:
        build_s = db.build(aset.records)
        stats, last = _timed_rounds(db.search, rounds)
        return stats | {"build_s": build_s, "empty": sum(1 for r in last if not r)}
    finally:
        db.close()


def tantivy_yardstick(aset, rounds: int, folder: Path) -> dict | None:
    """Tantivy's build and its own timed rounds; its index stays in ``folder`` for the paired
    timing (``bench.paired``)."""
    if not tantivy_engine.available():
        return None
    t = tantivy_engine.Tantivy(folder)
    build = t.build(aset.records)
    stats, last = _timed_rounds(t.search, rounds)
    return stats | build | {"per_s": len(aset.records) / build["build_s"],
                            "empty": sum(1 for r in last if not r)}


def _timed_rounds(fn, rounds: int):
    """Wall and process-CPU figures of ``fn(q)`` over the queries (one warm-up round)."""
    for q in TEXTS:
        fn(q)
    wall, cpu, last = [], [], []
    for _ in range(rounds):
        last = []
        for q in TEXTS:
            out, w, c = timed(fn, q)
            wall.append(w)
            cpu.append(c)
            last.append(out)
    return with_cpu(wall, cpu), last


def run_set(aset, cfg: dict, keep: bool, http: bool = True) -> dict:
    res: dict = {"set": {"docs": len(aset.records), "loaded": aset.loaded, "errors": aset.errors,
                         "skipped": aset.skipped, "synthesised": aset.synthesised,
                         "chars": aset.chars}}
    tmp = Path(tempfile.mkdtemp(prefix=f"kb-bench-{aset.name}-"))
    try:
        ip = tmp / "inproc"
        ip.mkdir()
        log(f"{aset.name}: full rebuild of {len(aset.records):,} articles …")
        eng, res["build"] = inproc.build(aset, ip)
        log(f"{aset.name}: rebuild {res['build']['seconds']:.1f} s ({res['build']['per_s']:.0f} articles/s)")
        try:
            res["queries"] = inproc.queries(eng, cfg["suggest_rounds"], cfg["search_rounds"])
            q = res["queries"]
            log(f"{aset.name}: in-process suggest p50/p95 {q['suggest']['p50']:.1f}/{q['suggest']['p95']:.1f} ms "
                f"(cached {q['suggest_cached']['p50']:.1f}/{q['suggest_cached']['p95']:.1f}), "
                f"search {q['search']['p50']:.1f}/{q['search']['p95']:.1f} ms")
            for kind in ("search", "suggest"):
                log(f"{aset.name}: slowest {kind} (median ms): " + ", ".join(
                    f"{t:.0f} {qq!r}" for qq, t in q[f"slowest_{kind}"]))
            for key in ("search", "search_new_snapshot", "search_cold"):
                log(f"{aset.name}: {key} (no cache hits) p50/p95 {q[key]['p50']:.1f}/{q[key]['p95']:.1f} ms "
                    f"(CPU {q[key]['cpu_p50']:.1f}/{q[key]['cpu_p95']:.1f}); slowest: "
                    + ", ".join(f"{t:.0f} {qq!r}" for qq, t in q[f"slowest_{key}"]))
            log(f"{aset.name}: search cached (repeat) p50/p95 {q['search_cached']['p50']:.1f}/"
                f"{q['search_cached']['p95']:.1f} ms")
            res["after_commit"] = inproc.after_commit(eng, aset, cfg["commits"])
            a = res["after_commit"]
            log(f"{aset.name}: first search after a commit (this process) p50/p95 {a['p50']:.0f}/"
                f"{a['p95']:.0f} ms (CPU {a['cpu_p50']:.0f}/{a['cpu_p95']:.0f})")
            res["update"] = inproc.update_visible(eng, aset, ip, cfg["updates"])
            u = res["update"]
            log(f"{aset.name}: update visible median {u['visible']['p50']:.0f} ms "
                f"(update() {u['call']['p50']:.0f} ms, timeouts {u['timeouts']})")
        finally:
            eng.close()
        res["worker"] = inproc.worker(ip)
        w = res["worker"]
        log(f"{aset.name}: fresh worker process: search p50/p95 {w['search']['p50']:.1f}/"
            f"{w['search']['p95']:.1f} ms, suggest p95 {w['suggest']['p95']:.1f} ms, "
            f"RSS {w['memory'].get('VmRSS', 0):.0f} MB (peak {w['memory'].get('VmHWM', 0):.0f})")
        res["fts5"] = fts5(aset, tmp, cfg["fts_rounds"])
        log(f"{aset.name}: FTS5 build {res['fts5']['build_s']:.1f} s, p50/p95 "
            f"{res['fts5']['p50']:.2f}/{res['fts5']['p95']:.2f} ms")
        res["tantivy"] = tantivy_yardstick(aset, cfg["fts_rounds"], tmp / "tantivy")
        if res["tantivy"]:
            tv = res["tantivy"]
            log(f"{aset.name}: tantivy build {tv['build_s']:.1f} s ({tv['per_s']:.0f}/s; segmenting "
                f"{tv['segment_s']:.1f} s), p50/p95 {tv['p50']:.2f}/{tv['p95']:.2f} ms")
            res["paired"] = inproc.paired(ip, aset, tmp / "tantivy", cfg["suggest_rounds"],
                                          cfg["search_rounds"], cfg["paired_runs"])
            pr = res["paired"]
            log(f"{aset.name}: paired ({pr['runs']} fresh process{'es' if pr['runs'] != 1 else ''}, "
                "rounds alternating), ratio p95 "
                f"{pr['ratio']:.1f}× (median of {report.ratios_text(pr)}); that run: ours p50/p95 "
                f"{pr['ours']['p50']:.2f}/{pr['ours']['p95']:.2f} ms "
                "(p95 per round " + " · ".join(f"{r['p95']:.2f}" for r in pr["ours_rounds"])
                + "; minor page faults per round "
                + " · ".join(f"{r.get('minor_faults', 0):,}" for r in pr["ours_rounds"])
                + f"), tantivy {pr['tantivy']['p50']:.2f}/{pr['tantivy']['p95']:.2f} ms")
            if pr.get("page_ratio"):
                log(f"{aset.name}: like for like, tantivy also making the results page (titles, "
                    f"snippets): p95 {pr['tantivy_page']['p95']:.2f} ms in that run; ours ÷ it "
                    f"{pr['page_ratio']:.1f}× (median of {report.ratios_text(pr, 'page_ratios')})")
            res["work"] = work.measure(ip / "index", ip, tmp / "tantivy",
                                       synonyms=inproc._synonyms(aset))
            for line in work.lines(res["work"]):
                log(f"{aset.name}: [work] {line.strip()}")
        if not http:
            log(f"{aset.name}: HTTP part skipped (--no-http)")
            return res

        articles = aset.source_dir
        if articles is None:
            articles = tmp / "library"
            t0 = time.perf_counter()
            n = datasets.write_markdown(aset.records, articles)
            log(f"{aset.name}: wrote {n:,} Markdown files in {time.perf_counter() - t0:.1f} s")
        log(f"{aset.name}: importing through the app (kb init) …")
        res["http"] = server.measure(tmp / "instance", articles, tmp / "server.log",
                                     cfg["http_suggest_rounds"], cfg["http_search_rounds"],
                                     cfg["load_requests"], production=not cfg.get("sync_server"))
        h = res["http"]
        log(f"{aset.name}: kb init {h['import']['seconds']:.1f} s ({h['import']['created']} created, "
            f"{h['import']['errors']} rejected); ready {h['ready_s']:.2f} s; HTTP suggest p95 "
            f"{h['suggest']['p95']:.1f} ms, search p95 {h['search']['p95']:.1f} ms; "
            f"reconnects {h['keepalive']['reconnects']}/{h['keepalive']['requests']} ({h['server']})")
        for line in load.lines(h.get("load") or {}):
            log(f"{aset.name}: {line}")
    finally:
        if keep:
            log(f"{aset.name}: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default=",".join(SETS), help="comma-separated: ours,corpus,10k,30k,100k")
    ap.add_argument("--100k", dest="big", action="store_true", help="add the 100,000-article set")
    ap.add_argument("--no-http", default=None, help="sets whose import through the app and HTTP "
                    "part are skipped (comma-separated; default: 30k,100k)")
    ap.add_argument("--http-all", action="store_true", help="HTTP part for every set (30k/100k too)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    ap.add_argument("--sync-server", action="store_true", help="HTTP part with gunicorn sync "
                    "workers (the former bench server) instead of the production gevent settings")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.big and "100k" not in names:
        names.append("100k")
    bad = [n for n in names if n not in ALL_SETS]
    if bad or not names:
        ap.error(f"unknown set(s) {bad}; choose from {', '.join(ALL_SETS)}")
    if args.no_http is None:
        no_http = set() if args.http_all else set(NO_HTTP)
    else:
        no_http = {n.strip() for n in args.no_http.split(",") if n.strip()}
    logging.basicConfig(level=logging.WARNING)
    cfg = settings(args.quick)
    cfg["sync_server"] = args.sync_server
    started = time.perf_counter()
    load_before = os.getloadavg()

    log(f"loading article sets {names} …")
    t0 = time.perf_counter()
    sets = datasets.load(names)
    load_s = time.perf_counter() - t0
    for n, s in sets.items():
        extra = f", per folder {s.notes['folders']}" if "folders" in s.notes else ""
        log(f"set {n}: {len(s.records):,} articles ({s.loaded:,} loaded, {s.errors:,} rejected, "
            f"{s.skipped} unpublished, {s.synthesised:,} synthesised){extra}")
    log(f"loading took {load_s:.1f} s")

    results = {}
    for n in names:
        results[n] = run_set(sets[n], cfg, args.keep, http=n not in no_http)

    total = time.perf_counter() - started
    header = (f"Search benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
              f"Python {sys.version.split()[0]}{', --quick' if args.quick else ''}; "
              f"{len(TEXTS)} queries; run took {total / 60:.1f} min (loading the sets {load_s:.1f} s); "
              f"load average {load_before[0]:.1f} at start, {os.getloadavg()[0]:.1f} at end.")
    print()
    print(report.console(results))
    print()
    print(report.scaling(results))
    md = report.markdown(results, header) + "\n" + report.scaling(results) + "\n"
    print()
    print(md)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.md").write_text(md, encoding="utf-8")
    (OUT / "results.json").write_text(json.dumps({"settings": cfg, "load_s": load_s, "total_s": total,
                                                  "results": results}, ensure_ascii=False, indent=1,
                                                 default=str), encoding="utf-8")
    log(f"wrote {OUT / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
