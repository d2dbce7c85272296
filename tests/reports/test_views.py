"""Article views per period (app/reports/rollup.py ``count_view``, ``articles.period_views``):
the all-time counters stay as they were, the period's views come from ``article_views_daily``."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.db import session_scope
from app.models import ArticleViewDaily
from app.reports.period import Period, last_month, this_month
from app.reports.summary import build
from app.reports.tables import tables
from app.tickets.sla import timezone_from_config


def test_views_are_counted_per_local_day(app, synced, client):
    page = client.get("/search?q=VPN 809").get_data(as_text=True)
    slug = re.search(r'href="/articles/([^"?#]+)', page).group(1)
    for _ in range(3):
        assert client.get(f"/articles/{slug}").status_code == 200
    tz = timezone_from_config(app.config)
    today = dt.datetime.now(tz).date()
    with app.app_context(), session_scope() as s:
        rows = s.execute(select(ArticleViewDaily.tz, ArticleViewDaily.day, ArticleViewDaily.views)).all()
        assert rows == [(tz.key, today, 3)]
        now = build(s, this_month(tz), "agent")["articles"]
        seen = next(x for x in now["most_viewed"] if x["slug"] == slug)
        assert (seen["views"], seen["period_views"]) == (3, 3)
        assert now["views_counted_since"] == today.isoformat()
        before = build(s, last_month(tz), "agent")["articles"]
        seen = next(x for x in before["most_viewed"] if x["slug"] == slug)
        assert (seen["views"], seen["period_views"]) == (3, 0)  # all time vs the period
        # a period that starts before counting began says so in the column's title
        head = tables(build(s, Period(today - dt.timedelta(days=3), today, tz), "agent"))["articles"][1]
        assert f"期间浏览（{today.isoformat()} 起）" in head
        head = tables(build(s, Period(today, today, tz), "agent"))["articles"][1]
        assert "期间浏览" in head
