"""Loading Markdown files: every broken file is reported with its reason, the rest load."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.loader import ArticleFormatError, load_tree, parse_article


def parse(text: str | bytes, rel: str = "vpn/error-809.md"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_article(data, rel)


def test_front_matter_fields_are_read():
    article = parse(
        "---\ntitle: 标题\nslug: custom/slug\ncategory: 网络与 Wi-Fi\ntags: [VPN, L2TP]\n"
        "error_codes: [809, '0x80070005']\naudience: internal\nstatus: draft\nupdated: 2026-11-01\n---\n正文"
    )
    assert article.title == "标题"
    assert article.slug == "custom/slug"
    assert article.category == "网络与 Wi-Fi"
    assert article.tags == ("VPN", "L2TP")
    assert article.error_codes == ("809", "0x80070005")
    assert (article.audience, article.status) == ("internal", "draft")
    assert article.updated == dt.date(2026, 11, 1)


def test_file_without_front_matter_is_a_public_published_article():
    article = parse("# 打印机脱机怎么办\n\n重启服务。", rel="printing/offline.md")
    assert article.title == "打印机脱机怎么办"
    assert article.slug == "printing/offline"
    assert article.category == "printing"
    assert (article.audience, article.status) == ("public", "published")


def test_title_falls_back_to_file_name():
    assert parse("只有正文。", rel="misc/how-to.md").title == "how-to"


def test_content_hash_changes_with_content():
    assert parse("# a\nx").content_hash != parse("# a\ny").content_hash


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"---\ntitle: [unclosed\n---\nbody", "YAML"),
        (b"---\naudience: secret\n---\n# t\nbody", "audience"),
        (b"---\nstatus: live\n---\n# t\nbody", "status"),
        (b"---\nupdated: 2026-13-45\n---\n# t\nbody", "日期"),
        (b"---\nupdated: yesterday\n---\n# t\nbody", "日期"),
        ("# 标题\n正文".encode("gbk"), "UTF-8"),
        (b"", "为空"),
        (b"  \n\t\n", "为空"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "二进制"),
        (b"# t\n" + b"x" * 1_000_001, "过大"),
        (b"---\ntitle: t\n", "结束"),
        (b"---\n- a\n- b\n---\nbody", "映射"),
        (b"---\ntags: {a: 1}\n---\n# t\nbody", "tags"),
        (b"---\nslug: ../../etc/passwd\n---\n# t\nbody", "slug"),
    ],
)
def test_broken_files_are_rejected_with_a_reason(data, reason):
    with pytest.raises(ArticleFormatError) as exc:
        parse(data)
    assert reason in str(exc.value)


def test_load_tree_reports_each_broken_file_and_loads_the_rest(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "good.md").write_text("# 好文章\n内容", encoding="utf-8")
    (tmp_path / "a" / "bad.md").write_text("---\naudience: everyone\n---\n# x", encoding="utf-8")
    (tmp_path / "b.md").write_bytes(b"\xff\xfe\x00b\x00a\x00d")
    (tmp_path / "dup.md").write_text("---\nslug: a/good\n---\n# 重复", encoding="utf-8")
    (tmp_path / "README.md").write_text("# 写作指南", encoding="utf-8")
    (tmp_path / ".hidden.md").write_text("# hidden", encoding="utf-8")

    result = load_tree(tmp_path)

    assert [a.slug for a in result.articles] == ["a/good"]
    errors = {e.path.rsplit("/", 1)[-1]: e.error for e in result.errors}
    assert {"bad.md", "b.md"} < set(errors) and len(errors) == 3
    duplicate = (set(errors) - {"bad.md", "b.md"}).pop()
    other = ({"good.md", "dup.md"} - {duplicate}).pop()
    assert "重复" in errors[duplicate] and other in errors[duplicate]
    assert "audience" in errors["bad.md"] and "UTF-8" in errors["b.md"] or "二进制" in errors["b.md"]


def test_slug_from_a_file_name_with_spaces_and_quotes_is_made_url_safe():
    article = parse("# 标题\n正文", rel="teams/cant-access-user data's.md")
    assert article.slug == "teams/cant-access-user-datas"


def test_an_explicit_bad_slug_is_still_rejected():
    with pytest.raises(ArticleFormatError):
        parse("---\nslug: has space\n---\n# t\nbody")
