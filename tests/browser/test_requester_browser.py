"""Issue 10's "Done when" in a real browser, run like `make run` (gunicorn + kb worker): an employee
submits a request, the agent asks a question (pending, through the API with a token), the employee
answers from 「我的请求」, the agent resolves, the employee confirms and rates 4 with a comment; the
SMTP server received each notification once, in order, threaded; the agent sees the rating."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.browser.conftest import BIN
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _post(url, headers, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _login(page, username, password):
    page.goto("/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('main form button[type="submit"]')
    page.wait_for_url(lambda url: "/login" not in url)


def test_request_question_answer_resolve_confirm_and_rate(mail_page, mail_portal):
    page = mail_page
    url, smtp, env = mail_portal
    run = lambda *a: subprocess.run([str(BIN / "flask"), "--app", "wsgi", "kb", *a], cwd=ROOT, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    assert run("user", "create", "zhaoyun", "--role", "requester", "--password", "employee-pass-123",
               "--email", "zhaoyun@corp.example").returncode == 0
    assert run("user", "create", "wangagent", "--role", "agent", "--password", "agent-pass-12345",
               "--email", "wangagent@corp.example").returncode == 0
    token = re.search(r"\S{30,}", run("token", "create", "wangagent").stdout).group(0)
    agent_api = {"Authorization": f"Bearer {token}"}
    smtp.messages.clear()

    _login(page, "zhaoyun", "employee-pass-123")
    page.goto("/requests/new")
    page.fill("#f-subject", "会议室投影仪没有信号")
    page.fill("#f-description", "3 楼大会议室，笔记本接 HDMI 后投影仪显示无信号。")
    page.select_option("#f-category", "computer")
    page.check('input[name="impact"][value="department"]')
    page.check('input[name="urgency"][value="degraded"]')
    page.fill("#f-contact_phone", "138 0000 0001")
    page.click("#submit-request")
    page.wait_for_url(re.compile(r"/requests/new/submitted/IT-\d{8}-\d{4}"))
    number = re.search(r"IT-\d{8}-\d{4}", page.inner_text("main")).group(0)

    # The agent asks a question and waits for the answer (pending).
    code, body = _post(f"{url}/api/tickets/{number}/replies", agent_api,
                       {"body": "请问笔记本是什么型号？用的是转接头吗？", "status": "pending"})
    assert code == 201, body
    code, body = _post(f"{url}/api/tickets/{number}/replies", agent_api,
                       {"body": "内部：上周同型号转接头批量故障", "internal": True})
    assert code == 201, body

    # The employee answers from 「我的请求」.
    page.click("header >> text=我的请求")
    page.wait_for_url(re.compile(r"/requests/mine"))
    row = page.locator("tr", has_text=number)
    assert "等待您的回复" in row.inner_text() and "需要您处理" in row.inner_text()
    row.locator(f"a:has-text('{number}')").click()
    page.wait_for_url(re.compile(rf"/requests/{number}"))
    main = page.inner_text("main")
    assert "请问笔记本是什么型号" in main and "转接头批量故障" not in main
    page.fill("#f-body", "ThinkPad X1，用的是 USB-C 转 HDMI 转接头。")
    page.click("#btn-reply")
    page.wait_for_url(re.compile(rf"/requests/{number}"))
    assert "回复已发送" in page.inner_text("main") and "处理中" in page.inner_text("#ticket-status")

    # The agent resolves.
    code, body = _post(f"{url}/api/tickets/{number}/resolve", agent_api,
                       {"body": "转接头故障，已更换新的转接头，请再试一下。"})
    assert code == 200 and body["status"] == "resolved", body

    # The employee confirms and rates 4 with a comment.
    page.reload()
    assert "问题解决了吗" in page.inner_text("main")
    page.check('form.req-confirm input[name="rating"][value="4"]')
    page.fill("#f-comment", "响应很快，谢谢！")
    page.click("#btn-confirm")
    page.wait_for_url(re.compile(rf"/requests/{number}"))
    assert "您的评分：4 分" in page.inner_text("main")

    kinds = ["ticket_received", "public_reply", "resolved", "closed"]
    got = _wait_kinds_for(smtp, "zhaoyun@corp.example", kinds)
    root = f"<ticket.{number}@corp.example>"
    assert got[0].message["Message-ID"] == root
    for m in got[1:]:
        assert m.message["In-Reply-To"] == root and m.message["References"] == root
    for m in smtp.messages:
        assert "批量故障" not in m.text and "批量故障" not in m.html
    assert "4 分" in got[-1].text
    # The agent was told the employee answered (the ticket was unassigned: the agent who asked).
    agent_mail = [m.message["X-KB-Notification"] for m in smtp.messages if m.rcpt_tos == ["wangagent@corp.example"]]
    assert "requester_replied" in agent_mail

    # The agent sees the rating on the ticket.
    page.context.clear_cookies()
    _login(page, "wangagent", "agent-pass-12345")
    page.goto(f"/agent/tickets/{number}")
    text = page.inner_text("main")
    assert "4 / 5" in text and "响应很快，谢谢！" in text


def _wait_kinds_for(smtp, address, kinds, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = [m for m in smtp.messages if m.rcpt_tos == [address]]
        if [m.message["X-KB-Notification"] for m in mine] == kinds:
            return mine
        time.sleep(0.1)
    raise AssertionError(f"expected {kinds}, got {[(m.rcpt_tos, m.message['X-KB-Notification']) for m in smtp.messages]}")
