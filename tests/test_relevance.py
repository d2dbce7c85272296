"""Relevance floor: the labelled queries in tests/relevance/ against our own articles.

`flask --app wsgi kb eval` prints the same figures per kind. The floors sit just under what
the engine reaches today (recall@1 0.952, recall@5 1.000, MRR@10 0.975 over 210 queries after
round 2 of issue 8; 0.946 / 1.000 / 0.970 after round 1, 0.917 / 0.976 / 0.945 before), so a
change that makes search worse fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.evaluation import evaluate, load_queries

QUERIES = load_queries(sorted((Path(__file__).parent / "relevance").glob("*.yaml")))
KINDS = {"natural", "keyword", "code", "traditional", "fullwidth", "synonym", "typo", "prefix", "long"}


@pytest.fixture(scope="module")
def evaluation(library):
    from app.articles.search import engine
    from app.visibility import audiences_for

    with library.app_context():
        return evaluate(engine(), QUERIES, audiences_for)


def test_the_query_set_covers_every_kind_and_role():
    assert len(QUERIES) >= 100
    assert {q.kind for q in QUERIES} == KINDS
    assert any(q.role == "agent" for q in QUERIES)


def test_overall_relevance_floor(evaluation):
    overall = evaluation.overall
    misses = "\n".join(f"{q.kind}: {q.query} → {got}" for q, got in evaluation.misses)
    assert overall.recall_at_5 >= 0.99, misses
    assert overall.mrr_at_10 >= 0.96, misses
    assert overall.recall_at_1 >= 0.93, misses


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_of_query_mostly_finds_its_article(evaluation, kind):
    assert evaluation.by_kind[kind].recall_at_5 >= 0.95


def test_internal_answers_are_never_found_by_anonymous_searchers(library):
    from app.articles.search import engine
    from app.visibility import audiences_for

    internal = [q for q in QUERIES if q.role == "agent"]
    with library.app_context():
        for q in internal:
            hits = engine().search(q.query, audiences=audiences_for("anonymous"), per_page=50).hits
            assert not {h.slug for h in hits} & {s for s in q.expected if s.startswith("internal/")}


@pytest.mark.parametrize("query, expected", [
    ("vpn 连不上", "vpn/"), ("连不上vpn", "vpn/"), ("vpn连不上", "vpn/"),   # colloquial failure word
    ("密码忘了怎么办", "account/self-service-password-reset"),               # filler + 忘 → 忘记
    ("ＶＰＮ８０９", "vpn/error-809"), ("VPN809", "vpn/error-809"),          # letters glued to digits
])
def test_what_a_new_user_typed_finds_the_right_article_first(library, query, expected):
    """The queries of issue 8 that found nothing or the wrong article (kb search)."""
    from app.articles.search import engine
    from app.visibility import audiences_for

    with library.app_context():
        hits = engine().search(query, audiences=audiences_for("anonymous")).hits
    assert hits and hits[0].slug.startswith(expected), [h.slug for h in hits[:3]]


@pytest.mark.parametrize("query, expected", [
    ("vpn 连不上", "vpn/"), ("连不上vpn", "vpn/"), ("vpn连不上", "vpn/"),
    ("密码忘了怎么办", "account/self-service-password-reset"),
    ("ＶＰＮ８０９", "vpn/error-809"), ("VPN809", "vpn/error-809"),
    ("teams 没声音", "collaboration/teams-meeting-audio-video"),
    ("打印机脱机了怎么办", "printing/printer-offline-queue-stuck"),   # 怎么办 is said, not typed
    ("打印机脱", "printing/printer-offline-queue-stuck"),              # 脱 is being typed
])
def test_the_typeahead_finds_them_first_too(library, query, expected):
    """/api/suggest (the header's typeahead) for the same queries: with the last word required
    as a title prefix, 「vpn连不上」 listed remote-desktop and Bluetooth pages (no VPN title holds
    连不上) and 「…了怎么办」 every title ending in 怎么办."""
    from app.articles.search import engine
    from app.visibility import audiences_for

    with library.app_context():
        hits = engine().suggest(query, audiences=audiences_for("anonymous"), limit=5).hits
    assert hits and hits[0].slug.startswith(expected), [h.slug for h in hits[:3]]


COMPETITORS = Path(__file__).parent / "fixtures" / "competitors"


@pytest.fixture(scope="module")
def grown_library(tmp_path_factory, pg_available):
    """articles/ plus pages that compete for the same words: a Mac FileVault page whose title
    holds 忘记…密码, a mobile-mail page about passwords (the library grows; the answer must
    not hang on a hair)."""
    import shutil

    from tests.conftest import ARTICLES, _teardown, build_app

    tmp = tmp_path_factory.mktemp("grown")
    shutil.copytree(ARTICLES, tmp / "articles")
    shutil.copytree(COMPETITORS, tmp / "articles", dirs_exist_ok=True)
    app, drop = build_app(tmp, tmp / "articles", pg_available)
    result = app.test_cli_runner().invoke(args=["kb", "init"])
    assert result.exit_code == 0, result.output
    yield app
    _teardown(app, drop)


@pytest.mark.parametrize("query", ["密码忘了怎么办", "忘记密码", "忘了密码", "密码忘了", "忘记密码怎么办"])
def test_the_password_reset_page_wins_forgotten_password_by_a_margin(grown_library, query):
    """The self-service reset page names the need (忘记密码); pages that merely hold 忘记 and
    密码 (FileVault: 忘记登录密码) come after it, by at least 8 % of the score."""
    from app.articles.search import engine
    from app.visibility import audiences_for

    with grown_library.app_context():
        hits = engine().search(query, audiences=audiences_for("anonymous")).hits
    assert hits[0].slug == "account/self-service-password-reset", [h.slug for h in hits[:3]]
    assert hits[0].score >= 1.08 * hits[1].score, [(h.slug, h.score) for h in hits[:3]]
