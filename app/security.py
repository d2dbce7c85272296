"""Cross-cutting protections: CSRF on every form, security headers, safe JSON bodies."""

from __future__ import annotations

from flask import Request, abort, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
)


# JSON bodies nested deeper than this are refused with a 400: nothing we accept nests more than a
# few levels, and Python's json module would otherwise raise RecursionError (a 500) near 1,000.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"请求正文的 JSON 嵌套层数太多（最多 {MAX_JSON_DEPTH} 层）。"


def json_depth_exceeds(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``value`` nests lists/objects more than ``limit`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class SafeRequest(Request):
    """``get_json`` that answers 400 for bodies too deep to handle, even with ``silent=True``."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest(description=TOO_DEEP) from None
        if value is not None and json_depth_exceeds(value):
            raise BadRequest(description=TOO_DEEP)
        return value


# Pages that may carry people's names, contacts or ticket text: never stored by a browser or proxy.
PRIVATE_PREFIXES = ("/agent", "/admin", "/writer", "/reports", "/requests/", "/account", "/api/tickets")


def _private_response() -> bool:
    """No cache for signed-in people (their pages show their data) and for private areas."""
    path = request.path
    if path.startswith("/static/"):
        return False
    if path.startswith(PRIVATE_PREFIXES):
        return True
    return bool(current_user and current_user.is_authenticated)


#: set on every response that does not set its own (one pass over the response's headers
#: instead of a look-up and a set per header: issue 15, the API's per-request cost)
DEFAULT_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
)
_DEFAULT_NAMES = tuple((name.lower(), name, value) for name, value in DEFAULT_HEADERS)


def add_default_headers(response) -> None:
    """``Cache-Control: private, no-store`` where :func:`_private_response` says so, and each of
    :data:`DEFAULT_HEADERS` the response has not set itself."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    if "cache-control" not in present and _private_response():
        headers["Cache-Control"] = "private, no-store"
    for lower, name, value in _DEFAULT_NAMES:
        if lower not in present:
            headers.add(name, value)


def init_app(app) -> None:
    app.request_class = SafeRequest
    proxies = app.config.get("KB_TRUSTED_PROXIES", 0)
    if proxies:
        # Behind nginx/Caddy/HAProxy: request.remote_addr (per-address limits, audit, sessions) and
        # the scheme come from the last `proxies` entries of X-Forwarded-For/-Proto, which those
        # proxies append; anything a client put further left is ignored. werkzeug's ProxyFix.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)
    csrf.init_app(app)

    @app.before_request
    def _no_nul_in_path():
        # No slug, ticket number or token contains NUL; PostgreSQL refuses it in a query (a 500).
        if "\x00" in request.path:
            abort(404)

    @app.after_request
    def _headers(response):
        add_default_headers(response)
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        message = "页面已过期或表单校验失败，请刷新页面后重试。"
        if request.path.startswith("/api/"):
            return jsonify(error="csrf_failed", message=message), 400
        return render_template("error.html", code=400, message=message), 400
