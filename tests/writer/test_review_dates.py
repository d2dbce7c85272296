"""Review-by dates: past its date an article is 「待复核」 for writers and 「可能已过时」 for the desk."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.db import session_scope
from app.models import Article, ArticleEvent
from app.writer import review
from tests.writer.conftest import client_as, create, publish, row

SLUG = "vpn/error-809"


def set_dates(app, slug, *, review_by=None, updated=None):
    with app.app_context(), session_scope() as session:
        article = session.scalar(select(Article).where(Article.slug == slug))
        article.review_by = review_by
        if updated is not None:
            article.updated = updated


def test_past_its_date_an_article_is_due_for_writers_and_marked_for_agents(synced, writer):
    set_dates(synced, SLUG, review_by=dt.date(2026, 1, 1))
    inbox = writer.get("/writer/").get_data(as_text=True)
    assert "待复核" in inbox and "复核日期 2026-01-01" in inbox
    agent_page = client_as(synced, "agent").get(f"/articles/{SLUG}").get_data(as_text=True)
    assert "可能已过时" in agent_page
    api = client_as(synced, "agent").get(f"/api/articles/{SLUG}").get_json()
    assert api["outdated"] is True and api["review_due"] == "2026-01-01"
    # readers are not told: it is the desk's process
    for client in (synced.test_client(), client_as(synced, "requester")):
        assert "可能已过时" not in client.get(f"/articles/{SLUG}").get_data(as_text=True)
        assert "outdated" not in client.get(f"/api/articles/{SLUG}").get_json()


def test_without_a_date_the_due_date_is_a_year_after_the_last_update(synced):
    set_dates(synced, SLUG, updated=dt.date(2025, 6, 1))
    with synced.app_context(), session_scope() as session:
        article = session.scalar(select(Article).where(Article.slug == SLUG))
        assert review.due_date(article) == dt.date(2026, 6, 1)
        assert review.is_overdue(article, dt.date(2026, 6, 1)) and not review.is_overdue(article, dt.date(2026, 5, 31))
        due = review.overdue_articles(session, {"public", "internal"}, dt.date(2026, 6, 1))
        assert [a.slug for a in due] == [SLUG]
    synced.config["KB_REVIEW_INTERVAL_DAYS"] = "30"
    with synced.app_context(), session_scope() as session:
        assert review.due_date(session.scalar(select(Article).where(Article.slug == SLUG))) == dt.date(2025, 7, 1)


def test_reviewing_records_who_and_when_and_sets_the_next_date(synced, writer):
    set_dates(synced, SLUG, review_by=dt.date(2026, 1, 1))
    next_date = (review_today(synced) + dt.timedelta(days=90)).isoformat()
    response = writer.post(f"/writer/articles/{SLUG}/verify", data={"next_review": next_date}, follow_redirects=True)
    assert f"下次复核日期 {next_date}" in response.get_data(as_text=True)
    article = row(synced, SLUG)
    assert article.review_by.isoformat() == next_date and article.reviewed_at is not None
    with synced.app_context(), session_scope() as session:
        event = session.scalar(select(ArticleEvent).where(ArticleEvent.kind == "verified"))
        assert event.user.username == "wendy" and next_date in event.comment
    assert "可能已过时" not in client_as(synced, "agent").get(f"/articles/{SLUG}").get_data(as_text=True)
    assert "待复核" not in writer.get("/writer/").get_data(as_text=True)
    # the next date must lie ahead
    refused = writer.post(f"/writer/articles/{SLUG}/verify", data={"next_review": "2020-01-01"}, follow_redirects=True)
    assert "必须晚于今天" in refused.get_data(as_text=True)


def test_drafts_are_never_out_of_date(synced, writer):
    create(writer, review_by="2020-01-01")
    slug = "printing/quuxprint-offline"
    assert "待复核" not in writer.get("/writer/").get_data(as_text=True)
    publish(writer, slug)
    assert "待复核" in writer.get("/writer/").get_data(as_text=True)


def review_today(app):
    with app.app_context():
        return review.today()
