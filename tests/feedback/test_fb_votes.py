"""「这篇文章对您有帮助吗？」: one vote per person per article, changeable, safe input."""

from __future__ import annotations

import pytest

from app.models import Feedback
from tests.conftest import build_app, login, _teardown

from .conftest import INTERNAL, SLUG, api_vote, count, feedback_rows


def test_every_article_asks_whether_it_helped(synced, client):
    html = client.get(f"/articles/{SLUG}").get_data(as_text=True)
    assert "这篇文章对您有帮助吗？" in html
    assert ">有帮助</button>" in html and ">没有帮助</button>" in html
    assert 'name="csrf_token"' in html  # plain forms work without JavaScript
    assert "feedback.js" in html
    # the reasons are there but folded away until 没有帮助
    assert 'class="fb-why" method="post"' in html and "novalidate hidden" in html


def test_repeated_clicks_do_not_inflate_counts(synced, client):
    for _ in range(3):
        response = client.post(f"/feedback/{SLUG}", data={"helpful": "1"})
        assert response.status_code == 303
        assert response.headers["Location"].endswith("#feedback")
    assert len(feedback_rows(synced)) == 1
    assert client.get(f"/api/articles/{SLUG}").json == client.get(f"/api/articles/{SLUG}").json
    body = client.get(f"/api/articles/{SLUG}").json
    assert (body["helpful"], body["not_helpful"]) == (1, 0)


def test_a_vote_can_be_changed_in_place(synced, client):
    first = api_vote(client, helpful=True)
    assert first.status_code == 201
    second = api_vote(client, helpful=False, reason="unclear", comment="第 2 步找不到那个菜单")
    assert second.status_code == 201
    assert second.json["feedback_id"] == first.json["feedback_id"]
    assert (second.json["helpful"], second.json["not_helpful"]) == (0, 1)
    (row,) = feedback_rows(synced)
    assert (row.helpful, row.reason, row.comment) == (False, "unclear", "第 2 步找不到那个菜单")
    third = api_vote(client, helpful=True)
    (row,) = feedback_rows(synced)
    assert (row.helpful, row.reason) == (True, None) and third.json["helpful"] == 1


def test_each_browser_and_each_account_is_one_voter(synced, readers):
    for _ in range(3):
        assert api_vote(readers(), helpful=False).status_code == 201
    rows = feedback_rows(synced)
    assert len(rows) == 3 and all(r.voter_key.startswith("session:") for r in rows)

    laptop, phone = readers(), readers()
    login(laptop, synced, "zhang", "requester")
    login(phone, synced, "zhang", "requester")
    api_vote(laptop, helpful=True)
    api_vote(phone, helpful=False, reason="outdated")
    mine = [r for r in feedback_rows(synced) if r.voter_key.startswith("user:")]
    assert len(mine) == 1 and mine[0].reason == "outdated" and mine[0].user_id is not None


