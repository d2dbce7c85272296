"""Checks over the article library, each returning problems as ``(line, message)``.

The line is the 1-based line in the article's *file* (front matter included), so a failure
reads ``vpn/error-720.md:44: …``.  Every check works on what readers get: the rendered HTML
(`app/articles/rendering.py`) for numbering, block placement and links, the Markdown source
for wording.  The list of forbidden variants lives in one place, the table under
「禁用写法」 in `articles/README.md`; `style_rules()` reads it from there.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from app.articles.rendering import render_markdown
from indexer.loader import SourceArticle

Problem = tuple[int, str]

STYLE_GUIDE = Path(__file__).resolve().parents[2] / "articles" / "README.md"

_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<n>\d{1,3})\.[ \t]+\S")


# ---------------------------------------------------------------------------
# Source lines
# ---------------------------------------------------------------------------


def body_offset(article: SourceArticle) -> int:
    """How many file lines come before the body (the front matter)."""
    text = Path(article.path).read_text(encoding="utf-8-sig")
    return text[: len(text) - len(article.body)].count("\n")


def text_lines(article: SourceArticle) -> list[tuple[int, str]]:
    """``(file line, text)`` of every body line outside fenced code blocks."""
    offset = body_offset(article)
    lines, fence = [], None
    for i, line in enumerate(article.body.splitlines(), start=offset + 1):
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1) == fence:
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        lines.append((i, line))
    return lines


_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CORNER_QUOTE = re.compile(r"「[^」]*」")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_BARE_URL = re.compile(r"https?://\S+")
_HTML_TAG = re.compile(r"<[^>]+>")
PLACEHOLDER = "▢"


def prose(line: str) -> str:
    """Our own words on a line: without code, bold UI strings, 「」 quotes, URLs and tags."""
    line = _INLINE_CODE.sub(PLACEHOLDER, line)
    line = _LINK_TARGET.sub("]", line)
    line = _BARE_URL.sub(PLACEHOLDER, line)
    line = _BOLD.sub(PLACEHOLDER, line)
    line = _CORNER_QUOTE.sub(PLACEHOLDER, line)
    return _HTML_TAG.sub("", line)


# ---------------------------------------------------------------------------
# The style guide's forbidden variants
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StyleRule:
    pattern: re.Pattern
    instead: str
    prose_only: bool  # 正文 (our own words) vs 全文 (everything but code blocks)

    def describe(self) -> str:
        return f"禁用写法 /{self.pattern.pattern}/，应写作：{self.instead}"


_RULE_ROW = re.compile(r"^\|\s*(?P<cell>``\s(?P<a>.+?)\s``|`(?P<b>[^`]+)`)\s*\|(?P<instead>.+)\|\s*(?P<scope>正文|全文)\s*\|\s*$")


def style_rules(guide: Path = STYLE_GUIDE) -> list[StyleRule]:
    """The rows of the table under 「禁用写法」 in the writers' guide."""
    text = guide.read_text(encoding="utf-8")
    section = text.split("### 禁用写法", 1)[1].split("\n## ", 1)[0]
    rules = []
    for line in section.splitlines():
        m = _RULE_ROW.match(line.strip())
        if m:
            pattern = m.group("a") or m.group("b")
            rules.append(StyleRule(re.compile(pattern), m.group("instead").strip(), m.group("scope") == "正文"))
    return rules


def style_problems(article: SourceArticle, rules: list[StyleRule]) -> list[Problem]:
    problems = []
    for no, line in text_lines(article):
        words = prose(line)
        for rule in rules:
            m = rule.pattern.search(words if rule.prose_only else line)
            if m:
                problems.append((no, f"“{m.group(0)}”：{rule.describe()}"))
    return problems


_MFA_FIRST = "多重身份验证（MFA）"


def mfa_first_mention_problems(article: SourceArticle) -> list[Problem]:
    """The first "MFA" in the text must be written 多重身份验证（MFA）."""
    for no, line in text_lines(article):
        text = _INLINE_CODE.sub(PLACEHOLDER, _LINK_TARGET.sub("]", line))
        at = text.find("MFA")
        if at < 0:
            continue
        if text[max(0, at - 7): at + 4] == _MFA_FIRST:
            return []
        return [(no, f"第一次提到 MFA 时写作 {_MFA_FIRST}，之后再写 MFA")]
    return []


