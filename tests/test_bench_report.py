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
