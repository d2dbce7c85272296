"""「转人工处理」: a 没有解决我的问题 vote becomes a ticket, and the article's fix task collects it."""

from __future__ import annotations

from sqlalchemy import select

from app.db import session_scope
from app.models import Article, Feedback, FixTask, Ticket
from tests.conftest import login

from .conftest import SLUG, anon_contact, api_vote, count, feedback_rows, fix_tasks, tickets


def _bump_version(articles_dir, runner, date="2026-11-20"):
    path = articles_dir / "vpn" / "error-809.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("updated: 2026-11-01", f"updated: {date}"), encoding="utf-8")
    result = runner.invoke(args=["kb", "sync"])
    assert result.exit_code == 0, result.output


def test_api_escalation_creates_a_prioritised_ticket_linked_to_the_article(synced, client):
    response = api_vote(
        client, helpful=False, reason="not_solved", query="vpn 809 连不上",
        comment="换了手机热点也一样，还是 809。", urgency="stopped", **anon_contact(),
    )
    assert response.status_code == 201, response.json
    body = response.json
    ticket = body["ticket"]
    assert ticket["article"] == SLUG
    assert ticket["priority"] == "P2"  # person × stopped, the same matrix as every ticket
    assert ticket["category"] == "vpn"  # from the article's category
    assert ticket["url"].startswith(f"/requests/{ticket['number']}?token=")  # an anonymous reader's private link
    assert set(ticket) >= {"number", "status", "priority", "category", "impact", "urgency",
                           "sla_response_due", "sla_resolve_due", "article", "url"}

    (row,) = tickets(synced)
    assert row.source == "article_feedback" and row.contact_email == "wangxm@example.com"
    assert row.search_text == "vpn 809 连不上"
    # what the agent needs about the article is on the ticket itself
    assert "换了手机热点也一样" in row.description
    assert "VPN 连接提示“错误 809”" in row.description and "没有解决我的问题" in row.description
    assert "vpn 809 连不上" in row.description
    (fb,) = feedback_rows(synced)
    assert fb.id == body["feedback_id"] and fb.ticket_id == row.id and fb.reason == "not_solved"
    (task,) = fix_tasks(synced)
    assert task.status == "open" and fb.fix_task_id == task.id and task.article_version == 1


def test_anonymous_escalation_needs_a_valid_email_and_then_records_nothing(synced, client):
    response = api_vote(client, helpful=False, reason="not_solved", contact_name="王小明", contact_email="wang@")
    assert response.status_code == 400
    assert "邮箱" in response.json["message"] and "contact_email" in response.json["fields"]
    response = api_vote(client, helpful=False, reason="not_solved", contact_name="王小明")
    assert response.status_code == 400 and "邮箱" in response.json["message"]
    assert feedback_rows(synced) == [] and tickets(synced) == [] and fix_tasks(synced) == []


def test_not_solved_without_any_contact_is_only_a_vote(synced, client):
    response = api_vote(client, helpful=False, reason="not_solved")
    assert response.status_code == 201 and response.json["ticket"] is None
    assert len(feedback_rows(synced)) == 1 and tickets(synced) == []


def test_a_logged_in_reader_escalates_without_contact_fields(synced, client):
    login(client, synced, "zhang", "requester")
    response = api_vote(client, helpful=False, reason="not_solved", comment="仍然 809")
    assert response.status_code == 201
    ticket = response.json["ticket"]
    assert "token=" not in ticket["url"]  # their own ticket: no private link needed
    (row,) = tickets(synced)
    assert row.requester_id is not None and row.contact_email == "zhang@example.com"
    # "escalate": false is only a vote (the page's script votes this way while choosing)
    other = synced.test_client()
    login(other, synced, "li", "requester")
    response = api_vote(other, helpful=False, reason="not_solved", escalate=False)
    assert response.status_code == 201 and response.json["ticket"] is None
    assert len(tickets(synced)) == 1


def test_one_fix_task_per_article_collects_every_escalation(synced, readers):
    for i in range(3):
        response = api_vote(readers(), helpful=False, reason="not_solved", comment=f"第 {i} 位读者",
                            **anon_contact(contact_email=f"r{i}@example.com"))
        assert response.status_code == 201
    assert len(tickets(synced)) == 3
    (task,) = fix_tasks(synced)
    linked = [f for f in feedback_rows(synced) if f.fix_task_id == task.id]
    assert len(linked) == 3
    # a later not-helpful vote with another reason joins the open task too
    api_vote(readers(), helpful=False, reason="outdated", comment="截图是旧版本的")
    assert count(synced, Feedback, Feedback.fix_task_id == task.id) == 4


