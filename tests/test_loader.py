"""Loading Markdown files: every broken file is reported with its reason, the rest load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer.loader import ArticleFormatError, load_tree, parse_article, parse_audience_map
from tests.conftest import SHARED


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
        (b"---\naudience: {a: 1}\n---\n# t\nbody", "audience"),
        (b"---\nstatus: [live]\n---\n# t\nbody", "status"),
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
    (tmp_path / "a" / "bad.md").write_text("---\naudience: [[everyone]]\n---\n# x", encoding="utf-8")
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


# --- Foreign front matter: never costs the file ---------------------------------------------


@pytest.mark.parametrize("value", ["Admin", "ITPro", "itpro", "secret", "Everyone", "Employees"])
def test_an_unknown_audience_imports_as_internal_with_a_warning(value):
    article = parse(f"---\naudience: {value}\n---\n# t\nbody")
    assert article.audience == "internal"
    (warning,) = article.warnings
    assert value in warning and "internal" in warning and "--audience-map" in warning


def test_the_audience_map_says_what_a_foreign_value_means():
    mapping = parse_audience_map("Admin=internal, Everyone=PUBLIC")
    assert mapping == {"admin": "internal", "everyone": "public"}
    everyone = parse_article(b"---\naudience: everyone\n---\n# t\nbody", "a.md", audience_map=mapping)
    admin = parse_article(b"---\naudience: ADMIN\n---\n# t\nbody", "a.md", audience_map=mapping)
    assert (everyone.audience, everyone.warnings) == ("public", ())
    assert (admin.audience, admin.warnings) == ("internal", ())


def test_a_list_of_audiences_is_public_only_if_every_value_is():
    mapping = {"everyone": "public"}
    both = parse_article(b"---\naudience: [Everyone, public]\n---\n# t\nb", "a.md", audience_map=mapping)
    mixed = parse_article(b"---\naudience: [Everyone, Admin]\n---\n# t\nb", "a.md", audience_map=mapping)
    assert both.audience == "public" and mixed.audience == "internal"
    assert len(mixed.warnings) == 1 and "Admin" in mixed.warnings[0]


@pytest.mark.parametrize("text, reason", [
    ("Admin", "值=public"), ("=internal", "值=public"), ("Admin=secret", "public 或 internal"),
])
def test_a_malformed_audience_map_is_refused(text, reason):
    with pytest.raises(ValueError) as exc:
        parse_audience_map(text)
    assert reason in str(exc.value)


def test_an_unknown_status_imports_as_a_draft_with_a_warning():
    article = parse("---\nstatus: live\n---\n# t\nbody")
    assert article.status == "draft"
    assert len(article.warnings) == 1 and "live" in article.warnings[0] and "draft" in article.warnings[0]


def test_our_own_values_give_no_warning():
    article = parse("---\naudience: Internal\nstatus: PUBLISHED\n---\n# t\nbody")
    assert (article.audience, article.status, article.warnings) == ("internal", "published", ())


def test_unknown_keys_are_ignored_and_warned_about_once_per_run(tmp_path):
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("---\nms.author: someone\nms.date: 2024-01-01\ntitle: T\n---\n正文",
                                     encoding="utf-8")
    result = load_tree(tmp_path)
    assert [a.slug for a in result.articles] == ["a", "b"] and result.errors == []
    assert result.articles[0].unknown_keys == ("ms.author", "ms.date")
    warned = sorted(w.warning for w in result.warnings)
    assert len(warned) == 2 and "ms.author" in warned[0] and "ms.date" in warned[1]
    assert all(w.path.endswith("a.md") for w in result.warnings)


CORPUS = SHARED / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_the_shared_corpus_loses_no_file_to_foreign_front_matter():
    """357 files were refused for `audience: Admin/ITPro`; what is left is files with no text."""
    result = load_tree(CORPUS)
    assert all(e.error == "没有正文" for e in result.errors), result.errors[:3]
    for error in result.errors:  # redirect stubs: front matter and nothing else
        assert "redirect_url" in Path(error.path).read_text(encoding="utf-8")
    foreign = [w for w in result.warnings if w.warning.startswith("未知的 audience")]
    assert len(foreign) >= 340
    by_path = {str(a.path): a for a in result.articles}
    assert all(by_path[w.path].audience == "internal" for w in foreign)


def test_files_a_docs_repository_keeps_about_itself_are_not_articles(tmp_path):
    """SOURCE.md, LICENSE.md, TOC.md … at any depth are not help pages (imported, a provenance
    note listing every file name outranked the pages it lists); a README.md in a sub-folder is
    the page of that folder (VuePress, GitHub) and stays."""
    docs = tmp_path / "vendor" / "docs"
    (docs / "vpn").mkdir(parents=True)
    (docs / "vpn" / "README.md").write_text("# 使用 VPN\n连接步骤", encoding="utf-8")
    for name in ("SOURCE.md", "LICENSE.md", "toc.md", "SUMMARY.md", "CHANGELOG.md", "CONTRIBUTING.md"):
        (tmp_path / "vendor" / name).write_text(f"# {name}\n[使用 VPN](docs/vpn/)", encoding="utf-8")
    (docs / "TOC.md").write_text("# 目录\n- [使用 VPN](vpn/)", encoding="utf-8")
    (docs / "source-control.md").write_text("# 源代码管理\n正文", encoding="utf-8")

    result = load_tree(tmp_path)

    assert sorted(a.slug for a in result.articles) == ["vendor/docs/source-control", "vendor/docs/vpn/README"]
    assert not result.errors
