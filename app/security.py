"""Cross-cutting protections: CSRF on every form, security headers, safe JSON bodies."""

from __future__ import annotations

import re

from flask import Request, abort, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .models import MAX_INTEGER

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


#: a ``\uD800``–``\uDFFF`` or ``\u0000`` escape: the only ways a JSON body can carry a lone
#: surrogate or a NUL (JSON does not allow raw control characters inside a string)
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")


def storable(text: str) -> str:
    """``text`` without NUL characters and with each lone surrogate as "?": neither PostgreSQL nor
    a UTF-8 page can hold them (PostgreSQL refuses a NUL in any text parameter)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def storable_json(value):
    """``value`` (parsed JSON) with every string and key made ``storable``; iterative."""
    if isinstance(value, str):
        return storable(value)
    if not isinstance(value, (dict, list)):
        return value
    root = [value]
    stack = [(root, 0)]
    while stack:
        parent, key = stack.pop()
        item = parent[key]
        if isinstance(item, str):
            parent[key] = storable(item)
        elif isinstance(item, list):
            stack.extend((item, i) for i in range(len(item)))
        elif isinstance(item, dict):
            fixed = {storable(k) if isinstance(k, str) else k: v for k, v in item.items()}
            parent[key] = fixed
            stack.extend((fixed, k) for k in fixed)
    return root[0]


class StorableParameters(ImmutableMultiDict):
    """``request.args`` and ``request.form`` without NUL characters in keys and text values
    (``?assignee=%00`` reached a PostgreSQL query and failed there: a 500)."""

    def __init__(self, mapping=None):
        if mapping is not None:
            mapping = [(k.replace("\x00", "") if isinstance(k, str) else k,
                        v.replace("\x00", "") if isinstance(v, str) else v)
                       for k, v in iter_multi_items(mapping)]
        super().__init__(mapping)


class SafeRequest(Request):
    """``get_json`` that answers 400 for bodies too deep to handle, even with ``silent=True``, and
    never hands a view a string with a lone surrogate or a NUL (``"\\ud800"`` and ``"\\u0000"`` are
    valid JSON, but no database or UTF-8 page holds them: they became a 500 wherever such a value
    reached a query — an assignee, a group, an article slug); query and form parameters come
    without NULs (``StorableParameters``)."""

    parameter_storage_class = StorableParameters

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest(description=TOO_DEEP) from None
        if value is not None and json_depth_exceeds(value):
            raise BadRequest(description=TOO_DEEP)
        if value is not None and (not cache or _UNSTORABLE_ESCAPE.search(self.get_data(cache=True))):
            value = storable_json(value)
            if cache:
                self._cached_json = (value, value)
        return value


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number past what an id column holds does not match (404),
    instead of reaching the database and failing there (``NumericValueOutOfRange`` on PostgreSQL
    past 2³¹ − 1, ``OverflowError`` on SQLite past 2⁶³ − 1: a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


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
    app.url_map.converters["int"] = DatabaseIdConverter   # before any blueprint adds its routes
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
        if (request.method == "POST" and request.endpoint != "auth.login"
                and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")):
            from .errors import typed_text_page

            return typed_text_page(400)  # still refused; what was typed comes back to copy
        return render_template("error.html", code=400, message=message), 400
