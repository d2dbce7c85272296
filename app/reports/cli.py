"""``kb report`` (the monthly review document) and ``kb demo-data`` (a generated data set)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select, text

from ..db import session_scope


@click.command("report", help="把一个月的回顾报表写成一个独立文件（图表内嵌，可直接发邮件或归档）。")
@click.option("--month", "month", required=True, metavar="YYYY-MM", help="月份，例如 2026-11。")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True,
              help="html：一个自带样式和 SVG 图表的网页；md：Markdown（图表为内嵌图片）。")
@click.option("--output", "-o", metavar="FILE", help="写入的文件；默认 report-YYYY-MM.html/.md，写 - 输出到标准输出。")
@click.option("--group", "group", metavar="组名", help="只统计这个组的工单。")
@with_appcontext
def report_command(month, fmt, output, group) -> None:
    from ..models import AgentGroup
    from ..tickets.sla import timezone_from_config
    from ..views.reports import report_charts
    from .document import render_html, render_markdown
    from .period import PeriodError, parse_month
    from .summary import build

    try:
        period = parse_month(month, timezone_from_config(current_app.config))
    except PeriodError as exc:
        raise click.BadParameter(exc.message, param_hint="--month") from None
    with session_scope() as session, current_app.test_request_context("/reports/"):
        group_id = None
        if group:
            found = session.scalar(select(AgentGroup).where(AgentGroup.name == group))
            if found is None:
                names = "、".join(session.scalars(select(AgentGroup.name).order_by(AgentGroup.name))) or "（还没有组）"
                raise click.BadParameter(f"没有名为「{group}」的组。现有的组：{names}", param_hint="--group")
            group_id = found.id
        report = build(session, period, "admin", group_id)
        charts = report_charts(report)
        text = render_html(report, charts) if fmt == "html" else render_markdown(report, charts)
    if output == "-":
        sys.stdout.write(text)
        return
    path = Path(output or f"report-{period.first:%Y-%m}.{fmt}")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"无法写入 {path}：{exc.strerror or exc}") from None
    t = report["tickets"]
    click.echo(f"已写入 {path}（{len(text.encode('utf-8')) // 1024} KB）：{report['label']}，新建工单 {t['created']}、"
               f"解决 {t['resolved']}，搜索 {report['search']['searches']} 次。")


@click.command("demo-data", help="生成演示数据：几个月的工单（回复、等待、超时、重开、评分）、搜索、表单访问和文章投票。")
@click.option("--months", default=3, show_default=True, type=click.IntRange(1, 24), help="覆盖的月数（到今天为止）。")
@click.option("--tickets", default=5000, show_default=True, type=click.IntRange(0, 200_000), help="工单数。")
@click.option("--searches", default=50000, show_default=True, type=click.IntRange(0, 2_000_000), help="搜索次数。")
@click.option("--seed", default=1, show_default=True, type=int, help="随机种子（同一天同一种子生成相同的数据）。")
@click.option("--yes", is_flag=True, help="数据库里已经有工单时也继续（演示数据会混在真实数据里）。")
@with_appcontext
def demo_data_command(months, tickets, searches, seed, yes) -> None:
    from ..models import Ticket
    from .demo import generate

    with session_scope() as session:
        existing = session.scalar(select(func.count()).select_from(Ticket))
        if existing and not yes:
            raise click.ClickException(f"数据库里已经有 {existing} 个工单。演示数据只应写进演示或测试用的实例；"
                                       "确定要继续请加 --yes。")
        started = dt.datetime.now()
        result = generate(session, months=months, tickets=tickets, searches=searches, seed=seed)
    with session_scope() as session:
        # Thousands of rows at once: refresh the planner's statistics now rather than when
        # autovacuum gets to it (until then PostgreSQL plans as if the tables were empty).
        session.execute(text("ANALYZE"))
    took = (dt.datetime.now() - started).total_seconds()
    click.echo(f"已生成 {result.first} 至 {result.last} 的演示数据（{took:.1f} 秒）：工单 {result.tickets}（事件 "
               f"{result.events}）、搜索 {result.searches}、表单访问 {result.visits}、文章投票 {result.votes}。")


@click.command("reports-rollup", help="重建搜索日汇总表（报表读取的按天汇总；修改 KB_TIMEZONE 后或汇总缺失时运行）。")
@click.option("--if-missing", is_flag=True, help="只在当前时区的汇总还没有建立时重建。")
@with_appcontext
def rollup_command(if_missing) -> None:
    from flask import current_app

    from ..tickets.sla import timezone_from_config
    from . import rollup

    tz = timezone_from_config(current_app.config)
    with session_scope() as session:
        lines = rollup.ensure(session, tz) if if_missing else rollup.rebuild(session, tz)
    if lines is None:
        click.echo(f"搜索日汇总（{tz.key}）已是最新，无需重建。")
    else:
        click.echo(f"已重建搜索日汇总（{tz.key}）：{lines:,} 行。")
