"""Internal links between articles, by slug, and the ones that no longer lead anywhere.

A link is ``[标题](/articles/<slug>)`` (optionally ``#anchor``), a reference definition
``[x]: /articles/<slug>``, or ``<a href="/articles/<slug>">`` — found in the Markdown source
with their line numbers, outside code. Checked against the database:

* **broken** (「失效链接」, reported on save and listed at ``/writer/links``): the target is
  missing or archived;
* **warnings** in the editor: the target is not published yet (readers would get 404), or a
  public article links to an internal one (readers cannot open it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Article

_TARGET = r"/articles/(?P<slug>[^\s)#?\"'<>]+)(?:#(?P<anchor>[^\s)\"'<>]*))?"
_PATTERNS = (
    re.compile(r"\]\(\s*<?" + _TARGET),  # [text](/articles/slug)
    re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?" + _TARGET),  # [ref]: /articles/slug
    re.compile(r"href\s*=\s*[\"']" + _TARGET),  # <a href="/articles/slug">
)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"`+[^`]*`+")


@dataclass(frozen=True)
class Link:
    line: int
    slug: str
    anchor: str | None = None


@dataclass(frozen=True)
class LinkProblem:
    link: Link
    broken: bool  # missing or archived (「失效链接」); otherwise a warning
    message: str


def find_links(body: str) -> list[Link]:
    """Internal article links in Markdown source, outside fenced and inline code."""
    body = body or ""
    if "/articles/" not in body:  # most articles: no need to look at each line
        return []
    links: list[Link] = []
    fence: str | None = None
    for number, line in enumerate(body.split("\n"), 1):
        m = _FENCE.match(line) if "```" in line or "~~~" in line else None
        if m:
            marker = m.group(1)[0] * 3
            if fence is None:
                fence = marker
                continue
            if marker == fence:
                fence = None
                continue
        if fence is not None or "/articles/" not in line:
            continue
        text = _INLINE_CODE.sub("", line)
        for pattern in _PATTERNS:
            for match in pattern.finditer(text):
                slug = unquote(match.group("slug")).rstrip("/")
                anchor = unquote(match.group("anchor")) if match.group("anchor") else None
                links.append(Link(number, slug, anchor or None))
    return links


def _targets(session: Session, slugs) -> dict[str, Article]:
    slugs = sorted(set(slugs))
    found: dict[str, Article] = {}
    for i in range(0, len(slugs), 500):
        chunk = slugs[i:i + 500]
        found.update((a.slug, a) for a in session.scalars(select(Article).where(Article.slug.in_(chunk))))
    return found


def problem(link: Link, target: Article | None, source_audience: str) -> LinkProblem | None:
    if target is None:
        return LinkProblem(link, True, f"第 {link.line} 行链接的文章 {link.slug} 不存在。")
    if target.status == "archived":
        return LinkProblem(link, True, f"第 {link.line} 行链接的文章《{target.title}》已归档。")
    if target.status != "published":
        return LinkProblem(link, False, f"第 {link.line} 行链接的文章《{target.title}》还没有发布，读者打开会看到“页面不存在”。")
    if source_audience == "public" and target.audience == "internal":
        return LinkProblem(link, False, f"第 {link.line} 行链接的是内部文章《{target.title}》，普通读者打不开。")
    if link.anchor:
        from ..articles.rendering import render_markdown

        anchors = {e.anchor for e in render_markdown(target.body).toc}
        if link.anchor not in anchors:
            return LinkProblem(link, False, f"第 {link.line} 行链接的《{target.title}》里没有“#{link.anchor}”这一节。")
    return None


def check(session: Session, body: str, audience: str, *, own_slug: str | None = None,
          role: str = "writer") -> list[LinkProblem]:
    """Problems of the body's links, as ``role`` may know them: an article the role may not
    read (an agent writing a KCS draft and someone's unpublished draft) is "missing" — the
    check never tells anyone more than the article pages would."""
    from ..visibility import can_view

    links = [link for link in find_links(body) if link.slug != own_slug]
    targets = _targets(session, (link.slug for link in links))
    visible = {slug: a for slug, a in targets.items() if can_view(a, role)}
    return [p for link in links if (p := problem(link, visible.get(link.slug), audience)) is not None]


@dataclass(frozen=True)
class BrokenLink:
    article: Article
    link: Link
    target: Article | None

    @property
    def reason(self) -> str:
        return "文章不存在" if self.target is None else "文章已归档"


def broken_links(session: Session, audiences) -> list[BrokenLink]:
    """「失效链接」: links in every article that is not archived to a missing or archived one."""
    sources = session.scalars(
        select(Article).where(Article.status != "archived", Article.audience.in_(audiences))
        .order_by(Article.category, Article.title)
    ).all()
    found = [(a, link) for a in sources for link in find_links(a.body) if link.slug != a.slug]
    targets = _targets(session, (link.slug for _, link in found))
    out = []
    for article, link in found:
        target = targets.get(link.slug)
        if target is None or target.status == "archived":
            out.append(BrokenLink(article, link, target))
    return out
