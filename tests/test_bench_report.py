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
