"""Click's own messages in Chinese: our catalogue covers the installed Click, and is compiled."""

from __future__ import annotations

import ast
import gettext
import re
import string
from pathlib import Path

import click
import pytest

from app.accounts import i18n


def click_messages() -> set[str]:
    """Every literal message Click passes to ``_()`` or ``ngettext()`` (plurals as ``a\\0b``)."""
    found = set()
    for path in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                args = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if node.func.id == "ngettext" and len(args) == 2:
                    found.add(args[0] + "\0" + args[1])
                elif node.func.id == "_" and args:
                    found.add(args[0])
    return found


def fields(text: str) -> set[str]:
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    return names | set(re.findall(r"%\((\w+)\)s", text))


def test_every_click_message_is_translated():
    catalogue = i18n.read_po(i18n.PO_FILE.read_text(encoding="utf-8"))
    missing = click_messages() - set(catalogue)
    assert not missing, f"translate these in {i18n.PO_FILE.name}: {sorted(missing)}"
    assert all(catalogue[m].strip() for m in click_messages())


def test_translations_keep_the_placeholders():
    catalogue = i18n.read_po(i18n.PO_FILE.read_text(encoding="utf-8"))
    for msgid, msgstr in catalogue.items():
        if not msgid:
            continue
        forms = msgid.split("\0")
        for translated in msgstr.split("\0"):
            # a single Chinese form serves every plural: it may use any field Click passes
            assert fields(translated) <= set().union(*(fields(f) for f in forms)), (msgid, translated)


def test_the_compiled_catalogue_matches_its_source():
    assert i18n.MO_FILE.read_bytes() == i18n.compile_catalogue(), "run: python -m app.accounts.i18n"
    translation = gettext.GNUTranslations(open(i18n.MO_FILE, "rb"))
    assert translation.gettext("Usage:") == "用法："
    assert translation.ngettext("Got unexpected extra argument ({args})",
                                "Got unexpected extra arguments ({args})", 3) == "多出了参数（{args}）"


def test_a_broken_catalogue_line_is_reported_with_its_number():
    with pytest.raises(ValueError, match="第 2 行"):
        i18n.read_po('msgid "a"\nmsgstr unquoted\n')


def test_help_and_usage_errors_are_chinese(runner):
    help_text = runner.invoke(args=["kb", "user", "--help"]).output
    assert "用法：" in help_text and "选项：" in help_text and "命令：" in help_text
    assert "显示此帮助信息并退出。" in help_text and "Usage" not in help_text and "Options" not in help_text
    missing = runner.invoke(args=["kb", "token", "create"])
    assert missing.exit_code == 2
    assert "错误：缺少参数 'USERNAME'" in missing.output and "查看帮助" in missing.output
    wrong = runner.invoke(args=["kb", "user", "set-role", "zhang", "boss"])
    assert "不是可选值之一" in wrong.output
    unknown = runner.invoke(args=["kb", "user", "frobnicate"])
    assert "没有名为 'frobnicate' 的命令" in unknown.output
    option = runner.invoke(args=["kb", "user", "list", "--colour"])
    assert "没有名为 '--colour' 的选项" in option.output


def test_commands_added_from_other_packages_look_the_same(runner):
    """kb stats is a plain @click.command registered with add_command."""
    text = runner.invoke(args=["kb", "stats", "--help"]).output
    assert text.startswith("用法：") and "[选项]" in text and "选项：" in text and "[OPTIONS]" not in text


def test_the_catalogue_language_goes_first_and_keeps_the_others(monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en_US:en")
    i18n.activate()
    import os

    assert os.environ["LANGUAGE"] == "zh_CN:en_US:en"
    i18n.activate()
    assert os.environ["LANGUAGE"] == "zh_CN:en_US:en"
