"""``kb export DIR``: every article as a Markdown file with front matter (app/writer/files.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import session_scope


@click.command("export", help="把每篇文章写成带 front matter 的 Markdown 文件；之后对该目录运行 kb sync 不会有任何改动。")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(folder: Path) -> None:
    """Write every article as Markdown with front matter below FOLDER."""
    from .files import export_all

    library = Path(current_app.config["KB_ARTICLES_DIR"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"无法创建目录 {folder}：{exc.strerror or exc}") from None
    with session_scope() as session:
        report = export_all(session, folder, library)
    for slug, reason in report.errors:
        click.echo(f"错误  {slug}: {reason}", err=True)
    if report.pending:
        click.echo(f"{len(report.pending)} 篇文章有尚未发布的修改，导出的是已发布的版本：{'、'.join(report.pending[:10])}"
                   + ("……" if len(report.pending) > 10 else ""))
    click.echo(f"已导出 {report.total} 篇文章到 {folder}（写入 {report.written}，已是最新 {report.unchanged}）。")
    sys.exit(1 if report.errors else 0)
