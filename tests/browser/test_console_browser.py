"""Issue 9 "Done when" in headless Chromium: an agent takes an unassigned ticket from the queue,
writes an internal note, finds the 0x80070005 article with the solutions panel's code search and
resolves with it; the requester's view shows the reply and the article link, never the note.
The queue also fits a 390 px phone screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
NOTE = "内部：本机组策略禁止写入 C:\\ProgramData，先查 GPO"


def _user(portal, username, role, password):
    from sqlalchemy import text

    with portal.db.begin() as conn:
        if not conn.execute(text("select count(*) from users where username = :u"), {"u": username}).scalar():
            conn.execute(text("insert into users (username, display_name, email, password_hash, role, active, away, "
                              "must_change_password, created_at) values (:u, :d, :e, :p, :r, :a, :f, :f, current_timestamp)"),
                         {"u": username, "d": username.upper(), "e": f"{username}@example.com",
                          "p": generate_password_hash(password), "r": role, "a": True, "f": False})


def _login(page, username, password):
    page.goto("/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('main form button[type="submit"]')
    page.wait_for_url(lambda url: "/login" not in url)


def test_agent_resolves_with_the_code_article_and_the_requester_sees_no_note(browser, portal):
    _user(portal, "con-req", "requester", "requester-phrase-123")
    _user(portal, "con-agent", "agent", "agent-phrase-12345")
    req_ctx = browser.new_context(locale="zh-CN", base_url=portal.url, viewport=PHONE)
    agent_ctx = browser.new_context(locale="zh-CN", base_url=portal.url, viewport={"width": 1280, "height": 900})
    try:
        requester = req_ctx.new_page()
        _login(requester, "con-req", "requester-phrase-123")
        requester.goto("/")
        created = requester.evaluate("""async () => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const r = await fetch('/api/tickets', {method: 'POST', headers: {'Content-Type': 'application/json',
              'X-CSRFToken': token}, body: JSON.stringify({subject: '安装软件时提示 0x80070005', description:
              '安装打印机驱动时提示错误 0x80070005，拒绝访问。', category: 'software', impact: 'person',
              urgency: 'degraded'})});
            return [r.status, await r.json()];
        }""")
        assert created[0] == 201, created
        number = created[1]["number"]

        agent = agent_ctx.new_page()
        _login(agent, "con-agent", "agent-phrase-12345")
        agent.goto("/agent/?view=unassigned")
        row = agent.locator(f'tr[data-number="{number}"]')
        expect(row).to_be_visible()
        row.locator("a", has_text=number).click()
        expect(agent.locator("#ticket-title")).to_have_text("安装软件时提示 0x80070005")
        agent.click("#take")
        expect(agent.locator(".flash-ok")).to_contain_text("分配已更新")
        expect(agent.locator(".ticket-state")).to_contain_text("CON-AGENT")
        agent.check("#internal-note")
        agent.fill("#reply-body", NOTE)
        agent.click("#reply-submit")
        expect(agent.locator(".event-internal .event-body").last).to_have_text(NOTE)
        agent.fill("#code-search", "0x80070005")
        agent.press("#code-search", "Enter")
        hit = agent.locator('#code-results .solution[data-slug="software/error-0x80070005"]')
        expect(hit).to_be_visible()
        expect(agent.locator('#code-results .solution:has(.badge-warn)')).not_to_have_count(0)  # internal marked 内部
        agent.fill("#resolve-body", "已按文章处理，请重新安装一次。")
        hit.locator(".resolve-with-article").click()
        expect(agent.locator(".flash-ok")).to_contain_text("工单已解决")
        expect(agent.locator(".ticket-status")).to_have_text("已解决")
        assert portal.scalar("select reuse_count from articles where slug = 'software/error-0x80070005'") >= 1

        requester.goto(f"/requests/{number}")
        history = requester.locator(".ticket-history")
        expect(history).to_contain_text("已按文章处理，请重新安装一次。")
        expect(history).to_contain_text("/articles/software/error-0x80070005")
        content = requester.content()
        assert "组策略" not in content and "GPO" not in content

        agent.set_viewport_size(PHONE)
        agent.goto("/agent/")
        width = agent.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"/agent/ is {width}px wide on a phone"
    finally:
        req_ctx.close()
        agent_ctx.close()
