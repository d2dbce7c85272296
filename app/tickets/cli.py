"""``kb group create NAME [--skills …] [--tier 1|2]``, ``kb group add NAME USERNAME``, ``kb group list``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..accounts.audit import Actor
from ..accounts.cli import ChineseGroup
from ..db import session_scope
from . import groups as service
from .choices import CATEGORIES, TIERS


@click.group("group", cls=ChineseGroup, help="服务台组：技能（类别）、级别、成员。")
def group_cli() -> None:
    pass


@group_cli.command("create", help="创建组；--skills 是逗号分隔的类别（键或中文名），--tier 1（一线）或 2（二线）。")
@click.argument("name")
@click.option("--skills", default="", help=f"类别：{','.join(CATEGORIES)}")
@click.option("--tier", type=click.IntRange(1, 2), default=1, show_default=True, help="1 一线，2 二线")
@with_appcontext
def create(name: str, skills: str, tier: int) -> None:
    try:
        with session_scope() as session:
            group = service.create_group(session, Actor.command_line(), name, skills, tier)
            text = f"已创建组「{group.name}」（{TIERS[group.tier]}，技能：{'、'.join(CATEGORIES[s] for s in group.skills) or '无'}）。"
    except service.GroupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(text)


@group_cli.command("add", help="把账号加入组（服务台工程师或管理员）。")
@click.argument("name")
@click.argument("username")
@with_appcontext
def add(name: str, username: str) -> None:
    try:
        with session_scope() as session:
            group = service.find_group(session, name)
            if group is None:
                raise service.GroupError(f"没有名为「{name}」的组（先用 kb group create 创建）。")
            user = service.add_member(session, Actor.command_line(), group, username)
            text = f"已把 {user.username} 加入「{group.name}」。"
    except service.GroupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(text)


@group_cli.command("list", help="列出组、级别、技能和成员。")
@with_appcontext
def list_groups() -> None:
    from sqlalchemy import select

    from ..models import AgentGroup

    with session_scope() as session:
        rows = session.scalars(select(AgentGroup).order_by(AgentGroup.tier, AgentGroup.name)).all()
        if not rows:
            click.echo("还没有组。")
        for g in rows:
            members = "、".join(u.username + ("（离开）" if u.away else "") for u in g.members) or "无成员"
            click.echo(f"{g.name}\t{TIERS[g.tier]}\t{','.join(g.skills or []) or '-'}\t{members}")
