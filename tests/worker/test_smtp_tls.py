"""STARTTLS and SMTPS with a login: certificates checked against KB_SMTP_CAFILE, the user and
password from KB_SMTP_URL URL-decoded."""

from __future__ import annotations

import ssl
from urllib.parse import quote

import pytest
import trustme

from app.worker.runner import Worker
from tests.mailhelpers import SmtpServer
from tests.worker.conftest import queue, rows, sample_mail

USER, PASSWORD = "help desk@corp.example", "p@ss:w/rd%20 x"


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def tls(ca, tmp_path):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return context, str(cafile)


def _url(scheme: str, port: int, password: str = PASSWORD) -> str:
    return f"{scheme}://{quote(USER, safe='')}:{quote(password, safe='')}@127.0.0.1:{port}"


@pytest.mark.parametrize("scheme, implicit", [("smtp+starttls", False), ("smtps", True)])
def test_tls_and_login(make_mail_app, tls, scheme, implicit):
    context, cafile = tls
    server = SmtpServer(tls_context=context, implicit_tls=implicit, credentials=(USER, PASSWORD)).start()
    try:
        app = make_mail_app(KB_SMTP_URL=_url(scheme, server.port), KB_SMTP_CAFILE=cafile)
        queue(app, sample_mail(1))
        assert Worker(app).run_once().delivery.sent == 1
        (got,) = server.wait_for(1)
        assert server.logins == [(USER, PASSWORD)]
        assert got.message["Subject"] == "测试邮件 1：VPN 连不上"
    finally:
        server.stop()


@pytest.mark.parametrize("trust, password, words", [
    (False, PASSWORD, "加密连接失败"),  # system CAs only: the test CA is unknown
    (True, "wrong", "用户名和密码"),
])
def test_tls_and_login_failures_are_reported_and_retried(make_mail_app, tls, trust, password, words):
    context, cafile = tls
    server = SmtpServer(tls_context=context, credentials=(USER, PASSWORD)).start()
    try:
        app = make_mail_app(KB_SMTP_URL=_url("smtp+starttls", server.port, password),
                            KB_SMTP_CAFILE=cafile if trust else None)
        queue(app, sample_mail(1))
        assert Worker(app).run_once().delivery.retried == 1
        (row,) = rows(app)
        assert row.status == "pending" and words in row.last_error
        assert server.messages == []
    finally:
        server.stop()
