"""``/admin/console/`` — agent groups (skills, tier, members) and macros (canned replies).

Admins only (everyone else 403, anonymous the login). Every change goes through
app/tickets/groups.py (audited); every form carries the CSRF token; pages are no-store.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..accounts.audit import Actor
from ..auth import login_manager
from ..db import get_session
from ..models import AgentGroup, Macro, User
from ..tickets import choices
from ..tickets import groups as service
from ..tickets.macros import PLACEHOLDERS
from ..visibility import TICKET_STAFF_ROLES, can_manage_console

bp = Blueprint("admin_console", __name__, url_prefix="/admin/console")


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can_manage_console(current_user):
        abort(403)


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _render(**extra):
    session = get_session()
    return render_template(
        "admin/console.html",
        groups=session.scalars(select(AgentGroup).order_by(AgentGroup.tier, AgentGroup.name)).all(),
        macros=session.scalars(select(Macro).order_by(Macro.title)).all(),
        agents=session.scalars(select(User).where(User.role.in_(TICKET_STAFF_ROLES), User.active.is_(True))
                               .order_by(User.username)).all(),
        C=choices, placeholders=PLACEHOLDERS, form=extra.pop("form", {}), **extra,
    )


@bp.get("/")
def index():
    return _render()


def _done(message: str):
    flash(message, "ok")
    return redirect(url_for("admin_console.index"))


def _refused(exc: service.GroupError):
    get_session().rollback()
    return _render(error=str(exc), form=request.form.to_dict()), 400


@bp.post("/groups")
def create_group():
    session = get_session()
    try:
        group = service.create_group(session, _actor(), request.form.get("name"), request.form.getlist("skills"),
                                     request.form.get("tier") or 1, request.form.get("description", ""))
        session.commit()
    except service.GroupError as exc:
        return _refused(exc)
    return _done(f"已创建组「{group.name}」。")


def _group(group_id: int) -> AgentGroup:
    group = get_session().get(AgentGroup, group_id)
    if group is None:
        abort(404)
    return group


@bp.post("/groups/<int:group_id>")
def update_group(group_id: int):
    session = get_session()
    group = _group(group_id)
    try:
        service.update_group(session, _actor(), group, skills=request.form.getlist("skills"),
                             tier=request.form.get("tier") or group.tier)
        session.commit()
    except service.GroupError as exc:
        return _refused(exc)
    return _done(f"已保存组「{group.name}」。")


@bp.post("/groups/<int:group_id>/members")
def add_member(group_id: int):
    session = get_session()
    group = _group(group_id)
    try:
        user = service.add_member(session, _actor(), group, request.form.get("username", ""))
        session.commit()
    except service.GroupError as exc:
        return _refused(exc)
    return _done(f"已把 {user.username} 加入「{group.name}」。")


@bp.post("/groups/<int:group_id>/members/<int:user_id>/remove")
def remove_member(group_id: int, user_id: int):
    session = get_session()
    group = _group(group_id)
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    try:
        service.remove_member(session, _actor(), group, user)
        session.commit()
    except service.GroupError as exc:
        return _refused(exc)
    return _done(f"已把 {user.username} 移出「{group.name}」。")


@bp.post("/macros")
@bp.post("/macros/<int:macro_id>")
def save_macro(macro_id: int | None = None):
    session = get_session()
    macro = session.get(Macro, macro_id) if macro_id else None
    if macro_id and macro is None:
        abort(404)
    try:
        macro = service.save_macro(
            session, _actor(), macro, title=request.form.get("title"), body=request.form.get("body"),
            internal=request.form.get("internal") == "1", set_status=request.form.get("set_status") or None,
            active=request.form.get("active", "1") == "1", user=current_user._get_current_object(),
        )
        session.commit()
    except service.GroupError as exc:
        return _refused(exc)
    return _done(f"已保存快捷回复「{macro.title}」。")
