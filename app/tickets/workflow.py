"""The one ticket state machine: every change to a ticket goes through here.

Statuses: ``new → open → pending → resolved → closed`` (see :data:`TRANSITIONS`). Every change

* is checked (:class:`InvalidTransition` with a Chinese message; :class:`VersionConflict` when
  the caller saw an older ``version``),
* is written as a :class:`~app.models.TicketEvent` (kind, author, public flag, body, changes,
  the ticket version after it) in the caller's transaction,
* bumps ``ticket.version`` (the mapper's version column: a concurrent writer that read the same
  version fails with ``StaleDataError`` instead of overwriting),
* keeps the SLA bookkeeping right (first response, pauses, breaches, ``sla_due_at``),
* keeps the ticket's search terms up to date, and
* calls :func:`ticket_changed`, which queues the notifications in the same transaction.

Nothing here commits: the caller commits (a page, the API, a job) once the change is complete.

Event kinds (the notification mapping in ``app/notifications/dispatch.py`` uses them):
``created``, ``reply`` (public, agent or requester), ``note`` (internal), ``status`` (public),
``assigned`` / ``group_changed`` / ``escalated`` / ``classified`` (internal), ``resolved``
(public), ``reopened`` (public), ``closed`` / ``confirmed`` / ``withdrawn`` / ``auto_closed``
(public), ``rated`` (public), ``sla_breached`` (internal).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy.orm import Session

from ..models import Article, Ticket, TicketEvent, User, utcnow
from . import sla as sla_mod
from .choices import CATEGORIES, IMPACTS, STATUS_SHORT, URGENCIES
from .priority import compute_priority, matrix_from_config

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "pending", "resolved"}),
    "open": frozenset({"pending", "resolved"}),
    "pending": frozenset({"open", "resolved"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
# The requester may withdraw a ticket that is not resolved or closed yet.
WITHDRAWABLE = frozenset({"new", "open", "pending"})
BODY_MAX = 20_000
REASON_MAX = 1_000
#: the desk's record of a requester's 「没有解决」 (the requester's own page words it as theirs)
NOT_SOLVED_TEXT = "用户反馈问题没有解决："
CLOSE_REASON_TEXT = {
    "confirmed": "用户确认问题已解决",
    "auto": "解决后未收到回复，自动关闭",
    "withdrawn": "用户撤回",
    "agent": "服务台关闭",
}


class WorkflowError(ValueError):
    """Base of refused changes; ``message`` is Chinese and meant for people."""

    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(WorkflowError):
    code = "invalid_transition"


class VersionConflict(WorkflowError):
    """The caller saw ``seen`` but the ticket is at ``current``: ``events`` happened since."""

    code = "conflict"

    def __init__(self, ticket: Ticket, seen: int):
        super().__init__(
            f"您打开这个工单之后，别人已经修改过它（您看到的是第 {seen} 版，现在是第 {ticket.version} 版）。"
            "您的内容没有提交，请查看新的变化后再决定。"
        )
        self.current = ticket.version
        self.seen = seen
        self.events = [e for e in ticket.events if (e.ticket_version or 0) > seen]


class ValidationFailed(WorkflowError):
    code = "validation_failed"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = dict(fields or {})


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or utcnow()).astimezone(dt.timezone.utc)


def _policy():
    return sla_mod.policy_from_config(current_app.config)


def status_name(status: str) -> str:
    return STATUS_SHORT.get(status, status)


def check_version(ticket: Ticket, version) -> None:
    """Raise VersionConflict when ``version`` (what the caller saw; None = not checked) is stale."""
    if version is None or version == "":
        return
    try:
        seen = int(version)
    except (TypeError, ValueError):
        raise ValidationFailed("version 必须是整数。", {"version": "version 必须是整数"}) from None
    if seen != ticket.version:
        raise VersionConflict(ticket, seen)


def check_transition(ticket: Ticket, to: str) -> None:
    if to not in TRANSITIONS:
        raise InvalidTransition(f"未知的状态「{to}」（可用：new、open、pending、resolved、closed）。")
    here = ticket.status
    if to == here:
        raise InvalidTransition(f"工单已经是「{status_name(here)}」状态。")
    if here == "closed":
        raise InvalidTransition("工单已关闭，不能再修改。如果问题又出现了，请创建后续工单。")
    if to not in TRANSITIONS[here]:
        allowed = "、".join(f"「{status_name(s)}」" for s in sorted(TRANSITIONS[here])) or "无"
        hint = ""
        if to == "closed":
            hint = "工单要先解决，由用户确认（或到期自动关闭）后才关闭。"
        elif to == "new":
            hint = "工单不能回到「新建」。"
        raise InvalidTransition(
            f"不能把工单从「{status_name(here)}」改为「{status_name(to)}」。{hint}当前可以改为：{allowed}。"
        )


def _clean(text, limit: int, field: str, *, required: bool, label: str) -> str:
    from .service import clean_text

    value = clean_text(text).strip()
    if required and not value:
        raise ValidationFailed(f"请填写{label}。", {field: f"请填写{label}"})
    if len(value) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字。", {field: f"不能超过 {limit} 个字"})
    return value


def resolution_note(text, field: str = "body", *, required: bool = True) -> str:
    """The note a move to ``resolved`` carries: it goes to the requester with 「请确认」.

    The one place the rule lives. :func:`resolve` (the 「标记为已解决」 form, ``POST …/resolve``),
    :func:`change_status` (the status form, the console's bulk action, ``PATCH /api/tickets``) and
    :func:`reply` with ``status="resolved"`` all come here, so no caller resolves a ticket without
    telling the requester how. ``text=None``: the caller has no way to carry a note (a bulk action)."""
    if text is None and required:
        raise ValidationFailed(
            "改为「已解决」需要填写解决说明，批量操作无法填写：请打开工单，用「标记为已解决」写明问题是怎样解决的。",
            {field: "请填写解决说明"},
        )
    value = _clean(text, BODY_MAX, field, required=False, label="解决说明")
    if required and not value:
        raise ValidationFailed("请填写解决说明（会发给提交人，说明问题是怎样解决的）。", {field: "请填写解决说明"})
    return value


# --- The seam: one event, one version, one notification call ---------------------------------


def ticket_changed(session: Session, ticket: Ticket, event: TicketEvent, **context) -> int:
    """Queue the notifications ``event`` means (same transaction), with the agent recipients."""
    from ..notifications.dispatch import on_ticket_changed
    from ..notifications.recipients import Recipient
    from .assignment import group_recipients

    assignee = Recipient.of_user(ticket.assignee) if ticket.assignee is not None else None
    author = session.get(User, event.author_id) if event.author_id else None
    context.setdefault("assignee", assignee)
    context.setdefault("group", ticket.group.name if ticket.group is not None else None)
    context.setdefault("group_members", group_recipients(ticket.group))
    context.setdefault("author_name", author.name if author is not None else None)
    return on_ticket_changed(session, ticket, event, **context)


def record(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    body: str = "",
    public: bool,
    changes: dict | None = None,
    now: dt.datetime | None = None,
    notify: bool = True,
    **context,
) -> TicketEvent:
    """Write one event, bump the version, refresh the SLA schedule, notify. No commit."""
    now = _now(now)
    ticket.version = (ticket.version or 1) + 1
    ticket.updated_at = now
    if public and _is_staff(actor):
        ticket.last_public_update_at = now  # keeps 「需要更新进展」 away
    sla_mod.refresh_schedule(ticket, _policy())
    event = TicketEvent(
        kind=kind, body=body, public=public, author_id=actor.id if actor is not None else None,
        changes=changes or None, created_at=now, ticket_version=ticket.version,
    )
    ticket.events.append(event)
    session.flush()
    if body:
        from ..console.search import add_terms

        add_terms(session, ticket, body, public=public)
    if notify:
        ticket_changed(session, ticket, event, **context)
    return event


def _set_status(ticket: Ticket, to: str, now: dt.datetime) -> None:
    """Apply a checked status change with its SLA side effects."""
    here = ticket.status
    policy = _policy()
    if here == "pending":
        sla_mod.resume(ticket, policy, now)
    ticket.status = to
    if to == "pending":
        sla_mod.pause(ticket, now)
    if to == "resolved":
        ticket.resolved_at = now
        _record_breach_if_late(ticket, "resolve", now)
    elif here == "resolved" and to == "open":
        ticket.resolved_at = None
    if to == "closed":
        ticket.closed_at = now


def _record_breach_if_late(ticket: Ticket, target: str, now: dt.datetime) -> None:
    due = sla_mod._aware(ticket.sla_response_due if target == "response" else ticket.sla_resolve_due)
    attr = "response_breached_at" if target == "response" else "resolve_breached_at"
    if due is not None and now > due and getattr(ticket, attr) is None:
        setattr(ticket, attr, due)


def _is_staff(user) -> bool:
    from ..visibility import is_ticket_staff

    return is_ticket_staff(user)


# --- Agents ------------------------------------------------------------------------------------


def change_status(session: Session, ticket: Ticket, to: str, *, actor: User | None,
                  now: dt.datetime | None = None, reason: str | None = None,
                  note_required: bool = True) -> TicketEvent:
    """An agent moves the ticket (``resolved → closed`` closes it with reason "agent").

    Moving to ``resolved`` is :func:`resolve` with ``reason`` as the resolution note, which is
    required (``ValidationFailed`` with ``fields["reason"]``); ``reason=None`` means the caller
    cannot carry one (the console's bulk action), and the refusal says where to resolve instead.
    ``note_required=False``: ``PATCH /api/tickets`` — the outside contract (INTERFACES.md) lets an
    integration (a monitoring script) resolve with ``{"status": "resolved"}`` alone; a ``reason``
    it sends is the note."""
    now = _now(now)
    check_transition(ticket, to)
    if to == "resolved":
        note = "" if reason is None and not note_required else reason    # None: a caller with no note to give
        return resolve(session, ticket, actor=actor, body=note, now=now, field="reason", note_required=note_required)
    reason = reason or ""
    here = ticket.status
    _set_status(ticket, to, now)
    changes = {"status": [here, to]}
    if to == "closed":
        ticket.close_reason = "agent"
        changes["close_reason"] = [None, "agent"]
        return record(session, ticket, "closed", actor=actor, body=reason or CLOSE_REASON_TEXT["agent"],
                      public=True, changes=changes, now=now, close_reason="agent")
    kind = "reopened" if here == "resolved" else "status"
    text = f"状态：{status_name(here)} → {status_name(to)}" + (f"（{reason}）" if reason else "")
    return record(session, ticket, kind, actor=actor, body=text, public=True, changes=changes, now=now)


def reply(session: Session, ticket: Ticket, *, actor: User | None, body: str, internal: bool = False,
          status: str | None = None, files=None, now: dt.datetime | None = None) -> TicketEvent:
    """A public reply or an internal note (staff), or the requester's reply (``actor`` the
    requester or None for the link holder). A staff public reply is the first response if
    there was none and moves ``new`` to ``open`` (or to ``status``, e.g. ``pending``).
    A requester's reply moves ``pending``/``resolved`` back to ``open``."""
    now = _now(now)
    body = _clean(body, BODY_MAX, "body", required=not files, label="回复内容")
    if ticket.status == "closed":
        raise InvalidTransition("工单已关闭，不能再回复。如果问题又出现了，请创建后续工单。")
    staff = _is_staff(actor)
    if internal and not staff:
        raise WorkflowError("只有服务台可以写内部备注。")
    from . import attachments as store

    staged = store.stage_files(files) if files else []
    if staff:
        target = status
        if target is None and not internal and ticket.status == "new":
            target = "open"
        if target is not None and target != ticket.status:
            check_transition(ticket, target)
            if target == "resolved":
                if internal:
                    raise ValidationFailed(
                        "内部备注不会发给提交人，不能同时把工单改为「已解决」：请写公开回复，或用「标记为已解决」写解决说明。",
                        {"status": "内部备注不能解决工单"},
                    )
                resolution_note(body)  # attachments alone do not say how it was solved
        before = ticket.status
        if not internal:
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                _record_breach_if_late(ticket, "response", now)
        if target is not None and target != before:
            _set_status(ticket, target, now)
        changes = {"status": [before, ticket.status]} if before != ticket.status else None
        event = record(session, ticket, "note" if internal else "reply", actor=actor, body=body,
                       public=not internal, changes=changes, now=now)
    else:
        before = ticket.status
        if before in ("pending", "resolved"):
            _set_status(ticket, "open", now)
        changes = {"status": [before, ticket.status]} if before != ticket.status else None
        event = record(session, ticket, "reply", actor=actor, body=body, public=True, changes=changes, now=now)
    if staged:
        for row in store.store_staged(session, ticket, staged):
            row.event_id = event.id
        session.flush()
    return event


def assign(session: Session, ticket: Ticket, *, actor: User | None, assignee: User | None | str = "keep",
           group=None, now: dt.datetime | None = None, auto: bool = False) -> TicketEvent | None:
    """Assign to an agent (``None``: unassign) and/or a group (``AgentGroup``; ``None``: no group).
    ``"keep"`` leaves that side unchanged. Taking a ``new`` ticket opens it."""
    from ..models import AgentGroup

    now = _now(now)
    if ticket.status == "closed":
        raise InvalidTransition("工单已关闭，不能再分配。")
    changes: dict = {}
    parts = []
    if group != "keep" and group is not None and not isinstance(group, AgentGroup):
        raise ValidationFailed("没有这个组。", {"group": "没有这个组"})
    if group != "keep" and (group.id if group else None) != ticket.group_id:
        changes["group"] = [ticket.group.name if ticket.group else None, group.name if group else None]
        ticket.group = group
        parts.append(f"组：{group.name if group else '无'}")
    if assignee != "keep":
        if assignee is not None and not _is_staff(assignee):
            raise ValidationFailed("只能分配给服务台工程师或管理员。", {"assignee": "只能分配给服务台工程师或管理员"})
        if assignee is not None and not assignee.active:
            raise ValidationFailed("这个账号已停用，不能分配。", {"assignee": "账号已停用"})
        if (assignee.id if assignee else None) != ticket.assignee_id:
            changes["assignee"] = [ticket.assignee.username if ticket.assignee else None,
                                   assignee.username if assignee else None]
            ticket.assignee = assignee
            ticket.assigned_at = now if assignee is not None else None
            parts.append(f"处理人：{assignee.name if assignee else '未分配'}")
    if not changes:
        return None
    if ticket.assignee is not None and ticket.status == "new" and not auto:
        _set_status(ticket, "open", now)
        changes["status"] = ["new", "open"]
    if auto:
        parts.append("（自动分配）")
    kind = "assigned" if "assignee" in changes and ticket.assignee is not None else "group_changed"
    if kind == "group_changed" and "group" not in changes:
        kind = "assigned"  # unassigned: internal record, nobody to tell
    return record(session, ticket, kind, actor=actor, body="；".join(parts), public=False,
                  changes=changes, now=now, notify=True)


def auto_assign(session: Session, ticket: Ticket, *, now: dt.datetime | None = None) -> TicketEvent | None:
    """A new ticket: the group with the category as a skill, its least-loaded available agent;
    without such a group — or with one none of whose members can be mailed — every agent and
    admin is told (「有新工单」)."""
    from ..notifications.dispatch import ticket_unrouted
    from .assignment import all_staff_recipients, group_for_category, group_recipients, pick_agent

    if ticket.assignee_id is not None or ticket.group_id is not None:
        return None  # somebody decided already: manual wins
    group = group_for_category(session, ticket.category)
    agent = event = None
    if group is not None:
        agent = pick_agent(session, group)
        event = assign(session, ticket, actor=None, assignee=agent, group=group, now=now, auto=True)
    if group is None or (agent is None and not group_recipients(group)):
        # nobody's skill, or a group nobody in it can be told of: the whole desk hears of it
        ticket_unrouted(session, ticket, all_staff_recipients(session), group=group.name if group else None)
    return event


def classify(session: Session, ticket: Ticket, *, actor: User | None, category=None, impact=None,
             urgency=None, reason: str = "", now: dt.datetime | None = None) -> TicketEvent | None:
    """Change category / impact / urgency; the priority is recomputed from the matrix and the
    due times from the creation time (plus time paused). The reason is recorded."""
    now = _now(now)
    if ticket.status == "closed":
        raise InvalidTransition("工单已关闭，不能再修改分类。")
    fields = {}
    for name, value, allowed in (("category", category, CATEGORIES), ("impact", impact, IMPACTS),
                                 ("urgency", urgency, URGENCIES)):
        if value is None or value == "":
            continue
        from .choices import normalize_choice

        key = normalize_choice(value, allowed)
        if key is None:
            raise ValidationFailed(f"无法识别的{ {'category': '类别', 'impact': '影响范围', 'urgency': '紧急程度'}[name] }「{value}」。",
                                   {name: "无法识别的值"})
        if key != getattr(ticket, name):
            fields[name] = key
    if not fields:
        return None
    reason = _clean(reason, REASON_MAX, "reason", required=False, label="原因")
    changes = {name: [getattr(ticket, name), key] for name, key in fields.items()}
    for name, key in fields.items():
        setattr(ticket, name, key)
    priority = compute_priority(ticket.impact, ticket.urgency, matrix_from_config(current_app.config))
    if priority != ticket.priority:
        changes["priority"] = [ticket.priority, priority]
        ticket.priority = priority
        # New due times from the creation time, moved by every finished wait on the new
        # target's own clock (a wait still running is added when it ends, by resume()).
        policy = _policy()
        created = sla_mod._aware(ticket.created_at)
        response_due, resolve_due = policy.due_times(priority, created)
        waits = sla_mod.pause_intervals(ticket.events)
        if ticket.first_response_at is None:
            ticket.sla_response_due = sla_mod.replay_pauses(response_due, policy.response[priority], waits,
                                                            policy.calendar)
        ticket.sla_resolve_due = sla_mod.replay_pauses(resolve_due, policy.resolve[priority], waits, policy.calendar)
    text = "；".join(f"{k}：{v[0]} → {v[1]}" for k, v in changes.items())
    if reason:
        text += f"。原因：{reason}"
    return record(session, ticket, "classified", actor=actor, body=text, public=False, changes=changes, now=now)


def escalate(session: Session, ticket: Ticket, *, actor: User | None, reason: str, group=None,
             now: dt.datetime | None = None) -> TicketEvent:
    """Move to tier 2 with a required reason: the tier-2 group (``group`` or the one with the
    category as a skill), its least-loaded available agent. Measured against the 1-hour target."""
    from ..models import AgentGroup
    from .assignment import pick_agent, tier2_group

    now = _now(now)
    reason = _clean(reason, REASON_MAX, "reason", required=True, label="升级原因（已经尝试过什么、为什么需要二线）")
    if ticket.status in ("resolved", "closed"):
        raise InvalidTransition(f"工单已{status_name(ticket.status)}，不能升级。需要继续处理请先重新打开。")
    if ticket.tier == 2:
        raise InvalidTransition("工单已经在二线处理。")
    if group is None:
        group = tier2_group(session, ticket.category)
        if group is None:
            raise WorkflowError("还没有二线组。请管理员先创建（kb group create 名称 --tier 2）。")
    elif not isinstance(group, AgentGroup) or group.tier != 2:
        raise ValidationFailed("只能升级到二线组。", {"group": "只能升级到二线组"})
    took = now - sla_mod._aware(ticket.created_at)
    within = took <= sla_mod.ESCALATION_TARGET
    changes = {
        "tier": [ticket.tier, 2],
        "group": [ticket.group.name if ticket.group else None, group.name],
        "escalation_minutes": round(took.total_seconds() / 60),
        "within_target": within,
    }
    agent = pick_agent(session, group)
    changes["assignee"] = [ticket.assignee.username if ticket.assignee else None, agent.username if agent else None]
    ticket.tier = 2
    ticket.escalated_at = now
    ticket.group = group
    ticket.assignee = agent
    ticket.assigned_at = now if agent is not None else None
    if ticket.status == "new":
        _set_status(ticket, "open", now)
        changes["status"] = ["new", "open"]
    minutes = changes["escalation_minutes"]
    verdict = "在 1 小时目标内" if within else "超过 1 小时目标"
    body = f"升级到二线：{group.name}（提交后 {minutes} 分钟，{verdict}）。原因：{reason}"
    return record(session, ticket, "escalated", actor=actor, body=body, public=False, changes=changes, now=now)


def resolve(session: Session, ticket: Ticket, *, actor: User | None, body: str = "", article: Article | None = None,
            now: dt.datetime | None = None, field: str = "body", note_required: bool = True) -> TicketEvent:
    """Resolve with a public message (required unless an article is given; see
    :func:`resolution_note`), optionally with an article: a public article goes to the
    requester as a link; an internal one is recorded for the desk only. Article reuse +1.
    ``field``: the caller's name for the message, for ``ValidationFailed.fields``."""
    from ..visibility import can_view

    now = _now(now)
    body = resolution_note(body, field, required=article is None and note_required)
    check_transition(ticket, "resolved")
    here = ticket.status
    changes: dict = {"status": [here, "resolved"]}
    if article is not None:
        if not can_view(article, actor.role if actor is not None else "anonymous"):
            raise ValidationFailed("找不到这篇文章。", {"article": "找不到这篇文章"})
        if can_view(article, "anonymous"):  # an internal article is named in the internal note only
            changes["article"] = article.slug
        ticket.resolution_article_id = article.id
        article.reuse_count = (article.reuse_count or 0) + 1
        if can_view(article, "anonymous"):
            from ..notifications import links

            link = f"参考文章：{article.title}\n{links.article(article.slug)}"
            body = f"{body}\n\n{link}" if body else f"问题已解决，请参考这篇文章：\n{link}"
        elif not body:
            body = "问题已解决。"
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        _record_breach_if_late(ticket, "response", now)
    _set_status(ticket, "resolved", now)
    if article is not None and not can_view(article, "anonymous"):
        record(session, ticket, "note", actor=actor, body=f"按内部文章解决：{article.title}（{article.slug}）",
               public=False, changes={"article": article.slug}, now=now)
    return record(session, ticket, "resolved", actor=actor, body=body, public=True, changes=changes, now=now)


# --- The requester (the requester engineer's pages call these) --------------------------------


def confirm(session: Session, ticket: Ticket, *, actor: User | None, solved: bool, rating=None, comment: str = "",
            reason: str = "", now: dt.datetime | None = None) -> TicketEvent:
    """Resolved → closed (solved, with an optional 1–5 rating and comment), or → open with the
    reason it is not solved."""
    now = _now(now)
    if ticket.status != "resolved":
        raise InvalidTransition(f"只有「已解决」的工单可以确认，这个工单现在是「{status_name(ticket.status)}」。")
    if solved:
        if rating is not None and rating != "":
            try:
                rating = int(rating)
            except (TypeError, ValueError):
                rating = 0
            if not 1 <= rating <= 5:
                raise ValidationFailed("评分是 1 到 5 之间的整数。", {"rating": "评分是 1 到 5 之间的整数"})
            ticket.csat_rating = rating
            ticket.csat_comment = _clean(comment, REASON_MAX, "comment", required=False, label="评价") or None
            ticket.csat_at = now
        _set_status(ticket, "closed", now)
        ticket.close_reason = "confirmed"
        text = CLOSE_REASON_TEXT["confirmed"] + (f"，评分 {ticket.csat_rating}" if ticket.csat_rating else "")
        return record(session, ticket, "confirmed", actor=actor, body=text, public=True,
                      changes={"status": ["resolved", "closed"], "close_reason": [None, "confirmed"]}, now=now,
                      close_reason="confirmed", rating=ticket.csat_rating)
    reason = _clean(reason, BODY_MAX, "reason", required=True, label="没有解决的原因")
    _set_status(ticket, "open", now)
    return record(session, ticket, "reply", actor=actor, body=f"{NOT_SOLVED_TEXT}{reason}", public=True,
                  changes={"status": ["resolved", "open"]}, now=now)


def rate(session: Session, ticket: Ticket, *, actor: User | None, rating, comment: str = "",
         now: dt.datetime | None = None) -> TicketEvent:
    """A rating after closing (once the ticket is resolved or closed)."""
    now = _now(now)
    if ticket.status not in ("resolved", "closed"):
        raise InvalidTransition("工单解决后才能评价。")
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ValidationFailed("评分是 1 到 5 之间的整数。", {"rating": "评分是 1 到 5 之间的整数"})
    old = ticket.csat_rating
    ticket.csat_rating = value
    ticket.csat_comment = _clean(comment, REASON_MAX, "comment", required=False, label="评价") or None
    ticket.csat_at = now
    return record(session, ticket, "rated", actor=actor, body=f"评分 {value}", public=True,
                  changes={"csat": [old, value]}, now=now)


def withdraw(session: Session, ticket: Ticket, *, actor: User | None, reason: str = "",
             now: dt.datetime | None = None) -> TicketEvent:
    """The requester no longer needs help: closed with reason "withdrawn" (用户撤回)."""
    now = _now(now)
    if ticket.status not in WITHDRAWABLE:
        raise InvalidTransition(f"「{status_name(ticket.status)}」的工单不能撤回。")
    here = ticket.status
    _set_status(ticket, "closed", now)
    ticket.close_reason = "withdrawn"
    reason = _clean(reason, REASON_MAX, "reason", required=False, label="原因")
    return record(session, ticket, "withdrawn", actor=actor, body=CLOSE_REASON_TEXT["withdrawn"] + (f"：{reason}" if reason else ""),
                  public=True, changes={"status": [here, "closed"], "close_reason": [None, "withdrawn"]}, now=now,
                  close_reason="withdrawn")


def auto_close(session: Session, ticket: Ticket, *, now: dt.datetime | None = None) -> TicketEvent:
    """Resolved and not answered in time: closed with reason "auto" (for the requester side's job)."""
    now = _now(now)
    if ticket.status != "resolved":
        raise InvalidTransition("只有「已解决」的工单会自动关闭。")
    _set_status(ticket, "closed", now)
    ticket.close_reason = "auto"
    return record(session, ticket, "auto_closed", actor=None, body=CLOSE_REASON_TEXT["auto"], public=True,
                  changes={"status": ["resolved", "closed"], "close_reason": [None, "auto"]}, now=now,
                  close_reason="auto")
