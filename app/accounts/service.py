"""Managing accounts: the one place the admin pages and ``kb user`` / ``kb token`` go through.

Every change is audited (:mod:`.audit`) in the same transaction; the caller commits. Rules:

* user names: 1–80 characters, no spaces or control characters, unique;
* the last active admin can never be disabled or given another role (checked with the admin
  rows locked, so two admins demoting each other at once cannot both succeed);
* disabling an account, resetting its password or changing it ends every login of it;
  a disabled user's API tokens stop working (checked on every request);
* an admin's reset (and a generated first password) is temporary: it must be changed at the
  next login.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ROLES, ApiToken, User, utcnow
from . import audit, passwords, sessions, tokens
from .audit import Actor

ROLE_LABELS = {"requester": "员工", "agent": "服务台坐席", "writer": "文档作者", "admin": "管理员"}
_USERNAME = re.compile(r"^[^\s\x00-\x1f\x7f/\\]{1,80}$")


class AccountError(Exception):
    """A request that cannot be done; ``message`` is for the user, in Chinese."""

    def __init__(self, message: str, problems: list[str] | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.code = code


def find(session: Session, username: str) -> User:
    if not username or "\x00" in username:
        raise AccountError("用户名不能为空。")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"用户 {username} 不存在。")
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"角色只能是：{'、'.join(f'{r}（{ROLE_LABELS[r]}）' for r in ROLES)}。")


def _check_password(password: str, username: str) -> None:
    problems = passwords.check_policy(password, username)
    if problems:
        raise AccountError("密码不符合要求：" + "".join(problems), problems)


def _name_key(name: str) -> str:
    """Usernames that look alike: the same after NFKC and case folding (Admin, ａｄｍｉｎ, admin)."""
    return unicodedata.normalize("NFKC", name).casefold()


def create_user(session: Session, actor: Actor, username: str, role: str, *, email: str | None = None,
                display_name: str | None = None, password: str | None = None) -> tuple[User, str | None]:
    """A new account; without ``password`` a temporary one is generated and returned (shown once)."""
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise AccountError("用户名需为 1–80 个字符，不能包含空格、斜杠或控制字符。")
    _check_role(role)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"用户 {username} 已存在。")
    lookalike = next((name for name in session.scalars(select(User.username))
                      if _name_key(name) == _name_key(username)), None)
    if lookalike is not None:   # 「Admin」 beside 「admin」 reads as the same person in every list and log
        raise AccountError(f"已有用户 {lookalike}，与 {username} 只差大小写或全角半角，请换一个用户名。")
    email = (email or "").strip() or None
    if email and (len(email) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)):
        raise AccountError("邮箱地址格式不正确。")
    generated = None
    if password is None:
        password = generated = passwords.temporary_password()
    else:
        _check_password(password, username)
    user = User(username=username, role=role, email=email, display_name=(display_name or "").strip()[:100] or None,
                must_change_password=generated is not None, active=True, created_at=utcnow())
    user.set_password(password)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", user, role=role)
    return user, generated


def _other_active_admins(session: Session, user: User) -> list[int]:
    # Lock every active admin row in one order: a concurrent demotion waits, then sees ours.
    ids = session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True)).order_by(User.id).with_for_update()
    ).all()
    return [i for i in ids if i != user.id]


def _keep_an_admin(session: Session, user: User, doing: str) -> None:
    if user.role == "admin" and user.active and not _other_active_admins(session, user):
        raise AccountError(f"不能{doing}最后一位在用的管理员，否则将没有人能管理系统。请先让另一个账号成为管理员。")


def set_role(session: Session, actor: Actor, user: User, role: str) -> bool:
    """Give ``user`` another role; False when it already has it."""
    _check_role(role)
    if user.role == role:
        return False
    if role != "admin":
        _keep_an_admin(session, user, "降级")
    old = user.role
    user.role = role
    audit.record(session, actor, "user.set_role", user, **{"from": old, "to": role})
    return True


def disable(session: Session, actor: Actor, user: User) -> bool:
    if not user.active:
        return False
    _keep_an_admin(session, user, "停用")
    user.active = False
    ended = sessions.revoke_all(session, user)
    revoked = tokens.revoke_all(session, user)   # for good: enabling the account again brings back no token
    audit.record(session, actor, "user.disable", user, sessions_ended=ended, tokens_revoked=revoked)
    return True


def enable(session: Session, actor: Actor, user: User) -> bool:
    if user.active:
        return False
    user.active = True
    audit.record(session, actor, "user.enable", user)
    return True


def reset_password(session: Session, actor: Actor, user: User) -> str:
    """A temporary password for ``user`` (returned, to be shown once); ends every login of it."""
    password = passwords.temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.password_changed_at = utcnow()
    ended = sessions.revoke_all(session, user)
    audit.record(session, actor, "user.reset_password", user, sessions_ended=ended)
    return password


def change_own_password(session: Session, user: User, current: str, new: str, confirm: str,
                        address: str | None = None) -> None:
    """The user's own change (current password required); ends every login of the account."""
    if not user.check_password(current or ""):
        raise AccountError("当前密码不正确。", code="wrong_password")
    if new != confirm:
        raise AccountError("两次输入的新密码不一致。")
    if new == current:
        raise AccountError("新密码不能与当前密码相同。")
    _check_password(new, user.username)
    user.set_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    ended = sessions.revoke_all(session, user)
    audit.record(session, Actor.of(user, address), "user.change_password", user, sessions_ended=ended)


def end_sessions(session: Session, actor: Actor, user: User) -> int:
    ended = sessions.revoke_all(session, user)
    audit.record(session, actor, "user.end_sessions", user, sessions_ended=ended)
    return ended


def create_token(session: Session, actor: Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    if not user.active:
        raise AccountError(f"账号 {user.username} 已停用，不能为它创建令牌。")
    row, token = tokens.create(session, user, name, created_by=actor.label)
    audit.record(session, actor, "token.create", user, token_id=row.id, prefix=row.prefix, name=row.name)
    return row, token


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise AccountError(f"令牌 #{token_id} 不存在。")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", row.user, token_id=row.id, prefix=row.prefix, name=row.name)
    return row
