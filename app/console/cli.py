"""``kb tickets reindex [--all]``: the ticket search terms (``ticket_terms``)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..accounts.cli import ChineseGroup
from ..db import session_scope


@click.group("tickets", cls=ChineseGroup, help="工单：搜索词。")
def tickets_cli() -> None:
    pass


@tickets_cli.command("reindex", help="为还没有搜索词的工单建立搜索词（控制台上线前提交的工单）；--all 重建全部工单的搜索词。")
@click.option("--all", "everything", is_flag=True, help="重建全部工单（例如词典更新后）。")
@with_appcontext
def reindex_command(everything: bool) -> None:
    from .search import reindex

    def progress(done, total):
        if total >= 1000 and (done % 1000 < 200 or done == total):
            click.echo(f"  {done:,} / {total:,}", err=True)

    with session_scope() as session:
        count = reindex(session, everything=everything, progress=progress)
    if count:
        click.echo(f"已为 {count:,} 张工单建立搜索词。")
    else:
        click.echo("所有工单都已有搜索词。" if not everything else "没有工单。")
