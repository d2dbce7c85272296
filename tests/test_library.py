"""The article library we ship: complete, well-formed, and rendering the way writers meant."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from app.articles.rendering import render_markdown
from indexer.loader import load_tree
from tests.conftest import ARTICLES

CATEGORIES = {
    "账号与密码", "VPN 与远程访问", "网络与 Wi-Fi", "邮件与日历",
    "打印与外设", "软件安装与授权", "电脑与系统", "信息安全", "协作与会议",
}
LIBRARY = load_tree(ARTICLES)
FENCE = re.compile(r"^\s*(```|~~~)", re.M)
# A list marker inside running text means an item was indented too little to nest
# (Python-Markdown needs 4 spaces) and got glued onto the previous paragraph.
GLUED_LIST_ITEM = re.compile(r"\n[ \t]*(?:[-*+]|\d+\.)\s")


def test_every_file_loads():
    assert LIBRARY.errors == []


def test_library_size_and_coverage():
    assert len(LIBRARY.articles) >= 110
    assert sum(a.audience == "internal" for a in LIBRARY.articles) >= 8
    per_category = Counter(a.category for a in LIBRARY.articles)
    assert set(per_category) == CATEGORIES, per_category


@pytest.mark.parametrize("code", ["619", "691", "720", "789", "800", "809", "812", "868",
                                  "0x800CCC0E", "0x80070005", "0x80070643", "0xC004F074"])
def test_common_error_codes_have_an_article(code):
    assert any(code.lower() in (c.lower() for c in a.error_codes) for a in LIBRARY.articles), code


@pytest.mark.parametrize("article", LIBRARY.articles, ids=lambda a: a.slug)
def test_article_follows_the_writing_conventions(article):
    assert article.slug == str(article.path.relative_to(ARTICLES).with_suffix("")), "slug = folder/file"
    assert article.updated is not None
    # 「最近更新」 on the home page lists by this date: never one that has not come yet
    import datetime as dt

    updated = article.updated if isinstance(article.updated, dt.date) else dt.date.fromisoformat(str(article.updated)[:10])
    assert updated <= dt.date.today(), article.updated
    body = article.body
    if article.audience == "public":
        for section in ("## 症状", "## 原因", "## 解决步骤", "## 仍未解决？"):
            assert section in body, section
        assert "(/requests/new" in body
    assert "example.com" in body or article.audience == "internal" or "http" not in body


@pytest.mark.parametrize("article", LIBRARY.articles, ids=lambda a: a.slug)
def test_article_renders_as_written(article):
    """Every fenced block becomes highlighted code (a fence indented wrongly inside a list
    step would leak as text and break the numbering)."""
    html = render_markdown(article.body).html
    fences = len(FENCE.findall(article.body)) // 2
    assert html.count('class="codehilite"') == fences
    assert "```" not in html and "|---" not in html and "!!!" not in html
    glued = [m.group(0) for m in GLUED_LIST_ITEM.finditer(_paragraph_text(html))]
    assert not glued, f"list items glued into a paragraph: indent nested content by 4 spaces ({glued[:3]})"


def _paragraph_text(html: str) -> str:
    """The text of each <p> and <li> (not code), one element per line-separated chunk."""
    from html.parser import HTMLParser

    class Texts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.code = self.block = 0
            self.parts = []

        def handle_starttag(self, tag, attrs):
            if tag in ("pre", "code"):
                self.code += 1
            elif tag in ("p", "li"):
                self.block += 1
                self.parts.append("\x00")

        def handle_endtag(self, tag):
            if tag in ("pre", "code"):
                self.code -= 1
            elif tag in ("p", "li"):
                self.block -= 1
                self.parts.append("\x00")

        def handle_data(self, data):
            if self.block and not self.code:
                self.parts.append(data)

    parser = Texts()
    parser.feed(html)
    return "".join(parser.parts)
