"""Error codes: each has one article, `kb search CODE` finds it first, and the service desk's
quick-reference tables cover every code a public article names."""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.library.checks import code_key, load_library, mentions_code, table_text

LIBRARY = load_library()
PUBLISHED = [a for a in LIBRARY.articles if a.status == "published"]
ENTRIES = [(a, code) for a in PUBLISHED for code in a.error_codes]


def test_the_library_has_error_codes():
    assert len({code_key(c) for _, c in ENTRIES}) >= 200


def test_each_code_has_one_article():
    """Two articles claiming one code cannot both come first; mention it in the body instead."""
    owners = defaultdict(list)
    for article, code in ENTRIES:
        owners[code_key(code)].append(article.slug)
    shared = {code: slugs for code, slugs in owners.items() if len(slugs) > 1}
    assert not shared, "\n".join(f"{code}: {', '.join(slugs)}" for code, slugs in sorted(shared.items()))


@pytest.fixture(scope="module")
def search(library):
    from app.articles.search import search as search_articles

    def first(query: str, role: str) -> list[str]:
        with library.test_request_context():
            return [hit.slug for hit in search_articles(query, role=role, per_page=3).hits]

    return first


@pytest.mark.parametrize("article", [a for a in PUBLISHED if a.error_codes], ids=lambda a: a.slug)
def test_each_code_finds_its_article_first(article, search):
    role = "agent" if article.audience == "internal" else "anonymous"
    misses = []
    for code in article.error_codes:
        got = search(code, role)
        if not got or got[0] != article.slug:
            misses.append(f"kb search '{code}' --role {role} → {got}")
    assert not misses, f"articles/{article.slug}.md:\n" + "\n".join(misses)


def test_the_quick_reference_tables_cover_every_public_code():
    tables = "\n".join(table_text(a) for a in PUBLISHED if a.audience == "internal")
    missing = defaultdict(list)
    for article, code in ENTRIES:
        if article.audience == "public" and not mentions_code(tables, code):
            missing[article.slug].append(code)
    assert not missing, "内部速查表缺少这些代码：\n" + "\n".join(
        f"articles/{slug}.md: {', '.join(codes)}" for slug, codes in sorted(missing.items())
    )
