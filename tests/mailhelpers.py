"""A real SMTP server on loopback (aiosmtpd) that tests can read, stop, hang and restart.

``SmtpServer.messages`` are what it received, parsed with ``email.policy.default`` (headers
decoded: a Chinese subject reads as Chinese). ``reject`` maps a recipient to an SMTP reply
(``"550 5.1.1 …"`` or ``"451 …"``); ``hang_after = n`` makes the server stall in DATA after ``n``
stored messages, so a test can kill it with a message in flight.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from dataclasses import dataclass
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: email.message.EmailMessage
    at: float

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # canonical CRLF → \n

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content().replace("\r\n", "\n")


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        reply = self.server.reject.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):
        srv = self.server
        if srv.delay:
            await asyncio.sleep(srv.delay)
        if srv.hang_after is not None and len(srv.messages) >= srv.hang_after:
            srv.hanging.set()
            while True:  # stalled until the server is stopped (the task is cancelled)
                await asyncio.sleep(0.05)
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=policy.default)
        with srv.lock:
            srv.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, msg, time.monotonic()))
            srv.lock.notify_all()
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, port: int | None = None, *, tls_context=None, implicit_tls: bool = False,
                 credentials: tuple[str, str] | None = None):
        self.port = port or free_port()
        self.messages: list[Received] = []
        self.lock = threading.Condition()
        self.reject: dict[str, str] = {}
        self.hang_after: int | None = None
        self.hanging = threading.Event()
        self.delay = 0.0
        self.logins: list[tuple[str, str]] = []
        self._tls_context = tls_context
        self._implicit_tls = implicit_tls
        self._credentials = credentials
        self.controller: Controller | None = None

    def _authenticate(self, _server, _session, _envelope, mechanism, auth_data):
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == self._credentials, handled=False)  # handled=False: reply 535

    def start(self) -> SmtpServer:
        kwargs = {}
        if self._credentials:
            # aiosmtpd only counts STARTTLS as TLS; with implicit TLS the connection is encrypted anyway.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=not self._implicit_tls)
        if self._tls_context is not None and not self._implicit_tls:
            kwargs.update(tls_context=self._tls_context, require_starttls=True)
        self.hanging.clear()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port,
            ssl_context=self._tls_context if self._implicit_tls else None, server_hostname="localhost",
            **kwargs,
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, received {len(self.messages)}")
                self.lock.wait(left)
            return list(self.messages)


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()
