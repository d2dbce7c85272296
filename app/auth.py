"""Accounts: login, logout and role checks (flask-login keeps the session)."""

from __future__ import annotations

import re
import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select

from .db import get_session
from .models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "info"


def init_app(app) -> None:
    login_manager.init_app(app)


# --- Who is calling ------------------------------------------------------------------------
# A logged-in person is ``user:<id>``; an anonymous browser gets a random id in its signed
# session cookie on first need and is ``session:<id>``. Votes, idempotency keys and anything
# else "per caller" use this one key, so two anonymous callers never share a scope.
ANON_SESSION_KEY = "kb_voter"  # the name predates its wider use; kept so old sessions stay valid
_ANON_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def caller_key(flask_session, user=None, *, create: bool = True) -> str | None:
    """``user:<id>`` or ``session:<id>``; with ``create=False`` None when the browser has no id yet."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.id}"
    sid = flask_session.get(ANON_SESSION_KEY)
    if not isinstance(sid, str) or not _ANON_ID.match(sid):
        if not create:
            return None
        sid = secrets.token_urlsafe(18)
        flask_session[ANON_SESSION_KEY] = sid
    return f"session:{sid}"


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        return get_session().get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def role_required(*roles: str):
    """Allow only logged-in users with one of ``roles`` (admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles and current_user.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("portal.home")
    # Control characters would break the Location header (a 500); browsers read a backslash as "/".
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return url_for("portal.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("portal.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        known = username and "\x00" not in username  # PostgreSQL refuses NUL in a query
        user = get_session().scalar(select(User).where(User.username == username)) if known else None
        if user is not None and user.active and user.check_password(password):
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.args.get("next")))
        error = "用户名或密码不正确。"
    return render_template("login.html", error=error, username=username), (401 if error else 200)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":  # a link must not log anyone out (CSRF): confirm with a form
        return render_template("logout.html")
    logout_user()
    flash("您已退出登录。", "info")
    return redirect(url_for("portal.home"))
