"""Markdown → plain text (stored for snippets and indexed as the body) and headings.

Not a Markdown renderer: it removes syntax and keeps readable text.  Code blocks keep their
content (error messages live there), links keep their text, images their alt text, HTML tags
and comments disappear, entities are decoded, tables become space-separated cells.
``ERR_CONNECTION_RESET`` keeps its underscores (only ``_emphasis_`` at word boundaries is
removed).  ``heading_anchors`` and ``link_words`` return the words of heading anchor ids and of
link targets, which the text drops: the body field indexes them after the text (English names
of translated pages and of the pages they point to).
"""
from __future__ import annotations

import html
import re

__all__ = ["markdown_to_text", "heading_anchors", "link_words"]

_FENCE = re.compile(r"^\s*(```+|~~~+)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HR = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_QUOTE = re.compile(r"^\s*(>\s?)+")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DOCFX = re.compile(r"\[!(?:NOTE|TIP|IMPORTANT|CAUTION|WARNING|div|VIDEO)[^\]]*\]", re.I)
_INCLUDE = re.compile(r"\[!INCLUDE\s*\[[^\]]*\]\([^)]*\)\]", re.I)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_REFLINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_CODE = re.compile(r"`+([^`]*)`+")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_EM_UND = re.compile(r"(?<![\w])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w])")
_STRIKE = re.compile(r"~~(.+?)~~")
_SPACES = re.compile(r"[ \t\u3000]+")
# Python-Markdown admonitions (`!!! note "提示"`, collapsible `??? tip`): the page shows the title
# (or nothing), never the marker — so neither may the snippets.
_ADMONITION = re.compile(r"^\s*(?:!!!|\?\?\?\+?)\s+[\w-]+(?:\s+[\w-]+)*\s*(?:\"([^\"]*)\")?\s*$")


def _inline(s: str) -> str:
    codes: list[str] = []
    if "`" in s:
        def keep(m):
            codes.append(m.group(1))
            return f"\x00{len(codes) - 1}\x00"
        s = _CODE.sub(keep, s)
    if "[" in s:
        if "!" in s:
            s = _INCLUDE.sub("", s)
            s = _DOCFX.sub("", s)
            s = _IMAGE.sub(r"\1", s)
        s = _LINK.sub(r"\1", s)
        s = _REFLINK.sub(r"\1", s)
    if "<" in s:
        s = _AUTOLINK.sub(r"\1", s)
        s = _TAG.sub("", s)
    if "*" in s or "__" in s:
        s = _STRONG.sub(r"\2", s)
    if "*" in s:
        s = _EM_STAR.sub(r"\1", s)
    if "_" in s:
        s = _EM_UND.sub(r"\1", s)
    if "~~" in s:
        s = _STRIKE.sub(r"\1", s)
    if "\\" in s and re.search(r"\\[\\`*_{}\[\]()#+\-.!|]", s):
        s = s.replace("\\", "")
    if "&" in s:
        s = html.unescape(s)
    if codes:
        s = re.sub("\x00(\\d+)\x00", lambda m: codes[int(m.group(1))], s)
    return _SPACES.sub(" ", s).strip()


_ANCHOR = re.compile(r"""<a\s+(?:name|id)\s*=\s*["']([^"'<>]{2,200})["']|\{#([A-Za-z][\w-]{1,200})\}""")
_ANCHOR_SPLIT = re.compile(r"[-_.:/]+")


def heading_anchors(md: str) -> list[str]:
    """The words of the headings' anchor ids (``# <a name="using-a-shared-mailbox"></a>在…上使用
    共享邮箱``, ``## 标题 {#shared-mailbox}``), one string per heading, hyphens as spaces.

    An anchor id is the heading's name in the page's source language: a translated page keeps
    the English one (``shared mailbox`` for 共享邮箱), which is how users type product terms.
    Ids without a letter, or auto-numbered ones (``_toc123``), say nothing and are skipped."""
    if not md or ("<a" not in md and "{#" not in md):
        return []
    out = []
    for line in md.split("\n"):
        if not _ATX.match(line):
            continue
        for m in _ANCHOR.finditer(line):
            words = _ANCHOR_SPLIT.sub(" ", m.group(1) or m.group(2)).strip()
            if re.search(r"[A-Za-z]{2}", words) and not re.fullmatch(r"_?toc\d*|[a-z]?\d+", (m.group(1) or m.group(2)).lower()):
                out.append(words)
    return out


_GUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_IMAGE_FILE = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|bmp|ico)$", re.I)
_LINK_WORD = re.compile(r"[A-Za-z]+[0-9]{0,2}|[0-9]{1,4}")
_LINK_URL = re.compile(r"\]\((?:https?://[^/)\s]+)?/?([^)\s#?]*)")


def link_words(md: str) -> list[str]:
    """The words of the last path segment of each link target (``Add-a-shared-mailbox-to-
    Outlook-mobile-f866242c…`` → ``add a shared mailbox to outlook mobile``)."""
    if not md or "](" not in md:
        return []
    out = []
    for m in _LINK_URL.finditer(md):
        seg = m.group(1).rstrip("/").rsplit("/", 1)[-1]
        if _IMAGE_FILE.search(seg):
            continue
        seg = _GUID.sub(" ", re.sub(r"\.(?:md|html?|aspx?|php)$", "", seg, flags=re.I))
        ws = [w for w in _ANCHOR_SPLIT.split(seg) if _LINK_WORD.fullmatch(w)]
        if len(ws) >= 2:
            out.append(" ".join(ws))
    return out


def markdown_to_text(md: str) -> tuple[str, list[str]]:
    """Return ``(plain_text, headings)``; paragraphs separated by newlines."""
    if not md:
        return "", []
    md = _COMMENT.sub("", md.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    headings: list[str] = []
    fence = None
    prev_plain = False
    for line in md.split("\n"):
        fm = _FENCE.match(line)
        if fence is not None:
            if fm and fm.group(1)[0] == fence:
                fence = None
            else:
                out.append(line.strip())
            prev_plain = False
            continue
        if fm:
            fence = fm.group(1)[0]
            prev_plain = False
            continue
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            prev_plain = False
            continue
        m = _ATX.match(line)
        if m:
            h = _inline(m.group(2))
            if h:
                headings.append(h)
                out.append(h)
            prev_plain = False
            continue
        if _SETEXT.match(line) and prev_plain and out:
            headings.append(out[-1])
            prev_plain = False
            continue
        am = _ADMONITION.match(line)
        if am:
            if am.group(1) and am.group(1).strip():
                out.append(_inline(am.group(1).strip()))
            prev_plain = False
            continue
        if _TABLE_SEP.match(line) or _HR.match(line) or _REFDEF.match(line):
            prev_plain = False
            continue
        line = _QUOTE.sub("", line)
        line = _LIST.sub("", line)
        if "|" in line:
            line = " ".join(c.strip() for c in line.strip().strip("|").split("|"))
        text = _inline(line)
        if text:
            out.append(text)
            prev_plain = True
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out), headings
