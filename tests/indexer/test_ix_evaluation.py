"""Relevance metrics (indexer/evaluation.py) and the plain baselines (indexer/baselines.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.baselines import Fts5Trigram, JiebaBM25
from indexer.documents import IndexDocument
from indexer.evaluation import (LabelledQuery, Scores, compare, evaluate_ranked, fold_table, folds,
                                load_queries, paired, paired_json, paired_table)


def q(expected, kind="colloquial", half="", text="x"):
    return LabelledQuery(query=text, expected=tuple(expected), kind=kind, half=half)


def test_metrics_follow_their_definitions():
    queries = [q(["a"]), q(["a", "b", "c"]), q(["z"]), q(list("abcdefgh"))]
    ranked = {
        0: ["x", "a"],  # rank 2
        1: ["a", "x", "b", "y", "y2", "c"],  # rank 1, 2 of 3 expected in the top 5
        2: ["x"] * 10 + ["z"],  # rank 11: not in the top 10
        3: list("abcde"),  # 5 of 8 expected in the top 5
    }
    it = iter(range(4))
    result = evaluate_ranked(queries, lambda _q: ranked[next(it)])
    s = result.overall
    assert s.count == 4
    assert s.r_at_1 == pytest.approx(2 / 4)
    assert s.r_at_5 == pytest.approx((1 + 2 / 3 + 0 + 5 / 5) / 4)  # capped at min(5, |expected|)
    assert s.mrr_at_10 == pytest.approx((1 / 2 + 1 + 0 + 1) / 4)
    assert s.hit_at_10 == pytest.approx(3 / 4)
    assert s.recall_at_5 == pytest.approx(3 / 4)  # the older meaning: any expected in the top 5
    assert [m.query for m, _ in result.misses] == ["x", "x"]


def test_a_single_expected_document_gives_the_old_recall():
    s = Scores()
    for rank in (1, 3, 7, None):
        s.add(rank)
    assert s.recall_at_5 == s.r_at_5 == 0.5 and s.hit_at_10 == 0.75


def test_halves_come_from_the_folder_and_rows_list_them(tmp_path):
    for half in ("tune", "test", "test2", "other"):   # test2: the second held-out half (stop 23)
        (tmp_path / half).mkdir()
        (tmp_path / half / "k.yaml").write_text(
            f"- {{id: {half}-1, query: 打印机, expected: [a], kind: keyword, origin: [a]}}\n", encoding="utf-8")
    queries = load_queries(sorted(tmp_path.glob("*/*.yaml")))
    assert {(x.id, x.half, x.origin) for x in queries} == {
        ("tune-1", "tune", ("a",)), ("test-1", "test", ("a",)), ("test2-1", "test2", ("a",)), ("other-1", "", ("a",))}
    result = evaluate_ranked(queries, lambda x: ["a"] if x.half == "tune" else ["b"])
    names = [name for name, _ in result.rows()]
    assert names == ["keyword", "overall", "overall tune", "overall test", "overall test2"]
    assert result.by_half["tune"].mrr_at_10 == 1.0 and result.by_half["test"].mrr_at_10 == 0.0
    assert result.by_half["test2"].count == 1 and result.overall.count == 4
    assert set(result.as_json()["overall"]) == {"n", "recall@1", "recall@5", "mrr@10", "capped_recall@5", "hit@10"}


def test_compare_prints_each_baseline_and_the_ratio():
    queries = [q(["a"]), q(["b"])]
    ours = evaluate_ranked(queries, lambda x: list(x.expected))
    half = evaluate_ranked(queries, lambda x: list(x.expected) if x.expected == ("a",) else [])
    none = evaluate_ranked(queries, lambda x: [])
    text = compare(ours, {"base A": half, "base B": none})
    mrr = text.split("\n\n")[2].splitlines()
    assert mrr[0].split() == ["kind", "n", "MRR@10", "base", "A", "×", "base", "B", "×"]
    assert mrr[-1].split() == ["overall", "2", "1.000", "0.500", "2.00", "0.000", "—"]


DOCS = [
    IndexDocument("print/offline", "打印机显示脱机", "打印", (), (), "public",
                  "打印机脱机时，检查电源和网线，然后在设置中取消“脱机使用打印机”。", None, "1"),
    IndexDocument("account/reset", "忘记密码怎么办", "账号", (), (), "public",
                  "在自助服务门户重置帐号密码，需要先登记手机号码。", None, "2"),
    IndexDocument("internal/printer-admin", "打印服务器维护", "打印", (), (), "internal",
                  "打印机脱机的服务器端处理步骤，仅限 IT 人员。", None, "3"),
]


@pytest.mark.parametrize("cls", [JiebaBM25, Fts5Trigram])
def test_baselines_rank_by_the_words_and_respect_visibility(cls, tmp_path):
    engine = cls(DOCS, cache_dir=tmp_path)
    assert engine.search("打印机脱机", {"public"})[0] == "print/offline"
    assert "internal/printer-admin" not in engine.search("打印机脱机", {"public"})
    assert "internal/printer-admin" in engine.search("打印机脱机", {"public", "internal"})
    assert engine.search("打印机脱机", set()) == []
    assert engine.search("", {"public"}) == []


@pytest.mark.parametrize("cls", [JiebaBM25, Fts5Trigram])
def test_baselines_are_plain_no_traditional_folding(cls, tmp_path):
    """What our engine adds (Traditional → Simplified) is exactly what a yardstick must not do."""
    engine = cls(DOCS, cache_dir=tmp_path)
    assert engine.search("忘记密码", {"public"})[0] == "account/reset"
    assert engine.search("忘記密碼", {"public"}) == []


def test_fts5_needs_three_characters_per_piece():
    assert Fts5Trigram.match_expression("VPN") == '"VPN"'
    assert Fts5Trigram.match_expression("打印 IP") is None
    assert Fts5Trigram.match_expression('错误"809') == '"809"'  # quotes are split away, never syntax


def test_bm25_counts_are_cached_by_document_content(tmp_path):
    JiebaBM25(DOCS, cache_dir=tmp_path)
    caches = list(tmp_path.glob("bm25-jieba-*.pickle"))
    assert len(caches) == 1
    cached = JiebaBM25(DOCS, cache_dir=tmp_path)
    assert cached.search("重置密码", {"public"})[0] == "account/reset"
    JiebaBM25([DOCS[0], replace(DOCS[1], body="别的内容"), DOCS[2]], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("bm25-jieba-*.pickle"))) == 2


def test_folds_are_stratified_by_kind_deterministic_and_independent_of_the_text():
    queries = [LabelledQuery(query=f"q{i}", expected=("a",), kind=kind, id=f"{kind}-{i}")
               for kind, n in (("keyword", 9), ("code", 6), ("long", 3)) for i in range(n)]
    assign = folds(queries, 3)
    assert set(assign.values()) == {0, 1, 2}
    for kind in ("keyword", "code", "long"):   # every fold gets its share of every kind
        per = [sum(1 for x in queries if x.kind == kind and assign[x] == f) for f in range(3)]
        assert max(per) - min(per) <= 1, (kind, per)
    sizes = [list(assign.values()).count(f) for f in range(3)]
    assert sizes == [6, 6, 6]
    assert folds(list(reversed(queries)), 3) == assign          # order of the files does not matter
    renamed = [replace(x, query=x.query + "（改）") for x in queries]
    assert [folds(renamed, 3)[x] for x in renamed] == [assign[x] for x in queries]   # text does not either


def test_fold_table_gives_each_run_per_fold_and_its_difference_to_the_reference():
    queries = [LabelledQuery(query=f"q{i}", expected=("a",), kind="keyword" if i % 2 else "code", id=f"k-{i}")
               for i in range(8)]
    assign = folds(queries, 2)
    ours = evaluate_ranked(queries, lambda x: ["a"])                        # MRR 1 everywhere
    other = evaluate_ranked(queries, lambda x: ["b", "a"] if assign[x] == 0 else ["a"])  # fold 1: rank 2
    text = fold_table({"当前": ours, "试验1": other}, 2, reference="当前")
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert rows["1"][:6] == ["1", "4", "1.000", "1.000", "0.500", "1.000"] and rows["1"][-1] == "-0.500"
    assert rows["2"][-1] == "+0.000"
    assert rows["mean"][-1] == "-0.250" and rows["min"][-1] == "-0.500"
    assert rows["ahead"][-3:] == ["0/2", "(behind", "1)"]
    assert rows["code"][1:] == ["4", "1.000", "0.750", "-0.250"]


def _ranked_at(ranks: dict):
    """A ranker putting each query's expected document at ``ranks[query text]`` (None: absent)."""
    def ranked(x):
        rank = ranks[x.query]
        return [] if rank is None else ["other"] * (rank - 1) + list(x.expected)
    return ranked


