"""E-mail in a real browser, run like `make run` (gunicorn + kb worker under the supervisor):
an employee submits a request without logging in, the SMTP server receives 「已收到」 with the
number, priority and the secret link, and that link opens the request in Chromium."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from tests.browser.conftest import BIN, _chromium_or_skip, _free_port, wait_until_serving
from tests.conftest import ARTICLES, ROOT, make_database_url
from tests.mailhelpers import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def mail_portal(tmp_path_factory, pg_available):
    _chromium_or_skip()
    tmp = tmp_path_factory.mktemp("mailportal")
    database_url, drop = make_database_url(tmp, pg_available)
    smtp = SmtpServer().start()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KB_INSTANCE_DIR": str(tmp / "instance"),
        "KB_DATABASE_URL": database_url,
        "KB_ARTICLES_DIR": str(ARTICLES),
        "KB_SECRET_KEY": "mail-browser-test",
        "KB_BASE_URL": url,
        "KB_SMTP_URL": smtp.url,
        "KB_MAIL_FROM": "IT 服务台 <helpdesk@corp.example>",
        "KB_WORKER_POLL": "0.2",
    }
    init = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "kb", "init"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert init.returncode == 0, init.stdout + init.stderr
    log = tmp / "supervise.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "app.worker.supervise", "--", str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--worker-class", "gthread", "--threads", "4", "wsgi:app"],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    wait_until_serving(url, process, log)
    yield url, smtp
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
    smtp.stop()
    drop()


@pytest.fixture
def mail_page(browser, mail_portal):
    url, _ = mail_portal
    context = browser.new_context(locale="zh-CN", base_url=url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_submit_receive_the_mail_and_open_its_link(mail_page, mail_portal):
    page = mail_page
    _, smtp = mail_portal
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
    number = re.search(r"IT-\d{8}-\d{4}", page.inner_text("main")).group(0)

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
