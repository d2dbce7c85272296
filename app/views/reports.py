"""``/reports/`` (agents, writers, admins), ``/reports/<table>.csv`` and ``/api/reports/summary``.

What each role may see is decided in ``app/visibility.py`` (``can_view_reports``,
``report_shows_ticket_text``); the metrics are in ``app/reports/``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_login import current_user

from ..db import get_session
from ..errors import json_error
from ..reports import charts
from ..reports.period import PeriodError, from_args, last_month, this_month
from ..reports.summary import build, groups
from ..reports.tables import OUTCOMES, tables, to_csv
from ..tickets.choices import CATEGORIES
from ..tickets.sla import timezone_from_config
from ..visibility import can_view_reports, can_write_articles

bp = Blueprint("reports", __name__, url_prefix="/reports")
api_bp = Blueprint("api_reports", __name__, url_prefix="/api/reports")


def _allowed_or_abort():
    if not current_user.is_authenticated:
        from ..auth import login_manager

        return login_manager.unauthorized()
    if not can_view_reports(current_user):
        abort(403, description="报表只对服务台、写作者和管理员开放。")
    return None


def _group_id(session, raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    known = {str(g["id"]): g["id"] for g in groups(session)}
    if raw not in known:
        raise PeriodError("没有这个组，请从列表中选择。")
    return known[raw]


def _inputs(session):
    tz = timezone_from_config(current_app.config)
    period = from_args(request.args, tz)
    return period, _group_id(session, request.args.get("group"))


@bp.get("/")
def index():
    denied = _allowed_or_abort()
    if denied is not None:
        return denied
    session = get_session()
    tz = timezone_from_config(current_app.config)
    args = {k: request.args.get(k, "") for k in ("range", "from", "to", "group")}
    try:
        period, group_id = _inputs(session)
    except PeriodError as exc:
        return render_template("reports/index.html", error=exc.message, args=args, groups=groups(session),
                               report=None, presets=_presets(tz)), 400, {"Cache-Control": "private, no-store"}
    report = build(session, period, current_user, group_id)
    query = {k: v for k, v in {"from": report["from"], "to": report["to"], "group": args["group"]}.items() if v}
    return render_template(
        "reports/index.html", error=None, args=args, groups=groups(session), report=report,
        tables=tables(report), charts=report_charts(report), csv_query=urlencode(query), presets=_presets(tz),
        categories=CATEGORIES, can_write=can_write_articles(current_user.role),
    ), 200, {"Cache-Control": "private, no-store"}


@bp.get("/definitions")
def definitions():
    """What every figure of the report means (the same people as the report)."""
    denied = _allowed_or_abort()
    if denied is not None:
        return denied
    from ..reports.rollup import keep_days

    try:
        days = keep_days(current_app.config)
    except ValueError:   # the worker job reports the bad setting; the page says it is invalid
        days = None
    return render_template("reports/definitions.html", search_log_days=days,
                           timezone=current_app.config["KB_TIMEZONE"])


def _presets(tz):
    return {"this_month": this_month(tz), "last_month": last_month(tz)}


def report_charts(report: dict) -> dict:
    s, ss, t = report["search"], report["self_service"], report["tickets"]
    days = [d["day"] for d in t["daily"]]
    cats = [k for k in CATEGORIES if any(d[k] for d in t["category_by_day"])]
    return {
        "search": charts.line_chart([d["day"] for d in s["daily"]], [
            ("搜索", [d["searches"] for d in s["daily"]]), ("零结果", [d["zero_results"] for d in s["daily"]])],
            "每日搜索与零结果搜索"),
        "deflection": charts.stacked_bars([d["day"] for d in ss["trend"]], [
            (label, [d[k] for d in ss["trend"]]) for k, label in OUTCOMES], "请求表单访问的分流结果"),
        "tickets": charts.line_chart(days, [
            ("新建", [d["created"] for d in t["daily"]]), ("解决", [d["resolved"] for d in t["daily"]]),
            ("日终积压", [d["backlog"] for d in t["daily"]])], "每日新建、解决与积压工单"),
        "categories": charts.stacked_bars(days, [
            (CATEGORIES[k], [d[k] for d in t["category_by_day"]]) for k in cats], "每日新建工单（按类别）"),
        "sla_response": charts.gauge(t["sla"]["response"]["met_pct"], "首次响应 SLA 达成率", 90),
        "sla_resolution": charts.gauge(t["sla"]["resolution"]["met_pct"], "解决 SLA 达成率", 90),
        "one_touch": charts.gauge(t["one_touch_pct"], "一次解决率"),
    }


@bp.get("/<name>.csv")
def export(name: str):
    denied = _allowed_or_abort()
    if denied is not None:
        return denied
    session = get_session()
    try:
        period, group_id = _inputs(session)
    except PeriodError as exc:
        abort(400, description=exc.message)
    report = build(session, period, current_user, group_id)
    all_tables = tables(report)
    if name not in all_tables:
        abort(404, description="没有这个报表。")
    filename = f"{name}_{report['from']}_{report['to']}.csv"
    return Response(to_csv(all_tables[name]), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"})


@api_bp.get("/summary")
def summary():
    if not current_user.is_authenticated:
        return json_error(401, "unauthorized", "请先登录，或使用 API 令牌（Authorization: Bearer …）。")
    if not can_view_reports(current_user):
        return json_error(403, "forbidden", "报表只对服务台、写作者和管理员开放。")
    session = get_session()
    try:
        period, group_id = _inputs(session)
    except PeriodError as exc:
        return json_error(400, "invalid_range", exc.message)
    response = jsonify(build(session, period, current_user, group_id))
    response.headers["Cache-Control"] = "private, no-store"
    return response
