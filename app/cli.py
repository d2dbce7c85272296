"""The ``kb`` command group: ``flask --app wsgi kb …`` or the ``kb`` console script."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import func, select

from . import migrate
from .accounts.cli import ChineseGroup
from .db import get_engine, session_scope
from .models import User
from .visibility import ROLE_NAMES


class KbGroup(ChineseGroup):
    """``kb``: a command run against a database that ``kb init`` has not set up (or not migrated
    to this version) says so in one line instead of printing SQLAlchemy's traceback."""

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            message = _schema_message(exc, ctx)
            if message is None:
                raise
            raise click.ClickException(message) from exc


def _schema_message(exc: Exception, ctx: click.Context) -> str | None:
    """A Chinese hint when ``exc`` comes from a missing table or column and the schema is behind."""
    text = str(getattr(exc, "orig", exc)).lower()
    if not any(mark in text for mark in ("no such table", "no such column", "does not exist", "undefined")):
        return None
    try:
        info = ctx.find_object(ScriptInfo)
        engine = info.load_app().extensions["kb.engine"] if info is not None else get_engine()
        current = migrate.current_revision(engine)
    except Exception:  # noqa: BLE001 - the database itself is unreachable: keep the original error
        return None
    if current is None:
        return "数据库还没有初始化：请先运行 flask --app wsgi kb init（创建数据库、导入文章库并建立索引）。"
    if current != migrate.head_revision():
        return (f"数据库结构是旧版本（{current}），需要升级：请先运行 flask --app wsgi kb init"
                f"（会迁移到 {migrate.head_revision()}，数据保留）。")
    return None


@click.group("kb", cls=KbGroup, help="helpdesk-kb 管理命令。")
def kb_cli() -> None:
    pass


def main() -> None:
    """Console script ``kb``: the same verbs as ``flask --app wsgi kb``."""
    from . import create_app

    kb_cli.main(prog_name="kb", obj=ScriptInfo(create_app=create_app))


def _progress(files):
    """A progress bar on a terminal for large folders, silence otherwise."""
    if len(files) >= 200 and sys.stderr.isatty():
        return click.progressbar(files, label="导入文章", file=sys.stderr)
    from contextlib import nullcontext

    return nullcontext(files)


BULK_REINDEX = 500  # changed articles above which `kb sync` rebuilds the index instead


SYNC_WAIT = 600.0  # seconds a second `kb sync` waits for the running one


def _run_sync(folders, as_json: bool, audience_map: dict[str, str] | None = None,
              prefer_files: bool = False) -> int:
    """Run one sync (serialised with any other); with ``as_json`` stdout is always one JSON
    object, also when the sync cannot run (``{"error", "message"}``, exit code 2)."""
    from .articles.synclock import SyncBusy, sync_lock

    def waiting():
        click.echo("另一个 kb sync 正在运行，等它完成后再导入……", err=True)

    try:
        with sync_lock(SYNC_WAIT, on_wait=waiting):
            return _sync_locked(folders, as_json, audience_map, prefer_files)
    except SyncBusy:
        message = f"另一个 kb sync 运行了超过 {SYNC_WAIT:.0f} 秒仍未结束，本次没有导入任何内容，请稍后再试。"
        if as_json:
            click.echo(json.dumps({"error": "sync_busy", "message": message}, ensure_ascii=False))
        else:
            click.echo(message, err=True)
        return 2
    except Exception as exc:
        if not as_json:
            raise
        import logging

        logging.getLogger("app").exception("kb sync failed")
        click.echo(json.dumps({"error": "sync_failed", "message": f"导入失败：{type(exc).__name__}: {exc}"},
                              ensure_ascii=False))
        return 2


def _sync_locked(folders, as_json: bool, audience_map, prefer_files) -> int:
    from .articles.search import engine, index_articles, reconcile
    from .articles.sync import sync_folders

    started = time.perf_counter()
    engine()  # open the index first (a missing one is built from what the database has)
    with session_scope() as session:
        report = sync_folders(session, folders, progress=None if as_json else _progress,
                              audience_map=audience_map, prefer_files=prefer_files)
        changed = list(report.changed)
    if len(changed) > BULK_REINDEX:
        reconcile(rebuild=True)  # a bulk build (several processes) beats thousands of single updates
    else:
        index_articles(changed)
    elapsed = time.perf_counter() - started
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        for warning in report.warnings:
            click.echo(f"警告  {warning.path}: {warning.warning}", err=True)
        for err in report.errors:
            click.echo(f"错误  {err.path}: {err.error}", err=True)
        for conflict in report.conflicts:
            click.echo("\n".join(conflict.describe()), err=True)
        conflicts = f"，冲突 {len(report.conflicts)}" if report.conflicts else ""
        click.echo(
            f"新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}，"
            f"归档 {report.archived}，失败 {len(report.errors)}，警告 {len(report.warnings)}{conflicts}"
            f"（用时 {elapsed:.1f} 秒）"
        )
    return 1 if report.errors or report.conflicts else 0


