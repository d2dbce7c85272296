"""`kb eval`: our own set on the portal's index, the corpus set on an instance of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

CORPUS_FILES = {
    "net/vpn-809.md": "# VPN 连接错误 809\n\n远程服务器没有响应时，检查防火墙是否放行 UDP 500 和 4500。\n",
    "net/wifi.md": "# 无线网络连不上\n\n忘记网络后重新连接，检查密码。\n",
    "office/activate.md": "# 激活 Office\n\n用工作账号登录 Office 即可激活。\n",
    "ops/admin-only.md": "---\ntitle: 服务器端 VPN 日志\naudience: internal\n---\nVPN 809 的服务器端排查。\n",
}
QUERIES = """\
- {id: q1, query: "VPN 报错 809", expected: [net/vpn-809], kind: code, origin: [net/vpn-809]}
- {id: q2, query: "wifi 连不上", expected: [net/wifi], kind: colloquial, origin: [net/wifi]}
- {id: q3, query: "激活", expected: [office/activate], kind: keyword, origin: [office/activate]}
"""


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "corpus"
    for rel, text in CORPUS_FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    queries = tmp_path / "set" / "tune" / "kinds.yaml"
    queries.parent.mkdir(parents=True)
    queries.write_text(QUERIES, encoding="utf-8")
    return folder, queries


def test_our_own_set_keeps_its_json_keys(synced, runner, tmp_path):
    own = tmp_path / "own.yaml"
    own.write_text('- {query: "VPN 809", expected: [vpn/error-809], kind: code}\n', encoding="utf-8")
    result = runner.invoke(args=["kb", "eval", str(own), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["overall"]["n"] == 1 and body["overall"]["recall@1"] == 1.0
    assert set(body["code"]) == {"n", "recall@1", "recall@5", "mrr@10", "capped_recall@5", "hit@10"}


def test_corpus_set_runs_on_its_own_instance_beside_the_baselines(synced, runner, tmp_path):
    from app.db import session_scope
    from app.models import Article

    folder, queries = _corpus(tmp_path)
    with synced.app_context(), session_scope() as session:
        before = session.scalar(select(func.count()).select_from(Article))

    args = ["kb", "eval", str(queries), "--set", "corpus", "--corpus", str(folder), "--baselines", "--misses"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "正在导入" in result.output  # first run: imported into <instance>/eval/corpus-<hash>
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("kind") and "MRR@10" in line)
    assert header.split() == ["kind", "n", "MRR@10", "jieba+BM25", "×", "FTS5", "trigram", "×"]
    overall = [line for line in lines if line.startswith("overall")]
    assert overall and all(line.split()[1] == "3" for line in overall)

    instances = list((Path(synced.config["KB_INSTANCE_DIR"]) / "eval").glob("corpus-*"))
    assert len(instances) == 1 and (instances[0] / "READY").is_file()
    with synced.app_context(), session_scope() as session:  # the portal's database is untouched
        assert session.scalar(select(func.count()).select_from(Article)) == before

    again = runner.invoke(args=["kb", "eval", str(queries), "--set", "corpus", "--corpus", str(folder), "--json"])
    assert again.exit_code == 0, again.output
    assert "正在导入" not in again.output  # reused
    body = json.loads(again.output[again.output.index("{"):])
    assert body["overall"]["n"] == 3 and body["code"]["mrr@10"] == 1.0


def test_internal_files_of_the_corpus_stay_invisible_to_the_anonymous_set(synced, runner, tmp_path):
    folder, queries = _corpus(tmp_path)
    queries.write_text('- {id: q9, query: "服务器端 VPN 日志", expected: [ops/admin-only], kind: keyword}\n',
                       encoding="utf-8")
    result = runner.invoke(args=["kb", "eval", str(queries), "--set", "corpus", "--corpus", str(folder),
                                 "--baselines", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output[result.output.index("{"):])
    assert {name: body[name]["overall"]["hit@10"] for name in body} == {
        "ours": 0.0, "jieba_bm25": 0.0, "fts5_trigram": 0.0}


def test_half_test2_runs_alone_and_all_lists_it(synced, runner, tmp_path, monkeypatch):
    """test2, the second held-out half (stop 23), is a folder of the set like tune/ and test/."""
    import app.relevance.corpus as corpus

    folder, _ = _corpus(tmp_path)
    halves = tmp_path / "halves"
    for half, line in zip(("tune", "test", "test2"), QUERIES.splitlines()):
        (halves / half).mkdir(parents=True)
        (halves / half / "kinds.yaml").write_text(line + "\n", encoding="utf-8")
    monkeypatch.setattr(corpus, "CORPUS_SET", halves)
    base = ["kb", "eval", "--set", "corpus", "--corpus", str(folder)]

    alone = runner.invoke(args=base + ["--half", "test2", "--json"])
    assert alone.exit_code == 0, alone.output
    body = json.loads(alone.output[alone.output.index("{"):])
    assert body["overall"]["n"] == 1 and set(body) == {"keyword", "overall"}

    every = runner.invoke(args=base + ["--half", "all"])
    assert every.exit_code == 0, every.output
    rows = {" ".join(line.split()[:2]): line.split()[2] for line in every.output.splitlines()
            if line.startswith("overall ") and not line.split()[1][0].isdigit()}
    assert rows == {"overall tune": "1", "overall test": "1", "overall test2": "1"}
    assert "评测集：corpus（all，3 条查询）" in every.output

    held_out = runner.invoke(args=base + ["--half", "held-out"])      # test and test2 together
    assert held_out.exit_code == 0, held_out.output
    rows = {" ".join(line.split()[:2]): line.split()[2] for line in held_out.output.splitlines()
            if line.startswith("overall ") and not line.split()[1][0].isdigit()}
    assert rows == {"overall test": "1", "overall test2": "1"}
    assert "评测集：corpus（held-out，2 条查询）" in held_out.output


def test_bad_options_are_explained(synced, runner, tmp_path):
    result = runner.invoke(args=["kb", "eval", "--half", "test"])
    assert result.exit_code == 2 and "--set corpus" in result.output
    result = runner.invoke(args=["kb", "eval", "--set", "corpus", "--corpus", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "找不到语料文件夹" in result.output


def test_folds_and_variants_compare_ranking_constants_in_one_run(synced, runner, tmp_path):
    import indexer.ranking as ranking

    folder, queries = _corpus(tmp_path)
    before = ranking.PROXIMITY_WEIGHT, dict(ranking.MODELS["search"])
    args = ["kb", "eval", str(queries), "--set", "corpus", "--corpus", str(folder), "--folds", "2",
            "--variant", "ranking.PROXIMITY_WEIGHT=0", "--variant", "ranking.MODELS['search']['title']=(1.0, 0.75)"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "试验1：ranking.PROXIMITY_WEIGHT=0" in result.output and "试验2：" in result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines if line[:1] in "12" and len(line.split()) > 4] == ["1", "2"]
    assert any(line.startswith("ahead") for line in lines)
    assert (ranking.PROXIMITY_WEIGHT, ranking.MODELS["search"]) == before      # restored afterwards

    as_json = runner.invoke(args=args[:7] + ["--folds", "3", "--variant", "ranking.PROXIMITY_WEIGHT=0",
                                             "--baselines", "--json"])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output[as_json.output.index("{"):])
    assert body["folds"] == 3
    assert list(body["runs"]) == ["ours", "ranking.PROXIMITY_WEIGHT=0", "jieba_bm25", "fts5_trigram"]
    ours = body["runs"]["ours"]
    assert [f["n"] for f in ours["by_fold"]] == [1, 1, 1] and ours["overall"]["n"] == 3
    assert ours["by_kind"]["code"]["mrr@10"] == 1.0


@pytest.mark.parametrize("variant", ["ranking.NO_SUCH=1", "os.sep='x'", "ranking.K1=__import__('os')",
                                     "ranking.k1=1", "ranking.MODELS['nope']['title']=(1.0, 0.5)", "K1"])
def test_bad_variants_are_explained_not_raised(synced, runner, tmp_path, variant):
    folder, queries = _corpus(tmp_path)
    result = runner.invoke(args=["kb", "eval", str(queries), "--set", "corpus", "--corpus", str(folder),
                                 "--variant", variant])
    assert result.exit_code == 2, result.output
    assert "--variant" in result.output and "Traceback" not in result.output


def test_misses_of_held_out_queries_are_withheld_when_the_tuning_half_runs_beside_them(synced, runner, tmp_path):
    """`--half all --misses` is what one runs while tuning: it lists the tuning half's misses
    and only counts the held-out ones, so reading misses never exposes the test halves; a
    held-out half run on its own (asked for by name) lists its misses."""
    folder, tune = _corpus(tmp_path)
    tune.write_text(QUERIES + '- {id: t-miss, query: "激活 Office", expected: [net/wifi], kind: keyword}\n',
                    encoding="utf-8")
    held = tmp_path / "set" / "test" / "kinds.yaml"
    held.parent.mkdir(parents=True)
    held.write_text('- {id: h-miss, query: "VPN 809", expected: [office/activate], kind: code}\n'
                    '- {id: h-ok, query: "无线网络", expected: [net/wifi], kind: colloquial}\n', encoding="utf-8")

    both = runner.invoke(args=["kb", "eval", str(tune), str(held), "--set", "corpus", "--corpus", str(folder),
                               "--misses"])
    assert both.exit_code == 0, both.output
    assert "overall tune" in both.output and "overall test" in both.output
    assert "t-miss" in both.output
    assert "h-miss" not in both.output and "VPN 809" not in both.output
    assert "另有 1 条留出集（test、test2）查询未排第一" in both.output

    alone = runner.invoke(args=["kb", "eval", str(held), "--set", "corpus", "--corpus", str(folder), "--misses"])
    assert alone.exit_code == 0, alone.output
    assert "h-miss" in alone.output and "'VPN 809'" in alone.output
    assert "留出集" not in alone.output


def test_paired_comparison_brings_the_baselines_and_an_interval_per_kind(synced, runner, tmp_path):
    folder, queries = _corpus(tmp_path)
    base = ["kb", "eval", str(queries), "--set", "corpus", "--corpus", str(folder)]
    result = runner.invoke(args=[*base, "--paired"])                  # no --baselines needed
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if "Δ MRR@10 vs jieba+BM25" in line)
    rows = lines[lines.index(header) + 1:lines.index(header) + 5]
    assert [row.split()[0] for row in rows] == ["code", "colloquial", "keyword", "overall"]
    assert all(row.split()[1] in {"1", "3"} and "[" in row for row in rows)
    assert any("Δ MRR@10 vs FTS5 trigram" in line for line in lines)

    as_json = runner.invoke(args=[*base, "--paired", "--json"])
    body = json.loads(as_json.output[as_json.output.index("{"):])
    assert set(body["paired"]) == {"jieba_bm25", "fts5_trigram"}
    overall = body["paired"]["jieba_bm25"]["overall"]
    assert overall["n"] == 3 and overall["wins"] + overall["ties"] + overall["losses"] == 3
    assert overall["low"] <= overall["delta"] <= overall["high"]

    wrong = runner.invoke(args=[*base, "--paired", "--folds", "2"])
    assert wrong.exit_code != 0 and "--paired 不能和 --folds、--variant 一起用" in wrong.output
