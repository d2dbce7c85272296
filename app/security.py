"""Cross-cutting protections: CSRF on every form, security headers."""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
)


def init_app(app) -> None:
    csrf.init_app(app)

    @app.before_request
    def _no_nul_in_path():
        # No slug, ticket number or token contains NUL; PostgreSQL refuses it in a query (a 500).
        if "\x00" in request.path:
            abort(404)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        message = "页面已过期或表单校验失败，请刷新页面后重试。"
        if request.path.startswith("/api/"):
            return jsonify(error="csrf_failed", message=message), 400
        return render_template("error.html", code=400, message=message), 400
