"""Hardening #5: failed logins are throttled per account and per address, across workers.

Before: 300 wrong passwords at 5/s were all answered 401, and then the right one worked.
"""

from __future__ import annotations

import pytest

from app.accounts.settings import parse_limit

from .conftest import log_in, make_user


@pytest.fixture
def throttled(make_app):
    def make(**limits):
        return make_app(RATELIMIT_ENABLED=True, **limits)

    return make


def test_wrong_passwords_lock_the_account_for_a_while_even_for_the_right_one(throttled):
    app = throttled(KB_LOGIN_LIMIT_ACCOUNT="5 per 15 minutes")
    make_user(app, "zhang")
    client = app.test_client()
    statuses = [log_in(client, "zhang", f"guess-{i}").status_code for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    response = log_in(client, "zhang")  # the right password is refused too while locked
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert "登录失败次数过多" in text and "分钟后再试" in text
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60 + 1
    assert 'value="zhang"' in text  # what was typed is kept
    # another account from another address is not affected
    make_user(app, "li")
    assert log_in(app.test_client(), "li", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302


def test_the_account_lock_holds_from_every_address(throttled):
    app = throttled(KB_LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    make_user(app, "zhang")
    for i in range(3):
        log_in(app.test_client(), "zhang", "wrong", environ_base={"REMOTE_ADDR": f"10.0.1.{i}"})
    assert log_in(app.test_client(), "zhang", environ_base={"REMOTE_ADDR": "10.0.2.1"}).status_code == 429


def test_one_address_cannot_spray_many_accounts(throttled):
    app = throttled(KB_LOGIN_LIMIT_ADDRESS="4 per 15 minutes")
    for name in ("a1", "a2", "a3", "a4", "a5"):
        make_user(app, name)
    client = app.test_client()
    statuses = [log_in(client, name, "wrong").status_code for name in ("a1", "a2", "a3", "a4", "a5")]
    assert statuses == [401, 401, 401, 401, 429]
    assert log_in(client, "a5").status_code == 429
    assert log_in(app.test_client(), "a5", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 302


def test_unknown_names_are_throttled_like_known_ones(throttled):
    app = throttled(KB_LOGIN_LIMIT_ACCOUNT="2 per 15 minutes")
    make_user(app, "zhang")
    for name in ("zhang", "nobody"):
        client = app.test_client()
        statuses = [log_in(client, name, "wrong", environ_base={"REMOTE_ADDR": f"10.3.0.{len(name)}"}).status_code
                    for _ in range(3)]
        assert statuses == [401, 401, 429], name


def test_a_success_forgets_the_accounts_failures(throttled):
    app = throttled(KB_LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    make_user(app, "zhang")
    client = app.test_client()
    for _ in range(2):
        log_in(client, "zhang", "typo")
    assert log_in(client, "zhang").status_code == 302
    client.post("/logout")
    assert [log_in(client, "zhang", "typo").status_code for _ in range(3)] == [401, 401, 401]


def test_the_count_is_shared_by_every_worker(throttled, tmp_path):
    """Two app objects on one instance folder stand for two gunicorn workers."""
    app_a = throttled(KB_LOGIN_LIMIT_ACCOUNT="4 per 15 minutes")
    app_b = throttled(KB_LOGIN_LIMIT_ACCOUNT="4 per 15 minutes", KB_INSTANCE_DIR=app_a.config["KB_INSTANCE_DIR"],
                      KB_DATABASE_URL=app_a.config["KB_DATABASE_URL"])
    make_user(app_a, "zhang")
    a, b = app_a.test_client(), app_b.test_client()
    assert [log_in(c, "zhang", "wrong").status_code for c in (a, b, a, b)] == [401] * 4
    assert log_in(b, "zhang").status_code == 429
    assert log_in(a, "zhang").status_code == 429


def test_limits_are_read_in_the_limits_notation():
    assert parse_limit("5 per 15 minutes") == (5, 900)
    assert parse_limit("20/hour") == (20, 3600)
    assert parse_limit((3, 60)) == (3, 60)
    with pytest.raises(ValueError, match="格式不对"):
        parse_limit("lots")


def test_a_bad_limit_setting_stops_the_app_at_start(throttled):
    with pytest.raises(ValueError, match="KB_LOGIN_LIMIT_ACCOUNT"):
        throttled(KB_LOGIN_LIMIT_ACCOUNT="five a minute")


def test_the_password_page_counts_wrong_current_passwords(throttled):
    app = throttled(KB_LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    make_user(app, "zhang")
    client = app.test_client()
    assert log_in(client, "zhang").status_code == 302
    statuses = [client.post("/account/password", data={"current": f"g{i}", "new": "x" * 12, "confirm": "x" * 12}).status_code
                for i in range(4)]
    assert statuses == [400, 400, 400, 429]
    refused = client.post("/account/password", data={"current": "g9", "new": "x" * 12, "confirm": "x" * 12})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0   # like the login page
