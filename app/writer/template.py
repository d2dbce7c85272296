"""The library's article template (articles/README.md): what a new article starts from."""

from __future__ import annotations

INTRO = "一两句话：这篇文章适合谁、解决什么问题。"
SYMPTOM = "（读者遇到了什么：界面上提示的原文、错误代码、在什么情况下出现。）"
CAUSE = "（为什么会这样，用读者能懂的话说明。）"
STEPS_PLACEHOLDER = "（写下解决问题的具体步骤。）"
ESCALATE = ("如果以上步骤仍无法解决，请[提交服务请求](/requests/new)，并附上：错误提示的截图、"
            "发生时间（精确到分钟），以及已经尝试过的步骤。")


def public_body(*, intro: str = INTRO, symptom: str = SYMPTOM, cause: str = CAUSE, steps: str | None = None) -> str:
    """The four sections every public article has: 症状 / 原因 / 解决步骤 / 仍未解决？"""
    steps = steps or ("1. 第一步：写清楚点哪里，菜单路径写完整，例如 **设置 > 网络和 Internet > VPN**。\n"
                      "2. 第二步。\n\n"
                      "    步骤里的代码块、表格、提示框和子步骤要缩进 4 个空格，并在前面空一行。")
    return (f"{intro}\n\n## 症状\n\n{symptom}\n\n## 原因\n\n{cause}\n\n"
            f"## 解决步骤\n\n{steps}\n\n## 仍未解决？\n\n{ESCALATE}\n")