@kb_cli.command("init", help="创建或迁移数据库，导入文章库，建立索引；没有管理员时创建一个（密码只显示一次）。")
@with_appcontext
def init_command() -> None:
    """Create or migrate the database, import the articles, build the index, create an admin."""
    before, after = migrate.upgrade(get_engine())
    if before != after:
        click.echo(f"数据库已迁移到最新版本（{before or '空库'} → {after}）。")
    else:
        click.echo("数据库已是最新版本。")
    status = _run_sync([Path(current_app.config["KB_ARTICLES_DIR"])], as_json=False)
    from .accounts.audit import Actor
    from .accounts.service import create_user
    from .articles.search import reconcile

    click.echo(f"索引已就绪：{_describe(reconcile())}")
    from .console.search import reindex as reindex_tickets

    with session_scope() as session:  # tickets from before the console have no search terms yet
        count = reindex_tickets(session)
    if count:
        click.echo(f"已为 {count:,} 张工单建立搜索词（控制台上线前提交的工单）。")
    from .reports import rollup
    from .tickets.sla import timezone_from_config

    with session_scope() as session:  # the reports' search rollup (app/reports/rollup.py), once per zone
        lines = rollup.ensure(session, timezone_from_config(current_app.config))
    if lines:
        click.echo(f"已建立搜索日汇总：{lines:,} 行。")
    with session_scope() as session:
        has_admin = session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
        if not has_admin:  # a temporary password: it must be changed at the first login
            _, password = create_user(session, Actor.command_line(), "admin", "admin", display_name="管理员")
            click.echo("已创建管理员账号 admin，初始密码（只显示这一次，请妥善保存；首次登录后必须修改）：")
            click.echo(f"    {password}")
    if status:
        click.echo("部分文章文件未能导入，见上方错误列表。", err=True)


def _audience_map_option(ctx, param, value):
    from indexer.loader import parse_audience_map

    try:
        return parse_audience_map(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@kb_cli.command("sync", help="导入新增和修改过的 Markdown 文件（默认 KB_ARTICLES_DIR）；有文件失败时退出码为 1。")
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出汇总。")
@click.option("--audience-map", "audience_map", metavar="值=public|internal,…", callback=_audience_map_option,
              help="外来文档的 audience 值对应到哪一种，例如 Admin=internal,ITPro=internal,Everyone=public"
                   "（不区分大小写）；没有对应的外来值按 internal 导入并给出警告。")
@click.option("--prefer-files", is_flag=True,
              help="网页和文件都改过的文章以文件为准（网页上的版本仍保留在历史中）；默认报告冲突、两边都不改。")
@with_appcontext
def sync_command(folders, as_json, audience_map, prefer_files) -> None:
    """Import new and changed Markdown files (default: KB_ARTICLES_DIR)."""
    folders = list(folders) or [Path(current_app.config["KB_ARTICLES_DIR"])]
    sys.exit(_run_sync(folders, as_json, audience_map, prefer_files))


@kb_cli.command("index", help="让搜索索引与数据库一致。")
@click.option("--rebuild", is_flag=True, help="从头重建索引，完成后原子替换。")
@with_appcontext
def index_command(rebuild) -> None:
    """Bring the search index up to date with the database."""
    from .articles.search import reconcile

    started = time.perf_counter()
    stats = reconcile(rebuild=rebuild)
    click.echo(f"{'重建' if rebuild else '同步'}完成：{_describe(stats)}（用时 {time.perf_counter() - started:.1f} 秒）")


def _describe(stats) -> str:
    """BuildStats / SyncStats in words."""
    if hasattr(stats, "docs"):
        return f"索引 {stats.docs} 篇文章，{stats.docs_per_second:.0f} 篇/秒"
    total = stats.added + stats.updated + stats.unchanged
    return f"共 {total} 篇文章（新增 {stats.added}，更新 {stats.updated}，删除 {stats.deleted}）"


@kb_cli.command("search", help="以指定角色的身份搜索（默认匿名）。")
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="输出与 /api/search 相同的 JSON。")
@click.option("--role", type=click.Choice(ROLE_NAMES), default="anonymous", show_default=True)
@click.option("--category", default=None)
@with_appcontext
def search_command(query, limit, as_json, role, category) -> None:
    """Search as the given role would."""
    from .articles.search import search as search_articles
    from .views.api import search_body

    results = search_articles(query, role=role, category=category, per_page=limit)
    body = search_body(query, results)
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(f"共 {body['total']} 条结果（{body['took_ms']:.1f} ms）")
    for i, hit in enumerate(body["results"], 1):
        codes = f"  [{', '.join(hit['error_codes'])}]" if hit["error_codes"] else ""
        click.echo(f"{i:>2}. {hit['title']}  — {hit['category']}{codes}\n    {hit['url']}")




from .requests.stats import stats_command  # noqa: E402 - request-form deflection statistics

kb_cli.add_command(stats_command)

from .relevance.cli import eval_command  # noqa: E402 - relevance over a labelled query set

kb_cli.add_command(eval_command)

from .worker.cli import outbox_command, worker_command  # noqa: E402 - e-mail outbox and timed jobs

kb_cli.add_command(worker_command)
kb_cli.add_command(outbox_command)

from .accounts.cli import token_cli, user_cli  # noqa: E402 - kb user …, kb token …

kb_cli.add_command(user_cli)
kb_cli.add_command(token_cli)

from .writer.cli import export_command  # noqa: E402 - `kb export DIR` (writers' workspace)

kb_cli.add_command(export_command)

from .tickets.cli import group_cli  # noqa: E402

kb_cli.add_command(group_cli)

from .console.cli import tickets_cli  # noqa: E402 - `kb tickets reindex`

kb_cli.add_command(tickets_cli)

from .reports.cli import demo_data_command, report_command, rollup_command  # noqa: E402 - monthly review, demo data

kb_cli.add_command(report_command)
kb_cli.add_command(demo_data_command)
kb_cli.add_command(rollup_command)