def test_paired_difference_counts_each_query_once_against_the_baseline():
    queries = [q(["a"], text=t, kind=k) for t, k in
               (("q1", "keyword"), ("q2", "keyword"), ("q3", "keyword"), ("q4", "mixed"))]
    ours = evaluate_ranked(queries, _ranked_at({"q1": 1, "q2": 1, "q3": 4, "q4": 1}))
    base = evaluate_ranked(queries, _ranked_at({"q1": 2, "q2": 1, "q3": 1, "q4": None}))

    kw = paired(ours, base, "keyword")
    assert (kw.n, kw.wins, kw.ties, kw.losses) == (3, 1, 1, 1)
    assert kw.delta == pytest.approx((0.5 + 0 - 0.75) / 3)
    assert kw.delta == pytest.approx(ours.by_kind["keyword"].mrr_at_10 - base.by_kind["keyword"].mrr_at_10)
    # the interval lies within what any resample of these three differences can give
    assert -0.75 <= kw.low <= kw.delta <= kw.high <= 0.5
    assert paired(ours, base, "keyword") == kw                     # seeded: the same every run

    everything = paired(ours, base)
    assert (everything.n, everything.wins, everything.ties, everything.losses) == (4, 2, 1, 1)
    assert everything.delta == pytest.approx(ours.overall.mrr_at_10 - base.overall.mrr_at_10)
    assert paired_json(ours, base)["mixed"] == {"n": 1, "delta": 1.0, "low": 1.0, "high": 1.0, "wins": 1,
                                               "ties": 0, "losses": 0, "share_over": 1.0}


