"""Sending over SMTP (``smtplib``), and telling temporary failures from permanent ones.

A failure is *permanent* only when the server answered a message with a 5xx reply (unknown
recipient, message refused): retrying cannot help, so the message is marked failed with the
server's words. Everything else — the server down or unreachable, a timeout, a dropped
connection, 4xx replies, a failed login or TLS handshake — is *temporary*: the message is tried
again later.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from .settings import SmtpSettings


@dataclass
class SendError(Exception):
    message: str
    permanent: bool = False
    connection_lost: bool = False  # the next message needs a new connection

    def __str__(self) -> str:
        return self.message


def _reply(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"


def classify(exc: BaseException, server: str) -> SendError:
    """A :class:`SendError` describing ``exc`` in Chinese, with the server's own reply."""
    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        permanent = bool(replies) and all(code >= 500 for code, _ in replies)
        detail = "；".join(_reply(code, text) for code, text in replies)
        return SendError(f"邮件服务器拒绝收件人：{detail}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendError(f"登录邮件服务器 {server} 失败，请检查 KB_SMTP_URL 中的用户名和密码：{_reply(exc.smtp_code, exc.smtp_error)}",
                         connection_lost=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendError(f"邮件服务器 {server} 断开了连接：{exc}", connection_lost=True)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return SendError(f"邮件服务器拒绝发件人 {exc.sender}（请检查 KB_MAIL_FROM）：{_reply(exc.smtp_code, exc.smtp_error)}",
                         permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == 421 or exc.smtp_code < 400:
            return SendError(f"邮件服务器 {server} 暂时不可用：{_reply(exc.smtp_code, exc.smtp_error)}",
                             connection_lost=True)
        kind = "拒绝了这封邮件" if exc.smtp_code >= 500 else "暂时无法接收这封邮件"
        return SendError(f"邮件服务器{kind}：{_reply(exc.smtp_code, exc.smtp_error)}",
                         permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendError(f"邮件服务器 {server} 不支持所需的功能（{exc}），请检查 KB_SMTP_URL 的协议", connection_lost=True)
    if isinstance(exc, ssl.SSLError):
        return SendError(f"与邮件服务器 {server} 建立加密连接失败：{exc}", connection_lost=True)
    if isinstance(exc, (OSError, smtplib.SMTPException)):
        return SendError(f"无法连接邮件服务器 {server}：{exc}", connection_lost=True)
    raise exc


class SmtpTransport:
    """One SMTP connection, opened on first use and reopened after it was lost."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                conn.starttls(context=self._tls_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password or "")
        except BaseException:
            _close(conn)
            raise
        return conn

    def send(self, msg: EmailMessage, *, sender: str, to_addr: str) -> None:
        """Send one message; raises :class:`SendError`."""
        server = self.settings.describe()
        if self._conn is None:
            try:
                self._conn = self._connect()
            except Exception as exc:  # noqa: BLE001 - opening a connection never fails a message for good
                error = classify(exc, server)
                raise SendError(error.message, permanent=False, connection_lost=True) from exc
        try:
            self._conn.send_message(msg, from_addr=sender, to_addrs=[to_addr])
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(f"邮件服务器 {server} 不支持非 ASCII 的邮箱地址（SMTPUTF8）：{to_addr}", permanent=True) from exc
        except (UnicodeError, ValueError) as exc:
            raise SendError(f"邮件无法编码（{exc}）", permanent=True) from exc
        except Exception as exc:  # noqa: BLE001 - classified below, unknown ones re-raised
            error = classify(exc, server)
            if error.connection_lost:
                self.close()
            raise error from exc

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except Exception:  # noqa: BLE001 - the connection is going away anyway
                _close(conn)

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001
        pass
