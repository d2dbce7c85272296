"""create_ticket: validation with Chinese messages, what is stored, idempotency, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.models import Article, FormVisit, TicketCounter
from app.tickets import TicketValidationError

from .conftest import create, load, make_user, ticket_count, valid_data

SH = ZoneInfo("Asia/Shanghai")


def errors_for(app, data, **kwargs) -> TicketValidationError:
    with pytest.raises(TicketValidationError) as info:
        create(app, data, **kwargs)
    return info.value


def test_a_valid_request_becomes_a_ticket(app):
    ticket = create(app)
    assert re.fullmatch(r"IT-\d{8}-\d{4}", ticket.number)
    assert ticket.status == "new"
    assert ticket.priority == "P2"  # person + stopped
    assert ticket.source == "portal"
    assert ticket.requester_id is None and ticket.contact_phone == "138 0000 0000"
    assert len(ticket.access_token) >= 40
    assert [(e.kind, e.public) for e in ticket.events] == [("created", True)]
    assert ticket_count(app) == 1


def test_number_uses_the_configured_zone_and_counts_per_day(app):
    # 2026-11-20 23:30 in Shanghai is still 15:30 UTC: the number carries the Shanghai date.
    late = dt.datetime(2026, 11, 20, 23, 30, tzinfo=SH)
    first = create(app, now=late)
    second = create(app, now=late + dt.timedelta(minutes=10))
    next_day = create(app, now=late + dt.timedelta(hours=1))
    assert first.number == "IT-20261120-0001"
    assert second.number == "IT-20261120-0002"
    assert next_day.number == "IT-20261121-0001"


def test_sla_dues_are_stored_from_the_policy(app):
    friday = dt.datetime(2026, 11, 20, 17, 30, tzinfo=SH)
    ticket = load(app, create(app, now=friday).number)
    response = ticket.sla_response_due
    if response.tzinfo is None:  # SQLite hands back naive UTC
        response = response.replace(tzinfo=dt.timezone.utc)
    assert response.astimezone(SH) == dt.datetime(2026, 11, 23, 10, 30, tzinfo=SH)


def test_chinese_labels_are_accepted(app):
    ticket = create(app, valid_data(category="VPN 与远程访问", impact="全公司", urgency="业务中断"))
    assert (ticket.category, ticket.impact, ticket.urgency, ticket.priority) == ("vpn", "company", "stopped", "P1")


@pytest.mark.parametrize("subject", ["", "   ", "\n\t", None])
def test_subject_is_required(app, subject):
    exc = errors_for(app, valid_data(subject=subject))
    assert "标题" in exc.errors["subject"]
    assert ticket_count(app) == 0


def test_subject_longer_than_200_characters(app):
    exc = errors_for(app, valid_data(subject="打" * 201, description="保留我"))
    assert "200" in exc.errors["subject"]
    assert exc.values["description"] == "保留我"  # nothing typed is lost
    assert create(app, valid_data(subject="打" * 200)).subject == "打" * 200


def test_a_100_kb_description_gets_a_message_not_a_truncation(app):
    text = "日志" * 51_200  # 102,400 characters
    exc = errors_for(app, valid_data(description=text))
    assert "20,000" in exc.errors["description"] and "附件" in exc.errors["description"]
    assert exc.values["description"] == text
    assert ticket_count(app) == 0


@pytest.mark.parametrize("field,value", [
    ("category", "gardening"), ("category", ""), ("impact", "universe"), ("urgency", "someday"),
    ("category", ["vpn"]), ("impact", 3), ("urgency", None),
])
def test_choices_must_be_from_the_lists(app, field, value):
    exc = errors_for(app, valid_data(**{field: value}))
    assert set(exc.errors) == {field}
    assert "选择" in exc.errors[field]


def test_anonymous_requesters_must_leave_contact_details(app):
    exc = errors_for(app, valid_data(contact_name="", contact_email=" ", contact_phone=""))
    assert set(exc.errors) == {"contact_name", "contact_email", "contact_phone"}
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in exc.errors.values())


@pytest.mark.parametrize("email", ["zhangsan", "zhang san@example.com", "a@b", "@example.com", "x@example.com<script>"])
def test_email_must_be_valid(app, email):
    assert "邮箱" in errors_for(app, valid_data(contact_email=email)).errors["contact_email"]


@pytest.mark.parametrize("phone", ["call me", "12", "1" * 41])
def test_phone_must_look_like_a_phone(app, phone):
    assert "电话" in errors_for(app, valid_data(contact_phone=phone)).errors["contact_phone"]


def test_all_errors_are_reported_at_once(app):
    exc = errors_for(app, {"subject": " ", "category": "x"})
    assert {"subject", "category", "impact", "urgency", "contact_name", "contact_email", "contact_phone"} <= set(exc.errors)


def test_api_and_feedback_tickets_need_no_phone(app):
    ticket = create(app, valid_data(contact_phone=""), source="api")
    assert ticket.contact_phone is None


def test_logged_in_user_contact_is_filled_from_the_account(app):
    make_user(app, "lisi")
    ticket = create(app, valid_data(contact_name="", contact_email="", contact_phone=""), username="lisi")
    assert ticket.requester_id is not None
    assert (ticket.contact_name, ticket.contact_email) == ("Lisi", "lisi@example.com")


def test_html_is_stored_as_text(app):
    ticket = create(app, valid_data(subject="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>"))
    assert ticket.subject == "<script>alert(1)</script>"
    assert ticket.description == "<img src=x onerror=alert(1)>"


def test_strange_characters_never_break_saving(app):
    ticket = create(app, valid_data(subject="a\x00b\ud800c", description="x\x00y\r\nz"))
    assert ticket.subject == "ab?c"
    assert ticket.description == "xy\nz"


def test_article_lists_keep_existing_slugs_only(synced):
    ticket = create(synced, valid_data(
        shown_articles=["vpn/error-809", "no/such-article", 42, "account/reset-password", "vpn/error-809"],
        opened_articles="vpn/error-809",
        search_text="  vpn 809 ",
    ))
    assert ticket.shown_articles == ["vpn/error-809", "account/reset-password"]
    assert ticket.opened_articles == ["vpn/error-809"]
    assert ticket.search_text == "vpn 809"


def test_feedback_ticket_links_its_article_and_the_form_visit(synced):
    with synced.app_context(), session_scope() as session:
        session.add(FormVisit(token="visit-1"))
    with synced.test_request_context():
        from app.db import get_session
        from app.tickets import create_ticket

        session = get_session()
        article = session.scalar(select(Article).where(Article.slug == "vpn/error-809"))
        visit = session.scalar(select(FormVisit).where(FormVisit.token == "visit-1"))
        ticket = create_ticket(session, valid_data(), source="article_feedback", article=article, visit=visit)
        assert ticket.article_id == article.id and ticket.source == "article_feedback"
        assert ticket.visit_id == visit.id
    with synced.app_context(), session_scope() as session:
        assert session.scalar(select(FormVisit.ticket_id).where(FormVisit.token == "visit-1")) == ticket.id


def test_same_idempotency_key_returns_the_first_ticket(app):
    first = create(app, idempotency_key="a7c1-form-1", caller="session:browser-one-aaaaaa")
    again = create(app, valid_data(subject="我又点了一次提交"), idempotency_key="a7c1-form-1",
                   caller="session:browser-one-aaaaaa")
    assert again.id == first.id and again.replayed and not first.replayed
    assert ticket_count(app) == 1
    other = create(app, idempotency_key="a7c1-form-2", caller="session:browser-one-aaaaaa")
    assert other.id != first.id


def test_idempotency_keys_are_scoped_to_the_caller(app):
    make_user(app, "wangwu")
    one = create(app, idempotency_key="same-key", caller="session:browser-one-aaaaaa")
    other_browser = create(app, idempotency_key="same-key", caller="session:browser-two-bbbbbb")
    logged_in = create(app, idempotency_key="same-key", caller="user:1", username="wangwu")
    assert len({one.id, other_browser.id, logged_in.id}) == 3
    assert not other_browser.replayed


def test_without_a_caller_a_key_is_never_replayed(app):
    first = create(app, idempotency_key="k-1")
    second = create(app, idempotency_key="k-1")
    assert first.id != second.id and not second.replayed


def test_a_key_replayed_with_another_body_is_a_conflict(app):
    from app.tickets.service import IdempotencyConflict, request_fingerprint

    caller = "session:browser-one-aaaaaa"
    body = valid_data()
    first = create(app, body, idempotency_key="k-2", caller=caller, fingerprint=request_fingerprint(body))
    same = create(app, dict(reversed(list(body.items()))), idempotency_key="k-2", caller=caller,
                  fingerprint=request_fingerprint(dict(reversed(list(body.items())))))
    assert same.id == first.id and same.replayed  # key order does not matter
    changed = valid_data(subject="另一个问题")
    with pytest.raises(IdempotencyConflict):
        create(app, changed, idempotency_key="k-2", caller=caller, fingerprint=request_fingerprint(changed))
    assert ticket_count(app) == 1


def test_a_failed_submission_saves_nothing_and_gives_its_number_back(app):
    noon = dt.datetime(2026, 11, 17, 12, 0, tzinfo=SH)  # one day for every number below
    create(app, now=noon)
    with pytest.raises(TicketValidationError):
        create(app, valid_data(contact_email="bad"), now=noon)
    with pytest.raises(RuntimeError):
        with app.test_request_context():
            from app.db import get_session
            from app.tickets import create_ticket
            from sqlalchemy import event

            session = get_session()

            def boom(*_args):
                raise RuntimeError("disk full")

            event.listen(session, "before_commit", boom)
            create_ticket(session, valid_data(), now=noon)
    assert ticket_count(app) == 1
    with app.app_context(), session_scope() as session:
        assert [c.last for c in session.scalars(select(TicketCounter))] == [1]
    assert create(app, now=noon).number == "IT-20261117-0002"