def test_the_same_reader_does_not_open_a_second_ticket_while_the_first_is_open(synced, client):
    first = api_vote(client, helpful=False, reason="not_solved", **anon_contact())
    again = api_vote(client, helpful=False, reason="not_solved", comment="还是不行", **anon_contact())
    assert again.status_code == 201
    assert again.json["ticket"]["number"] == first.json["ticket"]["number"]
    assert len(tickets(synced)) == 1
    with synced.app_context(), session_scope() as s:
        s.scalar(select(Ticket)).status = "resolved"
    third = api_vote(client, helpful=False, reason="not_solved", **anon_contact())
    assert third.json["ticket"]["number"] != first.json["ticket"]["number"]  # resolved: a new problem


def test_idempotency_key_returns_the_first_ticket(synced, readers):
    headers = {"Idempotency-Key": "4f9d1c9e-1111-4c3b-9a57-2f1f5e3f0a01"}
    body = {"helpful": False, "reason": "not_solved", **anon_contact()}
    reader = readers()
    first = reader.post(f"/api/articles/{SLUG}/feedback", json=body, headers=headers)
    second = reader.post(f"/api/articles/{SLUG}/feedback", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json["ticket"]["number"] == second.json["ticket"]["number"]
    assert len(tickets(synced)) == 1
    changed = reader.post(f"/api/articles/{SLUG}/feedback", json={**body, "comment": "换了内容"},
                          headers={"Idempotency-Key": "another-key-2"})
    assert changed.status_code == 201  # a new key: the reader's open ticket, not a new one
    reused = reader.post("/api/articles/account/reset-password/feedback", json=body, headers=headers)
    assert reused.status_code == 422 and reused.json["error"] == "idempotency_key_reused"


def test_an_escalation_key_never_returns_another_readers_ticket(synced, readers):
    """Regression (hardening #1): the same key from another anonymous browser got the first
    reader's ticket with its secret link."""
    headers = {"Idempotency-Key": "ticket-1"}
    body = {"helpful": False, "reason": "not_solved", **anon_contact()}
    first = readers().post(f"/api/articles/{SLUG}/feedback", json=body, headers=headers)
    secret = first.json["ticket"]["url"].split("token=")[1]
    second = readers().post(f"/api/articles/{SLUG}/feedback", json=body, headers=headers)
    assert second.status_code == 201
    assert second.json["ticket"]["number"] != first.json["ticket"]["number"]
    assert secret not in second.get_data(as_text=True)
    assert len(tickets(synced)) == 2


def test_the_escalation_form_is_prefilled_from_the_search_that_led_there(synced, client):
    page = client.get(f"/escalate/{SLUG}?q=vpn+809").get_data(as_text=True)
    assert "VPN 连接提示“错误 809”" in page and 'value="vpn 809"' in page
    assert "没有解决我的问题" in page and 'value="vpn" selected' in page

    # without ?q=: the last search is remembered when it showed this article
    results = client.get("/search?q=错误 809")
    assert results.status_code == 200
    page = client.get(f"/articles/{SLUG}").get_data(as_text=True)
    assert 'data-query="错误 809"' in page
    page = client.get(f"/escalate/{SLUG}").get_data(as_text=True)
    assert 'value="错误 809"' in page
    # ...but not on an article that search did not show
    page = client.get("/articles/account/reset-password").get_data(as_text=True)
    assert 'data-query=""' in page


def test_the_escalation_form_keeps_what_was_typed_on_errors(synced, client):
    response = client.post(f"/escalate/{SLUG}", data={
        "description": "按步骤做了，还是 809", "contact_name": "", "contact_email": "not-an-email",
        "impact": "person", "urgency": "stopped", "category": "vpn", "search_text": "vpn 809",
    })
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请填写您的姓名" in page and "邮箱格式不正确" in page
    assert "按步骤做了，还是 809" in page and 'value="not-an-email"' in page and 'value="vpn 809"' in page
    assert feedback_rows(synced) == [] and tickets(synced) == []

    response = client.post(f"/escalate/{SLUG}", data={"description": "", "impact": "person", "urgency": "stopped",
                                                      "category": "vpn", **anon_contact()})
    assert response.status_code == 400 and "请描述您遇到的情况" in response.get_data(as_text=True)


def test_the_escalation_form_lands_on_the_ticket_page(synced, client):
    response = client.post(f"/escalate/{SLUG}", data={
        "subject": "文章《VPN 连接提示“错误 809”》没有解决我的问题", "description": "按步骤做了，还是 809",
        "impact": "department", "urgency": "stopped", "category": "vpn", "search_text": "vpn 809", "idem": "abcdefghijklmnop",
        **anon_contact(),
    })
    assert response.status_code == 303
    location = response.headers["Location"]
    (ticket,) = tickets(synced)
    assert location.startswith(f"/requests/{ticket.number}?token=")
    assert ticket.priority == "P1" and ticket.source == "article_feedback"  # department × stopped
    page = client.get(location).get_data(as_text=True)
    assert ticket.number in page and "P1" in page and "VPN 连接提示“错误 809”" in page
    (fb,) = feedback_rows(synced)
    assert fb.reason == "not_solved" and fb.ticket_id == ticket.id and fb.query == "vpn 809"
    assert fb.comment == "按步骤做了，还是 809"  # the details double as the comment on the article
    # a double submit of the same form returns the same ticket
    again = client.post(f"/escalate/{SLUG}", data={"description": "按步骤做了，还是 809", "impact": "department",
                                                   "urgency": "stopped", "category": "vpn", "idem": "abcdefghijklmnop",
                                                   **anon_contact()})
    assert again.headers["Location"].split("?")[0] == f"/requests/{ticket.number}"
    assert len(tickets(synced)) == 1


def test_agents_see_which_article_failed_and_what_the_reader_said(synced, client):
    api_vote(client, helpful=False, reason="not_solved", comment="第 3 步的按钮找不到", query="vpn 809",
             **anon_contact())
    (ticket,) = tickets(synced)
    agent = synced.test_client()
    login(agent, synced, "alan", "agent")
    page = agent.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert "VPN 连接提示“错误 809”" in page
    assert "第 3 步的按钮找不到" in page and "没有解决我的问题" in page


def test_a_new_version_closes_the_fix_task_and_resets_what_the_article_is_judged_on(synced, client, readers,
                                                                                    articles_dir, runner):
    for _ in range(3):
        client.get(f"/articles/{SLUG}")
    api_vote(client, helpful=False, reason="not_solved", **anon_contact())
    api_vote(readers(), helpful=True)
    with synced.app_context(), session_scope() as s:
        a = s.scalar(select(Article).where(Article.slug == SLUG))
        assert (a.version, a.version_views, a.view_count) == (1, 3, 3)

    _bump_version(articles_dir, runner)

    (task,) = fix_tasks(synced)
    assert task.status == "closed" and task.closed_by_version == 2 and task.closed_at is not None
    with synced.app_context(), session_scope() as s:
        a = s.scalar(select(Article).where(Article.slug == SLUG))
        assert (a.version, a.version_views, a.view_count) == (2, 0, 3)
    body = client.get(f"/api/articles/{SLUG}").json
    assert (body["helpful"], body["not_helpful"]) == (0, 0)
    # the next escalation opens a new task for version 2
    api_vote(readers(), helpful=False, reason="not_solved", **anon_contact(contact_email="b@example.com"))
    tasks = fix_tasks(synced)
    assert [(t.status, t.article_version) for t in tasks] == [("closed", 1), ("open", 2)]
    assert count(synced, FixTask, FixTask.status == "open") == 1


def test_what_the_reader_said_about_the_article_starts_the_escalation(synced, client):
    """没有帮助 → 没有解决我的问题 with a comment (the plain form): the 转人工处理 form below it
    starts from that comment; sent with the description left empty, the comment is the description."""
    voted = client.post(f"/feedback/{SLUG}", data={"helpful": "0", "reason": "not_solved",
                                                  "comment": "第 3 步的“网络”选项卡找不到"})
    assert voted.status_code == 303
    page = client.get(voted.headers["Location"]).get_data(as_text=True)
    form = page.split('class="fb-escalate-form"', 1)[1]
    assert "第 3 步的“网络”选项卡找不到</textarea>" in form

    response = client.post(f"/escalate/{SLUG}", data={
        "description": "", "comment": "第 3 步的“网络”选项卡找不到", "impact": "person", "urgency": "degraded",
        "category": "vpn", **anon_contact()})
    assert response.status_code == 303
    (ticket,) = tickets(synced)
    assert ticket.description.startswith("第 3 步的“网络”选项卡找不到")
    assert ticket.description.count("选项卡找不到") == 1          # not again as 「对文章的意见」


def test_other_reasons_still_offer_a_person(synced, client):
    """步骤看不懂 (or any reason but 没有解决我的问题) is a vote; the page still offers 转人工处理."""
    page = client.get(f"/articles/{SLUG}").get_data(as_text=True)
    assert '<p class="meta fb-more-help" hidden>' in page
    voted = client.post(f"/feedback/{SLUG}", data={"helpful": "0", "reason": "unclear"})
    page = client.get(voted.headers["Location"]).get_data(as_text=True)
    more = page.split('class="meta fb-more-help"', 1)[1].split("</p>", 1)[0]
    assert "hidden" not in more.split(">", 1)[0] and f'href="/escalate/{SLUG}"' in more and "转人工处理" in more
    assert tickets(synced) == []


def test_impact_and_urgency_are_chosen_by_the_reader_not_preset(synced, client):
    page = client.get(f"/escalate/{SLUG}").get_data(as_text=True)
    assert 'name="impact" value="person" checked' not in page and 'name="urgency"' in page
    assert "checked" not in page.split("影响范围", 1)[1].split("联系方式", 1)[0]
    response = client.post(f"/escalate/{SLUG}", data={"description": "连不上，没法开会", "category": "vpn",
                                                      **anon_contact()})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请选择影响范围" in page and "请选择紧急程度" in page and "连不上，没法开会" in page
    assert tickets(synced) == []
