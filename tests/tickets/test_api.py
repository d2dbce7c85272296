"""POST /api/tickets and GET /api/tickets/<number> as INTERFACES.md defines them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import login

from .conftest import ticket_count, valid_data

TICKET_KEYS = {"number", "status", "priority", "category", "impact", "urgency",
               "sla_response_due", "sla_resolve_due", "article", "url",
               # the console's fields (INTERFACES.md: TICKET also has …)
               "subject", "created_at", "updated_at", "assignee", "group", "tier", "version", "first_response_at",
               "resolved_at", "closed_at", "close_reason", "sla", "csat"}
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def api_data(**overrides):
    data = valid_data(**overrides)
    data.pop("contact_phone")  # not part of the API contract
    return data


def post(client, data, **headers):
    return client.post("/api/tickets", json=data, headers=headers)


def test_create_returns_201_and_exactly_the_ticket_shape(client, app):
    response = post(client, api_data(impact="company", urgency="stopped"))
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == TICKET_KEYS
    assert re.fullmatch(r"IT-\d{8}-\d{4}", body["number"])
    assert body["status"] == "new"
    assert (body["priority"], body["category"], body["impact"], body["urgency"]) == ("P1", "vpn", "company", "stopped")
    assert ISO_WITH_OFFSET.match(body["sla_response_due"]) and ISO_WITH_OFFSET.match(body["sla_resolve_due"])
    response_due = dt.datetime.fromisoformat(body["sla_response_due"])
    resolve_due = dt.datetime.fromisoformat(body["sla_resolve_due"])
    assert resolve_due - response_due == dt.timedelta(hours=4) - dt.timedelta(minutes=15)  # P1 is 24×7
    assert body["article"] is None
    assert body["url"].startswith(f"/requests/{body['number']}?token=")
    assert response.headers["Location"] == f"/requests/{body['number']}"


def test_labels_are_accepted_in_the_api(client):
    body = post(client, api_data(category="网络与 Wi-Fi", impact="部门", urgency="效率降低")).get_json()
    assert (body["category"], body["impact"], body["urgency"], body["priority"]) == ("network", "department", "degraded", "P3")


def test_validation_errors_name_each_field(client, app):
    response = post(client, {"subject": "   ", "category": "nope", "description": "x" * 20_001})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "validation_failed" and body["message"]
    assert {"subject", "category", "impact", "urgency", "description", "contact_name", "contact_email"} <= set(body["fields"])
    assert "contact_phone" not in body["fields"]
    assert ticket_count(app) == 0


@pytest.mark.parametrize("payload", ["[1, 2]", "\"text\"", "null", "{broken", "123"])
def test_a_body_that_is_not_an_object_is_a_400(client, payload):
    response = client.post("/api/tickets", data=payload, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] in ("bad_request", "validation_failed")


def test_form_posts_are_refused(client, app):
    """Only JSON: a cross-site HTML form cannot create tickets with someone's cookie."""
    response = client.post("/api/tickets", data=api_data())
    assert response.status_code == 415
    assert ticket_count(app) == 0


@pytest.mark.parametrize("field,value", [("subject", 12345), ("subject", ["a"]), ("shown_articles", {"a": 1}),
                                         ("contact_email", None), ("description", True)])
def test_strange_json_types_never_become_a_500(client, field, value):
    response = post(client, api_data(**{field: value}))
    assert response.status_code in (201, 400)


