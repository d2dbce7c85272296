"""The library checks themselves: each one catches the mistake it exists for."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.loader import load_file
from tests.library import checks


def article(tmp_path: Path, body: str, front: str = "title: T\n"):
    path = tmp_path / "a" / "t.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return load_file(path, tmp_path)


FLATTENED = """# T

1. 第一步
2. 第二步：
   1. 子步骤一
   2. 子步骤二
3. 第三步
"""

NESTED = FLATTENED.replace("   1.", "    1.").replace("   2.", "    2.").replace("：\n", "：\n\n")

OUTSIDE = """# T

1. 第一步
2. 运行：

```cmd
ipconfig
```

3. 第三步
"""

INSIDE = OUTSIDE.replace("```cmd\nipconfig\n```", "    ```cmd\n    ipconfig\n    ```")


def test_flattened_sub_steps_are_caught_with_their_line(tmp_path):
    problems = checks.numbering_problems(article(tmp_path, FLATTENED))
    assert problems == [(8, problems[0][1])] and "第 1 步" in problems[0][1] and "第 3 步" in problems[0][1]
    assert checks.numbering_problems(article(tmp_path, NESTED)) == []


def test_a_block_outside_its_step_is_caught(tmp_path):
    problems = checks.block_placement_problems(article(tmp_path, OUTSIDE))
    assert any("代码块" in message and "第 2 步" in message for _, message in problems)
    assert checks.block_placement_problems(article(tmp_path, INSIDE)) == []


def test_a_block_introduced_by_the_last_step_but_left_outside_is_caught(tmp_path):
    body = "# T\n\n1. 打开命令提示符，运行：\n\n```cmd\nipconfig\n```\n"
    ((line, message),) = checks.block_placement_problems(article(tmp_path, body))
    assert line == 6 and "代码块" in message
    nested = "# T\n\n1. 打开命令提示符，运行：\n\n    ```cmd\n    ipconfig\n    ```\n"
    assert checks.block_placement_problems(article(tmp_path, nested)) == []


def test_style_rules_come_from_the_guide_and_spare_quoted_ui_strings(tmp_path):
    rules = checks.style_rules()
    body = ("# T\n\n请检查帐号。\n\n打开 **文件 > 帐户设置**，看到 「引用的帐户当前已锁定」。\n\n"
            "点击“文件”→“选项”。\n\n打开 **设置** > **帐户**。\n\n按 `Win` + `R`。\n")
    found = {(line, message.split("：")[0]) for line, message in checks.style_problems(article(tmp_path, body), rules)}
    assert (6, "“帐号”") in found  # prose
    assert not any(line == 8 for line, _ in found)  # UI strings in bold and 「」 are quoted as shown
    assert (10, "“→”") in found
    assert any(line == 12 for line, _ in found)  # a menu path split into several bold runs
    assert any(line == 14 for line, _ in found)  # keys in backticks


def test_mfa_is_spelled_out_at_first_mention(tmp_path):
    ((line, _),) = checks.mfa_first_mention_problems(article(tmp_path, "# T\n\n打开 MFA。\n"))
    assert line == 6
    good = "# T\n\n设置多重身份验证（MFA）。以后 MFA 会提示。\n"
    assert checks.mfa_first_mention_problems(article(tmp_path, good)) == []


def test_plain_title_cross_references_are_caught_but_links_are_not(tmp_path):
    body = "# T\n\n请参考《VPN 错误 809》。\n\n见 [《VPN 错误 809》](/articles/vpn/error-809)。\n"
    assert [line for line, _ in checks.plain_cross_reference_problems(article(tmp_path, body))] == [6]


@pytest.mark.parametrize("code, table, found", [
    ("0x0000011B", "| 0x0000011b | … |", True),
    ("0x0000011B", "| 0x11b | … |", True),
    ("554 5.2.2", "| 5.2.2 | 邮箱已满 |", True),
    ("809", "| 0x80980 | … |", False),
    ("619", "| 13619 |", False),
    ("4.4.7", "| 4.4.70 |", False),
])
def test_codes_are_found_in_tables_by_their_spellings(code, table, found):
    assert checks.mentions_code(table.lower(), code) is found
