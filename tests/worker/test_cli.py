"""kb outbox [--json] / kb outbox retry / kb worker --once."""

from __future__ import annotations

import json

from tests.mailhelpers import free_port
from tests.worker.conftest import queue, rows, sample_mail


def test_outbox_lists_what_has_not_been_sent(make_mail_app):
    app = make_mail_app()  # no KB_SMTP_URL: everything stays in the outbox
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kb", "outbox"])
    assert result.exit_code == 0 and "发件箱是空的" in result.output
    queue(app, sample_mail(1), sample_mail(2))
    result = runner.invoke(args=["kb", "outbox"])
    assert result.exit_code == 0, result.output
    assert "未设置 KB_SMTP_URL" in result.output
    assert "共 2 封邮件未发出（待发送 2，发送中 0，失败 0）" in result.output
    assert "user1@corp.example" in result.output and "测试邮件 2：VPN 连不上" in result.output
    body = json.loads(runner.invoke(args=["kb", "outbox", "--json"]).output)
    assert (body["total"], body["pending"], body["smtp_configured"]) == (2, 2, False)
    assert [m["to"] for m in body["messages"]] == ["user1@corp.example", "user2@corp.example"]
    assert body["messages"][0]["subject"] == "测试邮件 1：VPN 连不上"


def test_worker_once_without_smtp_says_where_the_mail_is(make_mail_app):
    app = make_mail_app()
    queue(app, sample_mail(1))
    result = app.test_cli_runner().invoke(args=["kb", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "未设置 KB_SMTP_URL：1 封邮件留在发件箱中" in result.output
    assert "定时任务 outbox_prune：0 项" in result.output


def test_worker_once_sends(mail_app, smtp_server):
    queue(mail_app, sample_mail(1), sample_mail(2))
    result = mail_app.test_cli_runner().invoke(args=["kb", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "发送 2 封，稍后重试 0 封，失败 0 封。" in result.output
    assert len(smtp_server.wait_for(2)) == 2
    assert "发件箱是空的" in mail_app.test_cli_runner().invoke(args=["kb", "outbox"]).output


def test_failures_are_listed_with_their_reason_and_can_be_retried(make_mail_app, smtp_server):
    app = make_mail_app(KB_SMTP_URL=smtp_server.url)
    smtp_server.reject["user1@corp.example"] = "550 5.1.1 no such user"
    queue(app, sample_mail(1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kb", "worker", "--once"])
    assert "失败 1 封" in result.output and "550 5.1.1" in result.output
    listing = runner.invoke(args=["kb", "outbox"]).output
    assert "失败" in listing and "550 5.1.1 no such user" in listing and "kb outbox retry" in listing
    del smtp_server.reject["user1@corp.example"]  # the address was fixed on the server
    assert "已重新排队 1 封邮件" in runner.invoke(args=["kb", "outbox", "retry"]).output
    assert "发送 1 封" in runner.invoke(args=["kb", "worker", "--once"]).output
    assert rows(app)[0].status == "sent"
    assert "没有可以重新发送的失败邮件" in runner.invoke(args=["kb", "outbox", "retry"]).output


def test_a_down_server_is_reported_not_raised(make_mail_app):
    app = make_mail_app(KB_SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    queue(app, sample_mail(1))
    result = app.test_cli_runner().invoke(args=["kb", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "稍后重试 1 封" in result.output and "无法连接邮件服务器" in result.output
    assert "已尝试 1 次，下次尝试" in app.test_cli_runner().invoke(args=["kb", "outbox"]).output

