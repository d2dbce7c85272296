"""Search behaviour as users and agents see it."""
from __future__ import annotations

import time

import pytest
from whoosh import query as wq

from ixhelpers import STAFF, make_doc, slugs


@pytest.mark.parametrize("typed", ["0x80070005", "0X80070005", "80070005", "０ｘ８００７０００５"])
def test_hex_code_in_any_form_finds_the_article(engine, typed):
    assert slugs(engine.search(typed))[0] == "windows/update-0x80070005"


@pytest.mark.parametrize("typed", ["错误809", "错误 809", "809错误", "809", "VPN 错误 809", "vpn 809"])
def test_numeric_code_in_any_form_finds_the_article(engine, typed):
    assert slugs(engine.search(typed))[0] == "vpn/error-809"


@pytest.mark.parametrize("typed, slug", [
    ("error 691", "vpn/error-691"),
    ("KB5034441", "windows/update-0x80070005"),
    ("kb5034441", "windows/update-0x80070005"),
    ("ERR_CONNECTION_RESET", "browser/connection-reset"),
    ("err_connection_reset", "browser/connection-reset"),
    ("554 5.2.2", "mail/outlook-send"),
    ("5.2.2", "mail/outlook-send"),
    ("5.7.1", "mail/outlook-send"),
    ("30068-39", "office/activation-30068"),
    ("0x7B", "windows/bsod"),
    ("0x0000007b", "windows/bsod"),
])
def test_other_code_forms(engine, typed, slug):
    assert slugs(engine.search(typed))[0] == slug


def test_parts_of_an_error_symbol_are_searchable(engine):
    assert "browser/connection-reset" in slugs(engine.search("connection reset"))


def test_codes_in_the_body_count(fresh):
    fresh.update([make_doc("x/body-code", "某个问题", "安装时报错 0x800f081f，请重试。")])
    assert slugs(fresh.search("0x800F081F")) == ["x/body-code"]


def test_front_matter_code_outranks_a_code_mentioned_in_passing(fresh):
    fresh.update([make_doc("x/mention", "VPN 常见问题汇总", "偶尔也会看到错误 691。" + "其他内容。" * 30)])
    assert slugs(fresh.search("691"))[0] == "vpn/error-691"


def test_prose_numbers_do_not_match_as_codes(engine):
    # 8000 and 2026 appear in the body of vpn/client-install as prose, not as codes
    r = engine.search("8000")
    assert slugs(r) == ["vpn/client-install"]
    assert r.hits[0].score < engine.search("809").hits[0].score


def test_fullwidth_query(engine):
    assert slugs(engine.search("ＶＰＮ　客户端"))[0] == "vpn/client-install"
    assert slugs(engine.search("ＯＵＴＬＯＯＫ 配置文件"))[0] == "mail/outlook-profile"


def test_traditional_chinese_query(engine):
    assert slugs(engine.search("忘記密碼"))[0] == "account/password-reset"
    assert "account/mfa" in slugs(engine.search("開啟兩步驗證"))


def test_title_outweighs_body(engine):
    r = engine.search("两步验证")
    assert slugs(r)[0] == "account/mfa"


def test_phrase_query_works_thanks_to_sequential_positions(engine):
    with engine._gen.ix.searcher() as s:
        # "提示 error 691 表示用户名或密码不正确": the code is one token, 或 is a stop word
        assert s.search(wq.Phrase("body", ["提示", "691", "表示", "用户名"]), limit=5).scored_length() == 1
        assert s.search(wq.Phrase("body", ["用户名", "密码"]), limit=5).scored_length() == 1
        assert s.search(wq.Phrase("body", ["新", "口令", "重新", "登录"]), limit=5).scored_length() == 1
        assert s.search(wq.Phrase("body", ["表示", "691"]), limit=5).scored_length() == 0


def test_no_stemming_in_the_index(engine):
    with engine._gen.ix.searcher() as s:
        assert s.search(wq.Term("title", "office"), limit=5).scored_length() == 1
        assert s.search(wq.Prefix("title", "office"), limit=5).scored_length() == 1
        assert s.search(wq.Term("title", "offic"), limit=5).scored_length() == 0


