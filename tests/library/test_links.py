"""Cross-references are links, and every link inside the portal leads somewhere."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app.articles.rendering import render_markdown
from tests.library.checks import heading_ids, line_of_text, links, load_library, plain_cross_reference_problems

LIBRARY = load_library()
BY_SLUG = {a.slug: a for a in LIBRARY.articles}


@pytest.fixture(scope="module")
def url_map(library):
    return library.url_map.bind("localhost")


@pytest.mark.parametrize("article", LIBRARY.articles, ids=lambda a: a.slug)
def test_every_internal_link_resolves(article, url_map):
    problems = []
    for href in links(render_markdown(article.body).html):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("#"):
            continue  # outside links (http, https, mailto) and anchors on the page itself
        where = f"articles/{article.slug}.md:{line_of_text(article, href)}"
        if not parts.path.startswith("/"):
            problems.append(f"{where}: 相对链接 {href}：写成 /articles/<slug>")
            continue
        if parts.path.startswith("/articles/"):
            slug = unquote(parts.path[len("/articles/"):]).strip("/")
            target = BY_SLUG.get(slug)
            if target is None or target.status != "published":
                problems.append(f"{where}: {href} 指向不存在或未发布的文章")
            elif article.audience == "public" and target.audience != "public":
                problems.append(f"{where}: 公开文章链接到内部文章 {href}（员工打不开）")
            elif parts.fragment and unquote(parts.fragment) not in heading_ids(render_markdown(target.body).html):
                problems.append(f"{where}: {href} 的锚点在目标文章里不存在")
            continue
        try:
            url_map.match(parts.path, method="GET")
        except (NotFound, MethodNotAllowed):
            problems.append(f"{where}: {href} 不是门户里的页面")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("article", LIBRARY.articles, ids=lambda a: a.slug)
def test_cross_references_are_links_not_plain_titles(article):
    problems = plain_cross_reference_problems(article)
    assert not problems, "\n".join(f"articles/{article.slug}.md:{no}: {msg}" for no, msg in problems)
