"""An e-mail as queued (:class:`Mail`) and as sent (:func:`build_email`).

The outbox stores the parts (recipient, subject, text, HTML, threading headers) so ``kb outbox``
can show them; the RFC 5322 message is built at delivery with ``email.policy.SMTP``: Chinese
subjects and names are RFC 2047 encoded-words, bodies UTF-8, lines CRLF.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

# Headers the composer may set besides the ones built here.
EXTRA_HEADERS = ("In-Reply-To", "References", "X-KB-Ticket", "X-KB-Notification")


@dataclass
class Mail:
    """One message to one recipient. ``dedupe_key`` identifies the notification: queueing the
    same key twice queues it once."""

    kind: str
    dedupe_key: str
    to_addr: str
    subject: str
    text: str
    html: str | None = None
    to_name: str | None = None
    message_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    ticket_id: int | None = None

    def __post_init__(self) -> None:
        if not self.message_id:
            self.message_id = make_msgid(domain="helpdesk-kb.invalid")
        unknown = set(self.headers) - set(EXTRA_HEADERS)
        if unknown:
            raise ValueError(f"unsupported headers {sorted(unknown)}")
        for value in (self.to_addr, self.subject, self.message_id, *self.headers.values()):
            if "\r" in value or "\n" in value:
                raise ValueError("header values must be single lines")


def _cte(body: str) -> str:
    return "7bit" if body.isascii() and all(len(line) <= 900 for line in body.splitlines()) else "base64"


def recipient(addr: str, name: str | None) -> Address:
    user, _, domain = addr.rpartition("@")
    return Address(display_name=" ".join((name or "").split()), username=user, domain=domain)


def build_email(*, sender: Address, to_addr: str, to_name: str | None, subject: str, text: str,
                html: str | None, message_id: str, headers: dict | None, date: dt.datetime) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = recipient(to_addr, to_name)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date.astimezone(dt.timezone.utc))
    msg["Message-ID"] = message_id
    for name in EXTRA_HEADERS:
        value = (headers or {}).get(name)
        if value:
            msg[name] = value
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies back to us
    # base64 for non-ASCII bodies: 7-bit safe through any relay, compact for Chinese (QP triples it).
    msg.set_content(text, subtype="plain", charset="utf-8", cte=_cte(text))
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte=_cte(html))
    return msg