def test_synonyms_expand_queries(engine):
    assert "account/password-reset" in slugs(engine.search("password"))
    assert "account/password-reset" in slugs(engine.search("口令 重置"))
    assert "network/wifi" in slugs(engine.search("wlan"))
    assert "windows/bsod" in slugs(engine.search("bsod"))
    assert "printer/paper-jam" in slugs(engine.search("印表機 卡纸"))


def test_synonyms_weigh_less_than_the_word_itself(fresh):
    fresh.update([make_doc("x/kouling", "口令说明", "口令的规则。")])
    r = fresh.search("口令")
    assert slugs(r)[0] == "x/kouling"
    assert "account/password-reset" in slugs(r)


def test_extra_synonyms_file_is_read_and_reloaded(tmp_path, docs):
    from indexer import SearchEngine

    extra = tmp_path / "synonyms.txt"
    extra.write_text("纸张 稿纸\n", "utf-8")
    eng = SearchEngine(tmp_path / "index", extra_synonyms=extra)
    eng.synonyms.recheck_seconds = 0
    eng.rebuild(docs)
    assert "printer/paper-jam" in slugs(eng.search("稿纸"))
    extra.write_text("纸张 稿纸\n共享盘 文件服务器\n", "utf-8")
    time.sleep(0.01)
    assert "share/drive" in slugs(eng.search("文件服务器"))
    eng.close()


def test_pages_with_every_word_come_first_then_pages_with_some(engine):
    r = engine.search("vpn 客户端")   # both words in two articles, "vpn" alone in others
    assert not r.relaxed and set(slugs(r)[:2]) == {"vpn/client-install", "vpn/error-809"}
    assert "vpn/error-691" in slugs(r)[2:]
    r = engine.search("安装 vpn 客户端")
    assert not r.relaxed and slugs(r)[0] == "vpn/client-install"
    r = engine.search("打印机 蓝屏")  # no article has both: relaxed
    assert r.relaxed
    assert {"printer/paper-jam", "windows/bsod"} <= set(slugs(r))


def test_no_and_then_or_cliff(fresh):
    """All words matching only an unrelated page no longer hides the pages about the need."""
    fresh.update([make_doc("x/unrelated", "报销流程", "出差报销时 VPN 和打印机都不用管。")])
    r = fresh.search("打印机 vpn")
    assert "x/unrelated" in slugs(r)            # the only page with both words is found …
    assert {"printer/paper-jam", "vpn/error-809", "vpn/client-install"} <= set(slugs(r))   # … not alone


def test_words_found_nowhere_are_ignored(engine):
    r = engine.search("打印机 卡纸 鑫淼犇 变更")
    assert not r.relaxed and slugs(r)[0] == "printer/paper-jam"


def test_typo_tolerance(engine):
    r = engine.search("outlok")
    assert r.corrected and r.did_you_mean == "outlook"
    assert set(slugs(r)) == {"mail/outlook-send", "mail/outlook-profile"}


def test_typo_tolerance_only_when_nothing_matches(engine):
    r = engine.search("outlook")
    assert not r.corrected and r.did_you_mean is None


def test_did_you_mean_never_comes_from_bodies(fresh):
    # "configurator" exists only in a body; a typo of it must not be "corrected" to it
    fresh.update([make_doc("x/body-word", "某个标题", "这里提到 configurator 一次。")])
    r = fresh.search("configuratr")
    assert r.did_you_mean is None and not r.corrected and r.total == 0
    # the same word in a title is a candidate
    fresh.update([make_doc("x/title-word", "Configurator 使用说明", "说明。")])
    r = fresh.search("configuratr")
    assert r.did_you_mean == "configurator"


