"""A user's own account: ``/account/password`` changes the password.

The current password is asked for (also right after logging in with a temporary one); the
new one must meet the policy (app/accounts/passwords.py). A change ends every login of the
account — other browsers and copied cookies stop working — and this browser gets a fresh one.
Failed current-password checks count in the login throttle. Pages are ``no-store``.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask_login import current_user, login_required

from ..accounts import sessions, throttle
from ..accounts.passwords import min_length
from ..accounts.service import AccountError, change_own_password
from ..auth import safe_next, start_login
from ..db import get_session

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    user = current_user._get_current_object()
    target = safe_next(request.values.get("next"))
    error, problems, status, headers = None, [], 200, {}
    if request.method == "POST":
        wait = throttle.wait_seconds(user.username, request.remote_addr)
        if wait:
            error, status = throttle.message(wait), 429
            headers["Retry-After"] = str(int(wait) + 1)   # as the login page says it
        else:
            db = get_session()
            remember = bool(getattr(sessions.current_row(db, user.session_key), "remember", False))
            try:
                change_own_password(db, user, request.form.get("current", ""), request.form.get("new", ""),
                                    request.form.get("confirm", ""), address=request.remote_addr)
            except AccountError as exc:
                db.rollback()
                if exc.code == "wrong_password":
                    throttle.failed(user.username, request.remote_addr)
                error, problems, status = exc.message, exc.problems, 400
            else:
                db.commit()
                start_login(user, remember=remember)
                flash("密码已修改。此账号在其他设备上的登录都已结束。", "info")
                return redirect(target)
    return render_template("account/password.html", error=error, problems=problems, next=target,
                           forced=user.must_change_password, min_length=min_length()), status, headers
