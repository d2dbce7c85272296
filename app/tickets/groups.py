"""Agent groups and macros: create, change, membership — shared by ``kb group`` and the admin
pages (``/admin/console/``). Every change is written to the audit log (app/accounts/audit.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import audit
from ..models import AgentGroup, AgentGroupMember, Macro, User, utcnow
from ..visibility import TICKET_STAFF_ROLES
from .choices import CATEGORIES, STATUSES, normalize_choice
from .macros import BODY_MAX, TITLE_MAX, unknown_placeholders

NAME_MAX = 80


class GroupError(ValueError):
    """Refused with a Chinese message."""


def parse_skills(text) -> list[str]:
    """"vpn,network" / "VPN 与远程访问，网络与 Wi-Fi" / a list → category keys; unknown → GroupError."""
    items = text if isinstance(text, (list, tuple)) else str(text or "").replace("，", ",").replace("、", ",").split(",")
    out = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        key = normalize_choice(item, CATEGORIES)
        if key is None:
            raise GroupError(f"未知的类别「{item}」（可用：{'、'.join(CATEGORIES)}）")
        if key not in out:
            out.append(key)
    return out


def _name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise GroupError("请填写组名。")
    if len(name) > NAME_MAX:
        raise GroupError(f"组名不能超过 {NAME_MAX} 个字。")
    return name


def _tier(tier) -> int:
    try:
        value = int(tier)
    except (TypeError, ValueError):
        value = 0
    if value not in (1, 2):
        raise GroupError("级别只能是 1（一线）或 2（二线）。")
    return value


def find_group(session: Session, name: str) -> AgentGroup | None:
    return session.scalar(select(AgentGroup).where(AgentGroup.name == " ".join(str(name or "").split())))


def create_group(session: Session, actor: audit.Actor, name, skills=(), tier=1, description: str = "") -> AgentGroup:
    name = _name(name)
    if find_group(session, name) is not None:
        raise GroupError(f"已经有名为「{name}」的组。")
    group = AgentGroup(name=name, skills=parse_skills(skills), tier=_tier(tier), description=(description or "")[:1000])
    session.add(group)
    session.flush()
    audit.record(session, actor, "group.create", group=name, skills=group.skills, tier=group.tier)
    return group


def update_group(session: Session, actor: audit.Actor, group: AgentGroup, *, skills=None, tier=None,
                 description=None) -> AgentGroup:
    before = {"skills": list(group.skills or []), "tier": group.tier}
    if skills is not None:
        group.skills = parse_skills(skills)
    if tier is not None:
        group.tier = _tier(tier)
    if description is not None:
        group.description = str(description)[:1000]
    audit.record(session, actor, "group.update", group=group.name, before=before,
                 after={"skills": group.skills, "tier": group.tier})
    return group


def add_member(session: Session, actor: audit.Actor, group: AgentGroup, username: str) -> User:
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise GroupError(f"没有用户名为「{username}」的账号。")
    if user.role not in TICKET_STAFF_ROLES:
        raise GroupError(f"「{user.username}」不是服务台工程师或管理员，不能加入组（先用 kb user set-role 改角色）。")
    if session.get(AgentGroupMember, (group.id, user.id)) is not None:
        raise GroupError(f"「{user.username}」已经在「{group.name}」里。")
    session.add(AgentGroupMember(group_id=group.id, user_id=user.id))
    session.flush()
    session.expire(group, ["members"])
    audit.record(session, actor, "group.add_member", target=user, group=group.name)
    return user


def remove_member(session: Session, actor: audit.Actor, group: AgentGroup, user: User) -> None:
    row = session.get(AgentGroupMember, (group.id, user.id))
    if row is None:
        raise GroupError(f"「{user.username}」不在「{group.name}」里。")
    session.delete(row)
    session.flush()
    session.expire(group, ["members"])
    audit.record(session, actor, "group.remove_member", target=user, group=group.name)


def save_macro(session: Session, actor: audit.Actor, macro: Macro | None, *, title, body, internal=False,
               set_status=None, active=True, user: User | None = None) -> Macro:
    title = " ".join(str(title or "").split())
    body = str(body or "").replace("\r\n", "\n").strip()
    if not title:
        raise GroupError("请填写快捷回复的名称。")
    if len(title) > TITLE_MAX:
        raise GroupError(f"名称不能超过 {TITLE_MAX} 个字。")
    if not body:
        raise GroupError("请填写快捷回复的内容。")
    if len(body) > BODY_MAX:
        raise GroupError(f"内容不能超过 {BODY_MAX} 个字。")
    unknown = unknown_placeholders(body)
    if unknown:
        raise GroupError("不认识的占位符：" + "、".join("{{" + u + "}}" for u in unknown)
                         + "（可用：{{requester}}、{{number}}、{{subject}}、{{agent}}、{{category}}、{{priority}}）")
    if set_status in ("", None):
        set_status = None
    elif set_status not in ("open", "pending") or set_status not in STATUSES:
        raise GroupError("快捷回复只能把状态改为「处理中」或「待回复」。")
    other = session.scalar(select(Macro).where(Macro.title == title))
    if other is not None and other is not macro:
        raise GroupError(f"已经有名为「{title}」的快捷回复。")
    created = macro is None
    if created:
        macro = Macro(created_by_id=user.id if user is not None else None)
        session.add(macro)
    macro.title, macro.body, macro.internal = title, body, bool(internal)
    macro.set_status, macro.active, macro.updated_at = set_status, bool(active), utcnow()
    session.flush()
    audit.record(session, actor, "macro.create" if created else "macro.update", macro=title)
    return macro
