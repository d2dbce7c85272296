"""Article feedback in a real browser: 没有帮助 → 没有解决我的问题 → 转人工处理 → the ticket page,
and the writer's health view showing the escalation. Uses the portal/browser fixtures of
tests/browser/conftest.py (gunicorn + Debian's Chromium; skipped only when Chromium is absent,
a failure under CI=true)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "vpn/error-809"


def _writer(portal, username="fb-writer", password="pw-writer-123") -> tuple[str, str]:
    from sqlalchemy import text

    with portal.db.begin() as conn:
        exists = conn.execute(text("select count(*) from users where username = :u"), {"u": username}).scalar()
        if not exists:
            conn.execute(
                text("insert into users (username, email, display_name, password_hash, role, active, created_at) "
                     "values (:u, :e, :d, :p, 'writer', :a, current_timestamp)"),
                {"u": username, "e": f"{username}@example.com", "d": "文档作者", "p": generate_password_hash(password),
                 "a": True},
            )
    return username, password


def test_anonymous_reader_escalates_and_the_writer_sees_it(page, portal, browser):
    # arrive from a search, as readers do
    page.goto("/search?q=VPN+错误+809")
    page.click(f'a[href="/articles/{SLUG}"]')
    page.wait_for_url(re.compile(re.escape(f"/articles/{SLUG}")))
    expect(page.locator("#feedback h2")).to_have_text("这篇文章对您有帮助吗？")
    expect(page.locator("form.fb-why")).to_be_hidden()

    votes_before = portal.scalar("select count(*) from feedback")
    page.evaluate("window.kbSamePage = true")
    page.click("button.fb-no")
    expect(page.locator("form.fb-why")).to_be_visible()
    assert page.evaluate("window.kbSamePage === true")  # no reload: the script revealed the reasons
    expect(page.locator("button.fb-no")).to_have_attribute("aria-pressed", "true")
    assert portal.scalar("select count(*) from feedback") == votes_before + 1

    expect(page.locator("#fb-escalate")).to_be_hidden()
    page.check('form.fb-why input[name="reason"][value="not_solved"]')
    expect(page.locator("#fb-escalate")).to_be_visible()
    expect(page.locator("#fbe-search_text")).to_have_value("VPN 错误 809")  # the search that led here
    expect(page.locator("#fbe-subject")).to_have_value(re.compile("没有解决我的问题"))

    page.fill("#fb-comment", "第 2 步说的端口我们这边没法改。")
    page.fill("#fbe-description", "在家连公司 VPN 一直提示 809，换了手机热点也一样。")
    page.fill("#fbe-contact_name", "王小明")
    page.fill("#fbe-contact_email", "wangxm@example.com")
    assert page.locator('#fb-escalate input[name="impact"]:checked').count() == 0     # chosen, never pre-set
    page.check('#fb-escalate input[name="impact"][value="person"]')
    page.check('#fb-escalate input[name="urgency"][value="stopped"]')
    page.click("#fb-escalate button.fb-escalate-submit")

    page.wait_for_url(re.compile(r"/requests/IT-\d{8}-\d{4}\?token="))
    main = page.inner_text("main")
    number = re.search(r"IT-\d{8}-\d{4}", main).group(0)
    assert "P2" in main  # person × stopped
    expect(page.locator("main")).to_contain_text("VPN 连接提示")  # the linked article
    assert page.locator(f'main a[href="/articles/{SLUG}"]').count() >= 1
    assert portal.scalar("select source from tickets where number = :n", n=number) == "article_feedback"
    assert portal.scalar(
        "select count(*) from feedback f join tickets t on t.id = f.ticket_id where t.number = :n and f.reason = 'not_solved'",
        n=number) == 1

    # the writer's workspace shows the escalation
    username, password = _writer(portal)
    context = browser.new_context(locale="zh-CN", base_url=portal.url)
    writer = context.new_page()
    try:
        writer.goto("/login?next=/writer/")
        writer.fill('input[name="username"]', username)
        writer.fill('input[name="password"]', password)
        writer.click('main form button[type="submit"]')
        writer.wait_for_url(re.compile(r"/writer/$"))
        attention = writer.locator(".writer-attention")
        expect(attention).to_contain_text("VPN 连接提示“错误 809”")
        writer.click(f'.writer-attention a[href="/writer/articles/{SLUG}"]')
        health = writer.locator("main")
        expect(health).to_contain_text(number)
        expect(health).to_contain_text("待修订")
        expect(health).to_contain_text("第 2 步说的端口我们这边没法改。")
        expect(writer.locator(".reason-counts")).to_contain_text("没有解决我的问题：1")
    finally:
        context.close()


def test_the_comment_starts_the_escalation_and_other_reasons_still_offer_a_person(page, portal):
    """With the script: 步骤看不懂 + 提交反馈 offers 「转人工处理」 (a link, no ticket); switching to
    没有解决我的问题 after writing a comment fills the escalation's 问题描述 with it."""
    page.goto("/articles/network/connect-company-wifi")
    page.click("button.fb-no")
    page.check('form.fb-why input[name="reason"][value="unclear"]')
    expect(page.locator(".fb-more-help")).to_be_hidden()
    page.fill("#fb-comment", "第 3 步的“安全类型”在我电脑上找不到。")
    page.click("button.fb-why-submit")
    expect(page.locator(".fb-status")).to_contain_text("已收到，谢谢")
    expect(page.locator(".fb-more-help")).to_be_visible()
    expect(page.locator(".fb-more-help a")).to_have_attribute("href", "/escalate/network/connect-company-wifi")

    page.check('form.fb-why input[name="reason"][value="not_solved"]')
    page.click("button.fb-why-submit")
    expect(page.locator("#fb-escalate")).to_be_visible()
    expect(page.locator(".fb-more-help")).to_be_hidden()
    expect(page.locator("#fbe-description")).to_have_value("第 3 步的“安全类型”在我电脑上找不到。")
    expect(page.locator("#fbe-description")).to_be_focused()
