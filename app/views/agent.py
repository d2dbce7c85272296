"""The agents' console: ``/agent/`` (the queue) and ``/agent/tickets/<number>`` (one ticket).

Agents and admins only; writers and requesters get 403 (they are logged in), anonymous
visitors are sent to the login page. Every write is a form POST with the CSRF token, goes
through app/tickets/workflow.py (one event per change, in one transaction) and carries the
``version`` the agent saw: a stale version re-renders the page with 409, the changes made
meanwhile and the agent's typed text kept — nothing is overwritten. A refused action (409 or
400) refills only the form it was posted from, every field as sent (``_refill``); text of a form
no longer on the page is shown read-only. A POST whose login has ended gets the typed text back
with a link to log in again (``app/errors.py``, ``typed_text_page``), as a failed CSRF check does.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..auth import role_required
from ..console import queue
from ..db import get_session
from ..models import AgentGroup, Article, FormVisit, Macro, Ticket, User, parse_id, parse_page, utcnow
from ..tickets import choices, workflow
from ..tickets.access import find_ticket
from ..tickets.attachments import UPLOAD_TOO_LARGE_MESSAGE, AttachmentError
from ..tickets.priority import PRIORITIES
from ..tickets.sla import UTC, describe_left, needs_update, policy_from_config
from ..tickets.sla import state as sla_state
from ..tickets.workflow import VersionConflict, WorkflowError
from ..visibility import TICKET_STAFF_ROLES, audiences_for, can_view, current_role
from .tickets import _articles_by_slug, template_context

bp = Blueprint("agent", __name__, url_prefix="/agent")
PER_PAGE = queue.PER_PAGE
SLA_LABELS = {"ok": "正常", "at_risk": "即将超时", "breached": "已超时", "paused": "已暂停", "met": "已达成"}
BULK_ACTIONS = {"assign": "分配给", "status": "改状态为", "group": "改组为"}


def is_overdue(ticket: Ticket, now=None) -> bool:
    """Still waiting for a first response after its response due time."""
    due = ticket.sla_response_due
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return ticket.status == "new" and due < (now or utcnow())


def _me() -> User:
    return current_user._get_current_object()


def _agents(session) -> list[User]:
    return list(session.scalars(
        select(User).where(User.role.in_(TICKET_STAFF_ROLES), User.active.is_(True)).order_by(User.username)))


def _groups(session) -> list[AgentGroup]:
    return list(session.scalars(select(AgentGroup).order_by(AgentGroup.tier, AgentGroup.name)))


def _row(ticket: Ticket, now, calendar) -> dict:
    return {
        "t": ticket,
        "sla": sla_state(ticket, now),
        "left": describe_left(ticket.sla_due_at, now) if ticket.sla_due_at is not None else "",
        "needs_update": needs_update(ticket, calendar, now),
    }


@bp.get("/")
@role_required("agent")
def index():
    session = get_session()
    me = _me()
    view = request.args.get("view") or "default"
    if view not in queue.VIEWS:
        view = "default"
    filters = queue.parse_filters(request.args, session)
    page = parse_page(request.args.get("page"), queue.MAX_PAGE)
    now = utcnow()
    result = queue.fetch(session, me, view=view, filters=filters, page=page, now=now)
    counts = queue.counts(session, me, now)
    calendar = policy_from_config(_config()).calendar
    args = filters.as_args()

    def page_url(n: int) -> str:
        return url_for("agent.index", view=view, page=n, **args)

    return render_template(
        "agent/index.html",
        **template_context(
            rows=[_row(t, now, calendar) for t in result.tickets], total=result.total, page=result.page,
            pages=result.pages, filters=filters, args=args, page_url=page_url, view=view, views=queue.VIEWS,
            counts=counts, priorities=PRIORITIES, agents=_agents(session), groups=_groups(session),
            sla_labels=SLA_LABELS, sla_filters=queue.SLA_FILTERS, me=me, bulk_actions=BULK_ACTIONS,
        ),
    ), 200, {"Cache-Control": "private, no-store"}


def _config():
    from flask import current_app

    return current_app.config


@bp.post("/away")
@role_required("agent")
def away():
    session = get_session()
    me = session.get(User, current_user.id)
    me.away = request.form.get("away") == "1"
    session.commit()
    flash("已标记为暂时离开：不会再自动分配新工单给您。" if me.away else "欢迎回来：新工单会照常自动分配给您。", "ok")
    return redirect(url_for("agent.index"))


def _bulk_words(session, action: str, value: str, me) -> str:
    """「分配给 王工」, 「改状态为 处理中」, 「改组为 网络组」: what the bulk action did, for its message."""
    if action == "assign":
        if value in ("", "none"):
            return "取消分配"
        user = me if value == "me" else session.scalar(select(User).where(User.username == value))
        return f"分配给 {user.name if user is not None else value[:40]}"
    if action == "status":
        return f"改状态为 {choices.STATUS_SHORT.get(value, value[:40])}"
    return f"改组为 {'（无）' if value in ('', 'none') else value[:80]}"


@bp.post("/bulk")
@role_required("agent")
def bulk():
    session = get_session()
    numbers = [n for n in request.form.getlist("tickets") if n][:100]
    action = request.form.get("action", "")
    value = (request.form.get(f"value_{action}") or request.form.get("value") or "").strip()
    back = request.form.get("back") or url_for("agent.index")
    if not back.startswith("/agent/"):
        back = url_for("agent.index")
    if not numbers:
        flash("请先勾选要批量处理的工单。", "error")
        return redirect(back)
    if action not in BULK_ACTIONS:
        flash("请选择批量操作。", "error")
        return redirect(back)
    me = _me()
    done, failed = 0, []
    for number in numbers:
        ticket = find_ticket(session, number)
        if ticket is None:
            failed.append(f"{number}：工单不存在")
            continue
        try:
            if action == "assign":
                assignee = None if value in ("", "none") else (me if value == "me" else session.scalar(
                    select(User).where(User.username == value)))
                if value not in ("", "none") and assignee is None:
                    raise workflow.ValidationFailed("没有这个账号。")
                changed = workflow.assign(session, ticket, actor=me, assignee=assignee)
            elif action == "group":
                group = None if value in ("", "none") else session.scalar(select(AgentGroup).where(AgentGroup.name == value))
                if value not in ("", "none") and group is None:
                    raise workflow.ValidationFailed("没有这个组。")
                changed = workflow.assign(session, ticket, actor=me, group=group)
            else:
                changed = workflow.change_status(session, ticket, value, actor=me)
            session.commit()
            done += 1 if changed is not None else 0
        except WorkflowError as exc:
            session.rollback()
            failed.append(f"{number}：{exc.message}")
        except StaleDataError:
            session.rollback()
            failed.append(f"{number}：别人同时修改了这个工单，请重试")
    flash(f"{_bulk_words(session, action, value, me)}：已处理 {done} 个工单。", "ok")
    for message in failed[:20]:
        flash(message, "error")
    return redirect(back)


# --- One ticket ------------------------------------------------------------------------------


def _solutions(ticket: Ticket, code: str) -> tuple[list, list]:
    """(suggested from the ticket's text, found for the code box): hits the agent may see."""
    from ..articles.search import search as search_articles
    from ..requests.suggestions import suggest

    audiences = audiences_for(current_role())
    try:
        suggested = suggest(ticket.subject, ticket.description, choices.CATEGORIES.get(ticket.category), audiences,
                            limit=5).hits
    except Exception:  # noqa: BLE001 - the panel is a help; the ticket page must still open
        suggested = []
    found = []
    if code:
        try:
            found = list(search_articles(code[:200], audiences=audiences, per_page=8).hits)
        except Exception:  # noqa: BLE001
            found = []
    return suggested, found


def _macros(session, ticket: Ticket) -> list[dict]:
    from ..tickets.macros import render

    rows = session.scalars(select(Macro).where(Macro.active.is_(True)).order_by(Macro.title)).all()
    return [{"m": m, "text": render(m.body, ticket, _me())} for m in rows]


#: the forms of the ticket page, by the name ``_posted_form`` gives them: what the page calls them
FORMS = {"reply": "回复", "status": "状态", "resolve": "标记为已解决", "take": "分配给我", "assign": "分配",
         "classify": "分类", "escalate": "升级到二线"}


def _posted_form() -> str:
    """Which form of the ticket page this POST came from (its action; 「分配给我」 is its own form)."""
    name = (request.endpoint or "").rpartition(".")[2]
    if name == "assign" and request.form.get("group") == "keep":
        return "take"  # the 「分配给我」 button: assignee=me, group=keep; the 分配 form never sends keep
    return name if name in FORMS else ""


def _forms_on_page(ticket: Ticket) -> dict[str, bool]:
    """Which forms the ticket page shows for ``ticket`` as it is now (the template follows this)."""
    open_ = ticket.status != "closed"
    return {
        "reply": open_, "status": open_, "take": open_, "assign": open_, "classify": open_,
        "resolve": open_ and "resolved" in workflow.TRANSITIONS[ticket.status],
        "escalate": open_ and (ticket.tier or 1) == 1 and ticket.status != "resolved",
    }


def _refill(ticket: Ticket, posted: str, draft: dict) -> dict:
    """What the page needs to give the agent back exactly what they sent, in the form they sent it from.

    ``draft`` is the posted form; only the form named ``posted`` is refilled (the others show the
    ticket's saved values). When that form is not on the page any more (the ticket was closed,
    resolved or escalated meanwhile) its typed text is shown above, read-only, to copy."""
    from ..errors import typed_fields

    refill = {"form": posted, "label": FORMS.get(posted, ""), "draft": draft, "article": None, "files": [],
              "orphans": []}
    if posted == "resolve" and draft.get("article"):
        article = get_session().scalar(select(Article).where(Article.slug == draft["article"].strip()))
        if article is not None and can_view(article, current_role()):
            refill["article"] = article
    if posted == "reply":
        refill["files"] = [f.filename for f in request.files.getlist("attachments") if f and f.filename][:10]
    if posted and not _forms_on_page(ticket).get(posted, False):
        refill["orphans"] = typed_fields(f"agent.{posted}", draft)
    return refill


def _page(ticket: Ticket, *, status: int = 200, error: str | None = None, conflict=None, draft=None):
    session = get_session()
    now = utcnow()
    visit = session.get(FormVisit, ticket.visit_id) if ticket.visit_id else None
    articles = _articles_by_slug([*(ticket.shown_articles or []), *(ticket.opened_articles or [])])
    role = current_role()  # the API takes slug lists from the caller: no draft titles for agents
    articles = {slug: a for slug, a in articles.items() if can_view(a, role)}
    code = (request.args.get("code") or "").strip()
    suggested, found = _solutions(ticket, code)
    policy = policy_from_config(_config())
    feedback = []
    if ticket.article is not None:
        from ..models import Feedback

        feedback = session.scalars(select(Feedback).where(Feedback.ticket_id == ticket.id)).all()
    html = render_template(
        "agent/ticket.html",
        **template_context(
            ticket=ticket, visit=visit, articles=articles, overdue=is_overdue(ticket, now), attachment_token=None,
            sla=sla_state(ticket, now), sla_labels=SLA_LABELS,
            left=describe_left(ticket.sla_due_at, now) if ticket.sla_due_at is not None else "",
            needs_update=needs_update(ticket, policy.calendar, now), transitions=sorted(workflow.TRANSITIONS[ticket.status]),
            agents=_agents(session), groups=_groups(session), suggested=suggested, found=found, code=code,
            macros=_macros(session, ticket), error=error, conflict=conflict,
            refill=_refill(ticket, _posted_form() if draft is not None else "", draft or {}),
            forms=_forms_on_page(ticket), feedback=feedback, me=_me(), escalation_target=60,
        ),
    )
    return html, status, {"Cache-Control": "private, no-store"}


@bp.before_request
def _login_ended():
    """A form POST whose login has ended (expired, or ended on another device) while the page's
    CSRF token still holds: refused like a failed CSRF check, with the typed text to copy and a
    link to log in again — the login redirect would drop the text (and lead back to a POST-only URL)."""
    if request.method == "POST" and not current_user.is_authenticated:
        from ..errors import typed_text_page

        return typed_text_page(401)
    return None


def _ticket(number: str) -> Ticket:
    ticket = find_ticket(get_session(), number)
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/tickets/<number>")
@role_required("agent")
def ticket(number: str):
    return _page(_ticket(number))


def _act(number: str, change, success: str):
    """Run ``change(session, ticket, me)`` with the version check; re-render on refusal."""
    session = get_session()
    ticket = _ticket(number)
    draft = request.form.to_dict()
    try:
        workflow.check_version(ticket, request.form.get("version"))
        change(session, ticket, _me())
        session.commit()
    except VersionConflict as exc:
        session.rollback()
        return _page(ticket, status=409, conflict=exc, draft=draft)
    except WorkflowError as exc:
        session.rollback()
        ticket = _ticket(number)
        return _page(ticket, status=400 if isinstance(exc, workflow.ValidationFailed) else 409, error=exc.message,
                     draft=draft)
    except AttachmentError as exc:
        session.rollback()
        return _page(_ticket(number), status=400, error=str(exc), draft=draft)
    except StaleDataError:
        session.rollback()
        ticket = _ticket(number)
        seen = parse_id(request.form.get("version")) or ticket.version - 1
        return _page(ticket, status=409, conflict=VersionConflict(ticket, seen), draft=draft)
    flash(success, "ok")
    return redirect(url_for("agent.ticket", number=ticket.number) + "#timeline")


@bp.post("/tickets/<number>/reply")
@role_required("agent")
def reply(number: str):
    internal = request.form.get("internal") == "1"
    status = request.form.get("status") or None
    files = [f for f in request.files.getlist("attachments") if f and f.filename]

    def change(session, ticket, me):
        workflow.reply(session, ticket, actor=me, body=request.form.get("body", ""), internal=internal,
                       status=status, files=files)
        macro_id = parse_id(request.form.get("macro_id"))
        if macro_id:
            macro = session.get(Macro, macro_id)
            if macro is not None:
                macro.usage_count = (macro.usage_count or 0) + 1

    return _act(number, change, "内部备注已保存。" if internal else "回复已发送。")


@bp.post("/tickets/<number>/status")
@role_required("agent")
def status(number: str):
    def change(session, ticket, me):
        workflow.change_status(session, ticket, request.form.get("status", ""), actor=me,
                               reason=request.form.get("reason", "").strip()[:500])

    return _act(number, change, "状态已更新。")


@bp.post("/tickets/<number>/assign")
@role_required("agent")
def assign(number: str):
    def change(session, ticket, me):
        value = request.form.get("assignee", "keep")
        if value == "keep":
            assignee = "keep"
        elif value in ("", "none"):
            assignee = None
        elif value == "me":
            assignee = me
        else:
            assignee = session.scalar(select(User).where(User.username == value))
            if assignee is None:
                raise workflow.ValidationFailed("没有这个账号。", {"assignee": "没有这个账号"})
        group_value = request.form.get("group", "keep")
        if group_value == "keep":
            group = "keep"
        elif group_value in ("", "none"):
            group = None
        else:
            group = session.scalar(select(AgentGroup).where(AgentGroup.name == group_value))
            if group is None:
                raise workflow.ValidationFailed("没有这个组。", {"group": "没有这个组"})
        workflow.assign(session, ticket, actor=me, assignee=assignee, group=group)

    return _act(number, change, "分配已更新。")


@bp.post("/tickets/<number>/classify")
@role_required("agent")
def classify(number: str):
    def change(session, ticket, me):
        workflow.classify(session, ticket, actor=me, category=request.form.get("category"),
                          impact=request.form.get("impact"), urgency=request.form.get("urgency"),
                          reason=request.form.get("reason", ""))

    return _act(number, change, "分类已更新，优先级已按矩阵重新计算。")


@bp.post("/tickets/<number>/escalate")
@role_required("agent")
def escalate(number: str):
    def change(session, ticket, me):
        name = request.form.get("group") or ""
        group = session.scalar(select(AgentGroup).where(AgentGroup.name == name)) if name else None
        workflow.escalate(session, ticket, actor=me, reason=request.form.get("reason", ""), group=group)

    return _act(number, change, "已升级到二线。")


@bp.post("/tickets/<number>/resolve")
@role_required("agent")
def resolve(number: str):
    def change(session, ticket, me):
        slug = (request.form.get("article") or "").strip()
        article = None
        if slug:
            article = session.scalar(select(Article).where(Article.slug == slug))
            if article is None or not can_view(article, current_role()):
                raise workflow.ValidationFailed("找不到这篇文章。", {"article": "找不到这篇文章"})
        workflow.resolve(session, ticket, actor=me, body=request.form.get("body", ""), article=article)

    return _act(number, change, "工单已解决，已通知用户。")


@bp.errorhandler(413)
def _too_large(exc):
    flash(UPLOAD_TOO_LARGE_MESSAGE, "error")
    return redirect(request.referrer or url_for("agent.index"))
