"""``kb user …`` and ``kb token …``: accounts and API tokens from the command line.

Every change goes through :mod:`app.accounts.service` (policy, last-admin guard) and is
audited as 「命令行（系统用户 x）」. Errors are Chinese messages with exit code 1.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..db import session_scope
from ..models import ROLES, User
from ..tickets.present import iso   # ISO 8601 with the zone's offset, on both databases
from . import service, tokens
from .audit import Actor
from .service import ROLE_LABELS, AccountError


class ChineseHelpFormatter(click.HelpFormatter):
    """Headings end with a full-width colon, as Chinese text does (「选项：」, 「用法：kb …」)."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            from gettext import gettext

            prefix = gettext("Usage:")  # translated by our catalogue to 「用法：」
        super().write_usage(prog, args, prefix)


class ChineseContext(click.Context):
    formatter_class = ChineseHelpFormatter


class ChineseCommand(click.Command):
    """Usage lines in Chinese: ``[选项]`` instead of ``[OPTIONS]``."""

    context_class = ChineseContext

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)


class ChineseGroup(click.Group):
    """A group whose commands, groups and Click's own messages speak Chinese."""

    command_class = ChineseCommand
    context_class = ChineseContext

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def add_command(self, cmd, name=None):
        # Commands made elsewhere with plain @click.command (kb stats, …) get the same dress.
        if type(cmd).context_class is click.Context:
            cmd.context_class = ChineseContext
        if cmd.options_metavar == "[OPTIONS]":
            cmd.options_metavar = "[选项]"
        super().add_command(cmd, name)

    def make_context(self, info_name, args, parent=None, **extra):
        from .i18n import activate

        activate()  # before parsing: --help and usage errors are printed while parsing
        return super().make_context(info_name, args, parent=parent, **extra)


ChineseGroup.group_class = ChineseGroup


def _fail(exc: AccountError):
    raise click.ClickException(exc.message)


def _when(value) -> str:
    if value is None:
        return "—"
    from ..tickets.present import local

    return f"{local(value):%Y-%m-%d %H:%M}"


# --- kb user -------------------------------------------------------------------------------


@click.group("user", cls=ChineseGroup, help="管理账号：创建、列出、修改角色、停用、启用、重置密码。")
def user_cli() -> None:
    """Manage accounts."""


@user_cli.command("create", help="创建账号。不指定 --password 时生成临时密码并显示一次，首次登录后必须修改。")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="角色。")
@click.option("--password", default=None, help="初始密码（须符合密码规则）；不指定则随机生成。")
@click.option("--email", default=None, help="邮箱地址。")
@click.option("--display-name", default=None, help="显示的姓名。")
@with_appcontext
def user_create(name, role, password, email, display_name) -> None:
    with session_scope() as session:
        try:
            user, generated = service.create_user(session, Actor.command_line(), name, role, email=email,
                                                  display_name=display_name, password=password)
        except AccountError as exc:
            _fail(exc)
        click.echo(f"已创建用户 {user.username}（角色 {role}，{ROLE_LABELS[role]}）。")
    if generated:
        click.echo(f"初始密码：{generated}")
        click.echo("（只显示这一次；首次登录后必须修改。）")


