"""The writers' guide (articles/README.md) enforced: its 「禁用写法」 table and the MFA rule."""

from __future__ import annotations

import pytest

from tests.library.checks import (
    load_library,
    mfa_first_mention_problems,
    style_problems,
    style_rules,
)

LIBRARY = load_library()
RULES = style_rules()


def test_the_guide_has_its_table_of_forbidden_variants():
    patterns = {r.pattern.pattern for r in RULES}
    assert len(RULES) >= 15
    assert {"帐号", "多因素", "→"} <= patterns


@pytest.mark.parametrize("article", LIBRARY.articles, ids=lambda a: a.slug)
def test_article_avoids_the_forbidden_variants(article):
    problems = style_problems(article, RULES) + mfa_first_mention_problems(article)
    assert not problems, "\n".join(f"articles/{article.slug}.md:{no}: {msg}" for no, msg in sorted(problems))