class TestInternalArticlesStayInternal:
    def test_not_found_not_counted(self, engine):
        r = engine.search("zorbix")
        assert r.total == 0 and r.hits == [] and r.facets == {}
        r = engine.search("809")
        assert slugs(r) == ["vpn/error-809"] and r.total == 1
        assert "内部运维" not in r.facets

    def test_staff_see_them(self, engine):
        r = engine.search("zorbix", audiences=STAFF)
        assert slugs(r) == ["internal/zorbix-runbook"]
        r = engine.search("809", audiences=STAFF)
        assert r.total == 2 and r.facets.get("内部运维") == 1

    def test_no_did_you_mean_from_internal_titles(self, engine):
        r = engine.search("zorbex")
        assert r.did_you_mean is None and r.total == 0
        assert engine.search("zorbex", audiences=STAFF).did_you_mean == "zorbix"

    def test_not_suggested(self, engine):
        assert engine.suggest("zorb").hits == []
        assert slugs(engine.suggest("zorb", audiences=STAFF)) == ["internal/zorbix-runbook"]

    def test_not_in_snippets_or_relaxed_totals(self, engine):
        r = engine.search("outlook 维护窗口")  # words of the internal body
        assert all(h.audience == "public" for h in r.hits)
        assert "周六" not in "".join(h.snippet for h in r.hits)
        assert r.total == sum(r.facets.values())

    def test_no_audience_no_results(self, engine):
        assert engine.search("vpn", audiences=frozenset()).total == 0


def test_facets_count_categories_and_category_filter(engine):
    r = engine.search("vpn")
    assert r.facets["VPN 与远程访问"] == 3
    r2 = engine.search("域账号", category="账号与密码")
    assert slugs(r2)[0] == "account/password-reset"
    assert all(h.category == "账号与密码" for h in r2.hits) and r2.total == len(r2.hits)
    assert r2.facets.get("VPN 与远程访问", 0) >= 1   # facets ignore the filter


def test_pagination(engine):
    r1 = engine.search("vpn", per_page=2, page=1)
    r2 = engine.search("vpn", per_page=2, page=2)
    assert r1.total == r2.total == 3
    assert len(r1.hits) == 2 and len(r2.hits) == 1
    assert not set(slugs(r1)) & set(slugs(r2))


def test_snippet_highlights_and_escapes(fresh):
    fresh.update([make_doc("x/html", "脚本注入测试", "提示 `<script>alert(1)</script>` 然后 VPN 断开，a < b & c。")])
    snip = fresh.search("VPN 断开").hits[0].snippet
    assert "<mark>VPN</mark>" in snip and "<mark>断开</mark>" in snip
    assert "<script>" not in snip and "&lt;script&gt;" in snip and "a &lt; b &amp; c" in snip


def test_snippet_is_chinese_aware_and_bounded(fresh):
    body = "无关的开头。" * 40 + "如果打印机卡纸，请打开前盖。" + "无关的结尾。" * 40
    fresh.update([make_doc("x/long", "很长的文章", body)])
    hit = next(h for h in fresh.search("卡纸 前盖").hits if h.slug == "x/long")
    snip = hit.snippet
    assert "<mark>卡纸</mark>" in snip and "<mark>前盖</mark>" in snip
    plain = snip.replace("<mark>", "").replace("</mark>", "")
    assert 40 <= len(plain) <= 140


def test_snippet_marks_words_not_lone_characters_split_off_them(fresh):
    # 连不上 and 打印机 are matched through their parts; a lone 上 or 机 would light up in
    # 「Windows 上」 and 「一体机」, which have nothing to do with the question
    fresh.update([make_doc("x/chars", "VPN 连不上怎么办",
                           "在 Windows 上打开设置。如果热点下能连上，换网络。一体机在三楼，打印机脱机时重启。")])
    for q, wanted, lone in (("vpn 连不上", "<mark>连上</mark>", "Windows <mark>上"),
                            ("打印机脱机", "<mark>打印机", "一体<mark>机")):
        hit = next(h for h in fresh.search(q).hits if h.slug == "x/chars")
        assert wanted in hit.snippet and lone not in hit.snippet, (q, hit.snippet)


