"""``/admin/``: accounts, tokens and the audit log, for admins only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.models import ApiToken, User

from .conftest import PASSWORD, audit_actions, csrf_from, get_user, log_in, make_user

PAGES = ("/admin/", "/admin/tokens", "/admin/audit", "/admin/users/1")


@pytest.fixture
def admin(app):
    make_user(app, "boss", "admin")
    client = app.test_client()
    assert log_in(client, "boss").status_code == 302
    return client


def _user_id(app, name):
    return get_user(app, name).id


def test_only_admins_see_the_admin_pages(app):
    make_user(app, "boss", "admin", email="boss-secret@example.com")
    for path in PAGES:
        response = app.test_client().get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for role in ("requester", "agent", "writer"):
        client = app.test_client()
        make_user(app, f"u-{role}", role)
        log_in(client, f"u-{role}")
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 403, (role, path)
            assert "boss-secret@example.com" not in response.get_data(as_text=True)
        response = client.post(f"/admin/users/{_user_id(app, 'boss')}/disable")
        assert response.status_code == 403
    assert get_user(app, "boss").active


def test_admin_pages_list_accounts_and_are_not_cached(app, admin):
    make_user(app, "zhang", display_name="张三")
    page = admin.get("/admin/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "张三" in text and "zhang" in text and "管理员" in text
    assert page.headers["Cache-Control"] == "no-store"
    assert 'name="viewport"' in text
    found = admin.get("/admin/?q=张").get_data(as_text=True)
    assert "zhang" in found and "/admin/users/1\"" not in found  # boss (id 1) is filtered out
    assert "boss" in admin.get("/admin/?role=admin").get_data(as_text=True)
    for path in ("/admin/?page=x", "/admin/?q=%00", "/admin/users/999999", "/admin/users/99999999999"):
        assert admin.get(path).status_code in (200, 404), path


def test_creating_an_account_shows_a_temporary_password_once(app, admin):
    response = admin.post("/admin/users", data={"username": "wang", "display_name": "王五", "role": "agent",
                                               "email": "wang@example.com"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    password = re.search(r'id="secret"[^>]*value="([^"]+)"', text).group(1)
    assert "只显示这一次" in text and response.headers["Cache-Control"] == "no-store"
    user = get_user(app, "wang")
    assert user.role == "agent" and user.must_change_password and user.check_password(password)
    assert password not in admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    # taken names and bad input are refused, what was typed is kept
    again = admin.post("/admin/users", data={"username": "wang", "display_name": "另一个王五", "role": "agent"})
    assert again.status_code == 400
    assert "已存在" in again.get_data(as_text=True) and "另一个王五" in again.get_data(as_text=True)
    assert admin.post("/admin/users", data={"username": "a b", "role": "agent"}).status_code == 400
    assert admin.post("/admin/users", data={"username": "x1", "role": "root"}).status_code == 400


def test_role_disable_enable_and_reset_are_audited(app, admin):
    uid = make_user(app, "zhang")
    assert admin.post(f"/admin/users/{uid}/role", data={"role": "writer"}).status_code == 302
    assert get_user(app, "zhang").role == "writer"
    admin.post(f"/admin/users/{uid}/disable")
    assert not get_user(app, "zhang").active
    admin.post(f"/admin/users/{uid}/enable")
    assert get_user(app, "zhang").active
    reset = admin.post(f"/admin/users/{uid}/reset-password")
    temporary = re.search(r'id="secret"[^>]*value="([^"]+)"', reset.get_data(as_text=True)).group(1)
    assert not get_user(app, "zhang").check_password(PASSWORD)
    admin.post(f"/admin/users/{uid}/sessions/end")
    actions = audit_actions(app)
    assert [a for _, a, _ in actions] == ["user.set_role", "user.disable", "user.enable", "user.reset_password",
                                          "user.end_sessions"]
    assert {who for who, _, _ in actions} == {"boss"} and {t for _, _, t in actions} == {"zhang"}
    log_page = admin.get("/admin/audit").get_data(as_text=True)
    for words in ("修改角色", "员工 → 文档作者", "停用账号", "启用账号", "重置密码", "boss"):
        assert words in log_page
    assert temporary not in log_page
    # the reset user must change the temporary password at next login
    client = app.test_client()
    response = log_in(client, "zhang", temporary)
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]


def test_the_last_active_admin_cannot_be_disabled_or_demoted(app, admin):
    boss = _user_id(app, "boss")
    response = admin.post(f"/admin/users/{boss}/disable", follow_redirects=True)
    assert "最后一位在用的管理员" in response.get_data(as_text=True)
    admin.post(f"/admin/users/{boss}/role", data={"role": "agent"})
    user = get_user(app, "boss")
    assert user.active and user.role == "admin"
    # with a second admin it works; then that one is the last
    second = make_user(app, "boss2", "admin")
    admin.post(f"/admin/users/{boss}/role", data={"role": "agent"})
    assert get_user(app, "boss").role == "agent"
    other = app.test_client()
    log_in(other, "boss2")
    other.post(f"/admin/users/{second}/disable")
    assert get_user(app, "boss2").active
    assert [a for _, a, _ in audit_actions(app)] == ["user.set_role"]


def test_a_disabled_admin_does_not_count_as_the_other_admin(app, admin):
    make_user(app, "old-admin", "admin", active=False)
    admin.post(f"/admin/users/{_user_id(app, 'boss')}/role", data={"role": "agent"})
    assert get_user(app, "boss").role == "admin"


def test_tokens_are_made_listed_and_revoked_on_the_admin_pages(app, admin):
    uid = make_user(app, "robot", "agent")
    made = admin.post(f"/admin/users/{uid}/tokens", data={"name": "夜间同步"})
    token = re.search(r'id="secret"[^>]*value="([^"]+)"', made.get_data(as_text=True)).group(1)
    assert token.startswith("kb_")
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/search?q=VPN", headers=headers).status_code == 200
    listing = admin.get("/admin/tokens").get_data(as_text=True)
    assert "夜间同步" in listing and "robot" in listing and token not in listing
    with app.app_context(), session_scope() as session:
        token_id = session.scalar(select(ApiToken.id))
    assert admin.post(f"/admin/tokens/{token_id}/revoke", data={"back": "tokens"}).status_code == 302
    assert app.test_client().get("/api/search?q=VPN", headers=headers).status_code == 401
    assert "已撤销" in admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert admin.post("/admin/tokens/424242/revoke").status_code == 404
    assert admin.post("/admin/tokens/99999999999/revoke").status_code == 404
    assert [a for _, a, _ in audit_actions(app)] == ["token.create", "token.revoke"]


def test_admin_forms_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app, "boss", "admin")
    uid = make_user(app, "zhang")
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token})
    assert client.post(f"/admin/users/{uid}/disable").status_code == 400
    assert get_user(app, "zhang").active
    page = client.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert client.post(f"/admin/users/{uid}/disable", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert not get_user(app, "zhang").active


def test_a_disabled_admin_is_locked_out_at_once(app, admin):
    make_user(app, "boss2", "admin")
    second = app.test_client()
    log_in(second, "boss2")
    admin.post(f"/admin/users/{_user_id(app, 'boss2')}/disable")
    assert second.get("/admin/").status_code == 302


def test_the_header_links_admins_to_the_admin_page(app, admin):
    assert 'href="/admin/"' in admin.get("/").get_data(as_text=True)
    make_user(app, "zhang")
    client = app.test_client()
    log_in(client, "zhang")
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)


def test_user_rows_are_paged(app, admin):
    with app.app_context(), session_scope() as session:
        for i in range(60):
            session.add(User(username=f"bulk{i:03d}", role="requester", password_hash="x"))
    first = admin.get("/admin/").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "bulk000" in first and "bulk059" not in first
    assert "bulk059" in admin.get("/admin/?page=2").get_data(as_text=True)
