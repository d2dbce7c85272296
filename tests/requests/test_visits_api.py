"""The visit's JSON endpoints: suggestions while typing and events, bound to the visit token."""

from __future__ import annotations

import pytest

from .conftest import visit_row_or_none, open_form, visit_row


def suggest(client, token, **body):
    return client.post(f"/api/visits/{token}/suggest", json=body)


def test_suggestions_for_the_title_and_what_is_recorded(form_client, synced):
    token, _ = open_form(form_client)
    response = suggest(form_client, token, subject="VPN连接提示错误809")
    assert response.status_code == 200
    body = response.json
    assert body["results"][0]["slug"] == "vpn/error-809"
    assert body["results"][0]["open_url"] == f"/requests/new/open/{token}/vpn/error-809"
    assert body["total"] == len(body["results"]) <= 5
    visit = visit_row(synced, token)
    assert visit.queries == ["VPN连接提示错误809"] and visit.shown == ["vpn/error-809"]


def test_title_plus_description_is_the_query(form_client):
    token, _ = open_form(form_client)
    body = suggest(form_client, token, subject="连不上", description="VPN 报错 809" + "。" * 500).json
    assert body["query"].startswith("连不上 VPN 报错 809") and len(body["query"]) <= 3 + 1 + 200
    assert body["results"] and body["results"][0]["slug"] == "vpn/error-809"


@pytest.mark.parametrize("text", ["v", "vp", "错", "  "])
def test_too_short_text_asks_nothing(form_client, text):
    token, _ = open_form(form_client)
    assert suggest(form_client, token, subject=text).json["results"] == []


def test_category_boosts_but_never_filters(form_client):
    token, _ = open_form(form_client)
    body = suggest(form_client, token, subject="VPN 错误 809", category="printing").json
    assert "vpn/error-809" in [r["slug"] for r in body["results"]]


def test_internal_articles_are_never_suggested_to_requesters(form_client):
    token, _ = open_form(form_client)
    body = suggest(form_client, token, subject="AD 账号解锁流程").json
    assert all(not r["slug"].startswith("internal/") for r in body["results"])


def test_token_of_another_session_or_unknown_is_not_found(form_client, synced):
    token, _ = open_form(form_client)
    other = synced.test_client()
    assert suggest(other, token, subject="VPN 809").status_code == 404
    assert other.post(f"/api/visits/{token}/events", json={"type": "opened", "slug": "vpn/error-809"}).status_code == 404
    assert suggest(form_client, "no-such-token", subject="VPN 809").status_code == 404
    assert visit_row_or_none(synced, token) is None  # nothing was started by the other session


def test_opened_and_solved_events(form_client, synced):
    token, _ = open_form(form_client)
    url = f"/api/visits/{token}/events"
    assert form_client.post(url, json={"type": "opened", "slug": "vpn/error-809"}).json == {"ok": True}
    solved = form_client.post(url, json={"type": "solved", "slug": "vpn/error-809"}).json
    assert solved["ok"] and solved["redirect"].startswith("/requests/new/thanks")
    visit = visit_row(synced, token)
    assert visit.opened == ["vpn/error-809"] and visit.solved_article == "vpn/error-809"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"type": "hacked", "slug": "vpn/error-809"}, 400),
        ({"type": "opened", "slug": "internal/ad-unlock"}, 404),
        ({"type": "opened", "slug": 42}, 404),
        (["not", "an", "object"], 400),
        ({"type": "opened", "slug": "x" * 10_000}, 413),
    ],
)
def test_bad_events_are_refused(form_client, synced, body, status):
    token, _ = open_form(form_client)
    response = form_client.post(f"/api/visits/{token}/events", json=body)
    assert response.status_code == status
    assert response.json["message"]
    assert visit_row(synced, token).opened == []


def test_recorded_lists_are_bounded(form_client, synced):
    from app.requests import visits

    token, _ = open_form(form_client)
    for i in range(visits.MAX_QUERIES + 10):
        suggest(form_client, token, subject=f"VPN 809 第{i}次")
    visit = visit_row(synced, token)
    assert len(visit.queries) == visits.MAX_QUERIES
