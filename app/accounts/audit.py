"""The audit log: every admin action on accounts, by the admin pages or a ``kb`` command.

An entry says who (the admin's user name, or 「命令行（系统用户 x）」), what (``action`` and
``details``), to whom (``target``) and when. Passwords and tokens are never written here.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, User

ACTIONS = {
    "user.create": "创建账号",
    "user.set_role": "修改角色",
    "user.disable": "停用账号",
    "user.enable": "启用账号",
    "user.reset_password": "重置密码",
    "user.change_password": "修改自己的密码",
    "user.end_sessions": "结束全部登录",
    "token.create": "创建 API 令牌",
    "token.revoke": "撤销 API 令牌",
    "group.create": "创建服务台组",
    "group.update": "修改服务台组",
    "group.add_member": "加入服务台组",
    "group.remove_member": "移出服务台组",
    "macro.create": "创建快捷回复",
    "macro.update": "修改快捷回复",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, or the command line."""

    label: str
    user_id: int | None = None
    address: str | None = None

    @classmethod
    def of(cls, user: User, address: str | None = None) -> "Actor":
        return cls(label=user.username, user_id=user.id, address=address)

    @classmethod
    def command_line(cls) -> "Actor":
        try:
            who = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            who = "?"
        return cls(label=f"命令行（系统用户 {who}）")


def record(session: Session, actor: Actor, action: str, target: User | None = None, **details) -> AuditEvent:
    entry = AuditEvent(actor=actor.label[:120], actor_id=actor.user_id, action=action,
                       target_user_id=target.id if target is not None else None,
                       target=target.username if target is not None else None,
                       details=details, address=(actor.address or "")[:64] or None)
    session.add(entry)
    return entry


def recent(session: Session, *, limit: int = 50, offset: int = 0, target_user_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    if target_user_id is not None:
        query = query.where(AuditEvent.target_user_id == target_user_id)
    return list(session.scalars(query))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def describe(entry: AuditEvent) -> str:
    """The entry's details in words (for the admin page and ``kb``)."""
    from .service import ROLE_LABELS

    d = entry.details or {}
    if entry.action == "user.set_role":
        return f"{ROLE_LABELS.get(d.get('from'), d.get('from', '?'))} → {ROLE_LABELS.get(d.get('to'), d.get('to', '?'))}"
    if entry.action == "user.create":
        return f"角色：{ROLE_LABELS.get(d.get('role'), d.get('role', '?'))}"
    if entry.action in ("token.create", "token.revoke"):
        name = f"「{d['name']}」" if d.get("name") else ""
        return f"令牌 #{d.get('token_id', '?')} {d.get('prefix', '')}…{name}"
    if entry.action in ("user.disable", "user.reset_password", "user.end_sessions", "user.change_password"):
        ended, revoked = d.get("sessions_ended"), d.get("tokens_revoked")
        parts = [f"结束了 {ended} 个登录" if ended else "", f"撤销了 {revoked} 个 API 令牌" if revoked else ""]
        return "，".join(p for p in parts if p)
    if entry.action.startswith("group."):
        return f"组「{d.get('group', '?')}」"
    if entry.action.startswith("macro."):
        return f"快捷回复「{d.get('macro', '?')}」"
    return ""
