"""Hardening #6: sessions can be revoked, remember-me cookies are per login, short-lived, SameSite.

Before: a session cookie captured before logout still worked after it; ``remember_token`` was
the same on every login, survived logout, lasted 365 days and had no SameSite.
"""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from app.db import session_scope
from app.models import UserSession, utcnow

from .conftest import PASSWORD, cookie, get_user, log_in, make_user, set_cookie_header


def _who(client) -> int:
    """200 when the client is logged in (the password page needs a login), 302 when not."""
    return client.get("/account/password").status_code


def _copy_cookies(source, target, *names):
    for name in names:
        value = cookie(source, name)
        if value is not None:
            target.set_cookie(name, value.value)


def test_a_session_cookie_captured_before_logout_is_dead_after_it(app):
    make_user(app, "zhang")
    victim, thief = app.test_client(), app.test_client()
    assert log_in(victim, "zhang").status_code == 302
    _copy_cookies(victim, thief, "session")
    assert _who(thief) == 200  # the copy works while the login lives
    victim.post("/logout")
    assert _who(victim) == 302
    assert _who(thief) == 302  # …and not after logout


def test_logout_ends_every_login_of_the_account(app):
    make_user(app, "zhang")
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "zhang")
    log_in(phone, "zhang", remember=True)
    laptop.post("/logout")
    assert _who(phone) == 302
    phone.delete_cookie("session")
    assert _who(phone) == 302  # its remember-me cookie is dead too


def test_remember_me_is_new_on_every_login_and_dies_at_logout(app):
    make_user(app, "zhang")
    first, second = app.test_client(), app.test_client()
    log_in(first, "zhang", remember=True)
    log_in(second, "zhang", remember=True)
    a, b = cookie(first, "remember_token").value, cookie(second, "remember_token").value
    assert a != b
    assert str(get_user(app, "zhang").id) not in (a.split("|")[0], b.split("|")[0])

    thief = app.test_client()
    thief.set_cookie("remember_token", a)
    assert _who(thief) == 200  # a remembered login restores the session…
    first.post("/logout")
    again = app.test_client()
    again.set_cookie("remember_token", a)
    assert _who(again) == 302  # …until logout


def test_remember_cookie_flags(app):
    make_user(app, "zhang")
    client = app.test_client()
    response = log_in(client, "zhang", remember=True)
    header = set_cookie_header(response, "remember_token")
    assert header is not None
    assert "SameSite=Lax" in header and "HttpOnly" in header and "Secure" not in header
    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0])
    assert expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=14, minutes=1)
    session_header = set_cookie_header(response, "session")
    assert "HttpOnly" in session_header and "SameSite=Lax" in session_header


def test_cookies_are_secure_when_the_portal_is_served_over_https(make_app):
    app = make_app(KB_BASE_URL="https://kb.example.com")
    make_user(app, "zhang")
    response = log_in(app.test_client(), "zhang", remember=True, base_url="https://kb.example.com")
    for name in ("session", "remember_token"):
        assert "Secure" in set_cookie_header(response, name)
    forced = make_app(KB_SECURE_COOKIES="1")
    assert forced.config["SESSION_COOKIE_SECURE"] and forced.config["REMEMBER_COOKIE_SECURE"]
    off = make_app(KB_BASE_URL="https://kb.example.com", KB_SECURE_COOKIES="0")
    assert not off.config["SESSION_COOKIE_SECURE"]


def test_a_password_change_ends_the_other_logins_but_keeps_this_one(app):
    make_user(app, "zhang")
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, "zhang")
    log_in(elsewhere, "zhang", remember=True)
    response = here.post("/account/password", data={"current": PASSWORD, "new": "another-long-phrase-7",
                                                    "confirm": "another-long-phrase-7"})
    assert response.status_code == 302
    assert _who(here) == 200
    assert _who(elsewhere) == 302
    assert get_user(app, "zhang").check_password("another-long-phrase-7")


def test_disabling_an_account_ends_its_logins(app, runner):
    make_user(app, "zhang")
    client = app.test_client()
    log_in(client, "zhang", remember=True)
    result = runner.invoke(args=["kb", "user", "disable", "zhang"])
    assert result.exit_code == 0, result.output
    assert _who(client) == 302
    assert log_in(app.test_client(), "zhang").status_code == 401
    runner.invoke(args=["kb", "user", "enable", "zhang"])
    assert _who(client) == 302  # enabling does not bring old logins back
    assert log_in(app.test_client(), "zhang").status_code == 302


def test_a_login_ends_by_itself(app):
    make_user(app, "zhang")
    client = app.test_client()
    log_in(client, "zhang")
    with app.app_context(), session_scope() as session:
        (row,) = session.scalars(select(UserSession)).all()
        assert dt.timedelta(hours=11) < row.expires_at.replace(tzinfo=dt.timezone.utc) - utcnow() <= dt.timedelta(hours=12)
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
    assert _who(client) == 302


def test_a_cookie_with_a_bare_user_id_no_longer_logs_in(app):
    """Sessions signed before the upgrade held the user id; they must not be accepted."""
    user_id = make_user(app, "zhang")
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
    assert _who(client) == 302


def test_only_a_hash_of_the_session_key_is_stored(app):
    make_user(app, "zhang")
    client = app.test_client()
    log_in(client, "zhang")
    with client.session_transaction() as sess:
        key = sess["_user_id"]
    with app.app_context(), session_scope() as session:
        (row,) = session.scalars(select(UserSession)).all()
        assert key.split(".", 1)[1] not in row.key_hash and len(row.key_hash) == 64
