"""The worker's settings, read once from the app config and checked.

``KB_SMTP_URL`` forms (user and password are URL-decoded, so ``%40`` is ``@``):

* ``smtp://host:port`` — plain SMTP (default port 25), e.g. a local relay;
* ``smtp+starttls://user:pass@host:587`` — upgrade with STARTTLS, then log in (default port 587);
* ``smtps://user:pass@host:465`` — TLS from the first byte (default port 465).

Certificates are checked against the system's trust store, or ``KB_SMTP_CAFILE`` when set
(a company CA). A wrong value stops ``kb worker`` with a message that says what is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}
DEFAULT_SENDER_NAME = "IT 服务台"


class SettingsError(ValueError):
    """A mail or worker setting is wrong; the message is Chinese and names the setting."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "plain" | "starttls" | "ssl"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    cafile: str | None = None

    def describe(self) -> str:
        """The server without its password, for logs and ``kb outbox``."""
        user = f"{self.username}@" if self.username else ""
        mode = {"plain": "明文", "starttls": "STARTTLS", "ssl": "SSL"}[self.security]
        return f"{user}{self.host}:{self.port}（{mode}）"


def parse_smtp_url(url: str, *, timeout: float = 30.0, cafile: str | None = None) -> SmtpSettings:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise SettingsError(
            f"KB_SMTP_URL：不支持的协议 {parts.scheme!r}，可用 smtp://、smtp+starttls://、smtps://"
        )
    security, default_port = SCHEMES[scheme]
    if not parts.hostname:
        raise SettingsError("KB_SMTP_URL：缺少邮件服务器地址，例如 smtp+starttls://user:pass@mail.example.com:587")
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise SettingsError(f"KB_SMTP_URL：端口无效（{exc}）") from exc
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise SettingsError("KB_SMTP_URL：只有密码没有用户名")
    if not (username or "").isascii() or not (password or "").isascii():
        raise SettingsError("KB_SMTP_URL：用户名和密码只能使用 ASCII 字符（Python 的 SMTP 登录不支持其他字符）")
    return SmtpSettings(parts.hostname, port, security, username, password, timeout, cafile)


def parse_sender(value: str) -> Address:
    """``KB_MAIL_FROM`` as an address: ``helpdesk@corp.cn`` or ``IT 服务台 <helpdesk@corp.cn>``."""
    name, addr = parseaddr(value or "")
    if "@" not in addr:
        raise SettingsError(f"KB_MAIL_FROM：{value!r} 不是有效的邮箱地址，例如 helpdesk@example.com")
    user, _, domain = addr.rpartition("@")
    return Address(display_name=name or DEFAULT_SENDER_NAME, username=user, domain=domain)


def _number(config: Mapping, name: str, default: float, minimum: float = 0.0, unit: str = "秒") -> float:
    raw = config.get(name)
    if raw in (None, ""):
        return default
    if isinstance(raw, dt.timedelta):
        value = raw.total_seconds() / (86400 if unit == "天" else 1)
    else:
        try:
            value = float(raw)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{name}：{raw!r} 不是数字（单位：{unit}）") from exc
    if value < minimum:
        raise SettingsError(f"{name}：不能小于 {minimum:g} {unit}")
    return value


@dataclass(frozen=True)
class WorkerSettings:
    smtp: SmtpSettings | None  # None: KB_SMTP_URL unset, messages stay in the outbox
    sender: Address
    base_url: str
    poll: float  # seconds between passes when idle
    lease: float  # seconds a claimed message or a running job stays reserved
    retry_base: float  # first retry delay; doubles each attempt
    retry_max: float  # longest retry delay
    max_age: float  # transient failures stop being retried after this age (then: failed)
    keep_days: float  # sent messages older than this are pruned

    @classmethod
    def from_config(cls, config: Mapping) -> WorkerSettings:
        timeout = _number(config, "KB_SMTP_TIMEOUT", 30.0, 0.1)
        url = (config.get("KB_SMTP_URL") or "").strip()
        smtp = parse_smtp_url(url, timeout=timeout, cafile=config.get("KB_SMTP_CAFILE") or None) if url else None
        lease = _number(config, "KB_OUTBOX_LEASE", 300.0, 1.0)
        if smtp is not None and lease <= 2 * timeout:
            raise SettingsError("KB_OUTBOX_LEASE 必须大于 KB_SMTP_TIMEOUT 的两倍，否则同一封邮件可能被发送两次")
        return cls(
            smtp=smtp,
            sender=parse_sender(config.get("KB_MAIL_FROM") or "helpdesk@example.com"),
            base_url=base_url(config),
            poll=_number(config, "KB_WORKER_POLL", 5.0, 0.01),
            lease=lease,
            retry_base=_number(config, "KB_OUTBOX_RETRY_BASE", 30.0, 1.0),
            retry_max=_number(config, "KB_OUTBOX_RETRY_MAX", 3600.0, 1.0),
            max_age=_number(config, "KB_OUTBOX_MAX_AGE", 3 * 86400.0, 1.0),
            keep_days=_number(config, "KB_OUTBOX_KEEP_DAYS", 90.0, 1.0, unit="天"),
        )


def base_url(config: Mapping) -> str:
    """``KB_BASE_URL`` without a trailing slash; it must be an absolute http(s) address."""
    value = (config.get("KB_BASE_URL") or "http://127.0.0.1:5000").strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"KB_BASE_URL：{value!r} 不是完整的网址，例如 https://helpdesk.example.com")
    return value
