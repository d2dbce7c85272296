"""Bad input: a clear Chinese message at the field, everything typed kept, nothing half-saved."""

from __future__ import annotations

import html as htmllib
import io
import re
from pathlib import Path

import pytest

from tests.conftest import _teardown, build_app

from .conftest import VALID, form_data, only_ticket, open_form, ticket_count


def _field_error(html: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="{name}-error">([^<]+)</p>', html)
    assert match, f"no error shown at {name}"
    return htmllib.unescape(match.group(1))


def _marked_invalid(html: str, name: str) -> bool:
    tag = re.search(rf'<(input|textarea|select)[^>]*id="f-{name}"[^>]*>', html, re.S).group(0)
    return 'aria-invalid="true"' in tag and f"{name}-error" in tag


def _attachments_dir(app) -> Path:
    return Path(app.config["KB_INSTANCE_DIR"]) / "attachments"


@pytest.mark.parametrize("subject", ["", "   \t  "])
def test_empty_title(form_client, synced, subject):
    token, _ = open_form(form_client)
    response = form_client.post("/requests/new", data=form_data(token, subject=subject))
    assert response.status_code == 400
    assert "请填写标题" in _field_error(response.text, "subject")
    assert _marked_invalid(response.text, "subject")
    assert VALID["description"] in response.text and 'value="138 0000 0000"' in response.text
    assert ticket_count(synced) == 0


def test_100_kb_description(form_client, synced):
    token, _ = open_form(form_client)
    long_text = "日志" * 51_200  # 100 KB of text
    response = form_client.post("/requests/new", data=form_data(token, description=long_text))
    assert response.status_code == 400
    assert "问题描述最多" in _field_error(response.text, "description")
    assert long_text in response.text  # kept, to be shortened by the person
    assert f'value="{VALID["subject"]}"' in response.text
    assert ticket_count(synced) == 0


def test_html_and_script_are_kept_as_text_and_never_run(form_client, synced):
    token, _ = open_form(form_client)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = form_client.post("/requests/new", data=form_data(token, subject=evil, category="nonsense"))
    assert response.status_code == 400
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert "&lt;script&gt;" in response.text
    response = form_client.post("/requests/new", data=form_data(token, subject=evil, description=evil,
                                                                contact_name=evil[:60]))
    assert response.status_code == 303
    ticket = only_ticket(synced)
    assert ticket.subject == evil and ticket.description == evil
    page = form_client.get(response.headers["Location"])
    assert "<script>alert" not in page.text


def test_emoji_and_traditional_chinese_are_stored_exactly(form_client, synced):
    token, _ = open_form(form_client)
    subject = "印表機無法列印 😭🖨️"
    description = "連線逾時，請協助處理。👍 𠮷"
    response = form_client.post("/requests/new", data=form_data(token, subject=subject, description=description,
                                                                category="printing"))
    assert response.status_code == 303
    ticket = only_ticket(synced)
    assert (ticket.subject, ticket.description) == (subject, description)


def test_nul_and_control_characters_never_reach_the_database(form_client, synced):
    token, _ = open_form(form_client)
    response = form_client.post("/requests/new", data=form_data(token, subject="VPN\x00 坏了\x07"))
    assert response.status_code == 303
    assert only_ticket(synced).subject == "VPN 坏了"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("category", "hacking", "请从列表中选择问题类别"),
        ("impact", "universe", "请从列表中选择影响范围"),
        ("urgency", "yesterday", "请从列表中选择紧急程度"),
        ("impact", None, "请选择影响范围"),
    ],
)
def test_unknown_or_missing_choice(form_client, synced, field, value, message):
    token, _ = open_form(form_client)
    response = form_client.post("/requests/new", data=form_data(token, **{field: value}))
    assert response.status_code == 400
    assert message in _field_error(response.text, field)
    assert VALID["description"] in response.text
    assert ticket_count(synced) == 0


def test_anonymous_without_contact_details(form_client, synced):
    token, _ = open_form(form_client)
    response = form_client.post(
        "/requests/new", data=form_data(token, contact_name="", contact_email="", contact_phone="")
    )
    assert response.status_code == 400
    assert "姓名" in _field_error(response.text, "contact_name")
    assert "邮箱" in _field_error(response.text, "contact_email")
    assert _marked_invalid(response.text, "contact_name")
    assert ticket_count(synced) == 0


def test_exe_attachment_is_refused_at_the_field_and_nothing_is_saved(form_client, synced):
    token, _ = open_form(form_client)
    data = form_data(token)
    data["attachments"] = [(io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), "setup.exe"),
                           (io.BytesIO(b"hello"), "notes.txt")]
    response = form_client.post("/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "setup.exe" in _field_error(response.text, "attachments")
    assert _marked_invalid(response.text, "attachments")
    assert f'value="{VALID["subject"]}"' in response.text
    assert ticket_count(synced) == 0
    assert not any(_attachments_dir(synced).glob("*")) if _attachments_dir(synced).exists() else True


@pytest.fixture
def limited(tmp_path, articles_dir, pg_available):
    """The app with the production request-size limit (25 MB) set explicitly."""
    app, drop = build_app(tmp_path, articles_dir, pg_available, MAX_CONTENT_LENGTH=25 * 1024 * 1024)
    assert app.test_cli_runner().invoke(args=["kb", "sync"]).exit_code == 0
    yield app
    _teardown(app, drop)


def test_50_mb_attachment_renders_the_form_with_everything_typed(limited):
    client = limited.test_client()
    token, _ = open_form(client)
    data = form_data(token, description="附件是完整的日志")
    data["attachments"] = (io.BytesIO(b"a" * (50 * 1024 * 1024)), "full.log")
    response = client.post("/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "<form" in response.text and "full.log" in _field_error(response.text, "attachments")
    assert "太大" in _field_error(response.text, "attachments")
    assert f'value="{VALID["subject"]}"' in response.text and "附件是完整的日志" in response.text
    assert 'value="138 0000 0000"' in response.text
    assert ticket_count(limited) == 0


def test_large_but_allowed_request_with_one_file_over_10_mb(form_client, synced):
    token, _ = open_form(form_client)
    data = form_data(token)
    data["attachments"] = (io.BytesIO(b"a" * (11 * 1024 * 1024)), "big.log")
    response = form_client.post("/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "10 MB" in _field_error(response.text, "attachments")
    assert ticket_count(synced) == 0


@pytest.fixture
def csrf_app(tmp_path, articles_dir, pg_available):
    app, drop = build_app(tmp_path, articles_dir, pg_available, WTF_CSRF_ENABLED=True)
    assert app.test_cli_runner().invoke(args=["kb", "sync"]).exit_code == 0
    yield app
    _teardown(app, drop)


def test_expired_csrf_token_keeps_everything_and_says_so_at_the_top(csrf_app):
    client = csrf_app.test_client()
    token, html = open_form(client)
    response = client.post("/requests/new", data=form_data(token, csrf_token="expired-or-forged"))
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "安全校验已过期" in response.text
    assert f'value="{VALID["subject"]}"' in response.text and VALID["description"] in response.text
    assert ticket_count(csrf_app) == 0
    # the re-rendered form carries a fresh token that works
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
    again = client.post("/requests/new", data=form_data(token, csrf_token=fresh))
    assert again.status_code == 303 and ticket_count(csrf_app) == 1
