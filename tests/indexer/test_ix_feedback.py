"""Pseudo-relevance feedback (round 12, ``query.feedback_plan``, ``searching._match``): measured
on the corpus tuning half and left off (``query.FEEDBACK_TERMS = 0``; indexer/README.md,
"Relevance, round 12").  These tests keep the switched-on path honest so the measurement can
be repeated with ``kb eval --variant 'query.FEEDBACK_TERMS=4'``."""
from __future__ import annotations

import pytest

from indexer import SearchEngine, query
from indexer.query import PlanGroup, Plan, feedback_plan, wants_feedback
from ixhelpers import make_doc, slugs

FILLER = "其他说明文字，与问题无关。" * 12


def _plan(*words, kind="word"):
    return Plan([PlanGroup((w,), kind, [((w,), 1.0)], 1.0, 1.0, 2.0) for w in words])


@pytest.fixture
def on(monkeypatch):
    monkeypatch.setattr(query, "FEEDBACK_TERMS", 4)
    monkeypatch.setattr(query, "FEEDBACK_MIN_GROUPS", 4)


def test_feedback_is_for_wordy_queries_without_codes(on):
    assert wants_feedback(_plan("邮件", "末尾", "自动", "名字"))
    assert not wants_feedback(_plan("邮件", "名字", "自动"))            # three words: not wordy
    p = _plan("outlook", "错误", "打开", "失败")
    p.groups[1] = PlanGroup(("0x80070005",), "code", [(("0x80070005",), 1.0)], 1.5, 1.0, 5.0)
    assert not wants_feedback(p)                                        # never for codes


def test_feedback_is_off_unless_it_has_terms(monkeypatch):
    monkeypatch.setattr(query, "FEEDBACK_TERMS", 0)
    assert not wants_feedback(_plan("邮件", "末尾", "自动", "名字"))


def test_feedback_adds_the_words_the_best_pages_share_below_the_query_words(on):
    p = _plan("邮件", "末尾", "自动", "名字")
    pages = [
        (10.0, ["邮件", "签名"], ["签名", "模板", "邮件", "名字", "广告"]),
        (8.0, ["签名", "设置"], ["签名", "模板", "末尾"]),
        (6.0, ["自动", "答复"], ["答复", "邮件", "常见"]),
    ]
    df = {"签名": 30, "模板": 40, "设置": 90, "广告": 5, "答复": 20, "常见": 900}.get
    fp = feedback_plan(p, pages, lambda w: df(w, 50), 1000)
    added = fp.groups[len(p.groups):]
    words = [g.words[0] for g in added]
    assert words[0] == "签名"                      # in the titles of two pages
    assert "模板" in words                         # in two pages' text
    assert "广告" not in words and "答复" not in words   # in one page only
    assert "常见" not in words                     # in too many articles (FEEDBACK_MAX_SHARE)
    assert not set(words) & {"邮件", "末尾", "自动", "名字"}
    assert all(g.cover == 0 for g in added)
    assert added[0].weight == pytest.approx(query.FEEDBACK_WEIGHT)
    assert all(g.weight <= added[0].weight for g in added)
    assert fp.groups[:len(p.groups)] == p.groups and fp.pairs == p.pairs


def test_feedback_lifts_a_page_in_the_vocabulary_of_the_best_pages(tmp_path, monkeypatch):
    """想在邮件末尾自动加上名字: the two best pages say 签名; with feedback the signature
    template page, which shares only 名字 with the query, passes a page that holds 名字 twice
    but is about something else."""
    docs = [
        make_doc("mail/signature", "在邮件末尾自动添加签名",
                 "签名会自动添加到每封邮件末尾，可以写上名字和电话。签名" + FILLER),
        make_doc("mail/signature-web", "网页版邮件签名",
                 "在网页版中设置签名，签名自动出现在新邮件末尾。" + FILLER),
        make_doc("mail/template", "签名模板", "签名模板：名字、部门、电话。签名" + FILLER),
        make_doc("hr/names", "通讯录显示", "通讯录里的名字 显示 名字" + FILLER),
        *[make_doc(f"other/{i}", f"其他文章 {i}", FILLER) for i in range(16)],
    ]
    eng = SearchEngine(tmp_path / "off" / "index", cache_dir=tmp_path / "off")
    eng.rebuild(docs)
    q = "想在邮件末尾自动加上名字"
    off = slugs(eng.search(q))
    eng.close()
    assert off.index("hr/names") < off.index("mail/template")
    monkeypatch.setattr(query, "FEEDBACK_TERMS", 4)
    monkeypatch.setattr(query, "FEEDBACK_DOCS", 2)
    eng = SearchEngine(tmp_path / "on" / "index", cache_dir=tmp_path / "on")
    eng.rebuild(docs)
    r = eng.search(q)
    on = slugs(r)
    assert on[:2] == off[:2]
    assert on.index("mail/template") < on.index("hr/names")
    assert all("签名</mark>" not in h.snippet for h in r.hits)    # feedback words are not marked
    eng.close()


