"""bench/paired.py: our engine and tantivy timed in alternating rounds in one fresh process,
and the ratio the table judges against issue 15's "≤ 8× tantivy" at 100k."""
from __future__ import annotations

import pytest

from bench import datasets, inproc
from bench.queries import TEXTS
from bench.report import markdown
from bench.tantivy_engine import Tantivy


def test_an_index_written_to_a_folder_is_read_back_by_another_opener(tmp_path):
    ours = datasets.load_ours()
    t = Tantivy(tmp_path / "tv")
    t.build(ours.records)
    again = Tantivy.open(tmp_path / "tv")
    for q in ("VPN 连不上", "打印机脱机", "0x80070005", "outlook 密码"):
        assert again.search(q) == t.search(q)
    assert again.search("VPN 连不上")


def _both_indexes(tmp_path, pages: bool = True):
    """Our library indexed by our engine (``inproc``) and by tantivy (``tv``, with its pages
    index unless ``pages`` is False) under ``tmp_path``."""
    ours = datasets.load_ours()
    ip = tmp_path / "inproc"
    ip.mkdir()
    eng, _stats = inproc.build(ours, ip)
    eng.close()
    Tantivy(tmp_path / "tv", pages=pages).build(ours.records)
    return ours, ip


def test_paired_times_every_query_on_both_engines_round_by_round_in_a_fresh_process(tmp_path):
    ours, ip = _both_indexes(tmp_path)
    got = inproc.paired(ip, ours, tmp_path / "tv", suggest_rounds=1, search_rounds=2)
    assert got["rounds"] == 2
    assert [r["n"] for r in got["ours_rounds"]] == [len(TEXTS), len(TEXTS)]
    # each round's minor page faults (stop 34): a fresh process's first round maps pages in
    assert all(isinstance(r["minor_faults"], int) for r in got["ours_rounds"])
    assert got["ours_rounds"][0]["minor_faults"] > 0
    for engine in ("ours", "tantivy"):
        s = got[engine]
        assert s["n"] == 2 * len(TEXTS)
        assert 0 < s["p50"] <= s["p95"] <= s["p99"] <= s["max"]
        assert s["cpu_p95"] > 0


def test_several_fresh_processes_give_the_median_run_and_every_ratio(tmp_path):
    ours, ip = _both_indexes(tmp_path)
    got = inproc.paired(ip, ours, tmp_path / "tv", suggest_rounds=1, search_rounds=1, runs=3)
    assert got["runs"] == 3 and len(got["ratios"]) == 3
    assert got["ratio"] == sorted(got["ratios"])[1]
    assert got["ratio"] == got["ours"]["p95"] / got["tantivy"]["p95"]
    assert [r["n"] for r in got["ours_rounds"]] == [len(TEXTS)]


def _result(ours_p95: float, paired_ours_p95: float, paired_tv_p95: float) -> dict:
    stats = {"p50": 1.0, "p95": ours_p95, "p99": ours_p95, "max": ours_p95,
             "cpu_p50": 1.0, "cpu_p95": ours_p95}
    return {"queries": {"search": stats},
            "tantivy": {"p50": 0.1, "p95": 0.5, "cpu_p50": 0.1, "cpu_p95": 0.5},
            "paired": {"ours": {"p50": 1.0, "p95": paired_ours_p95},
                       "ours_rounds": [{"p95": paired_ours_p95 * 1.2}, {"p95": paired_ours_p95 / 2}],
                       "tantivy": {"p50": 0.1, "p95": paired_tv_p95}, "rounds": 2}}


def _line(md: str, words: str) -> str:
    return next(line for line in md.splitlines() if words in line)


