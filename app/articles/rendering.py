"""Article rendering: Markdown body -> sanitised HTML, table of contents, plain text.

Pipeline
--------
1. Python-Markdown converts the body (tables, fenced code highlighted with
   Pygments CSS classes, CJK-aware heading anchors, admonitions, sane lists).
   ``attr_list`` and ``md_in_html`` are deliberately *not* enabled: the first
   lets authors put arbitrary attributes (``onclick``...) on elements.
2. A leading ``# H1`` is dropped: it duplicates the page title.
3. Everything -- including raw HTML authors typed into the body -- goes through
   an nh3 allow-list: only known tags, minimal attributes, ``class`` restricted
   to the class names Markdown/Pygments themselves produce, URL schemes
   restricted to http/https/mailto (images: http/https/relative only).
4. The table of contents, heading list and plain text are extracted from the
   *sanitised* HTML, so every toc anchor is guaranteed to exist in the page.
"""

from __future__ import annotations

import html as _html
import re
import threading
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension
from markdown.treeprocessors import Treeprocessor
from pygments.token import STANDARD_TYPES

__all__ = [
    "RenderedArticle",
    "TocEntry",
    "excerpt",
    "render_markdown",
    "slugify",
]


@dataclass(frozen=True)
class TocEntry:
    level: int  # 2 or 3
    title: str  # plain text
    anchor: str  # the heading's id, without "#"

    @property
    def href(self) -> str:
        return "#" + self.anchor


@dataclass(frozen=True)
class RenderedArticle:
    html: str  # sanitised
    toc: list[TocEntry]  # h2/h3 entries
    headings: list[str]  # plain heading texts, document order
    text: str  # plain text of the body, no markup (blocks separated by "\n")


# ---------------------------------------------------------------------------
# Slugs for heading anchors
# ---------------------------------------------------------------------------

# CJK ideographs (incl. extensions and compatibility), kana, hangul, bopomofo.
_CJK = (
    "\u3005\u3006\u3007"  # 々 〆 〇
    "\u3041-\u3096\u309d-\u309f"  # hiragana
    "\u30a1-\u30fa\u30fc-\u30ff"  # katakana (incl. ー)
    "\u3105-\u312f\u31a0-\u31bf"  # bopomofo
    "\u3400-\u4dbf"  # CJK ext A
    "\u4e00-\u9fff"  # CJK unified
    "\uac00-\ud7a3"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK ext B..G
)
_SLUG_JUNK = re.compile(f"[^a-z0-9{_CJK}]+")
_MAX_SLUG = 80


def slugify(value: str, separator: str = "-") -> str:
    """Heading text -> anchor id that keeps CJK characters.

    ``解决步骤`` -> ``解决步骤``; ``VPN 错误 809`` -> ``vpn-错误-809``;
    full-width ``ＶＰＮ`` is folded to ``vpn``; punctuation (ASCII or
    full-width) becomes a single separator.  Uniqueness is handled by the toc
    extension (``x``, ``x_1``, ``x_2``...).
    """
    value = unicodedata.normalize("NFKC", value).lower()
    slug = _SLUG_JUNK.sub(separator, value).strip(separator)
    if len(slug) > _MAX_SLUG:
        slug = slug[:_MAX_SLUG].rstrip(separator)
    return slug or "section"


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


class _DropLeadingH1(Treeprocessor):
    """Remove the first block if it is an ``<h1>`` (it repeats the page title)."""

    def run(self, root: etree.Element) -> None:
        if len(root) and root[0].tag == "h1":
            root.remove(root[0])


class _DropLeadingH1Extension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After "inline" (20), before "prettify" (10) and "toc" (5), so the
        # dropped title does not reserve an anchor id.
        md.treeprocessors.register(_DropLeadingH1(md), "drop_leading_h1", 15)


def _new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "tables",
            # superfences (not fenced_code): fences nested in list steps work.
            "pymdownx.highlight",
            "pymdownx.superfences",
            TocExtension(slugify=slugify, separator="-", marker="", permalink=False, anchorlink=False),
            "admonition",
            "sane_lists",
            _DropLeadingH1Extension(),
        ],
        extension_configs={
            "tables": {"use_align_attribute": True},
            "pymdownx.highlight": {
                "css_class": "codehilite",
                "guess_lang": False,
                "use_pygments": True,
                "linenums": False,
            },
        },
        output_format="html",
        tab_length=4,
    )


_local = threading.local()


def _markdown() -> markdown.Markdown:
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _new_markdown()
    return md.reset()


# ---------------------------------------------------------------------------
# Sanitising
# ---------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6",
        "ul", "ol", "li",
        "table", "thead", "tbody", "tr", "th", "td",
        "pre", "code", "span", "div",
        "a", "img", "blockquote",
        "strong", "em", "del", "kbd", "hr", "br", "sup", "sub",
        "details", "summary", "mark", "dl", "dt", "dd",
    }
)  # fmt: skip

# Dropped together with their content (must be disjoint from ALLOWED_TAGS).
_CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "frame", "frameset",
        "object", "embed", "applet", "svg", "math", "xmp", "noembed", "noframes",
        "title", "textarea", "select", "head",
    }
)  # fmt: skip

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},  # rel is added by nh3 (link_rel)
    "img": {"src", "alt", "title"},  # loading="lazy" is forced
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},  # sane_lists emits <ol start="3">
    "details": {"open"},
    **{h: {"id"} for h in _HEADINGS},
}

