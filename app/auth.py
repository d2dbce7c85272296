"""Accounts at the door: login, logout, the session cookie, API tokens, role checks.

* ``/login`` throttles failed attempts per user name and per address (app/accounts/throttle.py)
  and spends one password hash on unknown users too (app/accounts/passwords.py).
* Every login is a revocable row (app/accounts/sessions.py); logout ends every login of the
  account, so a copied cookie stops working. Cookies are HttpOnly, SameSite=Lax and Secure
  when ``KB_BASE_URL`` is https (``KB_SECURE_COOKIES``).
* ``/api/*`` with ``Authorization: Bearer <token>`` runs as the token's user: ``current_user``
  is that user, the session cookie is neither read nor written, no CSRF token is needed. A bad,
  revoked or disabled user's token is ``401 {"error": "invalid_token"}`` — never anonymous.
* CSRF on ``/api/*`` (one rule for every API blueprint): a write (POST, PUT, PATCH, DELETE)
  that a logged-in browser session authenticates must send the ``X-CSRFToken`` header (the
  page's ``<meta name="csrf-token">``). Token writes need none. Anonymous writes need none
  either — they carry no login to abuse — but the API endpoints take JSON bodies only, which a
  form on another site cannot send.
* A user with a temporary password is sent to ``/account/password`` before anything else.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask import session as flask_session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from sqlalchemy import select

from .accounts import passwords, sessions, throttle, tokens
from .accounts.settings import apply_defaults, secure_cookies, session_lifetime
from .db import get_session
from .errors import json_error
from .models import User, utcnow

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "info"
login_manager.id_attribute = "get_login_key"  # the login's revocable key, not the user id

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
INVALID_TOKEN = "API 令牌无效、已被撤销，或其账号已停用。请向管理员申请新的令牌。"
# Where a user who must change a temporary password may still go.
OPEN_WHILE_CHANGING = frozenset({"account.password", "auth.logout", "auth.login", "static"})


def init_app(app) -> None:
    apply_defaults(app)
    login_manager.init_app(app)
    secure = secure_cookies(app.config)
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=dt.timedelta(days=int(app.config["KB_REMEMBER_DAYS"])),
    )
    app.session_interface = TokenAwareSessionInterface()
    app.before_request(_authenticate_api_token)
    app.before_request(_anonymous_without_credentials)
    app.before_request(_api_csrf)
    app.before_request(_password_change_gate)


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
def _load_user(value: str):
    return sessions.load(get_session(), value)


# --- API tokens ----------------------------------------------------------------------------


_BEARER = "kb.bearer_token"  # the answer, kept in the request's WSGI environ


def bearer_token(req) -> str | None:
    """The token of an ``/api/*`` request with ``Authorization: Bearer …``, else None.

    Asked three times a request (session open, authentication, session save): worked out once."""
    environ = req.environ
    if _BEARER in environ:
        return environ[_BEARER]
    token = None
    if req.path.startswith("/api/"):
        scheme, _, value = req.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":  # else no header, or another scheme (a proxy's Basic auth)
            token = value.strip()
    environ[_BEARER] = token
    return token


class TokenAwareSessionInterface(SecureCookieSessionInterface):
    """A token request neither reads nor writes the browser session (the token is who calls)."""

    def open_session(self, app, req):
        if bearer_token(req) is not None:
            return self.session_class()
        if app.secret_key and not req.cookies.get(self.get_cookie_name(app)):
            # what Flask returns for a browser without a session cookie, without deriving the
            # signing key first (most suggest/search calls are anonymous: issue 15)
            return self.session_class()
        return super().open_session(app, req)

    def save_session(self, app, session, response):
        if bearer_token(request) is not None:
            return None
        if not session and not session.modified:
            # what Flask does for a session that is and stays empty (an anonymous API read),
            # without reading the seven cookie settings first
            if session.accessed:
                response.vary.add("Cookie")
            return None
        return super().save_session(app, session, response)


def _authenticate_api_token():
    token = bearer_token(request)
    if token is None:
        return None
    found = tokens.authenticate(get_session(), token) if token else None
    if found is None:
        response = json_error(401, "invalid_token", INVALID_TOKEN)
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    user, row = found
    g.kb_api_token = row
    # flask-login keeps the request's user in g._login_user; its own loaders set it the same way.
    login_manager._update_request_context_with_user(user)
    return None


def _anonymous_without_credentials():
    """A request with an empty session and no remember-me cookie is anonymous: say so now.

    flask-login's loader would reach the same answer for it, but first computes its session-
    protection identifier (a SHA-512 of the caller's address and User-Agent) for a session that
    has nothing to protect and reads three settings — on every anonymous search and keystroke
    (issue 15). The session is still read, so the response still varies on ``Cookie``."""
    if "_login_user" in g or flask_session or login_manager._request_callback or login_manager._header_callback:
        return None  # a token's user, a browser's login, or a loader that may find someone
    if current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) not in request.cookies:
        login_manager._update_request_context_with_user()  # the anonymous user, as flask-login sets it
    return None


def _api_csrf():
    if (request.path.startswith("/api/") and request.method in UNSAFE_METHODS
            and "kb_api_token" not in g and current_app.config.get("WTF_CSRF_ENABLED", True)
            and current_user.is_authenticated):
        from .security import csrf

        csrf.protect()  # 400 {"error": "csrf_failed"} from the shared handler when it is missing


def _password_change_gate():
    if "kb_api_token" in g or request.endpoint in OPEN_WHILE_CHANGING:
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    message = "请先修改临时密码。"
    if request.path.startswith("/api/"):
        return json_error(403, "password_change_required", message + "（在网页上登录后按提示修改）")
    return redirect(url_for("account.password", next=request.full_path if request.args else request.path))


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


def safe_next(target: str | None) -> str:
    if not target:
        return url_for("portal.home")
    # Control characters would break the Location header (a 500); browsers read a backslash as "/".
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return url_for("portal.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("portal.home")
    return target



def start_login(user: User, remember: bool) -> None:
    """Open a new revocable login for ``user`` in this browser (commits)."""
    db = get_session()
    sessions.start(db, user, remember=remember, address=request.remote_addr,
                   user_agent=request.headers.get("User-Agent"))
    user.last_login_at = utcnow()
    db.commit()
    login_user(user, remember=remember, duration=session_lifetime(remember) if remember else None)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    status = 200
    username = ""
    headers = {}
    if request.method == "GET" and "next" not in request.args:
        back = _came_from()
        if back:                            # the header's 「登录」: come back to the page it was on
            return redirect(url_for("auth.login", next=back))
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:200]
        password = request.form.get("password", "")
        address = request.remote_addr
        wait = throttle.wait_seconds(username, address)
        if wait:
            error, status = throttle.message(wait), 429
            headers["Retry-After"] = str(int(wait) + 1)
        else:
            known = username and "\x00" not in username  # PostgreSQL refuses NUL in a query
            user = get_session().scalar(select(User).where(User.username == username)) if known else None
            if passwords.verify(user, password):
                throttle.succeeded(username)
                start_login(user, remember=bool(request.form.get("remember")))
                target = safe_next(request.args.get("next"))
                if user.must_change_password:
                    return redirect(url_for("account.password", next=target))
                return redirect(target)
            throttle.failed(username, address)
            error, status = "用户名或密码不正确。", 401
    response = current_app.make_response((render_template("login.html", error=error, username=username), status))
    response.headers.update(headers)
    return _no_store(response)


def referrer_path() -> str | None:
    """The path (and query) of this site's page the request came from (the Referer, sent within
    the site: Referrer-Policy same-origin); None without one or from another site. Callers pass
    it through ``safe_next`` before they redirect to it."""
    from urllib.parse import urlsplit

    ref, here = urlsplit(request.referrer or ""), urlsplit(request.host_url)
    if (ref.scheme, ref.netloc) != (here.scheme, here.netloc) or not ref.path.startswith("/"):
        return None
    return ref.path + (f"?{ref.query}" if ref.query else "")


def _came_from() -> str | None:
    """The page whose 「登录」 was clicked: not /login itself or /logout."""
    back = referrer_path()
    return None if back is None or back.startswith(("/login", "/logout")) else back


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":  # a link must not log anyone out (CSRF): confirm with a form
        return render_template("logout.html")
    if current_user.is_authenticated:
        db = get_session()
        sessions.revoke_all(db, current_user._get_current_object())
        db.commit()
    flask_session.clear()
    logout_user()
    flash("您已退出登录，此账号在所有设备上的登录都已结束。", "info")
    return redirect(url_for("portal.home"))