def test_the_ratio_judged_at_100k_is_the_one_of_alternating_rounds():
    # timed apart 6.0 / 0.5 = 12×, in alternating rounds 4.0 / 0.55 = 7.3×: the rounds decide
    md = markdown({"100k": _result(6.0, 4.0, 0.55)})
    apart = _line(md, "minutes apart")
    assert "12.0×" in apart and "✓" not in apart and "✗" not in apart
    paired = _line(md, "alternating rounds")
    assert "| 4.0 (4.8 · 2.0) · 0.55 · 10.0× · 7.3× ✓ |" in paired
    assert paired.endswith("| 100k: ≤ 8× |")
    assert "8.4× ✗" in _line(markdown({"100k": _result(3.0, 4.6, 0.55)}), "alternating rounds")
    # only the 100k set is judged; a set without the figure shows a dash
    line = _line(markdown({"10k": _result(3.0, 4.6, 0.55), "ours": {"queries": {"search": {}}}}),
                 "alternating rounds")
    assert "✓" not in line and "✗" not in line and "| – |" in line


def test_the_judged_ratio_is_the_median_runs_and_every_runs_ratio_is_shown():
    # five processes: 9.3× in one of them does not decide, the median (7.9×) does
    res = _result(6.0, 4.0, 0.5)
    res["paired"] |= {"ratio": 7.9, "ratios": [9.3, 7.5, 7.9, 8.4, 7.8], "runs": 5}
    line = _line(markdown({"100k": res}), "alternating rounds")
    assert "· 7.9× ✓ (9.3×, 7.5×, 7.9×, 8.4×, 7.8×) |" in line
    res["paired"] |= {"ratio": 8.4, "ratios": [9.3, 7.5, 8.4, 8.6, 7.8]}
    assert "· 8.4× ✗ (9.3×" in _line(markdown({"100k": res}), "alternating rounds")


def test_page_in_reads_every_file_through_a_link(tmp_path):
    from bench.paired import page_in

    real = tmp_path / "index.d" / "g1"
    (real / "sub").mkdir(parents=True)
    (real / "a.seg").write_bytes(b"x" * 3_000_000)
    (real / "sub" / "b").write_bytes(b"yz")
    (tmp_path / "index").symlink_to(real)
    assert page_in(tmp_path / "index") == 3_000_002


def test_a_first_sight_forgotten_but_term_data_finds_every_term_and_reads_positions_again(tmp_path):
    """``--warm terms``: round 1 pays for everything a first sight does except term data."""
    from bench import paired
    from bench.inproc import _clear
    from indexer import snippets

    ours, ip = _both_indexes(tmp_path)
    eng = inproc._engine(ip, ours)
    try:
        queries = ["VPN 连不上", "打印机脱机 怎么办", "outlok 收不到邮件"]   # (a typo: vocabularies)
        for q in queries:
            _clear(eng)
            eng.search(q, per_page=10)
        rx = eng._gen.rank
        terms = dict(rx._terms)
        assert terms and rx._positions and snippets._PLANS and eng._gen.vocab
        paired.forget_first_sight(eng, keep=["terms"])
        assert dict(rx._terms) == terms                     # the term data stays
        assert not rx._positions and rx._positions_docs == 0
        assert not any(p.decoded for p in eng._gen.segments._postings.values())
        assert not eng._gen.vocab and not snippets._PLANS and not snippets._NORM_CACHE
        for q in queries:                                   # a first sight, but for terms
            _clear(eng)
            eng.search(q, per_page=10)
        assert dict(rx._terms).keys() == terms.keys()
        assert rx._positions
    finally:
        eng.close()


def test_keeping_positions_forgets_the_term_data_only(tmp_path):
    from bench import paired
    from bench.inproc import _clear

    ours, ip = _both_indexes(tmp_path)
    eng = inproc._engine(ip, ours)
    try:
        _clear(eng)
        eng.search("VPN 连不上", per_page=10)
        rx = eng._gen.rank
        positions = dict(rx._positions)
        assert rx._terms and positions
        paired.forget_first_sight(eng, keep=["positions", "pages", "vocab", "snippets"])
        assert not rx._terms and dict(rx._positions) == positions
        with pytest.raises(ValueError, match="unknown parts"):
            paired.forget_first_sight(eng, keep=["term"])
    finally:
        eng.close()


