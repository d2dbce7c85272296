"""Groups, skills and load: who a ticket goes to.

* A group's ``skills`` are ticket category keys. A new ticket goes to the tier-1 group whose
  skills hold its category (the lowest id wins a tie; tier-2 groups are only chosen by
  escalation), and within it to the *available* member with the fewest open tickets
  (new/open/pending), ties to the one assigned longest ago, then by username.
* Available: an active agent or admin account not marked ``away``.
* Manual assignment always wins: automatic assignment runs only when a ticket is created or
  escalated without a named agent, never over an assignment someone made.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AgentGroup, AgentGroupMember, Ticket, User
from ..notifications.recipients import Recipient
from ..visibility import TICKET_STAFF_ROLES

OPEN_STATUSES = ("new", "open", "pending")


def group_for_category(session: Session, category: str, tier: int = 1) -> AgentGroup | None:
    groups = session.scalars(select(AgentGroup).where(AgentGroup.tier == tier).order_by(AgentGroup.id)).all()
    for group in groups:
        if category in (group.skills or []):
            return group
    return None


def tier2_group(session: Session, category: str) -> AgentGroup | None:
    """The tier-2 group with the ticket's category as a skill, else the first tier-2 group."""
    return group_for_category(session, category, tier=2) or session.scalar(
        select(AgentGroup).where(AgentGroup.tier == 2).order_by(AgentGroup.id).limit(1)
    )


def open_load(session: Session, user_ids) -> dict[int, int]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.in_(ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assignee_id)
    )
    load = dict.fromkeys(ids, 0)
    load.update({uid: n for uid, n in rows})
    return load


def available_members(session: Session, group: AgentGroup) -> list[User]:
    return list(session.scalars(
        select(User)
        .join(AgentGroupMember, AgentGroupMember.user_id == User.id)
        .where(AgentGroupMember.group_id == group.id, User.active.is_(True), User.away.is_(False),
               User.role.in_(TICKET_STAFF_ROLES))
        .order_by(User.username)
    ))


def pick_agent(session: Session, group: AgentGroup, *, exclude: int | None = None) -> User | None:
    """The available member of ``group`` with the fewest open tickets."""
    members = [u for u in available_members(session, group) if u.id != exclude]
    if not members:
        return None
    load = open_load(session, [u.id for u in members])
    last = dict(session.execute(
        select(Ticket.assignee_id, func.max(Ticket.assigned_at))
        .where(Ticket.assignee_id.in_([u.id for u in members])).group_by(Ticket.assignee_id)
    ).all())

    def key(user: User):
        when = last.get(user.id)
        return (load[user.id], when is not None, when.isoformat() if when is not None else "", user.username)

    return min(members, key=key)


def group_recipients(group: AgentGroup | None) -> list[Recipient]:
    if group is None:
        return []
    out = []
    for member in group.members:
        if member.role in TICKET_STAFF_ROLES:
            r = Recipient.of_user(member)
            if r is not None:
                out.append(r)
    return out


def all_staff_recipients(session: Session) -> list[Recipient]:
    """Every active agent and admin with an address (by username)."""
    users = session.scalars(
        select(User).where(User.role.in_(TICKET_STAFF_ROLES), User.active.is_(True)).order_by(User.username)
    )
    return [r for r in (Recipient.of_user(u) for u in users) if r is not None]


def agent_recipients(session: Session, ticket: Ticket) -> list[Recipient]:
    """Who is told about the ticket's SLA: its assignee; else (no assignee, or one without an
    active account and address) its group's members; else — no group, or nobody in it who can
    be mailed — every active agent and admin with an address, so a ticket no group covers (a
    company-wide outage in a category without a group) still alerts somebody."""
    if ticket.assignee is not None:
        r = Recipient.of_user(ticket.assignee)
        if r is not None:
            return [r]
    members = group_recipients(ticket.group)
    if members:
        return members
    return all_staff_recipients(session)


def is_member(session: Session, group: AgentGroup, user: User) -> bool:
    return session.get(AgentGroupMember, (group.id, user.id)) is not None