def test_passage_coverage_lifts_the_page_that_answers_in_one_paragraph(tmp_path, monkeypatch):
    """``ranking.PASSAGE_WEIGHT`` (round 12, measured and left off): two pages hold the same
    query words as often; the one holding them within ``PASSAGE_WINDOW`` positions wins."""
    from indexer import ranking

    spread = "。".join(["其他说明文字与问题无关"] * 12)
    docs = [
        make_doc("guide/scattered", "部署指南",
                 "打印机 " + spread + " 队列 " + spread + " 卡住 " + spread + " 清除"),
        make_doc("fix/paragraph", "常见问题",
                 spread + " 打印机 队列 卡住 时 清除 " + spread + "。" + spread),
        *[make_doc(f"other/{i}", f"其他文章 {i}", FILLER) for i in range(8)],
    ]
    q = "打印机 队列 卡住 清除"
    monkeypatch.setattr(ranking, "PASSAGE_WEIGHT", 0.0)
    monkeypatch.setattr(ranking, "PROXIMITY_WEIGHT", 0.0)
    eng = SearchEngine(tmp_path / "off" / "index", cache_dir=tmp_path / "off")
    eng.rebuild(docs)
    off = {h.slug: h.score for h in eng.search(q).hits}
    eng.close()
    monkeypatch.setattr(ranking, "PASSAGE_WEIGHT", 0.3)
    eng = SearchEngine(tmp_path / "on" / "index", cache_dir=tmp_path / "on")
    eng.rebuild(docs)
    on = {h.slug: h.score for h in eng.search(q).hits}
    eng.close()
    assert on["fix/paragraph"] / off["fix/paragraph"] == pytest.approx(1.3, rel=1e-3)
    assert on["guide/scattered"] / off["guide/scattered"] < 1.3 - 0.1


def test_idf_graded_weights_scale_word_groups_by_their_idf(monkeypatch):
    """``query.IDF_GRADE_EXP`` (round 12, measured both ways and left off): in a query of at
    least ``IDF_GRADE_FROM`` informative groups a word group weighs (idf / largest idf) ** exp."""
    from indexer.query import Group, plan

    words = ["打印机", "队列", "卡住", "清除", "设置"]
    df = {"打印机": 40, "队列": 30, "卡住": 20, "清除": 100, "设置": 800}
    groups = [Group((w,), "word", [((w,), 1.0)]) for w in words]
    monkeypatch.setattr(query, "IDF_GRADE_EXP", 0.0)
    flat = plan(groups, lambda w: df.get(w, 0), 4000)
    assert [g.weight for g in flat.groups] == [1.0] * 5
    monkeypatch.setattr(query, "IDF_GRADE_EXP", 1.0)
    monkeypatch.setattr(query, "IDF_GRADE_FROM", 5)
    graded = plan(groups, lambda w: df.get(w, 0), 4000)
    top = max(g.idf for g in graded.groups)
    assert [g.weight for g in graded.groups] == pytest.approx([g.idf / top for g in graded.groups])
    assert graded.groups[2].weight == pytest.approx(1.0) and graded.groups[4].weight < 0.5
    monkeypatch.setattr(query, "IDF_GRADE_FROM", 6)               # fewer groups: untouched
    assert [g.weight for g in plan(groups, lambda w: df.get(w, 0), 4000).groups] == [1.0] * 5


def test_near_duplicate_titles_make_room_for_other_pages(tmp_path, monkeypatch):
    """``query.DIVERSIFY`` (round 12, measured and left off): a copy of a better page (the same
    title words) is demoted below a different page; the first page keeps its place."""
    docs = [
        make_doc("a/reset", "重置 Outlook 密码", "重置 outlook 密码 的步骤，重置 密码 后重新登录。" + FILLER),
        make_doc("a/reset-tw", "重置 Outlook 密码", "重置 outlook 密码 的步骤，重置 密码 后登录。" + FILLER),
        make_doc("b/forgot", "Outlook 忘记密码", "忘记 密码 时 outlook 可以 重置 密码。" + FILLER),
        *[make_doc(f"other/{i}", f"其他文章 {i}", FILLER) for i in range(6)],
    ]
    q = "outlook 重置 密码"
    eng = SearchEngine(tmp_path / "off" / "index", cache_dir=tmp_path / "off")
    eng.rebuild(docs)
    off = slugs(eng.search(q))
    eng.close()
    assert off.index("a/reset-tw") < off.index("b/forgot")
    monkeypatch.setattr(query, "DIVERSIFY", 0.5)
    eng = SearchEngine(tmp_path / "on" / "index", cache_dir=tmp_path / "on")
    eng.rebuild(docs)
    on = slugs(eng.search(q))
    eng.close()
    assert on[0] == off[0]
    assert on.index("b/forgot") < on.index("a/reset-tw")