def test_paired_difference_of_identical_runs_is_zero_and_certain():
    queries = [q(["a"], text=f"q{i}") for i in range(5)]
    run = evaluate_ranked(queries, _ranked_at({f"q{i}": i + 1 for i in range(5)}))
    d = paired(run, run)
    assert (d.delta, d.low, d.high, d.wins, d.ties, d.losses, d.share_over) == (0, 0, 0, 0, 5, 0, 0)


def test_a_small_kind_gets_a_wide_interval_and_a_large_one_a_narrow_one():
    def runs(n):
        queries = [q(["a"], text=f"q{i}") for i in range(n)]
        ours = evaluate_ranked(queries, _ranked_at({f"q{i}": 1 for i in range(n)}))
        # the baseline: rank 1 for every other query, not found for the rest
        base = evaluate_ranked(queries, _ranked_at({f"q{i}": 1 if i % 2 else None for i in range(n)}))
        return paired(ours, base)

    small, large = runs(10), runs(400)
    assert small.delta == large.delta == 0.5
    assert small.high - small.low > 3 * (large.high - large.low)
    assert large.low > 0.4 and small.low < 0.3


def test_paired_table_lists_every_kind_and_overall_per_baseline():
    queries = [q(["a"], text="q1", kind="campus"), q(["a"], text="q2", kind="mixed")]
    ours = evaluate_ranked(queries, _ranked_at({"q1": 1, "q2": 2}))
    base = evaluate_ranked(queries, _ranked_at({"q1": 1, "q2": 1}))
    lines = paired_table(ours, {"base A": base}).splitlines()
    assert lines[0].split()[:5] == ["kind", "n", "Δ", "MRR@10", "vs"]
    assert [line.split()[0] for line in lines[1:]] == ["campus", "mixed", "overall"]
    assert lines[2].split()[1:4] == ["1", "-0.500", "[-0.500,"] and lines[2].split()[5] == "0/0/1"
