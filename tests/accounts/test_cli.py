"""``kb user …`` and ``kb token …``: every verb of INTERFACES.md, in Chinese, audited."""

from __future__ import annotations

import json

from .conftest import PASSWORD, audit_actions, get_user, log_in, make_user


def kb(runner, *args):
    return runner.invoke(args=["kb", *args])


def test_user_list(app, runner):
    make_user(app, "zhang", display_name="张三")
    make_user(app, "boss", "admin")
    make_user(app, "gone", active=False)
    result = kb(runner, "user", "list")
    assert result.exit_code == 0
    assert "zhang" in result.output and "boss" in result.output and "已停用" in result.output
    assert "共 3 个账号" in result.output
    rows = json.loads(kb(runner, "user", "list", "--json").output)
    assert {r["username"]: (r["role"], r["active"]) for r in rows} == {
        "zhang": ("requester", True), "boss": ("admin", True), "gone": ("requester", False)}
    assert "boss" not in kb(runner, "user", "list", "--role", "requester").output
    assert [r["username"] for r in json.loads(kb(runner, "user", "list", "--disabled", "--json").output)] == ["gone"]


def test_set_role_disable_enable_reset(app, runner):
    make_user(app, "boss", "admin")
    make_user(app, "zhang")
    assert "角色改为 agent" in kb(runner, "user", "set-role", "zhang", "agent").output
    assert get_user(app, "zhang").role == "agent"
    assert "已经是 agent" in kb(runner, "user", "set-role", "zhang", "agent").output
    assert kb(runner, "user", "disable", "zhang").exit_code == 0 and not get_user(app, "zhang").active
    assert kb(runner, "user", "enable", "zhang").exit_code == 0 and get_user(app, "zhang").active
    result = kb(runner, "user", "reset-password", "zhang")
    assert result.exit_code == 0
    temporary = result.output.strip().splitlines()[-1].strip()
    user = get_user(app, "zhang")
    assert user.check_password(temporary) and user.must_change_password and not user.check_password(PASSWORD)
    actions = audit_actions(app)
    assert [a for _, a, _ in actions] == ["user.set_role", "user.disable", "user.enable", "user.reset_password"]
    assert all(who.startswith("命令行（系统用户 ") for who, _, _ in actions)


def test_the_first_admin_can_change_the_printed_password(app, runner):
    """Before: only `kb user create` existed, and the admin `kb init` printed could not change it."""
    result = kb(runner, "init")
    printed = result.output.split("首次登录后必须修改）：")[1].splitlines()[1].strip()
    client = app.test_client()
    log_in(client, "admin", printed)
    new = "a-much-better-pass-phrase"
    client.post("/account/password", data={"current": printed, "new": new, "confirm": new})
    assert get_user(app, "admin").check_password(new)
    assert client.get("/admin/").status_code == 200


def test_the_last_admin_is_kept_from_the_command_line_too(app, runner):
    make_user(app, "boss", "admin")
    for args in (("user", "disable", "boss"), ("user", "set-role", "boss", "requester")):
        result = kb(runner, *args)
        assert result.exit_code == 1 and "最后一位在用的管理员" in result.output
    user = get_user(app, "boss")
    assert user.active and user.role == "admin"


def test_errors_are_chinese_with_exit_code_1(app, runner):
    for args, words in [
        (("user", "disable", "nobody"), "用户 nobody 不存在"),
        (("user", "create", "zhang", "--role", "agent", "--password", "123456789012"), "太容易被猜中"),
        (("user", "create", "zhang", "--role", "agent", "--password", "short"), "至少需要 10 个字符"),
        (("token", "revoke", "99"), "令牌 #99 不存在"),
        (("token", "list", "nobody"), "用户 nobody 不存在"),
    ]:
        result = kb(runner, *args)
        assert result.exit_code == 1 and words in result.output, (args, result.output)
        assert result.output.startswith("错误：")


def test_user_create_generates_a_temporary_password(app, runner):
    result = kb(runner, "user", "create", "wang", "--role", "writer", "--email", "wang@example.com",
                "--display-name", "王五")
    assert result.exit_code == 0, result.output
    password = result.output.split("初始密码：")[1].splitlines()[0].strip()
    user = get_user(app, "wang")
    assert user.check_password(password) and user.must_change_password and user.display_name == "王五"
    given = kb(runner, "user", "create", "li", "--role", "agent", "--password", "s3cret-pass")
    assert "初始密码" not in given.output and not get_user(app, "li").must_change_password


def test_end_sessions(app, runner):
    make_user(app, "zhang")
    client = app.test_client()
    log_in(client, "zhang")
    result = kb(runner, "user", "end-sessions", "zhang")
    assert "已结束 zhang 的 1 个登录" in result.output
    assert client.get("/account/password").status_code == 302


def test_token_list_and_revoke(app, runner):
    make_user(app, "robot", "agent")
    first = kb(runner, "token", "create", "robot", "--name", "报表")
    assert "只显示这一次" in first.stderr and first.stdout.strip().startswith("kb_")
    kb(runner, "token", "create", "robot")
    rows = json.loads(kb(runner, "token", "list", "--json").output)
    assert [(r["user"], r["name"], r["revoked"]) for r in rows] == [("robot", "", False), ("robot", "报表", False)]
    assert all(r["created_at"].endswith("+08:00") for r in rows)   # a time with its zone, on both databases
    assert kb(runner, "token", "revoke", str(rows[1]["id"])).exit_code == 0
    assert len(json.loads(kb(runner, "token", "list", "--json").output)) == 1
    everything = json.loads(kb(runner, "token", "list", "robot", "--all", "--json").output)
    assert [r["revoked"] for r in everything] == [False, True]
    assert "已撤销" in kb(runner, "token", "list", "--all").output


def test_a_username_that_only_differs_in_case_or_width_is_refused(app, runner):
    """Found by a probe: 「Admin」 could be created beside 「admin」, the same name in every list and log."""
    make_user(app, "admin", "admin")
    for lookalike in ("Admin", "ADMIN", "ａｄｍｉｎ"):
        result = kb(runner, "user", "create", lookalike, "--role", "requester", "--password", "long-enough-phrase-42")
        assert result.exit_code != 0 and "只差大小写或全角半角" in result.output, lookalike
    assert kb(runner, "user", "create", "admin2", "--role", "requester",
              "--password", "long-enough-phrase-42").exit_code == 0