def test_the_warm_bound_is_timed_like_the_judged_rounds(tmp_path, capsys):
    from bench import paired

    ours, ip = _both_indexes(tmp_path)
    got = paired.measure(ip / "index", ip, tmp_path / "tv", 1, 2, inproc._synonyms(ours),
                         warm=["terms"])
    assert got["warm"] == ["terms"] and got["rounds"] == 2
    assert [r["n"] for r in got["ours_rounds"]] == [len(TEXTS), len(TEXTS)]
    assert got["tantivy"]["n"] == 2 * len(TEXTS)
    # the command line: ``--warm PARTS`` after the other arguments
    assert paired.main([str(ip / "index"), str(ip), str(tmp_path / "tv"), "1", "1", "",
                        "--warm", "terms,positions"]) == 0
    assert '"warm": ["positions", "terms"]' in capsys.readouterr().out


# -- like for like (stop 32): tantivy doing a results page's work too ---------------------------

def test_tantivy_makes_a_results_page_total_titles_and_highlighted_snippets(tmp_path):
    ours = datasets.load_ours()
    Tantivy(tmp_path / "tv").build(ours.records)
    t = Tantivy.open(tmp_path / "tv")
    assert t.has_page()
    total, hits = t.page("VPN 连接 错误 809")
    assert total >= len(hits) == 10
    # (its index holds the words a reader sees, not search mode's sub-words: the order below
    # the first may differ from the judged index's)
    assert hits[0][0] == t.search("VPN 连接 错误 809")[0] == "vpn/error-809"
    _slug, title, snippet = hits[0]
    assert "809" in title and "防火墙" in title and "火墙" not in title.replace("防火墙", "")
    assert "<b>809</b>" in snippet and len(snippet) < 400
    assert t.page("") == (0, [])
    # the judged yardstick's index stores the slugs only: fetching them reads no bodies
    hit = t.searcher.search(t._query("打印机", t.schema), 1).hits[0][1]
    assert t.searcher.doc(hit).to_dict().keys() == {"slug"}


def test_an_index_written_before_pages_has_none_and_paired_reports_no_page_figure(tmp_path):
    ours, ip = _both_indexes(tmp_path, pages=False)
    assert not Tantivy.open(tmp_path / "tv").has_page()
    got = inproc.paired(ip, ours, tmp_path / "tv", suggest_rounds=1, search_rounds=1, runs=1)
    assert got["tantivy_page"] is None and got["page_ratios"] == [] and got["page_ratio"] is None
    assert "like for like" in markdown({"100k": _result(6.0, 4.0, 0.5) | {"paired": got}})


def test_paired_times_tantivys_page_each_round_and_gives_the_median_of_the_like_for_like_ratios(tmp_path):
    ours, ip = _both_indexes(tmp_path)
    got = inproc.paired(ip, ours, tmp_path / "tv", suggest_rounds=1, search_rounds=2, runs=3)
    page = got["tantivy_page"]
    assert page["n"] == 2 * len(TEXTS) and 0 < page["p50"] <= page["p95"]
    assert len(got["page_ratios"]) == 3
    assert got["page_ratio"] == sorted(got["page_ratios"])[1]


def test_the_like_for_like_cell_is_shown_beside_the_judged_ratio_and_never_judged():
    res = _result(6.0, 4.0, 0.5)
    res["paired"] |= {"ratio": 8.4, "ratios": [9.3, 7.5, 8.4, 8.6, 7.8], "runs": 5,
                      "tantivy_page": {"p50": 0.6, "p95": 0.81}, "page_ratios": [5.1, 4.9, 5.0],
                      "page_ratio": 5.0}
    md = markdown({"100k": res})
    line = _line(md, "like for like")
    assert "| 0.81 · 5.0× (5.1×, 4.9×, 5.0×) |" in line
    assert "✓" not in line and "✗" not in line
    assert "· 8.4× ✗" in _line(md, "alternating rounds")       # the judged figure is unchanged
    del res["paired"]["tantivy_page"]
    assert "| – |" in _line(markdown({"100k": res}), "like for like")
