"""``kb worker`` and ``kb outbox``."""

from __future__ import annotations

import json
import signal
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError

from ..db import session_scope
from ..tickets.present import display_time, iso
from . import outbox
from .settings import SettingsError, WorkerSettings

STATUS_NAMES = {"pending": "待发送", "sending": "发送中", "failed": "失败", "sent": "已发送"}


def _settings() -> WorkerSettings:
    try:
        return WorkerSettings.from_config(current_app.config)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("worker", help="发送邮件发件箱中的通知，并运行定时任务（提醒、自动关闭、SLA 状态）。")
@click.option("--once", is_flag=True, help="只运行一轮（发送到期的邮件、运行到期的定时任务）后退出。")
@with_appcontext
def worker_command(once) -> None:
    from .runner import Worker

    settings = _settings()
    worker = Worker(current_app._get_current_object())
    if once:
        report = worker.run_once()
        d = report.delivery
        if settings.smtp is None:
            with session_scope() as session:
                waiting = outbox.undelivered(session, limit=0).total
            click.echo(f"未设置 KB_SMTP_URL：{waiting} 封邮件留在发件箱中（用 kb outbox 查看）。")
        else:
            click.echo(f"发送 {d.sent} 封，稍后重试 {d.retried} 封，失败 {d.failed} 封。")
            for error in dict.fromkeys(d.errors):
                click.echo(f"  {error}", err=True)
        for run in report.jobs:
            outcome = f"出错：{run.error}" if run.error else f"{run.result} 项"
            click.echo(f"定时任务 {run.name}：{outcome}")
        return

    def _stop(signum, _frame):
        if worker.stopping.is_set():  # second Ctrl+C: leave now
            sys.exit(130)
        worker.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.run_forever()


@click.group("outbox", invoke_without_command=True, help="列出还没有发出的邮件通知。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000), help="最多列出多少封。")
@click.pass_context
@with_appcontext
def outbox_command(ctx, as_json, limit) -> None:
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    try:
        with session_scope() as session:
            backlog = outbox.undelivered(session, limit=limit)
            rows = [_row_json(row) for row in backlog.rows]
            shown = [{**r, "created": display_time(row.created_at), "next": display_time(row.next_attempt_at)}
                     for r, row in zip(rows, backlog.rows)]
    except DBAPIError as exc:
        raise click.ClickException(f"无法读取发件箱（{exc.orig}）。数据库是否已经用 kb init 迁移到最新版本？") from exc
    if as_json:
        click.echo(json.dumps({"total": backlog.total, "pending": backlog.pending, "sending": backlog.sending,
                               "failed": backlog.failed, "smtp_configured": settings.smtp is not None,
                               "messages": rows}, ensure_ascii=False, indent=2))
        return
    if settings.smtp is None:
        click.echo("未设置 KB_SMTP_URL：邮件不会发出，只保存在发件箱中。")
    if not backlog.total:
        click.echo("发件箱是空的：所有邮件都已发出。")
        return
    click.echo(f"共 {backlog.total} 封邮件未发出（待发送 {backlog.pending}，发送中 {backlog.sending}，失败 {backlog.failed}）：")
    for row in shown:
        click.echo(f"#{row['id']}  {STATUS_NAMES[row['status']]}  {row['created']}  → {row['to']}")
        click.echo(f"    {row['subject']}")
        tail = f"已尝试 {row['attempts']} 次"
        if row["status"] == "pending" and row["attempts"]:
            tail += f"，下次尝试 {row['next']}"
        if row["last_error"]:
            tail += f"；最近的错误：{row['last_error']}"
        if row["attempts"] or row["last_error"]:
            click.echo(f"    {tail}")
    if len(rows) < backlog.total:
        click.echo(f"（只列出最早的 {len(rows)} 封，用 --limit 查看更多）")
    if backlog.failed:
        click.echo("失败的邮件不会再自动重试；排除原因后用 kb outbox retry 重新发送。")


def _row_json(row) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "to": row.to_addr,
        "subject": row.subject,
        "ticket_id": row.ticket_id,
        "attempts": row.attempts,
        "created_at": iso(row.created_at),
        "next_attempt_at": iso(row.next_attempt_at),
        "last_error": row.last_error,
    }


@outbox_command.command("retry", help="把失败的邮件重新放回发件箱（默认全部失败的邮件，也可以指定编号）。")
@click.argument("ids", nargs=-1, type=int)
@with_appcontext
def outbox_retry(ids) -> None:
    with session_scope() as session:
        count = outbox.requeue(session, list(ids) or None)
    click.echo(f"已重新排队 {count} 封邮件，worker 会尽快发送。" if count else "没有可以重新发送的失败邮件。")
