"""Side-by-side differences between two versions, readable for Chinese text.

Lines are paired with ``difflib.SequenceMatcher``; inside a changed pair the changed
characters are marked (``<del>`` on the left, ``<ins>`` on the right), so a one-character
fix in a long Chinese sentence stands out. Long runs of equal lines are folded to a few lines
of context. Everything is HTML-escaped here; templates output the cells as they are.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from markupsafe import Markup, escape

from .content import AUDIENCES, Content

CONTEXT = 3
SIMILAR_ENOUGH = 0.35  # below this a changed pair is shown as whole lines, not characters


@dataclass(frozen=True)
class Row:
    kind: str  # equal | change | delete | insert | skip
    left_no: int | None = None
    left: Markup = Markup("")
    right_no: int | None = None
    right: Markup = Markup("")
    skipped: int = 0  # for "skip": how many equal lines are folded


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def _mark(a: str, b: str) -> tuple[Markup, Markup]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < SIMILAR_ENOUGH:
        return (Markup("<del>%s</del>") % a if a else Markup(""), Markup("<ins>%s</ins>") % b if b else Markup(""))
    left, right = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            left.append(escape(a[i1:i2]))
            right.append(escape(b[j1:j2]))
            continue
        if i2 > i1:
            left.append(Markup("<del>%s</del>") % a[i1:i2])
        if j2 > j1:
            right.append(Markup("<ins>%s</ins>") % b[j1:j2])
    return Markup("").join(left), Markup("").join(right)


def side_by_side(old: str, new: str, context: int | None = CONTEXT) -> list[Row]:
    """Rows for a two-column table (old left, new right); ``context=None`` keeps every line."""
    a, b = (old or "").split("\n"), (new or "").split("\n")
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend(Row("equal", i1 + k + 1, escape(a[i1 + k]), j1 + k + 1, escape(b[j1 + k]))
                        for k in range(i2 - i1))
            continue
        left, right = a[i1:i2], b[j1:j2]
        for k in range(max(len(left), len(right))):
            lo = left[k] if k < len(left) else None
            ro = right[k] if k < len(right) else None
            if lo is not None and ro is not None:
                lm, rm = _mark(lo, ro)
                rows.append(Row("change", i1 + k + 1, lm, j1 + k + 1, rm))
            elif lo is not None:
                rows.append(Row("delete", i1 + k + 1, Markup("<del>%s</del>") % lo if lo else Markup("")))
            else:
                rows.append(Row("insert", right_no=j1 + k + 1, right=Markup("<ins>%s</ins>") % ro if ro else Markup("")))
    return _fold(rows, context) if context is not None else rows


def _fold(rows: list[Row], context: int) -> list[Row]:
    changed = [i for i, r in enumerate(rows) if r.kind != "equal"]
    if not changed:
        return []
    keep = set()
    for i in changed:
        keep.update(range(max(0, i - context), min(len(rows), i + context + 1)))
    out: list[Row] = []
    run = 0
    for i, row in enumerate(rows):
        if i in keep:
            if run:
                out.append(Row("skip", skipped=run))
                run = 0
            out.append(row)
        else:
            run += 1
    if run:
        out.append(Row("skip", skipped=run))
    return out


def _words(items) -> str:
    return "、".join(items) if items else "（无）"


def field_changes(old: Content, new: Content) -> list[FieldChange]:
    """The front-matter fields that differ (the body is compared by ``side_by_side``)."""
    pairs = [
        ("标题", old.title, new.title),
        ("类别", old.category, new.category),
        ("标签", _words(old.tags), _words(new.tags)),
        ("错误代码", _words(old.error_codes), _words(new.error_codes)),
        ("读者范围", AUDIENCES.get(old.audience, old.audience), AUDIENCES.get(new.audience, new.audience)),
    ]
    return [FieldChange(label, a, b) for label, a, b in pairs if a != b]


def unified(old: str, new: str, old_name: str, new_name: str, limit: int = 60) -> list[str]:
    """A plain-text diff for the terminal (``kb sync`` conflicts), at most ``limit`` lines."""
    lines = list(difflib.unified_diff((old or "").split("\n"), (new or "").split("\n"),
                                      old_name, new_name, lineterm="", n=2))
    if len(lines) > limit:
        lines = lines[:limit] + [f"…（还有 {len(lines) - limit} 行差异）"]
    return lines
