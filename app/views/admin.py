"""``/admin/`` — accounts an admin can run (admins only; everyone else gets 403, anonymous the login).

* ``/admin/`` — the accounts (search, filter by role and status, paged), a form to create one,
  the latest audit entries.
* ``/admin/users/<id>`` — one account: role, disable / enable, reset the password (a temporary
  one, shown once, to be changed at next login), end every login, its API tokens (create — shown
  once —, revoke) and its audit entries.
* ``/admin/tokens`` — every API token (``?all=1`` with revoked ones), revocable.
* ``/admin/audit`` — the whole audit log, paged.

All changes go through app/accounts/service.py (audited, last-admin guard); every form has a
CSRF token; every page is ``Cache-Control: no-store``. A temporary password or a new token is
shown in the POST's own answer, never put in the (signed, not encrypted) session cookie.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..accounts import audit, service, sessions, tokens
from ..accounts.audit import Actor
from ..accounts.service import ROLE_LABELS, AccountError
from ..auth import login_manager
from ..db import get_session
from ..models import ROLES, ApiToken, User, parse_page
from ..tickets import present
from ..visibility import can_manage_accounts, current_role

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can_manage_accounts(current_role()):
        abort(403)
    return None


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _labels():
    return {"role_labels": ROLE_LABELS, "roles": ROLES, "action_labels": audit.ACTIONS,
            "describe": audit.describe, "when": present.display_time, "iso": present.iso}


def _actor() -> Actor:
    return Actor.of(current_user._get_current_object(), request.remote_addr)


def _page() -> int:
    return parse_page(request.args.get("page"), 10_000)


MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id in the URL would be a 500, not a 404


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id) if user_id <= MAX_ID else None
    if user is None:
        abort(404, description="该账号不存在。")
    return user


@bp.get("/")
def index():
    return _index_page()


def _index_page(form: dict | None = None, error: str | None = None, status: int = 200):
    db = get_session()
    q = request.args.get("q", "").strip()[:80].replace("\x00", "")
    role = request.args.get("role", "")
    state = request.args.get("status", "")
    query = select(User)
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like), User.email.ilike(like)))
    if role in ROLES:
        query = query.where(User.role == role)
    if state in ("active", "disabled"):
        query = query.where(User.active.is_(state == "active"))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = _page()
    users = list(db.scalars(query.order_by(User.username).limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    ids = [u.id for u in users]
    token_counts = dict(db.execute(
        select(ApiToken.user_id, func.count()).where(ApiToken.user_id.in_(ids), ApiToken.revoked_at.is_(None))
        .group_by(ApiToken.user_id)
    ).all()) if ids else {}
    return render_template(
        "admin/index.html", users=users, total=total, page=page, pages=max(1, -(-total // PER_PAGE)),
        q=q, role=role, state=state, token_counts=token_counts, entries=audit.recent(db, limit=10),
        form=form or {}, error=error,
    ), status


@bp.post("/users")
def create_user():
    form = {k: request.form.get(k, "").strip() for k in ("username", "display_name", "email", "role")}
    db = get_session()
    try:
        user, password = service.create_user(db, _actor(), form["username"], form["role"] or "requester",
                                             email=form["email"], display_name=form["display_name"])
    except AccountError as exc:
        db.rollback()
        return _index_page(form=form, error=exc.message, status=400)
    db.commit()
    return _secret(user, "账号已创建", "初始密码", password,
                   "请把初始密码当面或通过可信渠道交给本人。对方首次登录后必须修改密码。")


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    db = get_session()
    target = _user_or_404(user_id)
    return render_template(
        "admin/user.html", user=target, tokens=tokens.listing(db, target, include_revoked=True),
        live_sessions=sessions.live_count(db, target.id), entries=audit.recent(db, limit=30, target_user_id=target.id),
    )


def _act(user_id: int, action, done: str):
    """Run ``action(db, actor, user)``; flash ``done`` or the refusal, back to the account."""
    db = get_session()
    target = _user_or_404(user_id)
    try:
        changed = action(db, _actor(), target)
    except AccountError as exc:
        db.rollback()
        flash(exc.message, "error")
    else:
        db.commit()
        if changed is not False:
            flash(done.format(user=target.username, n=changed), "info")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    role = request.form.get("role", "")
    label = ROLE_LABELS.get(role, role)
    return _act(user_id, lambda db, actor, u: service.set_role(db, actor, u, role), f"已将 {{user}} 的角色改为{label}。")


@bp.post("/users/<int:user_id>/disable")
def disable(user_id: int):
    return _act(user_id, service.disable, "已停用 {user}：其登录已全部结束，API 令牌已全部撤销（重新启用也不会恢复）。")


@bp.post("/users/<int:user_id>/enable")
def enable(user_id: int):
    return _act(user_id, service.enable, "已启用 {user}。")


@bp.post("/users/<int:user_id>/sessions/end")
def end_sessions(user_id: int):
    return _act(user_id, service.end_sessions, "已结束 {user} 的 {n} 个登录。")


@bp.post("/users/<int:user_id>/reset-password")
def reset_password(user_id: int):
    db = get_session()
    target = _user_or_404(user_id)
    password = service.reset_password(db, _actor(), target)
    db.commit()
    return _secret(target, "密码已重置", "临时密码", password,
                   "此账号原有的登录已全部结束。请把临时密码交给本人，对方下次登录后必须修改密码。")


@bp.post("/users/<int:user_id>/tokens")
def create_token(user_id: int):
    db = get_session()
    target = _user_or_404(user_id)
    try:
        row, token = service.create_token(db, _actor(), target, request.form.get("name", ""))
    except AccountError as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.user", user_id=user_id))
    db.commit()
    return _secret(target, "API 令牌已创建", f"令牌 #{row.id}" + (f"（{row.name}）" if row.name else ""), token,
                   "调用 /api/* 时放在请求头 Authorization: Bearer <令牌> 中，以此账号的身份访问。")


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    db = get_session()
    if token_id > MAX_ID:
        abort(404, description=f"令牌 #{token_id} 不存在。")
    try:
        row = service.revoke_token(db, _actor(), token_id)
    except AccountError as exc:
        abort(404, description=exc.message)
    db.commit()
    flash(f"令牌 #{row.id}（{row.prefix}…）已撤销。", "info")
    back = request.form.get("back")
    if back == "tokens":
        return redirect(url_for("admin.token_list"))
    return redirect(url_for("admin.user", user_id=row.user_id))


@bp.get("/tokens")
def token_list():
    include_revoked = request.args.get("all") == "1"
    return render_template("admin/tokens.html", tokens=tokens.listing(get_session(), include_revoked=include_revoked),
                           include_revoked=include_revoked)


@bp.get("/audit")
def audit_log():
    db = get_session()
    page = _page()
    total = audit.count(db)
    return render_template("admin/audit.html", entries=audit.recent(db, limit=PER_PAGE, offset=(page - 1) * PER_PAGE),
                           page=page, pages=max(1, -(-total // PER_PAGE)), total=total)


def _secret(user: User, title: str, label: str, secret: str, hint: str):
    return render_template("admin/secret.html", user=user, title=title, label=label, secret=secret, hint=hint)
