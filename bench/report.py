"""Targets and the result table (console and Markdown)."""
from __future__ import annotations

import math

from .work import cell as work_cell

#: (key, label, op, threshold) — op "<=" or ">="; checked against each set's figure
TARGETS = {   # issue 15 ("Done when"): 10k unless the 100k column has its own
    "suggest_p95": ("<=", 3.0, "≤ 3 ms"),
    "http_suggest_p95": ("<=", 25.0, "≤ 25 ms"),
    "http_search_p95": ("<=", 60.0, "≤ 60 ms"),
    "load_suggest_10": ("<=", 25.0, "≤ 25 ms"),
    "load_suggest_50": ("<=", 100.0, "≤ 100 ms"),
    "load_search_10": ("<=", 60.0, "≤ 60 ms"),
    "search_p95": ("<=", 15.0, "≤ 15 ms (100k: ≤ 60 ms)"),
    "build_per_s": (">=", 400.0, "≥ 400/s (100k: ≥ 250/s)"),
    "visible_p50": ("<=", 1000.0, "≤ 1 s"),
    "ready_s": ("<=", 1.5, "≤ 1.5 s"),
    "after_commit_p95": ("<=", 100.0, "100k: ≤ 100 ms"),
    "tantivy_ratio": ("<=", 8.0, "100k: ≤ 8×"),
    "worker_rss": ("<=", 500.0, "100k: ≤ 500 MB"),
}
#: where the 100k set has its own target
TARGETS_100K = {"search_p95": 60.0, "build_per_s": 250.0}
#: targets that only apply to the 100k set
ONLY_100K = {"after_commit_p95", "tantivy_ratio", "worker_rss"}
#: targets that apply to every set (the rest are the issue's 10k targets: a 124-article
#: rebuild at 64/s is start-up cost, and issue 15 sets no suggest target at 100k — marking
#: those columns ✗ or ✓ judged figures against targets nobody set)
EVERY_SET = {"visible_p50"}


def _applies(key: str, set_name: str) -> bool:
    """Whether the issue set target ``key`` for the column ``set_name`` ("" = the 10k one)."""
    if key in ONLY_100K:
        return set_name == "100k"
    if key in EVERY_SET or set_name in ("", "10k"):
        return True
    return set_name == "100k" and key in TARGETS_100K


def _ok(key: str, value, set_name: str = "") -> str:
    if key not in TARGETS or value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not _applies(key, set_name):
        return ""
    op, thr, _ = TARGETS[key]
    if set_name == "100k" and key in TARGETS_100K:
        thr = TARGETS_100K[key]
    good = value <= thr if op == "<=" else value >= thr
    if not good and round(value, 1) == thr:
        # a miss that the cell's one decimal shows as the target itself (8.04× as "8.0× ✗"):
        # print the figure that was judged
        shown = next((t for t in (f"{value:.{d}f}" for d in range(2, 7)) if float(t) != thr), repr(value))
        return f" ✗ ({shown} {'>' if op == '<=' else '<'} {thr:g})"
    return " ✓" if good else " ✗"


def _paired_ratio(p: dict) -> float:
    """The judged ratio of ``bench.paired``'s runs: the median run's (results written before
    stop 30 hold one run and no ``ratio``)."""
    return p["ratio"] if "ratio" in p else p["ours"]["p95"] / p["tantivy"]["p95"]


def ratios_text(p: dict, key: str = "ratios") -> str:
    """Every paired run's ratio of p95s, in run order: ``12.6×, 11.9×, …`` (``key``
    ``page_ratios``: the like-for-like ones)."""
    return ", ".join(f"{x:.1f}×" for x in p.get(key, ()))


def page_cell(p: dict) -> str:
    """The like-for-like cell of ``bench.paired``'s runs: tantivy's results-page p95 in the median
    run, ours ÷ it (median of the runs) and every run's; "–" without pages (an index written
    before stop 32)."""
    if not p.get("page_ratios") or not p.get("tantivy_page"):
        return "–"
    return (f"{p['tantivy_page']['p95']:.2f} · {p['page_ratio']:.1f}× "
            f"({ratios_text(p, 'page_ratios')})")


