"""A user's own password: the policy, the change page, and temporary passwords that must go."""

from __future__ import annotations

import pytest

from app.accounts.passwords import check_policy, temporary_password

from .conftest import PASSWORD, get_user, log_in, make_user

NEW = "blue-lantern-orchard"


@pytest.mark.parametrize("password, problem", [
    ("short1", "至少需要 10 个字符"),
    ("password123", "常见密码"),
    ("Password2024!", "常见密码"),
    ("qwertyuiop", "常见密码"),
    ("zhangsan-2024", "不能包含用户名"),
    ("nasgnahz-2024", "不能包含用户名"),
    ("aaaaaaaaaaaa", "同一个字符"),
    ("123456789012", "太容易被猜中"),
    ("qazwsxedcrfv", "常见密码"),
    ("abcdefghijkl", "太容易被猜中"),
])
def test_the_policy_refuses(password, problem):
    assert any(problem in p for p in check_policy(password, "zhangsan")), check_policy(password, "zhangsan")


def test_the_policy_accepts_a_long_uncommon_phrase():
    assert check_policy(NEW, "zhangsan") == []
    assert check_policy("我的密码是一句很长的中文", "zhangsan") == []
    assert check_policy(temporary_password(), "zhangsan") == []


def test_the_minimum_length_is_a_setting(make_app):
    app = make_app(KB_PASSWORD_MIN_LENGTH="16")
    with app.app_context():
        assert any("16" in p for p in check_policy("fifteen-chars-x", "li"))


def test_change_own_password(app):
    make_user(app, "zhang")
    client = app.test_client()
    log_in(client, "zhang")
    page = client.get("/account/password")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"

    def change(current, new, confirm=None):
        return client.post("/account/password", data={"current": current, "new": new,
                                                      "confirm": new if confirm is None else confirm})

    wrong = change("not-it", NEW)
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    assert "两次输入的新密码不一致" in change(PASSWORD, NEW, NEW + "x").get_data(as_text=True)
    common = change(PASSWORD, "iloveyou123")
    assert common.status_code == 400 and "常见密码" in common.get_data(as_text=True)
    assert "不能与当前密码相同" in change(PASSWORD, PASSWORD).get_data(as_text=True)
    assert get_user(app, "zhang").check_password(PASSWORD)
    done = change(PASSWORD, NEW)
    assert done.status_code == 302
    assert get_user(app, "zhang").check_password(NEW)
    assert "密码已修改" in client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(app):
    response = app.test_client().get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_temporary_password_must_be_changed_before_anything_else(app, runner):
    make_user(app, "zhang")
    result = runner.invoke(args=["kb", "user", "reset-password", "zhang"])
    temporary = result.output.split("：")[-1].strip()
    client = app.test_client()
    response = client.post("/login?next=/requests/new", data={"username": "zhang", "password": temporary})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/password?next=")
    assert "您正在使用临时密码" in client.get("/account/password").get_data(as_text=True)
    gated = client.get("/requests/new")
    assert gated.status_code == 302 and "/account/password" in gated.headers["Location"]
    api = client.get("/api/search?q=VPN")
    assert api.status_code == 403 and api.get_json()["error"] == "password_change_required"
    changed = client.post("/account/password", data={"current": temporary, "new": NEW, "confirm": NEW,
                                                     "next": "/requests/new"})
    assert changed.headers["Location"] == "/requests/new"
    assert client.get("/requests/new").status_code == 200
    assert not get_user(app, "zhang").must_change_password


def test_kb_init_admin_password_must_be_changed_at_first_login(app, runner):
    result = runner.invoke(args=["kb", "init"])
    assert result.exit_code == 0, result.output
    password = result.output.split("首次登录后必须修改）：")[1].splitlines()[1].strip()
    assert get_user(app, "admin").must_change_password
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": password})
    assert "/account/password" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302
