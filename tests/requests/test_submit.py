"""Submitting: with the page script (step=submit) and without JavaScript (check → confirm)."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from app.db import session_scope
from app.models import Attachment

from .conftest import visit_row_or_none, VALID, form_data, only_ticket, open_form, ticket_count, visit_row


def test_script_submit_creates_the_ticket_and_shows_number_priority_and_due_time(form_client, synced):
    token, _ = open_form(form_client)
    form_client.post(f"/api/visits/{token}/suggest", json={"subject": VALID["subject"]})
    form_client.post(f"/api/visits/{token}/events", json={"type": "opened", "slug": "vpn/error-809"})
    response = form_client.post("/requests/new", data=form_data(token))
    assert response.status_code == 303
    ticket = only_ticket(synced)
    assert response.headers["Location"].endswith(f"/requests/new/submitted/{ticket.number}")
    page = form_client.get(response.headers["Location"])
    assert page.status_code == 200
    assert ticket.number in page.text
    assert "P2" in page.text  # person × stopped
    assert "预计响应时间" in page.text and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page.text)
    assert ticket.subject == VALID["subject"] and ticket.priority == "P2"
    assert ticket.shown_articles == ["vpn/error-809"]
    assert ticket.opened_articles == ["vpn/error-809"]
    assert ticket.search_text and "809" in ticket.search_text
    visit = visit_row(synced, token)
    assert ticket.visit_id == visit.id and visit.ticket_id == ticket.id


def test_double_submit_creates_one_ticket(form_client, synced):
    token, _ = open_form(form_client)
    first = form_client.post("/requests/new", data=form_data(token))
    second = form_client.post("/requests/new", data=form_data(token))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert ticket_count(synced) == 1


def test_retry_without_the_session_cookie_still_creates_one_ticket(form_client, synced):
    token, _ = open_form(form_client)
    form_client.post("/requests/new", data=form_data(token))
    other = synced.test_client()  # a browser retry that lost the cookie
    response = other.post("/requests/new", data=form_data(token))
    assert response.status_code == 303
    assert ticket_count(synced) == 1


def test_confirmation_of_someone_elses_ticket_is_not_found(form_client, synced):
    token, _ = open_form(form_client)
    location = form_client.post("/requests/new", data=form_data(token)).headers["Location"]
    assert synced.test_client().get(location).status_code == 404


def test_without_javascript_matching_articles_come_first(form_client, synced):
    token, _ = open_form(form_client)
    response = form_client.post("/requests/new", data=form_data(token, step="check"))
    assert response.status_code == 200
    html = response.text
    assert "这解决了我的问题" in html and "仍然提交" in html
    assert f"/requests/new/open/{token}/vpn/error-809" in html
    assert ticket_count(synced) == 0
    # everything typed travels in hidden fields
    for name in ("subject", "description", "contact_name", "contact_phone"):
        assert f'name="{name}" value="{VALID[name]}"' in html, name
    visit = visit_row(synced, token)
    assert "vpn/error-809" in visit.shown and visit.queries

    confirmed = form_client.post("/requests/new", data=form_data(token, step="confirm"))
    assert confirmed.status_code == 303
    ticket = only_ticket(synced)
    assert ticket.shown_articles and ticket.description == VALID["description"]


def test_without_javascript_opening_a_suggestion_is_recorded(form_client, synced):
    token, _ = open_form(form_client)
    response = form_client.get(f"/requests/new/open/{token}/vpn/error-809")
    assert response.status_code == 302 and response.headers["Location"].endswith("/articles/vpn/error-809")
    assert visit_row(synced, token).opened == ["vpn/error-809"]
    assert form_client.get(f"/requests/new/open/{token}/internal/ad-unlock").status_code == 404


def test_without_javascript_nothing_matching_creates_the_ticket_at_once(form_client, synced):
    token, _ = open_form(form_client)
    response = form_client.post(
        "/requests/new", data=form_data(token, step="check", subject="工位显示器支架松了", description="")
    )
    assert response.status_code == 303
    assert ticket_count(synced) == 1


def test_back_to_edit_keeps_everything(form_client):
    token, _ = open_form(form_client)
    response = form_client.post("/requests/new", data=form_data(token, step="edit"))
    assert response.status_code == 200
    assert f'value="{VALID["subject"]}"' in response.text
    assert VALID["description"] in response.text


def test_solved_ends_the_visit_without_a_ticket(form_client, synced):
    token, _ = open_form(form_client)
    form_client.post("/requests/new", data=form_data(token, step="check"))
    response = form_client.post("/requests/new/solved", data={"visit": token, "article_slug": "vpn/error-809"})
    assert response.status_code == 303
    thanks = form_client.get(response.headers["Location"])
    assert "问题已经解决" in thanks.text and "没有提交服务请求" in thanks.text
    visit = visit_row(synced, token)
    assert visit.solved_at is not None and visit.solved_article == "vpn/error-809"
    assert ticket_count(synced) == 0


def test_solved_for_a_visit_of_another_session_is_refused(form_client, synced):
    token, _ = open_form(form_client)
    other = synced.test_client()
    assert other.post("/requests/new/solved", data={"visit": token, "article_slug": "vpn/error-809"}).status_code == 404
    assert visit_row_or_none(synced, token) is None  # the other session started nothing


def test_attachments_wait_on_the_server_between_check_and_confirm(form_client, synced):
    token, _ = open_form(form_client)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    data = form_data(token, step="check")
    data["attachments"] = (io.BytesIO(png), "screen.png")
    response = form_client.post("/requests/new", data=data, content_type="multipart/form-data")
    assert "screen.png" in response.text  # "附件已保存"
    form_client.post("/requests/new", data=form_data(token, step="confirm"))
    ticket = only_ticket(synced)
    with synced.app_context(), session_scope() as session:
        rows = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
        assert [(r.filename, r.size) for r in rows] == [("screen.png", len(png))]


def test_a_form_sent_back_for_a_missing_field_keeps_its_attachment(form_client, synced):
    """The request form comes back with 「请选择紧急程度」: the file chosen is kept on the server
    (「已保存的附件」) and reaches the ticket when the form is sent again without it."""
    token, _ = open_form(form_client)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    data = form_data(token, urgency="")
    data["attachments"] = (io.BytesIO(png), "screen.png")
    back = form_client.post("/requests/new", data=data, content_type="multipart/form-data")
    assert back.status_code == 400 and "请选择紧急程度" in back.text
    assert "已保存的附件：screen.png" in back.text
    form_client.post("/requests/new", data=form_data(token))
    ticket = only_ticket(synced)
    with synced.app_context(), session_scope() as session:
        rows = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
        assert [(r.filename, r.size) for r in rows] == [("screen.png", len(png))]


def test_a_second_file_joins_the_one_already_kept(form_client, synced):
    token, _ = open_form(form_client)
    first = form_data(token, urgency="")
    first["attachments"] = (io.BytesIO(b"first log line\n"), "a.txt")
    form_client.post("/requests/new", data=first, content_type="multipart/form-data")
    second = form_data(token, step="check")
    second["attachments"] = (io.BytesIO(b"second log line\n"), "b.txt")
    page = form_client.post("/requests/new", data=second, content_type="multipart/form-data")
    assert "a.txt" in page.text and "b.txt" in page.text
    form_client.post("/requests/new", data=form_data(token, step="confirm"))
    ticket = only_ticket(synced)
    with synced.app_context(), session_scope() as session:
        rows = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
        assert sorted(r.filename for r in rows) == ["a.txt", "b.txt"]
