"""Error pages in Chinese, JSON errors for the API; never a stack trace."""

from __future__ import annotations

import logging
import re

from flask import jsonify, render_template, request, url_for
from sqlalchemy.exc import InternalError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("app")

MESSAGES = {
    400: "请求有误，请检查后重试。",
    403: "您没有权限查看此页面。",
    404: "您要找的页面不存在，或者您没有权限查看。",
    405: "不支持这种请求方式。",
    413: "上传的内容超过了大小限制。",
    429: "操作太频繁，请稍后再试。",
    500: "服务器出了点问题，我们已经记录下来。请稍后再试。",
    503: "系统暂时无法保存，请稍后再试。",
}
#: the database refused a write (disk full, read-only, failing over): say so, never a 500
UNAVAILABLE = "系统暂时无法保存，请稍后再试。"
CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 429: "rate_limited", 500: "server_error", 503: "unavailable"}


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # A view may say what is missing: abort(404, description="文章不存在……").
        custom = exc.description if exc.description != type(exc).description else None
        return _respond(exc.code or 500, custom)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InternalError)
    def _database_refused(exc: Exception):
        # OperationalError: disk full, database locked or gone; InternalError: e.g. a
        # read-only transaction (a standby).  Views that keep typed text catch it themselves.
        log.error("database error on %s %s: %s", request.method, request.path, exc)
        _rollback()
        from flask import make_response

        response = make_response(_respond(503, UNAVAILABLE))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500)


def _rollback() -> None:
    from flask import g

    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 - the connection itself may be gone
            pass


def json_error(status: int, error: str, message: str, **extra):
    """The API's error body: ``{"error": code, "message": Chinese text, ...extra}``."""
    response = jsonify(error=error, message=message, **extra)
    response.status_code = status
    return response


def _respond(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, "出错了。")
    if request.path.startswith("/api/"):
        return json_error(code, CODES.get(code, "error"), message)
    return render_template("error.html", code=code, message=message), code


# --- a form POST refused because the login or the page's CSRF token ran out ------------------
# Nothing of it was done (the CSRF check stays a refusal); the page gives back what the person
# typed — their own text only, escaped, read-only — and a way to log in again.

#: the text fields a person types into, per endpoint, with the labels their forms show; an
#: endpoint listed with no fields has nothing typed to give back (selects, buttons, hidden ids)
TYPED_FIELDS: dict[str, list[tuple[str, str]]] = {
    "agent.reply": [("body", "回复内容")],
    "agent.resolve": [("body", "解决说明")],
    "agent.status": [("reason", "状态说明")],
    "agent.classify": [("reason", "分类原因")],
    "agent.escalate": [("reason", "升级原因")],
    "agent.assign": [], "agent.away": [], "agent.bulk": [],
    "writer.create": [("title", "标题"), ("slug", "网址"), ("category", "类别"), ("tags", "标签"),
                      ("error_codes", "错误代码"), ("review_by", "复核日期"), ("body", "正文（Markdown）"),
                      ("note", "修改说明")],
    "writer.act": [("comment", "说明或意见"), ("next_review", "下次复核日期")],
}
TYPED_FIELDS["writer.save"] = TYPED_FIELDS["writer.create"]
#: the writer's editor: its text is also in the per-writer autosave buffer (offered on the edit page)
WRITER_EDITOR = frozenset({"writer.create", "writer.save"})
#: other forms: every field but these (hidden ids, tokens, secrets) is something a person typed or chose
_NOT_TYPED = frozenset({"version", "revision", "base_revision", "back", "next", "article", "article_slug", "visit",
                        "q", "view", "step", "macro_id", "helpful", "away", "from_ticket", "remember"})
_SECRET = re.compile(r"csrf|token|password|secret|key|idem", re.IGNORECASE)
MAX_TYPED_FIELDS = 20
MAX_TYPED_CHARS = 20000


def typed_fields(endpoint: str, form) -> list[dict]:
    """``[{"name", "label", "value"}]``: the non-empty text fields a person typed into ``form``
    (a POST's ``request.form`` or a dict of it) on ``endpoint``'s page."""
    known = TYPED_FIELDS.get(endpoint)
    if known is not None:
        pairs = [(name, label, form.get(name, "")) for name, label in known]
    else:
        items = form.items(multi=True) if hasattr(form, "getlist") else form.items()
        pairs = [(name, name, value) for name, value in items
                 if isinstance(value, str) and name not in _NOT_TYPED and not _SECRET.search(name)]
    return [{"name": name, "label": label, "value": value[:MAX_TYPED_CHARS]}
            for name, label, value in pairs if isinstance(value, str) and value.strip()][:MAX_TYPED_FIELDS]


def came_from() -> str:
    """The path (and query) of the page the form was on — the Referer when it is this site, else home."""
    from .auth import referrer_path, safe_next

    back = referrer_path()
    return safe_next(back) if back else url_for("portal.home")


def typed_text_page(code: int = 400):
    """The answer to a form POST refused for an ended login (or, when still logged in, an expired
    CSRF token): nothing was saved; the typed text to copy; log in again and return to the page."""
    from flask_login import current_user

    logged_in = bool(current_user and current_user.is_authenticated)
    back = came_from()
    endpoint = request.endpoint or ""
    fields = typed_fields(endpoint, request.form)
    files = [f.filename for _, f in request.files.items(multi=True) if f and f.filename][:10]
    return render_template(
        "errors/typed_text.html", code=code, logged_in=logged_in, back=back, fields=fields, files=files,
        writer_editor=endpoint in WRITER_EDITOR, login_url=url_for("auth.login", next=back),
    ), code
