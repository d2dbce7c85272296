"""Normalisation and error-code recognition: what a user types becomes the index's token."""
from __future__ import annotations

import pytest

from indexer.analysis import SEP, CodesAnalyzer, tokens, words
from indexer.text import normalise
from ixhelpers import CORPUS


def test_normalise_fullwidth_traditional_and_case():
    assert normalise("ＶＰＮ１２３") == "vpn123"
    assert normalise("帳號密碼") == "帐号密码"
    assert normalise("印表機") == "印表机"
    assert normalise("Outlook") == "outlook"


def test_t2s_does_not_rewrite_simplified_words():
    # tw2sp would turn 驱动程序 into 驱动进程; t2s must not
    assert normalise("驱动程序") == "驱动程序"


def test_normalise_removes_control_characters():
    assert normalise("vp\x00n\u200b") == "vp n "


@pytest.mark.parametrize("typed, token", [
    ("0x80070005", "0x80070005"),
    ("0X80070005", "0x80070005"),
    ("80070005", "80070005"),
    ("错误809", "809"),
    ("错误 809", "809"),
    ("809错误", "809"),
    ("错误代码：809", "809"),
    ("error 691", "691"),
    ("Error Code 1603", "1603"),
    ("KB5034441", "kb5034441"),
    ("kb5034441", "kb5034441"),
    ("ERR_CONNECTION_RESET", "err_connection_reset"),
    ("err_connection_reset", "err_connection_reset"),
    ("554 5.2.2", "554 5.2.2"),
    ("30068-39", "30068-39"),
    ("5.7.1", "5.7.1"),
    ("０ｘ８００７０００５", "0x80070005"),
])
def test_every_code_form_is_one_token(typed, token):
    assert words(typed) == [token]


def test_hex_with_and_without_prefix_share_a_token():
    a = {t.text for t in tokens("0x80070005")}
    b = {t.text for t in tokens("80070005")}
    assert {"0x80070005", "80070005"} <= a
    assert {"0x80070005", "80070005"} <= b


def test_padded_bugcheck_code_also_gives_short_form():
    assert {"0x0000007b", "0000007b", "0x7b"} <= {t.text for t in tokens("0x0000007B")}


def test_error_symbol_also_indexes_its_parts_at_the_same_position():
    toks = tokens("ERR_CONNECTION_RESET", subwords=True)
    assert {t.text for t in toks} >= {"err_connection_reset", "connection", "reset"}
    assert {t.pos for t in toks} == {0}


def test_smtp_code_indexes_enhanced_status_as_variant():
    toks = {t.text for t in tokens("554 5.2.2", subwords=True)}
    assert {"554 5.2.2", "5.2.2", "554"} <= toks


def test_codes_inside_chinese_sentences():
    assert words("VPN连接提示错误809怎么办") == ["vpn", "连接", "提示", "809"]


def _body_codes(text):
    return [t.text for t in CodesAnalyzer()(SEP + text)]


def test_plain_numbers_in_prose_do_not_become_body_codes():
    body = "端口 8000 需要放行，2026 年起使用新版 3.11.2，共 500 人，电话 0755-1234，2026-11-01 更新。"
    assert _body_codes(body) == []


def test_strong_codes_in_body_are_kept():
    body = ("提示错误 809。报错 0x80070005，安装 KB5034441。Chrome 显示 ERR_CONNECTION_RESET，"
            "退信 554 5.2.2，NDR 5.7.1，Office 错误代码 30068-39。")
    got = set(_body_codes(body))
    assert {"809", "0x80070005", "kb5034441", "err_connection_reset", "554 5.2.2", "5.7.1",
            "30068-39"} <= got


def test_lowercase_snake_case_in_body_is_not_a_code():
    assert _body_codes("变量 user_name 和 max_size") == []


def test_front_matter_codes_are_always_codes():
    toks = [t.text for t in CodesAnalyzer()("809\n0x80070005\nEvent 4625" + SEP)]
    assert "809" in toks and "0x80070005" in toks and "80070005" in toks and "4625" in toks


def test_positions_are_sequential_and_stop_words_leave_no_gap():
    toks = [t for t in tokens("我的 VPN 连接 失败 了", subwords=True) if t.kind == "word"]
    assert [t.text for t in toks] == ["vpn", "连接", "失败"]
    assert [t.pos for t in toks] == [0, 1, 2]


def test_subwords_share_the_position_of_their_word():
    toks = tokens("开启两步验证", subwords=True)
    pos = {t.text: t.pos for t in toks}
    assert pos["两步验证"] == pos["验证"] == pos["两步"] == 1


def test_no_stemming():
    assert words("offices office running") == ["offices", "office", "running"]


def test_user_dictionary_terms_stay_whole():
    for term in ("两步验证", "打印机", "蓝屏", "域账号", "共享盘", "软件中心", "wi-fi", "outlook", "vpn"):
        assert words(term) == [term], term


def test_admonition_markers_never_reach_the_text_of_snippets():
    from indexer.plaintext import markdown_to_text

    text, _ = markdown_to_text('连上后仍然失败\n\n!!! note "提示"\n    如果错误代码变了，说明问题在网络\n\n'
                               '!!! warning\n    不要删除证书\n\n??? tip "小技巧"\n    按 Win+R')
    assert "!!!" not in text and "???" not in text and "note" not in text and "warning" not in text
    assert text.split("\n") == ["连上后仍然失败", "", "提示", "如果错误代码变了，说明问题在网络", "",
                                "不要删除证书", "", "小技巧", "按 Win+R"]


