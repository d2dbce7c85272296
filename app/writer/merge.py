"""Three-way merge of an article's content: what a writer saved from an older revision
(``mine``), the revision they started from (``base``) and the newest one (``theirs``).

Two writers who change different parts of an article should both keep their change: a
save that started from revision 2 while a colleague saved revision 3 takes the colleague's
changes to every field the writer left alone, and the body is merged line by line (the
classic diff3 rule, with :mod:`difflib` finding each side's changes against the base).

* A field only one side changed takes that side's value; both sides making the same change
  is no conflict.
* Tags and error codes are lists: the colleague's additions join the writer's list, their
  removals are applied.
* Body lines changed on one side only are taken from that side. Where both sides changed the
  same lines, or lines next to each other, it is a conflict: the merge keeps the writer's
  lines there (nothing typed is lost) and lists the place, so the page can show the
  colleague's version beside it.

:func:`merge` never decides alone what happens next: the editor saves a merge without
conflicts (``saves_alone``) and shows the others for the writer to check — one with conflicts,
and one where either side changed the audience (a colleague's text written for the service
desk must not turn public unseen).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from .content import Content

LABELS = {"title": "标题", "category": "类别", "tags": "标签", "error_codes": "错误代码",
          "audience": "读者范围", "body": "正文"}
_SCALARS = ("title", "category", "audience")
_LISTS = ("tags", "error_codes")


@dataclass(frozen=True)
class TextMerge:
    text: str
    conflicts: tuple[tuple[int, int], ...] = ()   # 1-based line ranges in ``text`` (inclusive)


@dataclass(frozen=True)
class Merge:
    content: Content
    theirs_changed: tuple[str, ...] = ()       # labels of the fields the colleague changed
    conflicts: tuple[str, ...] = ()            # labels of the fields both changed differently
    body_conflicts: tuple[tuple[int, int], ...] = ()
    audience_changed: bool = False             # either side changed who may read it

    @property
    def clean(self) -> bool:
        return not self.conflicts

    @property
    def saves_alone(self) -> bool:
        """Clean, and everyone's text keeps the readers it was written for: a colleague's
        line written for the service desk must not become public because the writer, on an
        older revision, opened the article to everyone (or the other way round)."""
        return self.clean and not self.audience_changed


def _hunks(base: list[str], side: list[str], tag: int) -> list[tuple[int, int, int, list[str]]]:
    matcher = difflib.SequenceMatcher(None, base, side, autojunk=False)
    return [(i1, i2, tag, side[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def _apply(base: list[str], lo: int, hi: int, hunks) -> list[str]:
    """``base[lo:hi]`` with one side's hunks (all inside that range) applied."""
    out, at = [], lo
    for i1, i2, _tag, lines in sorted(hunks, key=lambda h: (h[0], h[1])):
        out.extend(base[at:i1])
        out.extend(lines)
        at = i2
    out.extend(base[at:hi])
    return out


def merge_text(base: str, mine: str, theirs: str) -> TextMerge:
    """Line-by-line three-way merge; conflicting regions keep ``mine``."""
    if mine == theirs or theirs == base:
        return TextMerge(mine)
    if mine == base:
        return TextMerge(theirs)
    a, m, t = base.split("\n"), mine.split("\n"), theirs.split("\n")
    hunks = sorted(_hunks(a, m, 0) + _hunks(a, t, 1), key=lambda h: (h[0], h[1], h[2]))
    groups: list[list] = []
    for hunk in hunks:
        # a hunk joins the group it overlaps or touches (changes to neighbouring lines conflict)
        if groups and hunk[0] <= groups[-1][1]:
            group = groups[-1]
            group[1] = max(group[1], hunk[1])
            group[2].append(hunk)
        else:
            groups.append([hunk[0], hunk[1], [hunk]])
    out: list[str] = []
    conflicts: list[tuple[int, int]] = []
    at = 0
    for lo, hi, members in groups:
        out.extend(a[at:lo])
        at = hi
        sides = {h[2] for h in members}
        mine_lines = _apply(a, lo, hi, [h for h in members if h[2] == 0])
        if sides == {0}:
            out.extend(mine_lines)
            continue
        theirs_lines = _apply(a, lo, hi, [h for h in members if h[2] == 1])
        if sides == {1} or theirs_lines == mine_lines:
            out.extend(theirs_lines)
            continue
        start = len(out) + 1
        out.extend(mine_lines)
        conflicts.append((start, max(start, len(out))))
    out.extend(a[at:])
    return TextMerge("\n".join(out), tuple(conflicts))


def _merge_list(base: tuple[str, ...], mine: tuple[str, ...], theirs: tuple[str, ...]) -> tuple[str, ...]:
    removed = set(base) - set(theirs)
    kept = [item for item in mine if item not in removed or item not in base]
    added = [item for item in theirs if item not in base and item not in kept]
    return tuple(kept + added)


def merge(base: Content, mine: Content, theirs: Content) -> Merge:
    """``mine`` (saved from ``base``) merged with ``theirs`` (saved since)."""
    values, theirs_changed, conflicts = {}, [], []
    body = merge_text(base.body, mine.body, theirs.body)
    for name in (*_SCALARS, *_LISTS, "body"):
        b, m, t = getattr(base, name), getattr(mine, name), getattr(theirs, name)
        if t != b:
            theirs_changed.append(LABELS[name])
        if name in _LISTS:
            values[name] = _merge_list(b, m, t)
        elif name == "body":
            values[name] = body.text
            if body.conflicts:
                conflicts.append(LABELS[name])
        elif m == b:
            values[name] = t
        else:
            values[name] = m
            if t not in (b, m):
                conflicts.append(LABELS[name])
    return Merge(replace(mine, **values), tuple(theirs_changed), tuple(conflicts), body.conflicts,
                 audience_changed=len({base.audience, mine.audience, theirs.audience}) > 1)
