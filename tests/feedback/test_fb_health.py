"""Article health and the writers' 「需要关注」 list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.feedback.health import attention_score, wilson_lower
from app.models import Ticket
from tests.conftest import login

from .conftest import SLUG, anon_contact, api_vote

RESET = "account/reset-password"
PLAIN = "no-front-matter"


def test_wilson_lower_bound_matches_known_values():
    assert wilson_lower(0, 0) == 0.0
    assert wilson_lower(0, 10) == 0.0
    assert wilson_lower(1, 1) == pytest.approx(0.2065, abs=1e-4)
    assert wilson_lower(5, 5) == pytest.approx(0.5655, abs=1e-4)
    assert wilson_lower(20, 20) == pytest.approx(0.8389, abs=1e-4)
    assert wilson_lower(10, 40) == pytest.approx(0.1419, abs=1e-4)


def test_the_attention_score_discounts_few_votes_and_adds_escalations():
    assert attention_score(1, 1, 0) < attention_score(10, 12, 0)  # one grumpy vote < many
    assert attention_score(0, 0, 0) == 0
    assert attention_score(0, 0, 1) == 10
    assert attention_score(3, 10, 2) == attention_score(3, 10, 0) + 20
    assert attention_score(3, 10, 50) == attention_score(3, 10, 5)  # escalations are capped


@pytest.mark.parametrize("role, expected", [("requester", 404), ("writer", 200), ("agent", 200), ("admin", 200)])
def test_the_workspace_is_for_writers_agents_and_admins(synced, client, role, expected):
    login(client, synced, f"u-{role}", role)
    assert client.get("/writer/").status_code == expected
    assert client.get(f"/writer/articles/{SLUG}").status_code == expected


def test_anonymous_visitors_are_sent_to_log_in(synced, client):
    response = client.get("/writer/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/writer/articles/{SLUG}").status_code == 302


def test_each_role_sees_only_articles_it_may_read(synced, client, articles_dir, runner):
    (articles_dir / "vpn" / "draft.md").write_text(
        "---\ntitle: 尚未发布的草稿\nslug: vpn/draft\nstatus: draft\n---\n正文\n", encoding="utf-8")
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    login(client, synced, "alan", "agent")
    page = client.get("/writer/").get_data(as_text=True)
    assert "尚未发布的草稿" not in page and "AD" in page  # internal yes, drafts no (as everywhere for agents)
    assert client.get("/writer/articles/vpn/draft").status_code == 404
    writer = synced.test_client()
    login(writer, synced, "wendy", "writer")
    assert "尚未发布的草稿" in writer.get("/writer/").get_data(as_text=True)
    assert writer.get("/writer/articles/vpn/draft").status_code == 200


def _attention_titles(page: str) -> list[str]:
    section = page.split('id="attention-h"', 1)[1].split("</section>", 1)[0]
    return [chunk.split("</a>", 1)[0] for chunk in section.split('href="/writer/articles/')[1:]]


def test_the_attention_list_is_ordered_by_the_smoothed_score(synced, readers):
    # reset-password: 1 of 1 not helpful (too few votes to say much)
    api_vote(readers(), RESET, helpful=False, reason="unclear")
    # vpn/error-809: 6 of 8 not helpful
    for helpful in [False] * 6 + [True] * 2:
        api_vote(readers(), SLUG, helpful=helpful, reason=None if helpful else "outdated")
    # the article without front matter: all helpful — not listed
    for _ in range(3):
        api_vote(readers(), PLAIN, helpful=True)
    writer = readers()
    login(writer, synced, "wendy", "writer")
    titles = _attention_titles(writer.get("/writer/").get_data(as_text=True))
    assert len(titles) == 2
    assert "VPN" in titles[0].split('">', 1)[1] and RESET in titles[1]

    # escalations lift an article: three escalations on reset-password put it on top
    for i in range(3):
        api_vote(readers(), RESET, helpful=False, reason="not_solved",
                 **anon_contact(contact_email=f"x{i}@example.com"))
    titles = _attention_titles(writer.get("/writer/").get_data(as_text=True))
    assert RESET in titles[0]


def test_the_health_detail_shows_views_votes_reasons_comments_tickets_and_the_fix_task(synced, readers):
    browser = readers()
    for _ in range(4):
        browser.get(f"/articles/{SLUG}")
    api_vote(readers(), helpful=True)
    api_vote(readers(), helpful=False, reason="outdated", comment="界面已经改版了")
    api_vote(readers(), helpful=False, reason="not_solved", comment="还是 809", **anon_contact())
    api_vote(readers(), helpful=False, reason="not_solved", comment="公司网络也不行",
             **anon_contact(contact_email="z@example.com"))
    with synced.app_context(), session_scope() as s:
        first = s.scalars(select(Ticket).order_by(Ticket.id)).first()
        first.status = "resolved"
        number = first.number

    writer = readers()
    login(writer, synced, "wendy", "writer")
    page = writer.get(f"/writer/articles/{SLUG}").get_data(as_text=True)
    stats = page.split('class="health-stats"', 1)[1].split("</dl>", 1)[0]
    assert "<dt>阅读</dt><dd>4" in stats
    assert "25%" in stats and "1 / 4 票" in stats  # helpful %
    assert "<dt>没有帮助</dt><dd>3</dd>" in stats
    assert "<dt>工单（处理中 / 已解决）</dt><dd>1 / 1</dd>" in stats
    assert "没有解决我的问题：<strong>2</strong>" in page and "内容过时或有误：<strong>1</strong>" in page
    assert "界面已经改版了" in page and "还是 809" in page and "公司网络也不行" in page
    assert "待修订" in page and number in page
    assert f'href="/agent/tickets/{number}"' not in page  # writers cannot open tickets
    agent = readers()
    login(agent, synced, "alan", "agent")
    assert f'href="/agent/tickets/{number}"' in agent.get(f"/writer/articles/{SLUG}").get_data(as_text=True)

    index = writer.get("/writer/").get_data(as_text=True)
    assert "需要关注" in index and "待修订" in index


def test_reading_an_article_counts_a_view_of_its_current_version(synced, client):
    from app.models import Article

    for _ in range(2):
        client.get(f"/articles/{SLUG}")
    with synced.app_context(), session_scope() as s:
        a = s.scalar(select(Article).where(Article.slug == SLUG))
        assert (a.view_count, a.version_views) == (2, 2)