_BOOK_TITLE = re.compile(r"《[^》\n]{2,80}》")
_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")


def plain_cross_reference_problems(article: SourceArticle) -> list[Problem]:
    """《标题》 as plain text instead of a link (link text may still use 书名号 for outside titles)."""
    problems = []
    for no, line in text_lines(article):
        text = _LINK.sub(PLACEHOLDER, _INLINE_CODE.sub(PLACEHOLDER, line))
        for m in _BOOK_TITLE.finditer(text):
            problems.append((no, f"纯文本交叉引用 {m.group(0)}：写成链接 [标题](/articles/<slug>)"))
    return problems


# ---------------------------------------------------------------------------
# Rendered HTML as a small tree
# ---------------------------------------------------------------------------

_VOID = {"br", "hr", "img", "input", "meta", "link", "col", "wbr", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list
    parent: "Node | None" = None

    def elements(self) -> list["Node"]:
        return [c for c in self.children if isinstance(c, Node)]

    def walk(self):
        yield self
        for child in self.elements():
            yield from child.walk()

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, [])
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), [], self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs), [], self.stack[-1]))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def html_tree(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _start(ol: Node) -> int:
    try:
        return int(ol.attrs.get("start") or 1)
    except ValueError:
        return 1


def _numbered_items(root: Node):
    """``(document position, number shown)`` of every ordered-list item."""
    order = {id(node): i for i, node in enumerate(root.walk())}
    for node in root.walk():
        if node.tag == "ol":
            items = [c for c in node.elements() if c.tag == "li"]
            for i, li in enumerate(items):
                yield order[id(li)], _start(node) + i


# ---------------------------------------------------------------------------
# Rendered checks
# ---------------------------------------------------------------------------


def source_markers(article: SourceArticle) -> list[tuple[int, int]]:
    """``(file line, number written)`` of every ordered-list marker in the source."""
    return [(no, int(m.group("n"))) for no, line in text_lines(article) if (m := _LIST_MARKER.match(line))]


def numbering_problems(article: SourceArticle, html: str | None = None) -> list[Problem]:
    """Ordered lists must show the numbers the writer typed (3-space sub-steps get flattened)."""
    html = render_markdown(article.body).html if html is None else html
    written = source_markers(article)
    shown = [n for _, n in sorted(_numbered_items(html_tree(html)))]
    for i, (no, number) in enumerate(written):
        if i >= len(shown):
            return [(no, f"第 {number} 步没有渲染成列表项（列表前要空一行；嵌套内容缩进 4 个空格）")]
        if shown[i] != number:
            return [(no, f"源文件写的是第 {number} 步，页面上显示为第 {shown[i]} 步"
                         "（子步骤、代码块、表格要在所属步骤下缩进 4 个空格，前面空一行）")]
    if len(shown) > len(written):
        return [(written[-1][0] if written else body_offset(article) + 1,
                 f"页面上多出了 {len(shown) - len(written)} 个编号列表项")]
    return []


_HEADING = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _describe(node: Node) -> str:
    if node.tag == "div" and "codehilite" in node.classes or node.tag == "pre":
        return "代码块"
    if node.tag == "div" and "admonition" in node.classes:
        return "提示框"
    if node.tag == "table":
        return "表格"
    if node.tag == "p":
        return "段落"
    if node.tag == "ul":
        return "无序列表"
    return f"<{node.tag}>"


def block_placement_problems(article: SourceArticle, html: str | None = None) -> list[Problem]:
    """A block between step n and step n+1 of one list belongs inside step n.

    Python-Markdown ends the list at a block that is not indented under the item and
    starts a new one (``<ol start="n+1">``): the reader sees the block outside its step.
    """
    html = render_markdown(article.body).html if html is None else html
    root = html_tree(html)
    items = sorted(_numbered_items(root))
    order = {id(node): i for i, node in enumerate(root.walk())}
    markers = source_markers(article)
    line_of = {pos: markers[k][0] for k, (pos, _) in enumerate(items) if k < len(markers)}
    problems = []
    for container in root.walk():
        previous_ol, between = None, []
        for child in container.elements():
            if child.tag == "ol":
                if previous_ol is not None and between and _start(child) > 1:
                    last = _start(previous_ol) + len([c for c in previous_ol.elements() if c.tag == "li"]) - 1
                    if _start(child) == last + 1:
                        first_li = next(c for c in child.elements() if c.tag == "li")
                        no = line_of.get(order[id(first_li)], body_offset(article) + 1)
                        kinds = "、".join(dict.fromkeys(_describe(b) for b in between))
                        problems.append((no, f"第 {last} 步和第 {last + 1} 步之间的{kinds}在列表之外："
                                             f"缩进 4 个空格放进第 {last} 步"))
                previous_ol, between = child, []
            elif child.tag in _HEADING:
                previous_ol, between = None, []
            elif previous_ol is not None:
                between.append(child)
        problems.extend(_introduced_block_outside(container, order, line_of, article))
    return problems


_INTRODUCES = ("：", ":")
_BLOCKS = {"pre", "table", "div"}


def _introduced_block_outside(container: Node, order, line_of, article) -> list[Problem]:
    """A list's last step ends with "：" (运行：) but the block it introduces follows the list."""
    problems = []
    children = container.elements()
    for lst, after in zip(children, children[1:]):
        if lst.tag not in ("ol", "ul") or after.tag not in _BLOCKS:
            continue
        items = [c for c in lst.elements() if c.tag == "li"]
        if not items or not items[-1].text().strip().endswith(_INTRODUCES):
            continue
        last = items[-1]
        no = line_of.get(order[id(last)]) or line_of_text(article, last.text().strip().splitlines()[0][:20])
        problems.append((no, f"这一步以“：”结尾，但它引出的{_describe(after)}在列表之外：缩进 4 个空格放进这一步"))
    return problems


# ---------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------


def links(html: str) -> list[str]:
    return [n.attrs.get("href") or "" for n in html_tree(html).walk() if n.tag == "a"]


def heading_ids(html: str) -> set[str]:
    return {n.attrs["id"] for n in html_tree(html).walk() if n.tag in _HEADING and n.attrs.get("id")}


def line_of_text(article: SourceArticle, needle: str) -> int:
    for no, line in text_lines(article):
        if needle in line:
            return no
    return body_offset(article) + 1


# ---------------------------------------------------------------------------
# Error codes
# ---------------------------------------------------------------------------

_SMTP = re.compile(r"^([245]\d\d)\s+([245]\.\d{1,3}\.\d{1,3})$")
_HEX = re.compile(r"^0x0*([0-9a-f]+)$")


def code_key(code: str) -> str:
    """One spelling per code: lower case, hex without leading zeros (0x0000011B = 0x11b)."""
    low = " ".join(code.lower().split())
    m = _HEX.match(low)
    return f"0x{m.group(1)}" if m else low


def code_family(code: str) -> str:
    """The code a search for it matches: ``554 5.2.2`` and ``5.2.2`` are one family."""
    key = code_key(code)
    m = _SMTP.match(key)
    return m.group(2) if m else key


def code_spellings(code: str) -> set[str]:
    """How a quick-reference table may write the code: as is, or ``5.2.2`` for ``554 5.2.2``."""
    key = code_key(code)
    spellings = {key, " ".join(code.lower().split())}
    m = _SMTP.match(key)
    if m:
        spellings.add(m.group(2))
    hexed = _HEX.match(key)
    if hexed:
        spellings.add("0x" + hexed.group(1).rjust(8, "0"))
    return spellings


_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")


def table_text(article: SourceArticle) -> str:
    """The lower-cased text of every table row in the article (backticks removed)."""
    rows = [line for _, line in text_lines(article) if _TABLE_ROW.match(line)]
    return "\n".join(rows).lower().replace("`", "")


def mentions_code(text: str, code: str) -> bool:
    return any(
        re.search(rf"(?<![0-9a-z_.]){re.escape(s)}(?![0-9a-z_]|\.\d)", text) for s in code_spellings(code)
    )


@functools.cache
def load_library():
    """The shipped library (``articles/``), loaded once per test session."""
    from indexer.loader import load_tree
    from tests.conftest import ARTICLES

    return load_tree(ARTICLES)
