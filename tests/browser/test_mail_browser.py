"""E-mail in a real browser, run like `make run` (gunicorn + kb worker under the supervisor):
an employee submits a request without logging in, the SMTP server receives 「已收到」 with the
number, priority and the secret link, and that link opens the request in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_submit_receive_the_mail_and_open_its_link(mail_page, mail_portal):
    page = mail_page
    _, smtp, _ = mail_portal
    smtp.messages.clear()
    page.goto("/requests/new")
    page.fill("#f-subject", "VPN 连接提示错误 809")
    page.fill("#f-description", "在家连公司 VPN 一直提示错误 809，换了热点也一样。")
    page.select_option("#f-category", "vpn")
    page.check('input[name="impact"][value="person"]')
    page.check('input[name="urgency"][value="stopped"]')
    page.fill("#f-contact_name", "张三")
    page.fill("#f-contact_email", "zhangsan@corp.example")
    page.fill("#f-contact_phone", "138 0000 0000")
    page.click("#submit-request")
    page.wait_for_url(re.compile(r"/requests/new/submitted/IT-\d{8}-\d{4}"))
    number = re.search(r"IT-\d{8}-\d{4}", page.url).group(0)
    expect(page.locator("main")).to_contain_text(number)   # the confirmation shows it (waits for the page)

    (got,) = smtp.wait_for(1, timeout=30)  # delivered by the worker beside gunicorn
    msg = got.message
    assert got.rcpt_tos == ["zhangsan@corp.example"]
    assert msg["Subject"] == f"[{number}] 已收到您的服务请求：VPN 连接提示错误 809"
    assert msg["Message-ID"] == f"<ticket.{number}@corp.example>"
    assert "P2 · 高" in got.text and "2 小时内" in got.text
    link = re.search(rf"http://127\.0\.0\.1:\d+/requests/{number}\?token=[\w-]+", got.text).group(0)
    article = re.search(r"http://127\.0\.0\.1:\d+/articles/\S+", got.text).group(0)

    page.context.clear_cookies()  # the link works on its own, like opening it from the mail later
    page.goto(link)
    main = page.inner_text("main")
    assert number in main and "VPN 连接提示错误 809" in main
    page.goto(article)
    assert page.locator("h1").first.inner_text()  # a public article a reader can open
    assert page.url.startswith(article.split("#")[0])
