"""`bench/report.py`: the targets' marks beside the figures."""
from __future__ import annotations

from bench.report import _ok


def test_a_miss_that_rounds_to_the_target_shows_the_figure_it_was_judged_on():
    # stop 27's official run: 7.153 / 0.889 ms = 8.04×, printed with one decimal as "8.0×"
    assert _ok("tantivy_ratio", 8.0435, "100k") == " ✗ (8.04 > 8)"
    assert _ok("build_per_s", 399.96, "10k") == " ✗ (399.96 < 400)"
    assert _ok("tantivy_ratio", 8.0, "100k") == " ✓"
    assert _ok("tantivy_ratio", 12.5, "100k") == " ✗"
    assert _ok("tantivy_ratio", 12.5, "10k") == ""          # a 100k-only target


def test_a_target_marks_only_the_sets_the_issue_set_it_for():
    assert _ok("build_per_s", 64.0, "ours") == ""          # start-up cost of 124 articles
    assert _ok("build_per_s", 436.0, "corpus") == ""
    assert _ok("build_per_s", 300.0, "100k") == " ✓"       # 100k has its own: ≥ 250/s
    assert _ok("build_per_s", 300.0, "10k") == " ✗"
    assert _ok("suggest_p95", 4.2, "100k") == ""           # no suggest target at 100k
    assert _ok("suggest_p95", 1.6, "10k") == " ✓"
    assert _ok("load_suggest_10", 27.5, "ours") == ""
    assert _ok("worker_rss", 340.0, "10k") == ""
    assert _ok("visible_p50", 46.0, "ours") == " ✓"        # every set


def test_the_table_marks_the_http_rows_in_the_10k_column_only():
    from bench.report import markdown

    load = {"p50": 9.0, "p95": 29.0, "p99": 40.0, "rps": 800.0, "errors": 0,
            "server_cpu_ms_per_req": 2.2}
    http = {"load": {"suggest_10": load}, "ready_s": 1.2,
            "suggest": {"p50": 1.0, "p95": 2.0, "p99": 3.0, "first_round": {"p95": 2.5}}}
    md = markdown({"ours": {"http": http}, "10k": {"http": http}})
    line = next(x for x in md.splitlines() if "/api/suggest, 10 concurrent" in x)
    assert "| 9.0 / 29.0 / 40.0 · 800/s · 2.2 | 9.0 / 29.0 / 40.0 ✗ · 800/s · 2.2 |" in line
    ready = next(x for x in md.splitlines() if "worker ready" in x)
    assert "| 1.20 | 1.20 ✓ |" in ready
    single = next(x for x in md.splitlines() if "/api/suggest p50" in x)
    assert "| 1.0 / 2.0 / 3.0 (2.5) | 1.0 / 2.0 / 3.0 ✓ (2.5) |" in single