def test_the_library_has_no_markdown_syntax_left_in_its_snippets():
    from pathlib import Path

    from indexer.loader import load_tree
    from indexer.plaintext import markdown_to_text

    loaded = load_tree(Path(__file__).resolve().parents[2] / "articles")
    assert len(loaded.articles) > 100 and not loaded.errors
    for doc in loaded.articles:
        text, _ = markdown_to_text(doc.body)
        for marker in ("!!! ", "??? ", "](", "```"):
            assert marker not in text, (doc.slug, marker)


def test_heading_anchor_ids_are_indexed_as_the_headings_source_language_name():
    """A translated page keeps each heading's English anchor id (``<a name="using-a-shared-
    mailbox">``); its words are body tokens after the text (weight ``ANCHOR_BOOST``), never in
    the stored text that snippets show."""
    import datetime

    from indexer.analysis import ANCHOR_BOOST, BodyAnalyzer
    from indexer.documents import IndexDocument, to_fields
    from indexer.plaintext import heading_anchors

    md = ('# <a name="using-a-shared-mailbox-on-a-mobile-device"></a>在移动设备上使用共享邮箱\n\n'
          '正文 <a name="not-a-heading"></a>\n\n## 步骤 {#add_it}\n\n## <a id="_toc12"></a>目录\n')
    assert heading_anchors(md) == ["using a shared mailbox on a mobile device", "add it"]
    assert heading_anchors("# 标题\n\n正文") == []
    doc = IndexDocument("s", "在移动设备上使用共享邮箱", "c", (), (), "public", md,
                        datetime.date(2026, 1, 1), "h")
    fields = to_fields(doc)
    assert "shared" not in fields["stored_text"] and "mailbox" not in fields["stored_text"]
    toks: dict[str, float] = {}
    for t in BodyAnalyzer()(fields["body"], boosts=True):
        toks[t.text] = max(toks.get(t.text, 0.0), t.boost)
    assert toks["shared"] == ANCHOR_BOOST and toks["mailbox"] == ANCHOR_BOOST
    assert "not" not in toks and "heading" not in toks      # an anchor outside a heading
    assert toks["共享"] > ANCHOR_BOOST                        # the heading itself still weighs more


def test_link_targets_words_are_body_tokens_without_ids_images_or_fragments():
    from indexer.analysis import LINK_BOOST, BodyAnalyzer
    from indexer.documents import IndexDocument, to_fields
    from indexer.plaintext import link_words

    md = ("见[Outlook 移动版](https://support.office.com/article/Add-a-shared-mailbox-to-Outlook-mobile-"
          "f866242c-81b2-472e-8776-6c49c5473c9f)和[设置](/intune/vpn-settings-windows-10.md)。\n\n"
          "![截图](./media/ScreenShot-01.png) [顶部](#top) [单词](x)")
    assert link_words(md) == ["Add a shared mailbox to Outlook mobile", "vpn settings windows 10"]
    doc = IndexDocument("s", "标题", "c", (), (), "public", md, None, "h")
    fields = to_fields(doc)
    assert "mailbox" not in fields["stored_text"]
    toks: dict[str, float] = {}
    for t in BodyAnalyzer()(fields["body"], boosts=True):
        toks[t.text] = max(toks.get(t.text, 0.0), t.boost)
    assert toks["mailbox"] == LINK_BOOST and "intune" not in toks   # the last path segment only
    assert "screenshot" not in toks and "f866242c" not in toks and "81b2" not in toks


def _spans(matches):
    return [(m.span(), m.lastgroup, m.groups()) for m in matches]


@pytest.mark.parametrize("low", [
    "故障码 1603", "故障码：80070005", "状态码 550", "报错代码 0x1", "代码 1603", "错误码 809",
    "a0x1f", "0x1f", "x0x1f", "_kb5034441", "kb5034441", "akb5034441",
    "5error", "aerror 691", "error code 1603", "xcode 1234", "_code 1234",
    "ccddeeff", "xccddeeff", "8ccddeef", "err_connection_reset", "x_err_reset",
    "554 5.2.2", "1554 5.2.2", "١٢٣ error", "v1.2.3", "1.2.3.4", "30068-39", "-30068-39",
])
def test_code_matches_are_finditers(low):
    """``code_matches`` tries ``CODE_RE`` only where a match can start (issue 15): the same
    matches, lookbehinds looking before the start included."""
    from indexer.codes import CODE_RE, code_matches

    assert _spans(code_matches(low)) == _spans(CODE_RE.finditer(low))


def test_code_matches_are_finditers_on_random_text_of_the_patterns_characters():
    """Random text over every character the pattern names (and Unicode digits, CJK, space):
    a new alternative of ``CODE_RE`` that starts elsewhere than ``_START`` says fails here."""
    import random
    import string

    from indexer.codes import CODE_RE, code_matches

    alphabet = sorted(set(CODE_RE.pattern) - set("()[]{}?<>!=*+|\\^$") | set(string.digits)
                      | set("٣३ 　中文错误报代码状态故障码：.-_ \t\n"))
    rnd = random.Random(15)
    for _ in range(30000):
        low = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 24)))
        assert _spans(code_matches(low)) == _spans(CODE_RE.finditer(low)), low


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_code_matches_are_finditers_on_real_articles():
    from indexer.codes import CODE_RE, code_matches

    files = sorted(p for p in CORPUS.rglob("*.md") if p.name != "SOURCE.md")
    assert files
    found = 0
    for p in files[::7]:
        low = normalise(p.read_text("utf-8"))
        got = _spans(code_matches(low))
        assert got == _spans(CODE_RE.finditer(low)), p
        found += len(got)
    assert found > 1000