def _ms(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def _trio(s: dict | None) -> str:
    if not s:
        return "–"
    out = f"{_ms(s['p50'])} / {_ms(s['p95'])} / {_ms(s['p99'])}"
    if "cpu_p50" in s:
        out += f" (CPU {_ms(s['cpu_p50'])} / {_ms(s['cpu_p95'])})"
    return out


def _get(d: dict, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def rows(results: dict) -> list[tuple[str, dict, str]]:
    """(label, {set: cell}, target) for every row of the table."""
    names = list(results)
    out = []

    def row(label, fn, target_key=None, target_text=""):
        cells = {}
        for n in names:
            try:
                cells[n] = fn(results[n])
            except (KeyError, TypeError, ZeroDivisionError):
                cells[n] = "–"
        if target_key:
            target_text = TARGETS[target_key][2]
        out.append((label, cells, target_text))

    out_names = names

    def per_set(label, fn, target_key):
        cells = {}
        for n in out_names:
            try:
                cells[n] = fn(results[n], n)
            except (KeyError, TypeError, ZeroDivisionError):
                cells[n] = "–"
        out.append((label, cells, TARGETS[target_key][2] if target_key else ""))

    row("articles indexed (loaded / rejected / synthesised)",
        lambda r: f"{r['set']['docs']:,} ({r['set']['loaded']:,} / {r['set']['errors']:,} / {r['set']['synthesised']:,})")
    row("body text (M chars)", lambda r: f"{r['set']['chars'] / 1e6:.1f}")
    per_set("full rebuild: s · articles/s",
            lambda r, n: f"{r['build']['seconds']:.1f} s · {r['build']['per_s']:.0f}/s"
                         + _ok("build_per_s", r["build"]["per_s"], n), "build_per_s")
    row("update → visible in 2nd process: median (p95) ms",
        lambda r: f"{_ms(r['update']['visible']['p50'])} ({_ms(r['update']['visible']['p95'])})"
                  f"{_ok('visible_p50', r['update']['visible']['p50'])}", "visible_p50")
    row("… update() call median ms · 1st search after it ms",
        lambda r: f"{_ms(r['update']['call']['p50'])} · {_ms(r['update']['first_search_after']['p50'])}")
    per_set("suggest in-process, uncached p50 / p95 / p99 ms",
            lambda r, n: _trio(r["queries"]["suggest"]) + _ok("suggest_p95", r["queries"]["suggest"]["p95"], n),
        "suggest_p95")
    row("suggest in-process, cached (repeat) p50 / p95 / p99 ms",
        lambda r: _trio(r["queries"]["suggest_cached"]))
    per_set("search + snippets, no cache hits p50 / p95 / p99 ms (CPU p50 / p95)",
            lambda r, n: _trio(r["queries"]["search"]) + _ok("search_p95", r["queries"]["search"]["p95"], n),
            "search_p95")
    row("search + snippets, cached (repeat) p50 / p95 / p99 ms",
        lambda r: _trio(r["queries"]["search_cached"]))
    row("search, new snapshot (term scores cleared, segment postings kept) p50 / p95 / p99 ms",
        lambda r: _trio(r["queries"]["search_new_snapshot"]))
    row("search, cold process (every cached posting cleared) p50 / p95 / p99 ms",
        lambda r: _trio(r["queries"]["search_cold"]))
    per_set("first search after a commit, same process p50 / p95 ms (CPU)",
            lambda r, n: f"{_ms(r['after_commit']['p50'])} / {_ms(r['after_commit']['p95'])} "
                         f"(CPU {_ms(r['after_commit']['cpu_p50'])} / {_ms(r['after_commit']['cpu_p95'])})"
                         + _ok("after_commit_p95", r["after_commit"]["p95"], n), "after_commit_p95")
    row("fresh worker process (no app): search p50 / p95 · suggest p95 ms",
        lambda r: f"{_ms(r['worker']['search']['p50'])} / {_ms(r['worker']['search']['p95'])} · "
                  f"{_ms(r['worker']['suggest']['p95'])}")
    per_set("fresh worker process (no app): RSS (peak) MB",
            lambda r, n: f"{r['worker']['memory']['VmRSS']:.0f} ({r['worker']['memory']['VmHWM']:.0f})"
            + _ok("worker_rss", r["worker"]["memory"]["VmRSS"], n), "worker_rss")
    row("tantivy (rjieba-segmented text) build s (articles/s) · top 10 p50 / p95 ms",
        lambda r: f"{r['tantivy']['build_s']:.1f} ({r['tantivy']['per_s']:.0f}/s) · "
                  f"{_ms(r['tantivy']['p50'])} / {_ms(r['tantivy']['p95'])}"
                  + (f" (CPU {_ms(r['tantivy']['cpu_p50'])} / {_ms(r['tantivy']['cpu_p95'])})" if "cpu_p50" in r["tantivy"] else ""))
    row("FTS5 trigram top 10 + snippet() p50 / p95 ms",
        lambda r: f"{_ms(r['fts5']['p50'])} / {_ms(r['fts5']['p95'])}"
                  + (f" (CPU {_ms(r['fts5']['cpu_p50'])} / {_ms(r['fts5']['cpu_p95'])})" if "cpu_p50" in r["fts5"] else ""))
    row("ratio ours (no cache hits) ÷ FTS5 search p50 · p95",
        lambda r: f"{r['queries']['search']['p50'] / r['fts5']['p50']:.1f}× · "
                  f"{r['queries']['search']['p95'] / r['fts5']['p95']:.1f}×")
    row("ratio ours ÷ tantivy, process CPU p50 · p95, each timed on its own (minutes apart)",
        lambda r: f"{r['queries']['search']['cpu_p50'] / r['tantivy']['cpu_p50']:.1f}× · "
                  f"{r['queries']['search']['cpu_p95'] / r['tantivy']['cpu_p95']:.1f}×")
    row("ratio ours ÷ FTS5, process CPU p50 · p95",
        lambda r: f"{r['queries']['search']['cpu_p50'] / r['fts5']['cpu_p50']:.1f}× · "
                  f"{r['queries']['search']['cpu_p95'] / r['fts5']['cpu_p95']:.1f}×")
    row("ratio ours (no cache hits) ÷ tantivy search p50 · p95, each timed on its own (minutes apart)",
        lambda r: f"{r['queries']['search']['p50'] / r['tantivy']['p50']:.1f}× · "
                  f"{r['queries']['search']['p95'] / r['tantivy']['p95']:.1f}×")
    per_set("ours (no cache hits) and tantivy in alternating rounds, fresh processes (bench/paired.py): "
            "the run with the median ratio: p95 ms ours (round 1 · round 2) · tantivy · ratio p50 · p95 "
            "(every run's ratio of p95s)",
            lambda r, n: f"{_ms(r['paired']['ours']['p95'])} ("
                         + " · ".join(_ms(x["p95"]) for x in r["paired"].get("ours_rounds", []))
                         + f") · {r['paired']['tantivy']['p95']:.2f} · "
                         f"{r['paired']['ours']['p50'] / r['paired']['tantivy']['p50']:.1f}× · "
                         f"{_paired_ratio(r['paired']):.1f}×"
                         + _ok("tantivy_ratio", _paired_ratio(r['paired']), n)
                         + (f" ({ratios_text(r['paired'])})"
                            if len(r["paired"].get("ratios", ())) > 1 else ""),
            "tantivy_ratio")
    row("like for like (stop 32, not the judged figure): tantivy also doing a results page's work "
        "(total, the ten documents' titles and highlighted snippets; bench/paired.py): its p95 ms in "
        "the median run · ours ÷ it, median of the runs (every run's)",
        lambda r: page_cell(r["paired"]))
    row("what each engine reads per query on its first sight (bench/work.py), median (mean): ours terms · "
        "documents they hold; tantivy words × fields · postings; ours ÷ tantivy, sums",
        lambda r: work_cell(r["work"]))
    row("queries with no result: ours search · ours suggest · FTS5 (of 100)",
        lambda r: f"{r['queries']['search']['empty']} · {r['queries']['suggest']['empty']} · {r['fts5']['empty']}")
    row("app import (kb init: DB + index): s (CPU s) · articles",
        lambda r: f"{r['http']['import']['seconds']:.1f} ({r['http']['import']['cpu']:.1f}) · "
                  f"{r['http']['import']['created']}")
    per_set("HTTP /api/suggest p50 / p95 / p99 ms (p95 of 1st round)",
        lambda r, n: _trio(r["http"]["suggest"]) + _ok("http_suggest_p95", r["http"]["suggest"]["p95"], n)
                  + f" ({_ms(r['http']['suggest']['first_round']['p95'])})",
        "http_suggest_p95")
    per_set("HTTP /api/search p50 / p95 / p99 ms",
        lambda r, n: _trio(r["http"]["search"]) + _ok("http_search_p95", r["http"]["search"]["p95"], n),
        "http_search_p95")
    for kind in ("suggest", "search"):
        for n in (10, 50):
            key = f"load_{kind}_{n}"
            per_set(f"HTTP /api/{kind}, {n} concurrent clients: p50 / p95 / p99 ms · req/s · "
                "server CPU ms/req",
                lambda r, s, k=f"{kind}_{n}", t=key: _trio(r["http"]["load"][k])
                + _ok(t, r["http"]["load"][k]["p95"], s)
                + f" · {r['http']['load'][k]['rps']:.0f}/s · "
                  f"{r['http']['load'][k].get('server_cpu_ms_per_req', float('nan')):.1f}"
                + (f" · {r['http']['load'][k]['errors']} errors" if r["http"]["load"][k]["errors"] else ""),
                key if key in TARGETS else None)
    per_set("worker ready (gunicorn start → first 200) s",
            lambda r, n: f"{r['http']['ready_s']:.2f}{_ok('ready_s', r['http']['ready_s'], n)}", "ready_s")
    row("fresh process: import app · open index · 1st suggest · 1st search s",
        lambda r: " · ".join(f"{r['http']['cold_start'][k]:.2f}"
                             for k in ("import_app", "open_engine", "first_suggest", "first_search")))
    per_set("memory per gunicorn worker after run: RSS (PSS) MB",
            lambda r, n: ", ".join(f"{w.get('VmRSS', 0):.0f} ({w.get('Pss', 0):.0f})"
                                   + _ok("worker_rss", w.get("VmRSS"), n)
                                   for w in r["http"]["memory"]["workers"]), "worker_rss")
    return out


def markdown(results: dict, header: str = "") -> str:
    names = list(results)
    lines = []
    if header:
        lines += [header, ""]
    lines.append("| measure | " + " | ".join(names) + " | target (10k unless said) |")
    lines.append("|---|" + "---|" * len(names) + "---|")
    for label, cells, target in rows(results):
        lines.append(f"| {label} | " + " | ".join(cells[n] for n in names) + f" | {target} |")
    return "\n".join(lines) + "\n"


def console(results: dict) -> str:
    names = list(results)
    table = rows(results)
    w0 = max(len(label) for label, _, _ in table)
    widths = {n: max(len(n), *(len(cells[n]) for _, cells, _ in table)) for n in names}
    head = "measure".ljust(w0) + "  " + "  ".join(n.rjust(widths[n]) for n in names) + "  target"
    lines = [head, "-" * len(head)]
    for label, cells, target in table:
        lines.append(label.ljust(w0) + "  " + "  ".join(cells[n].rjust(widths[n]) for n in names)
                     + f"  {target}")
    return "\n".join(lines)


SIZED = ("10k", "30k", "100k")


def scaling(results: dict) -> str:
    """Growth with the number of articles over the sized sets in this run: the exponent of
    time ∝ articlesᵏ (least squares on log–log), ours beside tantivy and FTS5."""
    from .stats import growth_exponent

    names = [n for n in SIZED if n in results]
    if len(names) < 2:
        return "Growth exponent: needs two of the sets 10k, 30k, 100k in one run."
    docs = {n: results[n]["set"]["docs"] for n in names}

    def k(fn) -> str:
        pts = []
        for n in names:
            try:
                pts.append((docs[n], fn(results[n])))
            except (KeyError, TypeError):
                pass
        e = growth_exponent(pts)
        return "–" if e is None else f"{e:.2f}"

    lines = [f"Growth exponent k (time ∝ articlesᵏ over {', '.join(names)}; 1 = linear):", "",
             "| engine | search p50 | search p95 | CPU p50 | CPU p95 |", "|---|---|---|---|---|"]
    lines.append(f"| ours, no cache hits | {k(lambda r: r['queries']['search']['p50'])} | "
                 f"{k(lambda r: r['queries']['search']['p95'])} | "
                 f"{k(lambda r: r['queries']['search']['cpu_p50'])} | "
                 f"{k(lambda r: r['queries']['search']['cpu_p95'])} |")
    for name, key in (("tantivy", "tantivy"), ("SQLite FTS5 trigram", "fts5")):
        lines.append(f"| {name} | {k(lambda r: r[key]['p50'])} | {k(lambda r: r[key]['p95'])} | "
                     f"{k(lambda r: r[key]['cpu_p50'])} | {k(lambda r: r[key]['cpu_p95'])} |")
    return "\n".join(lines) + "\n"