def test_idempotency_key_returns_the_same_ticket_with_201(client, app):
    first = post(client, api_data(), **{"Idempotency-Key": "4f9c1e2a-retry"})
    again = post(client, api_data(), **{"Idempotency-Key": "4f9c1e2a-retry"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert ticket_count(app) == 1
    other = post(client, api_data(), **{"Idempotency-Key": "another"})
    assert other.get_json()["number"] != first.get_json()["number"]


def test_a_key_replayed_with_another_body_is_422(client, app):
    first = post(client, api_data(), **{"Idempotency-Key": "4f9c1e2a-edit"})
    again = post(client, api_data(subject="重试"), **{"Idempotency-Key": "4f9c1e2a-edit"})
    assert first.status_code == 201 and again.status_code == 422
    body = again.get_json()
    assert body["error"] == "idempotency_key_reused" and "Idempotency-Key" in body["message"]
    assert first.get_json()["number"] not in again.get_data(as_text=True)
    assert ticket_count(app) == 1


def test_another_anonymous_caller_never_gets_the_first_ticket(app):
    """Regression (hardening #1): anonymous callers shared one key scope, and a replay — even with
    ``{}`` as the body — answered with someone else's ticket and its secret ``?token=`` link."""
    victim, attacker = app.test_client(), app.test_client()
    first = post(victim, api_data(), **{"Idempotency-Key": "ticket-1"})
    assert first.status_code == 201
    secret = first.get_json()["url"].split("token=")[1]
    for body in ({}, api_data()):
        response = post(attacker, body, **{"Idempotency-Key": "ticket-1"})
        assert "Idempotent-Replayed" not in response.headers
        assert secret not in response.get_data(as_text=True)
        assert first.get_json()["number"] not in response.get_data(as_text=True)
    assert ticket_count(app) == 2  # the attacker's full body made a ticket of their own
    # the victim's own retry still replays
    again = post(victim, api_data(), **{"Idempotency-Key": "ticket-1"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()


def test_a_logged_in_users_key_is_not_another_users(client, app):
    login(client, app, "chen", "requester")
    mine = post(client, api_data(), **{"Idempotency-Key": "shared"}).get_json()
    other = app.test_client()
    login(other, app, "wang", "requester")
    theirs = post(other, api_data(), **{"Idempotency-Key": "shared"})
    assert "Idempotent-Replayed" not in theirs.headers and theirs.get_json()["number"] != mine["number"]


def test_logged_in_requester_gets_no_token_in_the_url(client, app):
    login(client, app, "chen", "requester")
    body = post(client, {k: v for k, v in api_data().items() if not k.startswith("contact")}).get_json()
    assert body["url"] == f"/requests/{body['number']}"


def test_feedback_article_slug_is_reported(synced):
    from sqlalchemy import select
    from app.db import session_scope
    from app.models import Article

    with synced.app_context(), session_scope() as session:
        article_id = session.scalar(select(Article.id).where(Article.slug == "vpn/error-809"))
    with synced.test_request_context():
        from app.db import get_session
        from app.tickets import create_ticket
        session = get_session()
        ticket = create_ticket(session, valid_data(), source="article_feedback",
                               article=session.get(Article, article_id))
        number, token = ticket.number, ticket.access_token
    body = synced.test_client().get(f"/api/tickets/{number}?token={token}").get_json()
    assert body["article"] == "vpn/error-809"


# --- GET -----------------------------------------------------------------------------------

def test_get_with_the_token_shows_the_ticket_and_public_history(client):
    created = post(client, api_data()).get_json()
    url = created["url"]
    token = url.split("token=")[1]
    response = client.get(f"/api/tickets/{created['number']}?token={token}")
    assert response.status_code == 200
    body = response.get_json()
    assert TICKET_KEYS <= set(body)
    assert {k: body[k] for k in TICKET_KEYS - {"url"}} == {k: created[k] for k in TICKET_KEYS - {"url"}}
    assert body["url"] == f"/requests/{created['number']}"  # the token is only in the creator's response
    assert [h["kind"] for h in body["history"]] == ["created"]
    assert ISO_WITH_OFFSET.match(body["history"][0]["at"])


def test_get_hides_private_history(client, app):
    created = post(client, api_data()).get_json()
    from app.db import session_scope
    from app.models import Ticket, TicketEvent
    from sqlalchemy import select

    with app.app_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == created["number"]))
        session.add(TicketEvent(ticket_id=ticket.id, kind="note", body="内部备注：疑似账号被盗", public=False))
    token = created["url"].split("token=")[1]
    body = client.get(f"/api/tickets/{created['number']}?token={token}").get_json()
    assert "内部备注" not in str(body)


def test_get_for_the_logged_in_owner_and_for_agents(app):
    owner = app.test_client()
    login(owner, app, "owner", "requester")
    number = post(owner, api_data()).get_json()["number"]
    assert owner.get(f"/api/tickets/{number}").status_code == 200
    agent = app.test_client()
    login(agent, app, "agent1", "agent")
    assert agent.get(f"/api/tickets/{number}").status_code == 200
    admin = app.test_client()
    login(admin, app, "boss", "admin")
    assert admin.get(f"/api/tickets/{number}").status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "other_requester", "writer"])
def test_get_is_404_for_anyone_else(app, who):
    owner = app.test_client()
    login(owner, app, "owner", "requester")
    number = post(owner, api_data()).get_json()["number"]
    stranger = app.test_client()
    if who != "anonymous":
        login(stranger, app, who, who.split("_")[-1])
    response = stranger.get(f"/api/tickets/{number}")
    assert response.status_code == 404
    missing = stranger.get("/api/tickets/IT-20000101-0001")
    assert response.get_json() == missing.get_json()  # nothing tells "exists" from "not yours"


@pytest.mark.parametrize("token", ["wrong", "", "x" * 500, "令牌", "%00"])
def test_get_with_a_wrong_token_is_404(client, token):
    created = post(client, api_data()).get_json()
    assert client.get(f"/api/tickets/{created['number']}", query_string={"token": token}).status_code == 404


def test_a_token_opens_only_its_own_ticket(client):
    first = post(client, api_data()).get_json()
    second = post(client, api_data()).get_json()
    token = first["url"].split("token=")[1]
    assert client.get(f"/api/tickets/{second['number']}?token={token}").status_code == 404
