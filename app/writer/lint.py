"""The rendering warnings a writer needs while typing (shown beside the preview, and on save).

* a sub-step, code block, table or note indented too little under a list step (Python-Markdown
  needs 4 spaces; 2 or 3 flatten the list — the library's most common rendering fault);
* an unclosed code fence, or a fence/admonition that did not render;
* a public article without one of the four sections 症状 / 原因 / 解决步骤 / 仍未解决？, or
  without the link to the request form;
* internal links to missing, archived, unpublished or (from a public article) internal articles;
* personal data left in the text (e-mail addresses, phone numbers, the KCS placeholders).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..articles.rendering import render_markdown
from . import template
from .content import Content
from .links import check as check_links

SECTIONS = ("症状", "原因", "解决步骤", "仍未解决？")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_BLOCK = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+][ \t]|\d{1,9}[.)][ \t]|```|~~~|!!!|\|)")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?![Ee]xample\.com\b)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
PLACEHOLDERS = ("【姓名】", "【邮箱】", "【电话】", "【证件号】")


@dataclass(frozen=True)
class Warning:
    kind: str  # indent | fence | section | links | privacy | template
    message: str
    line: int | None = None
    broken: bool = False  # a 「失效链接」

    def as_json(self) -> dict:
        return {"kind": self.kind, "message": self.message, "line": self.line, "broken": self.broken}


def _indent(text: str) -> int:
    return len(text.expandtabs(4))


def indentation(body: str) -> list[Warning]:
    """Blocks inside a list step indented more than the step but less than 4 spaces past it."""
    warnings: list[Warning] = []
    items: list[int] = []  # indents of the list items we are inside
    fence: str | None = None
    blank = False
    for number, line in enumerate(body.split("\n"), 1):
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence:
                fence = None
            continue
        if not line.strip():
            blank = True
            continue
        indent = _indent(line[: len(line) - len(line.lstrip(" \t"))])
        block = _BLOCK.match(line)
        if items and block:
            parents = [p for p in items if p < indent]
            if parents and indent < parents[-1] + 4:
                warnings.append(Warning(
                    "indent",
                    f"第 {number} 行只缩进了 {indent - parents[-1]} 个空格：列表步骤下的子步骤、代码块、表格或提示框"
                    "要比步骤多缩进 4 个空格，并在前面空一行，否则会跑出列表、打断编号。",
                    number,
                ))
        if m:
            fence = m.group(1)[0]
        if _ITEM.match(line):
            items = [p for p in items if p < indent] + [indent]
        elif indent == 0 and (blank or line.startswith("#")):
            items = []  # a paragraph at the margin ends the list
        blank = False
    if fence is not None:
        warnings.append(Warning("fence", "有一个代码块没有结束：缺少收尾的 ``` 行。"))
    return warnings


def sections(content: Content, headings: list[str]) -> list[Warning]:
    if content.audience != "public":
        return []
    have = {h.replace("?", "？").strip() for h in headings}
    warnings = [Warning("section", f"公开文章缺少“## {name}”一节（文库的四段结构：症状 / 原因 / 解决步骤 / 仍未解决？）。")
                for name in SECTIONS if name not in have]
    if "(/requests/new" not in content.body:
        warnings.append(Warning("section", "公开文章的“仍未解决？”一节应链接到服务请求表单：[提交服务请求](/requests/new)。"))
    return warnings


# What the article template (template.py) and a KCS draft (kcs.py) put where the writer's own
# text goes: an article still holding one is not finished.
UNFINISHED = (template.INTRO, template.SYMPTOM, template.CAUSE, template.STEPS_PLACEHOLDER,
              "第一步：写清楚点哪里", "步骤里的代码块、表格、提示框和子步骤要缩进 4 个空格", "（待补充")
UNFINISHED_LINES = ("2. 第二步。",)


def unfinished(body: str) -> list[Warning]:
    """Lines still holding the template's or a KCS draft's stand-in text (publishing refuses them)."""
    warnings = []
    for number, line in enumerate((body or "").split("\n"), 1):
        if any(p in line for p in UNFINISHED) or line.strip() in UNFINISHED_LINES:
            warnings.append(Warning("template", f"第 {number} 行还是模板里的示例文字，请换成这篇文章自己的内容。", number))
    return warnings


def privacy(body: str) -> list[Warning]:
    warnings = []
    for number, line in enumerate(body.split("\n"), 1):
        if any(p in line for p in PLACEHOLDERS):
            warnings.append(Warning("privacy", f"第 {number} 行还有从工单删去个人信息后留下的占位符，请改写成通用的说法。", number))
        elif _EMAIL.search(line) or _MOBILE.search(line):
            warnings.append(Warning("privacy", f"第 {number} 行像是有个人邮箱或手机号：文章里只写 example.com 的地址和服务台的联系方式。", number))
    return warnings


def lint(session: Session, content: Content, *, slug: str | None = None, role: str = "writer") -> list[Warning]:
    body = content.body or ""
    rendered = render_markdown(body)
    warnings = indentation(body)
    if "```" in rendered.html or "~~~" in rendered.html:
        if not any(w.kind == "fence" for w in warnings):
            warnings.append(Warning("fence", "有代码块没有被识别（页面上会显示 ```）：检查缩进和前面的空行。"))
    if "!!!" in rendered.text:
        warnings.append(Warning("fence", "有提示框没有被识别（页面上会显示 !!!）：下一行的内容要缩进 4 个空格。"))
    warnings += sections(content, rendered.headings)
    warnings += [Warning("links", p.message, p.link.line, p.broken)
                 for p in check_links(session, body, content.audience, own_slug=slug, role=role)]
    warnings += privacy(body)
    warnings += unfinished(body)
    return warnings