def test_not_helpful_without_javascript_asks_why_then_offers_escalation(synced, client):
    response = client.post(f"/feedback/{SLUG}", data={"helpful": "0", "q": "vpn 809"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "novalidate hidden" not in page  # the reasons form is open now
    for label in ("没有解决我的问题", "步骤看不懂", "内容过时或有误", "不是我要找的"):
        assert label in page
    assert 'id="fb-escalate" hidden' in page  # not yet: no reason picked

    response = client.post(f"/feedback/{SLUG}", data={"helpful": "0", "reason": "not_solved", "q": "vpn 809"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="fb-escalate" hidden' not in page
    assert "转人工处理" in page and 'value="vpn 809"' in page  # the search text is pre-filled
    assert 'value="not_solved" checked' in page


def test_other_reasons_do_not_offer_escalation(synced, client):
    response = client.post(f"/feedback/{SLUG}", data={"helpful": "0", "reason": "outdated"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="fb-escalate" hidden' in page and "已收到" in page


def test_a_too_long_comment_is_refused_at_the_field_and_kept(synced, client):
    long = "打印机" * 400  # 1,200 characters
    response = client.post(f"/feedback/{SLUG}", data={"helpful": "0", "reason": "unclear", "comment": long})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "补充说明最多 1,000 个字，现在是 1,200 个字" in page
    assert long in page  # nothing typed is lost
    assert 'aria-invalid="true"' in page
    assert feedback_rows(synced) == []

    api = api_vote(client, helpful=False, reason="unclear", comment=long)
    assert api.status_code == 400
    assert api.json["error"] == "validation_failed" and "1,000" in api.json["fields"]["comment"]
    assert feedback_rows(synced) == []


def test_comments_are_plain_text_shown_escaped(synced, client):
    nasty = '<script>alert(1)</script>\x00\u202eevil <img src=x onerror=alert(2)>'
    assert api_vote(client, helpful=False, reason="unclear", comment=nasty).status_code == 201
    (row,) = feedback_rows(synced)
    assert row.comment == "<script>alert(1)</script>evil <img src=x onerror=alert(2)>"  # stored as typed, minus controls
    writer = synced.test_client()
    login(writer, synced, "wendy", "writer")
    page = writer.get(f"/writer/articles/{SLUG}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "<img src=x" not in page


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "helpful"),
        ({"helpful": "maybe"}, "helpful"),
        ({"helpful": False, "reason": "because"}, "reason"),
        ({"helpful": False, "reason": ["not_solved"]}, "reason"),
        ({"helpful": False, "escalate": "yes"}, "escalate"),
    ],
)
def test_bad_json_gets_a_clear_message(synced, client, body, field):
    response = api_vote(client, **body)
    assert response.status_code == 400
    assert field in response.json["fields"] and response.json["message"]
    assert feedback_rows(synced) == []


def test_the_api_wants_a_json_object(synced, client):
    assert client.post(f"/api/articles/{SLUG}/feedback", data={"helpful": "1"}).status_code == 415
    response = client.post(f"/api/articles/{SLUG}/feedback", json=[True])
    assert response.status_code == 400 and response.json["error"] == "bad_request"
    response = client.post(f"/api/articles/{SLUG}/feedback", data="{oops", content_type="application/json")
    assert response.status_code == 400
    assert feedback_rows(synced) == []


def test_a_strange_form_value_is_a_400_not_a_500(synced, client):
    response = client.post(f"/feedback/{SLUG}", data={"helpful": "x" * 5000, "reason": "\x00"})
    assert response.status_code == 400
    assert "请选择" in response.get_data(as_text=True)


def test_internal_and_draft_articles_take_no_feedback_from_those_who_cannot_see_them(synced, client, runner, articles_dir):
    for path in (f"/api/articles/{INTERNAL}/feedback",):
        assert client.post(path, json={"helpful": True}).status_code == 404
    assert client.post(f"/feedback/{INTERNAL}", data={"helpful": "1"}).status_code == 404
    assert client.get(f"/escalate/{INTERNAL}").status_code == 404
    assert client.post("/api/articles/no-such/feedback", json={"helpful": True}).status_code == 404
    requester = synced.test_client()
    login(requester, synced, "rita", "requester")
    assert api_vote(requester, INTERNAL, helpful=True).status_code == 404
    assert count(synced, Feedback) == 0

    agent = synced.test_client()
    login(agent, synced, "alan", "agent")
    assert api_vote(agent, INTERNAL, helpful=True).status_code == 201

    draft = articles_dir / "vpn" / "draft.md"
    draft.write_text("---\ntitle: 草稿文章\nslug: vpn/draft\nstatus: draft\n---\n正文\n", encoding="utf-8")
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    assert api_vote(agent, "vpn/draft", helpful=True).status_code == 404  # agents do not see drafts
    writer = synced.test_client()
    login(writer, synced, "wendy", "writer")
    assert api_vote(writer, "vpn/draft", helpful=True).status_code == 201


def test_counts_in_the_article_api_only_cover_the_current_version(synced, readers, articles_dir, runner):
    for helpful in (True, True, False):
        api_vote(readers(), helpful=helpful)
    body = readers().get(f"/api/articles/{SLUG}").json
    assert (body["helpful"], body["not_helpful"]) == (2, 1)
    path = articles_dir / "vpn" / "error-809.md"
    path.write_text(path.read_text(encoding="utf-8").replace("updated: 2026-11-01", "updated: 2026-11-20"), encoding="utf-8")
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    body = readers().get(f"/api/articles/{SLUG}").json
    assert (body["helpful"], body["not_helpful"]) == (0, 0)


def test_the_html_form_needs_its_csrf_token(tmp_path, articles_dir, pg_available):
    app, drop = build_app(tmp_path, articles_dir, pg_available, WTF_CSRF_ENABLED=True)
    try:
        assert app.test_cli_runner().invoke(args=["kb", "sync"]).exit_code == 0
        client = app.test_client()
        response = client.post(f"/feedback/{SLUG}", data={"helpful": "1"})
        assert response.status_code == 400
        assert count(app, Feedback) == 0
        # the JSON API is exempt (a cross-site form cannot send application/json)
        assert client.post(f"/api/articles/{SLUG}/feedback", json={"helpful": True}).status_code == 201
        # and with the page's token the form works
        page = client.get(f"/articles/{SLUG}").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post(f"/feedback/{SLUG}", data={"helpful": "0", "csrf_token": token})
        assert response.status_code == 303
        assert count(app, Feedback) == 1  # the same browser: its vote changed in place
    finally:
        _teardown(app, drop)
