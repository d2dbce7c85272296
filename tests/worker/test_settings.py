"""KB_SMTP_URL, KB_MAIL_FROM, KB_BASE_URL and the worker's numbers: parsed, or a clear error."""

from __future__ import annotations

import pytest

from app.worker.settings import SettingsError, WorkerSettings, parse_sender, parse_smtp_url


@pytest.mark.parametrize("url, expected", [
    ("smtp://relay.corp.cn", ("relay.corp.cn", 25, "plain", None, None)),
    ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, "plain", None, None)),
    ("smtp+starttls://it%40corp.cn:p%40ss%3Aword@mail.corp.cn", ("mail.corp.cn", 587, "starttls", "it@corp.cn", "p@ss:word")),
    ("smtps://helpdesk:s3cret@smtp.exmail.qq.com:465", ("smtp.exmail.qq.com", 465, "ssl", "helpdesk", "s3cret")),
    ("SMTPS://u:@mail.corp.cn", ("mail.corp.cn", 465, "ssl", "u", "")),
])
def test_smtp_urls(url, expected):
    s = parse_smtp_url(url)
    assert (s.host, s.port, s.security, s.username, s.password) == expected
    assert "s3cret" not in s.describe() and "p@ss" not in s.describe()


@pytest.mark.parametrize("url, words", [
    ("http://mail.corp.cn", "不支持的协议"),
    ("smtp://", "缺少邮件服务器地址"),
    ("smtp://mail.corp.cn:99999", "端口无效"),
    ("smtp://:secret@mail.corp.cn", "只有密码没有用户名"),
    ("smtps://张三:密码@mail.corp.cn", "ASCII"),
])
def test_bad_smtp_urls_say_what_is_wrong(url, words):
    with pytest.raises(SettingsError, match=words):
        parse_smtp_url(url)


def test_sender_with_and_without_a_name():
    assert str(parse_sender("helpdesk@corp.cn")) == "IT 服务台 <helpdesk@corp.cn>"
    named = parse_sender("信息中心 <it@corp.cn>")
    assert (named.display_name, named.addr_spec) == ("信息中心", "it@corp.cn")
    with pytest.raises(SettingsError, match="KB_MAIL_FROM"):
        parse_sender("helpdesk")


def test_defaults_and_checks():
    s = WorkerSettings.from_config({})
    assert s.smtp is None and s.base_url == "http://127.0.0.1:5000" and s.sender.addr_spec == "helpdesk@example.com"
    assert (s.poll, s.lease, s.retry_base, s.retry_max) == (5.0, 300.0, 30.0, 3600.0)
    env_style = WorkerSettings.from_config({"KB_WORKER_POLL": "0.5", "KB_BASE_URL": "https://help.corp.cn/kb/"})
    assert env_style.poll == 0.5 and env_style.base_url == "https://help.corp.cn/kb"
    with pytest.raises(SettingsError, match="两倍"):
        WorkerSettings.from_config({"KB_SMTP_URL": "smtp://x", "KB_SMTP_TIMEOUT": "60", "KB_OUTBOX_LEASE": "100"})
    with pytest.raises(SettingsError, match="KB_WORKER_POLL"):
        WorkerSettings.from_config({"KB_WORKER_POLL": "soon"})
    with pytest.raises(SettingsError, match="KB_BASE_URL"):
        WorkerSettings.from_config({"KB_BASE_URL": "help.corp.cn"})


def test_the_environment_sets_them(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("KB_SMTP_URL", "smtp+starttls://a:b@mail.corp.cn:587")
    monkeypatch.setenv("KB_MAIL_FROM", "it@corp.cn")
    monkeypatch.setenv("KB_BASE_URL", "https://help.corp.cn")
    app = create_app({"KB_INSTANCE_DIR": str(tmp_path)})
    s = WorkerSettings.from_config(app.config)
    assert s.smtp.host == "mail.corp.cn" and s.sender.addr_spec == "it@corp.cn" and s.base_url == "https://help.corp.cn"


@pytest.mark.parametrize("name, value", [
    ("KB_BASE_URL", "help.corp.cn"), ("KB_MAIL_FROM", "helpdesk"), ("KB_SMTP_URL", "imap://mail.corp.cn"),
])
def test_the_app_does_not_start_with_a_wrong_mail_setting(tmp_path, name, value):
    from app import create_app

    with pytest.raises(SettingsError, match=name):
        create_app({"KB_INSTANCE_DIR": str(tmp_path), name: value})