@user_cli.command("list", help="列出账号。")
@click.option("--role", type=click.Choice(ROLES), default=None, help="只列出此角色。")
@click.option("--disabled", "only_disabled", is_flag=True, help="只列出已停用的账号。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_appcontext
def user_list(role, only_disabled, as_json) -> None:
    from sqlalchemy import select

    with session_scope() as session:
        query = select(User).order_by(User.username)
        if role:
            query = query.where(User.role == role)
        if only_disabled:
            query = query.where(User.active.is_(False))
        users = list(session.scalars(query))
        rows = [{"username": u.username, "role": u.role, "active": bool(u.active), "email": u.email,
                 "display_name": u.display_name, "must_change_password": bool(u.must_change_password),
                 "last_login_at": iso(u.last_login_at)} for u in users]
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not users:
            click.echo("没有符合条件的账号。")
            return
        width = max(len(u.username) for u in users)
        click.echo(f"{'用户名':<{width - 1}}  角色        状态    最近登录          邮箱")
        for u in users:
            state = "在用" if u.active else "已停用"
            if u.must_change_password:
                state += "*"
            click.echo(f"{u.username:<{width + 2}}{u.role:<12}{state:<6}  {_when(u.last_login_at):<16}  {u.email or '—'}")
        click.echo(f"共 {len(users)} 个账号。" + ("（* 待修改临时密码）" if any(u.must_change_password for u in users) else ""))


def _change(name: str, action):
    with session_scope() as session:
        try:
            user = service.find(session, name)
            return user, action(session, Actor.command_line(), user)
        except AccountError as exc:
            _fail(exc)


@user_cli.command("set-role", help="修改账号的角色。最后一位在用的管理员不能降级。")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def user_set_role(name, role) -> None:
    _, changed = _change(name, lambda s, a, u: service.set_role(s, a, u, role))
    click.echo(f"已将 {name} 的角色改为 {role}（{ROLE_LABELS[role]}）。" if changed else f"{name} 的角色已经是 {role}。")


@user_cli.command("disable", help="停用账号：立即结束其全部登录并撤销其全部 API 令牌（重新启用也不会恢复）。最后一位在用的管理员不能停用。")
@click.argument("name")
@with_appcontext
def user_disable(name) -> None:
    _, changed = _change(name, service.disable)
    click.echo(f"已停用 {name}，其登录已全部结束。" if changed else f"{name} 已经是停用状态。")


@user_cli.command("enable", help="重新启用已停用的账号。")
@click.argument("name")
@with_appcontext
def user_enable(name) -> None:
    _, changed = _change(name, service.enable)
    click.echo(f"已启用 {name}。" if changed else f"{name} 已经是在用状态。")


@user_cli.command("reset-password", help="重置密码：生成临时密码并显示一次，结束其全部登录，下次登录后必须修改。")
@click.argument("name")
@with_appcontext
def user_reset_password(name) -> None:
    _, password = _change(name, service.reset_password)
    click.echo(f"已重置 {name} 的密码，其原有登录已全部结束。临时密码（只显示这一次）：")
    click.echo(f"    {password}")


@user_cli.command("end-sessions", help="结束账号在所有设备上的登录。")
@click.argument("name")
@with_appcontext
def user_end_sessions(name) -> None:
    _, ended = _change(name, service.end_sessions)
    click.echo(f"已结束 {name} 的 {ended} 个登录。")


# --- kb token ------------------------------------------------------------------------------


@click.group("token", cls=ChineseGroup, help="API 令牌：以某个账号的身份调用 /api/*（Authorization: Bearer <令牌>）。")
def token_cli() -> None:
    """API tokens."""


@token_cli.command("create", help="为账号创建 API 令牌并显示一次（数据库只保存其哈希）。")
@click.argument("username")
@click.option("--name", "label", default="", help="令牌的名称，例如用途。")
@with_appcontext
def token_create(username, label) -> None:
    with session_scope() as session:
        try:
            user = service.find(session, username)
            row, token = service.create_token(session, Actor.command_line(), user, label)
        except AccountError as exc:
            _fail(exc)
        token_id = row.id
    click.echo(token)
    click.echo(f"已为 {username} 创建令牌 #{token_id}。它只显示这一次，请立即妥善保存。", err=True)


@token_cli.command("list", help="列出 API 令牌（默认只列有效的）。")
@click.argument("username", required=False)
@click.option("--all", "include_revoked", is_flag=True, help="包括已撤销的令牌。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_appcontext
def token_list(username, include_revoked, as_json) -> None:
    with session_scope() as session:
        try:
            user = service.find(session, username) if username else None
        except AccountError as exc:
            _fail(exc)
        rows = tokens.listing(session, user, include_revoked=include_revoked)
        data = [{"id": t.id, "user": t.user.username, "name": t.name, "prefix": t.prefix,
                 "created_at": iso(t.created_at), "created_by": t.created_by,
                 "last_used_at": iso(t.last_used_at),
                 "revoked": t.revoked_at is not None, "user_active": bool(t.user.active)} for t in rows]
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if not rows:
            click.echo("没有 API 令牌。")
            return
        for t in rows:
            state = "已撤销" if t.revoked_at else ("账号已停用" if not t.user.active else "有效")
            click.echo(f"#{t.id:<5} {t.prefix}…  {t.user.username:<16} {state:<6} 最近使用 {_when(t.last_used_at):<16}  {t.name}")


@token_cli.command("revoke", help="撤销 API 令牌（编号见 kb token list）。")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1), metavar="编号")
@with_appcontext
def token_revoke(token_id) -> None:
    with session_scope() as session:
        try:
            row = service.revoke_token(session, Actor.command_line(), token_id)
        except AccountError as exc:
            _fail(exc)
        click.echo(f"令牌 #{row.id}（{row.prefix}…，{row.user.username}）已撤销。")
