"""What readers see: every article's steps are numbered as written and keep their blocks.

Python-Markdown nests content only when it is indented 4 spaces under its list item; with 3
spaces sub-steps are flattened into the main list (1–5, then 3–5 again), and a code block or
table at column 0 ends the list and sits outside its step.  These tests read the rendered HTML.
"""

from __future__ import annotations

import pytest

from app.articles.rendering import render_markdown
from tests.library.checks import block_placement_problems, load_library, numbering_problems

LIBRARY = load_library()


def _report(article, problems) -> str:
    rel = article.path.name if not article.slug else article.slug + ".md"
    return "\n".join(f"articles/{rel}:{line}: {message}" for line, message in problems)


@pytest.mark.parametrize("article", LIBRARY.articles, ids=lambda a: a.slug)
def test_ordered_lists_are_numbered_as_written(article):
    problems = numbering_problems(article, render_markdown(article.body).html)
    assert not problems, _report(article, problems)


@pytest.mark.parametrize("article", LIBRARY.articles, ids=lambda a: a.slug)
def test_blocks_stay_inside_their_step(article):
    problems = block_placement_problems(article, render_markdown(article.body).html)
    assert not problems, _report(article, problems)
