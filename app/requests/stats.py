"""``kb stats``: how many request-form visits ended without a ticket (deflection).

The definitions are in ``app/requests/visits.py`` (module docstring) and the README.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import session_scope
from .visits import deflection_stats


def _day(value: str | None, param: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD，收到 {value!r}", param_hint=param) from None


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@click.command("stats", help="请求表单的分流统计（按日期范围）：推荐、「解决了」、工单与分流率。")
@click.option("--from", "date_from", metavar="DATE", help="起始日期（含），YYYY-MM-DD；默认 30 天前。")
@click.option("--to", "date_to", metavar="DATE", help="结束日期（含），YYYY-MM-DD；默认今天。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_appcontext
def stats_command(date_from, date_to, as_json) -> None:
    """Request-form visits in a date range: suggestions, 「解决了」 clicks, tickets, deflection."""
    tz = ZoneInfo(current_app.config.get("KB_TIMEZONE", "Asia/Shanghai"))
    today = dt.datetime.now(tz).date()
    end_day = _day(date_to, "--to") or today
    start_day = _day(date_from, "--from") or end_day - dt.timedelta(days=29)
    if start_day > end_day:
        raise click.BadParameter("起始日期晚于结束日期。", param_hint="--from")
    start = dt.datetime.combine(start_day, dt.time.min, tz)
    end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time.min, tz)
    with session_scope() as session:
        stats = deflection_stats(session, start, end)
    body = stats.as_json()
    body["from"], body["to"] = start_day.isoformat(), end_day.isoformat()
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(f"服务请求表单访问统计：{body['from']} 至 {body['to']}（{tz.key}）")
    click.echo(f"  表单访问          {stats.visits}")
    click.echo(f"  看到推荐文章      {stats.with_suggestions}")
    click.echo(f"  打开推荐文章      {stats.opened}")
    click.echo(f"  点击「解决了」    {stats.solved_clicks}")
    click.echo(f"  提交了工单        {stats.tickets}")
    click.echo(f"  待定（不足 24 小时）{body['pending']}")
    click.echo(f"  已判定            {stats.classified}")
    click.echo(f"  确认分流          {body['confirmed']}（{_pct(body['confirmed_rate'])}）")
    click.echo(f"  潜在分流          {body['potential']}（{_pct(body['potential_rate'])}）")
    click.echo(f"  未分流            {body['none']}（{_pct(body['none_rate'])}）")