def test_a_long_description_marks_lone_characters_only_with_their_neighbours(fresh):
    # the segmenter leaves 弹 出 框 and 没 用 on their own in this description: 用 and 出 alone
    # would light up in 使用 and 出现; together they still mark 弹出 and 没用
    fresh.update([make_doc("x/popup", "Outlook 一直弹出密码框",
                           "使用 Outlook 时出现密码框。每次打开都弹出，输入了也没用。")])
    q = "outlook老是让我输入密码 每次打开都弹出密码框，输入了也没用"
    snip = next(h for h in fresh.search(q).hits if h.slug == "x/popup").snippet
    assert "<mark>弹出" in snip and "<mark>没用</mark>" in snip, snip
    assert "<mark>用</mark>" not in snip and "<mark>出</mark>" not in snip, snip
    # a short query keeps the character the user typed on purpose
    fresh.update([make_doc("x/lock", "账号被锁定怎么办", "账号多次输错密码后会被锁定 30 分钟。")])
    snip = next(h for h in fresh.search("账号被锁").hits if h.slug == "x/lock").snippet
    assert "<mark>锁</mark>定" in snip, snip


def test_markdown_is_stripped_from_snippets(engine):
    snip = engine.search("错误 809").hits[0].snippet
    assert "**" not in snip and "#" not in snip


def test_signals_hook_reorders(engine):
    base = slugs(engine.search("outlook"))
    assert len(base) == 2
    boosted = slugs(engine.search("outlook", signals={base[1]: 1.3, base[0]: 0.7}))
    assert boosted == [base[1], base[0]]
    # bad values are ignored, not fatal
    assert slugs(engine.search("outlook", signals={base[0]: float("nan"), "x": "bad"})) == base


HOSTILE = [
    '"', '""', '"vpn', "vpn AND", "AND OR NOT", "NOT vpn", "vpn OR", "*", "vpn*", "?", "title:",
    "title:vpn", "[a TO z]", "{a TO z}", "(((", ")))", "([{<>}])", "\\", "vpn~2", "^3", "a" * 10_000,
    "错误" * 5_000, "😀🔥💻", "\x00\x01\x02", "\u200b\u202e", "", "   ", "\ud800", "%s%n", "'; DROP TABLE",
    "<script>alert(1)</script>", "1" * 3000, "0x" + "f" * 5000, "_" * 500, "a_" * 800, "-" * 900,
    ".".join(["1"] * 800), "错误 " + "8" * 300, "vpn " * 2000,
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_raise(engine, q):
    r = engine.search(q)
    s = engine.suggest(q)
    assert r.total >= 0 and isinstance(r.hits, list) and isinstance(s.hits, list)


def test_non_string_query_is_harmless(engine):
    assert engine.search(None).total == 0
    assert engine.suggest(12345).hits == []


def test_results_as_dict(engine):
    d = engine.search("vpn").as_dict()
    assert {"query", "total", "took_ms", "results"} <= d.keys()
    assert {"slug", "title", "category", "snippet", "error_codes", "score"} <= d["results"][0].keys()


def test_field_weights_title_codes_tags_headings_body(tmp_path):
    from indexer import SearchEngine

    filler = "其他说明文字。" * 20
    eng = SearchEngine(tmp_path / "index")
    eng.rebuild([
        make_doc("w/body", "甲文章", filler + "正文提到 hydra 一次。"),
        make_doc("w/heading", "乙文章", "## hydra 设置\n" + filler),
        make_doc("w/tag", "丙文章", filler, tags=("hydra",)),
        make_doc("w/title", "hydra 入门", filler),
        make_doc("c/body", "丁文章", filler + "报错 0x8BADF00D。"),
        make_doc("c/fm", "戊文章", filler, codes=("0x8badf00d",)),
        make_doc("c/title", "0x8BADF00D 是什么", filler),
    ])
    assert slugs(eng.search("hydra")) == ["w/title", "w/tag", "w/heading", "w/body"]
    assert slugs(eng.search("0x8badf00d")) == ["c/title", "c/fm", "c/body"]
    eng.close()
