"""Accounts in a real browser, on a 390 px phone screen: an admin creates an account, the new
user logs in with the temporary password, must change it, and then votes on an article through
the page's script — an API write from a logged-in browser, which must carry the CSRF header."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
SLUG = "vpn/error-809"


def _admin(portal, username="acc-admin", password="admin-browser-phrase-9"):
    from sqlalchemy import text

    with portal.db.begin() as conn:
        if not conn.execute(text("select count(*) from users where username = :u"), {"u": username}).scalar():
            conn.execute(text("insert into users (username, display_name, password_hash, role, active, created_at) "
                              "values (:u, '测试管理员', :p, 'admin', :a, current_timestamp)"),
                         {"u": username, "p": generate_password_hash(password), "a": True})
    return username, password


def _login(page, username, password):
    page.goto("/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('main form button[type="submit"]')


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"


def test_admin_creates_an_account_and_the_user_must_change_the_password(browser, portal):
    username, password = _admin(portal)
    admin_ctx = browser.new_context(locale="zh-CN", base_url=portal.url, viewport=PHONE)
    user_ctx = browser.new_context(locale="zh-CN", base_url=portal.url, viewport=PHONE)
    try:
        admin = admin_ctx.new_page()
        _login(admin, username, password)
        admin.goto("/admin/")
        expect(admin.locator("h1")).to_have_text("账号管理")
        _fits(admin)
        admin.fill("#new-username", "acc-agent")
        admin.fill("#new-name", "李坐席")
        admin.select_option("#new-role", "agent")
        admin.click('form[action="/admin/users"] button[type="submit"]')
        expect(admin.locator("h1")).to_have_text("账号已创建")
        temporary = admin.input_value("#secret")
        assert len(temporary) >= 10
        _fits(admin)
        admin.click("text=返回账号页面")
        expect(admin.locator("main")).to_contain_text("待修改临时密码")
        _fits(admin)
        admin.goto("/admin/audit")
        expect(admin.locator("main")).to_contain_text("创建账号")
        _fits(admin)

        page = user_ctx.new_page()
        _login(page, "acc-agent", temporary)
        page.wait_for_url(re.compile(r"/account/password"))
        expect(page.locator("main")).to_contain_text("您正在使用临时密码")
        _fits(page)
        page.fill("#current", temporary)
        page.fill("#new", "qwerty123456")
        page.fill("#confirm", "qwerty123456")
        page.click('main form button[type="submit"]')
        expect(page.locator(".form-alert")).to_contain_text("常见密码")
        page.fill("#current", temporary)
        page.fill("#new", "morning-tea-by-the-lake")
        page.fill("#confirm", "morning-tea-by-the-lake")
        page.click('main form button[type="submit"]')
        expect(page.locator(".flash")).to_contain_text("密码已修改")
        assert portal.scalar("select must_change_password from users where username = 'acc-agent'") in (False, 0)

        # a logged-in vote goes through the page's script to the API, with the CSRF header
        page.goto(f"/articles/{SLUG}")
        before = portal.scalar("select count(*) from feedback")
        page.click("button.fb-yes")
        expect(page.locator("button.fb-yes")).to_have_attribute("aria-pressed", "true")
        assert portal.scalar("select count(*) from feedback") == before + 1
        assert portal.scalar(
            "select count(*) from feedback f join users u on u.id = f.user_id where u.username = 'acc-agent'") == 1
    finally:
        admin_ctx.close()
        user_ctx.close()