_ADMONITION_TYPES = {
    "note", "warning", "tip", "danger", "important",
    "caution", "attention", "hint", "error", "info",
}  # fmt: skip
_PYGMENTS_CLASSES = {c for c in STANDARD_TYPES.values() if c} | {"hll"}

ALLOWED_CLASSES: dict[str, set[str]] = {
    "div": {"admonition", "codehilite"} | _ADMONITION_TYPES,
    "p": {"admonition-title"},
    "span": _PYGMENTS_CLASSES,
    "pre": {"codehilite"},
    "code": set(),
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})
_IMG_SCHEMES = frozenset({"http", "https"})
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Characters browsers ignore inside/around a URL scheme.
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_ID_RE = re.compile(rf"^[a-z0-9_\-{_CJK}]{{1,100}}$")


def _url_scheme(value: str) -> str | None:
    m = _SCHEME_RE.match(_URL_IGNORED.sub("", _html.unescape(value)))
    return m.group(1).lower() if m else None


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    # Belt and braces on top of nh3's own url_schemes check.
    if attr in ("href", "src"):
        scheme = _url_scheme(value)
        allowed = _IMG_SCHEMES if tag == "img" else URL_SCHEMES
        if scheme is not None and scheme not in allowed:
            return None
        return value
    if attr == "id":
        # Only ids shaped like our own slugs (no spaces, no markup, bounded).
        return value if _ID_RE.match(value) else None
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_CLEAN_CONTENT_TAGS),
    attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    allowed_classes={k: set(v) for k, v in ALLOWED_CLASSES.items()},
    set_tag_attribute_values={"img": {"loading": "lazy"}},
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitize_html(fragment: str) -> str:
    """Clean an HTML fragment with the article allow-list."""
    return _cleaner.clean(fragment)


# ---------------------------------------------------------------------------
# Extraction from the sanitised HTML
# ---------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table",
        "thead", "tbody", "tr", "pre", "div", "blockquote", "hr", "br",
        "details", "summary", "dl", "dt", "dd",
    }
)  # fmt: skip
_CELL_TAGS = frozenset({"th", "td"})


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.headings: list[tuple[int, str, str | None]] = []
        self._heading: tuple[int, str | None] | None = None
        self._heading_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")
        elif tag in _CELL_TAGS:
            self.chunks.append(" ")
        if tag in _HEADINGS:
            self._heading = (int(tag[1]), dict(attrs).get("id"))
            self._heading_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")
        elif tag in _CELL_TAGS:
            self.chunks.append(" ")
        if tag in _HEADINGS and self._heading is not None:
            level, anchor = self._heading
            title = " ".join("".join(self._heading_text).split())
            self.headings.append((level, title, anchor))
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)
        if self._heading is not None:
            self._heading_text.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.chunks).split("\n"))
        return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


_PRE_OPEN = re.compile(r"<pre(?=[\s>])")


@lru_cache(maxsize=512)
def render_markdown(source: str) -> RenderedArticle:
    """Render an article body (Markdown, possibly with raw HTML) safely.

    Pure in ``source``, so results are cached: a long article costs up to ~60 ms to render,
    and every view of it (page, API, side panel) would pay that again. Treat the result as
    read-only.
    """
    source = (source or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    raw = _markdown().convert(source)
    # A code block wider than the page scrolls sideways: it must take keyboard focus to be
    # scrolled without a mouse (axe: scrollable-region-focusable). Added after sanitising.
    safe = _PRE_OPEN.sub('<pre tabindex="0"', sanitize_html(raw))

    extractor = _Extractor()
    extractor.feed(safe)
    extractor.close()

    toc = [
        TocEntry(level=level, title=title, anchor=anchor)
        for level, title, anchor in extractor.headings
        if level in (2, 3) and anchor
    ]
    return RenderedArticle(
        html=safe,
        toc=toc,
        headings=[title for _, title, _ in extractor.headings if title],
        text=extractor.text(),
    )


# Sentence enders (CJK full-width and ASCII) and softer clause breaks.
_SENTENCE_END = "。！？!?…；;"
_TRAILING_JUNK = " \t\n，、,：:；;—-–([（【《“‘\"'"
ELLIPSIS = "…"


def excerpt(text: str, length: int = 120) -> str:
    """First ~``length`` characters of ``text``, cut at a boundary, with "…".

    Prefers ending after a sentence (``。！？!?.``) if one ends in the second
    half of the window, otherwise at the last space (for Latin text), otherwise
    a hard cut (Chinese has no spaces between words).  Whitespace is collapsed.
    The result is at most ``length + 1`` characters long.
    """
    flat = " ".join((text or "").split())
    if length <= 0:
        return ""
    if len(flat) <= length:
        return flat

    window = flat[:length]
    cut = -1
    # 1. sentence boundary in the second half of the window
    for i in range(len(window) - 1, length // 2 - 1, -1):
        ch = window[i]
        if ch in _SENTENCE_END or (ch == "." and (i + 1 >= len(flat) or flat[i + 1] == " ")):
            cut = i + 1
            break
    # 2. word boundary (space) in the last 40% of the window
    if cut < 0 and flat[length] != " ":
        space = window.rfind(" ")
        if space >= int(length * 0.6):
            cut = space
    # 3. hard cut
    if cut < 0:
        cut = length

    result = flat[:cut].rstrip(_TRAILING_JUNK)
    if result.endswith(ELLIPSIS) or result.endswith("..."):
        return result
    return result + ELLIPSIS
