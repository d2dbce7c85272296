"""Highlighted snippets built from the stored plain text.

Terms are located in the *normalised* text (so ``帳號`` in the article matches the query
``帐号``, ``ＶＰＮ`` matches ``vpn``) and mapped back to the original characters.  CJK terms match
anywhere (there are no spaces between Chinese words); Latin/digit terms only at word
boundaries (``out`` does not light up inside ``outlook``).  The window (~``width`` characters) with
the most distinct terms wins, then it is moved to start at a sentence or clause boundary when one
is close.  Snippets first look in the lowercased text (no normalisation needed when the terms are
there as typed) and normalise the whole text only when that finds nothing.  Everything is HTML-escaped except our ``<mark>`` tags.
"""
from __future__ import annotations

import bisect
import html
from array import array
from collections import OrderedDict

from . import lru
from .text import is_cjk, normalise_with_map

__all__ = ["make_snippet", "highlight_all"]

#: characters of a Latin/digit word (a term starting or ending with one matches only at a word
#: boundary)
_ASCII_WORD_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
_BOUNDARY_BEFORE = "。！？；!?;\n"
_SOFT_BEFORE = "，、,：: "
MAX_TEXT = 200_000
MAX_NORMALISED = 20_000   # the slow path (Traditional, full-width text) looks at this much
MAX_HITS_PER_TERM = 40    # enough to choose a window; a common word may occur hundreds of times


def _find_spans(norm: str, terms, prefixes: bool = False,
                limit: int = MAX_HITS_PER_TERM,
                word_chars=_ASCII_WORD_CHARS) -> list[tuple[int, int, str]]:
    """Every occurrence of each term (at most ``limit`` each, word boundaries checked against
    ``word_chars``), merged into sorted, non-overlapping ``(start, end, term)`` spans.

    ``word_chars``: the characters that count as a word character *of the lowercased text*
    when ``norm`` is a text not lowercased (``_TEXT_WORD_CHARS``; see ``_locate``)."""
    spans = []
    add = spans.append
    find = norm.find
    n_norm = len(norm)
    for term, neg, first, last in _plan(terms, prefixes):
        if not first and not last:
            # no word boundary to check (a Chinese term): every occurrence counts
            i = find(term)
            n = 0
            while i >= 0:
                add((i, neg, term))
                n += 1
                if n == limit:
                    break
                i = find(term, i + 1)
            continue
        start = 0
        n = 0
        while n < limit:
            i = find(term, start)
            if i < 0:
                break
            start = i + 1
            if first and i and norm[i - 1] in word_chars:
                continue
            if last:
                j = i - neg
                if j < n_norm and norm[j] in word_chars:
                    continue
            add((i, neg, term))
            n += 1
    if not spans:
        return spans
    # by start, the longest first (two spans with the same start and length are the same
    # substring, so the same term: the order among them does not matter)
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    put = merged.append
    a, neg, term = spans[0]
    end = a - neg
    for s in spans[1:]:
        b = s[0]
        if b <= end:   # overlapping or adjacent: one <mark>
            b -= s[1]
            if b > end:
                end = b
            continue
        put((a, end, term))
        a, neg, term = s
        end = a - neg
    put((a, end, term))
    return merged


_PLANS: dict = {}
_PLANS_MAX = 1024


def _plan(terms, prefixes: bool):
    """``(term, -len(term), check the boundary before, check the boundary after)`` for each
    non-empty term, remembered per term list (the same list is looked for in the ten hits of a
    page, and a long query has forty terms)."""
    key = (tuple(terms), prefixes)
    plan = _PLANS.get(key)
    if plan is None:
        plan = []
        for term in key[0]:
            if not term:
                continue
            first_ascii, last_ascii, _cjk = _term_info(term)
            plan.append((term, -len(term), first_ascii, last_ascii and not prefixes))
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


_TERM_INFO: dict[str, tuple[bool, bool, bool]] = {}
_TERM_INFO_MAX = 4096


def _term_info(term: str) -> tuple[bool, bool, bool]:
    """(first character ASCII word, last character ASCII word, ``is_cjk``) of a term,
    remembered (the same terms are looked for in every hit of a page)."""
    v = _TERM_INFO.get(term)
    if v is None:
        if not term:
            return False, False, False
        v = (term[0] in _ASCII_WORD_CHARS, term[-1] in _ASCII_WORD_CHARS, is_cjk(term))
        if len(_TERM_INFO) >= _TERM_INFO_MAX:
            _TERM_INFO.clear()
        _TERM_INFO[term] = v
    return v


def _render(text: str, spans, lo: int, hi: int) -> str:
    out = []
    pos = lo
    for a, b in spans:
        a, b = max(a, lo), min(b, hi)
        if a >= b:
            continue
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:hi]))
    return "".join(out)


_OPEN, _CLOSE = "\ue000", "\ue001"    # private-use stand-ins for the tags


def _render_window(text: str, spans, lo: int, hi: int) -> str:
    """``" ".join(_render(text, spans, lo, hi).split())`` (newlines/tabs → single spaces), with
    one ``html.escape`` for the whole window instead of two per span: the tags are written as
    two private-use characters, escaped along with the text (escaping is character by
    character, and the stand-ins are neither escaped nor whitespace) and replaced at the end
    (≈ 2 µs a snippet less).  A window that has one of the stand-ins itself is rendered as before."""
    if _OPEN in text[lo:hi] or _CLOSE in text[lo:hi]:
        return " ".join(_render(text, [s[:2] for s in spans], lo, hi).split())
    out = []
    pos = lo
    for s in spans:
        a, b = s[0], s[1]
        if a < lo:
            a = lo
        if b > hi:
            b = hi
        if a >= b:
            continue
        out.append(text[pos:a])
        out.append(_OPEN)
        out.append(text[a:b])
        out.append(_CLOSE)
        pos = b
    out.append(text[pos:hi])
    snippet = " ".join(html.escape("".join(out)).split())
    return snippet.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _to_orig(spans, offsets):
    if offsets is None:
        return [(a, b) for a, b, _ in spans]
    return [(offsets[a], offsets[b] if b < len(offsets) else offsets[-1]) for a, b, _ in spans]


def highlight_all(text: str, terms, prefixes: bool = False) -> str:
    """Escape ``text`` and mark every occurrence of ``terms`` (for short texts like titles).

    ``prefixes=True``: a Latin term may end inside a word (``outl`` in ``Outlook``)."""
    text = text or ""
    norm, offsets = normalise_with_map(text)
    spans = _to_orig(_find_spans(norm, terms, prefixes, limit=200), offsets)
    return _render(text, spans, 0, len(text))


def _locate(text: str, terms, prepared=None):
    """Spans of ``terms`` in ``text`` and the offset map (None = same offsets).

    Fast path: the lowercased text, when it already contains some of the terms (the usual
    case; 3–5× cheaper than NFKC + OpenCC over a long article) — for Chinese-only terms the
    text itself, which has them at the same places, and so for other terms when the text has no
    capital of their letters (``_same_as_lowered``: lowercasing was ≈ 10 µs of a hit, a
    quarter of its snippet; in one round of the 100k bench it is skipped for 153 of 635
    texts).  Otherwise (Traditional or full-width text, …) the full normalisation with
    its offset map.

    ``prepared`` (``hitstore.Prepared``, written at index time): the normalised head comes
    from it instead of being computed, and a term with a character the searched text lacks
    (``prepared.chars``, ``norm_chars()``) is not looked for — it cannot occur, and looking
    scans the whole text (most of what a Traditional article's snippet cost: the query's
    Simplified terms)."""
    chars = None if prepared is None else prepared.chars
    if (_LONGER_LOWER not in (text if chars is None else chars)
            and all(_term_info(t)[2] for t in terms)):
        # the lowercased text has the same characters at the same places for these terms:
        # look in the text itself (lowercasing a long article costs more than the search)
        look = terms if chars is None else _possible(terms, chars)
        found = _find_spans(text, look) if look else []
        if found:
            return found, None
    else:
        look = terms if chars is None else _possible(terms, chars.lower())
        if look:
            if chars is not None and _LONGER_LOWER not in chars and _same_as_lowered(look, chars):
                # the lowercased text would have these terms at exactly the places the text
                # has them: look in the text itself (its capitals still count as word
                # characters at the boundaries)
                found = _find_spans(text, look, word_chars=_TEXT_WORD_CHARS)
                if found:
                    return found, None
            else:
                low = text.lower()
                if len(low) == len(text):
                    found = _find_spans(low, look)
                    if found:
                        return found, None
    if prepared is None:
        norm, offsets = _normalised(text[:MAX_NORMALISED])
        return _find_spans(norm, terms), offsets
    look = _possible(terms, prepared.norm_chars())
    if not look:
        return [], None
    norm, offsets = prepared.normalised()
    return _find_spans(norm, look), offsets


#: the characters whose lowercase is an ASCII word character (``tests/indexer/test_ix_speed.py``
#: checks this for the running Python's Unicode tables; İ, which lowercases to two characters,
#: never reaches a look in the text itself)
_TEXT_WORD_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u212a")

_CAPITALS: dict[str, str | None] = {}


def _capitals(term: str):
    """The characters other than themselves that ``str.lower`` turns into a character of
    ``term`` (its Latin letters' capitals, and KELVIN SIGN for k), or None when that is not
    known cheaply (a character neither ASCII nor a CJK ideograph, or a term not lowercase:
    then the text is lowercased as before).  Remembered per term."""
    got = _CAPITALS.get(term, False)
    if got is False:
        if term == term.lower() and all(c < "\x80" or "\u4e00" <= c <= "\u9fff" for c in term):
            got = "".join(sorted(set(term.upper()) - set(term)))
            if "k" in term:
                got += "\u212a"
        else:
            got = None
        if len(_CAPITALS) >= _TERM_INFO_MAX:
            _CAPITALS.clear()
        _CAPITALS[term] = got
    return got


def _same_as_lowered(terms, chars: str) -> bool:
    """Whether looking for ``terms`` in a text made of ``chars`` (without İ) finds them at the
    places looking in the lowercased text would: every term is lowercase and no character of
    the text lowercases into one of the term's characters without being it.  (Lowercasing a
    long article costs more than looking for the terms: ≈ 10 µs a hit.)"""
    for term in terms:
        caps = _capitals(term)
        if caps is None:
            return False
        for c in caps:
            if c in chars:
                return False
    return True


def _possible(terms, chars: str) -> list[str]:
    """The terms whose every character is in ``chars`` (the others cannot occur in a text made
    of those characters; the order is kept).  ``t.strip(chars)`` is empty exactly when every
    character of ``t`` is in ``chars``: one C call per term instead of a generator over its
    characters (a long query's forty terms cost a hit ≈ 25 µs that way)."""
    return [t for t in terms if not t.strip(chars)]


#: the one character ``str.lower`` turns into two (İ → i̇): without it, lowercasing keeps every
#: character at its place (``tests/indexer/test_ix_speed.py`` checks this for the running
#: Python's Unicode tables)
_LONGER_LOWER = "\u0130"


_NORM_CACHE: OrderedDict = OrderedDict()
NORM_CACHE_SIZE = 32      # texts (≤ 20,000 characters each, offsets as a compact array)


def _normalised(head: str):
    """``normalise_with_map(head)``, remembered for the last few texts: the slow path is NFKC +
    OpenCC over up to 20,000 characters (≈ 5 ms), and the same Traditional-Chinese articles
    come back in the hits of query after query."""
    got = lru.get(_NORM_CACHE, head)
    if got is not None:
        return got
    norm, offsets = normalise_with_map(head)
    got = (norm, None if offsets is None else array("i", offsets))
    lru.put(_NORM_CACHE, head, got, NORM_CACHE_SIZE)
    return got


def make_snippet(text: str, terms, width: int = 100, prepared=None) -> str:
    """``prepared``: what the hit store prepared for this text at index time
    (``hitstore.Prepared``; see ``_locate``) — the same snippet, less work."""
    text = (text or "")[:MAX_TEXT]
    if not text:
        return ""
    found, offsets = _locate(text, terms, prepared)
    # (offsets None: the found spans themselves, ``(start, end, term)``, serve as the spans)
    spans = found if offsets is None else _to_orig(found, offsets)
    if not spans:
        end = min(len(text), width)
        cut = text[:end]
        return html.escape(" ".join(cut.split())) + ("…" if end < len(text) else "")
    # best window: most distinct terms, then most hits; the first such, starting at a span
    # start.  [k, hi) are the spans starting inside the window at span k's start; a window
    # whose hi is that of the window before it holds a subset of it and cannot win, and one
    # with h spans holds at most min(h, all terms) terms: the distinct terms (a set of the
    # few names inside) are counted only for a window that could win — for the page's
    # snippets ≈ 3 µs a hit less than keeping a count per term across every start
    starts = [s[0] for s in spans]
    names = [f[2] for f in found]
    total = len(set(names))
    best_terms, best_hits, first = -1, -1, 0
    hi = 0
    nspans = len(starts)
    bisect_left = bisect.bisect_left
    for k, a in enumerate(starts):
        if hi < nspans and starts[hi] < a + width:
            hi = bisect_left(starts, a + width, hi)
            h = hi - k
            cap = h if h < total else total
            if cap < best_terms or (cap == best_terms and h <= best_hits):
                continue
            d = len(set(names[k:hi]))
            if d > best_terms or (d == best_terms and h > best_hits):
                best_terms, best_hits, first = d, h, a
    # move the window start back a little, to a sentence/clause boundary if one is near
    # (the last such character before ``first``: one ``rfind`` per boundary character over the
    # few characters in reach instead of a Python loop over them)
    lo = max(0, first - width // 4)
    start = max(0, first - width // 2 + 1)
    near = text[start:first]
    r = max(map(near.rfind, _BOUNDARY_BEFORE))
    if r >= 0:
        lo = start + r + 1
    else:
        start = max(0, first - width // 4 + 1)
        near = text[start:first]
        r = max(map(near.rfind, _SOFT_BEFORE))
        if r >= 0:
            lo = start + r + 1
    hi = min(len(text), lo + width)
    if hi - lo < width:  # near the end: use the room before the window instead
        lo = max(0, hi - width)
        # the first boundary character at lo - 1 … first - 2 (never text[-1]): start after it
        start = max(0, lo - 1)
        if first - 1 > start:
            near = text[start:first - 1]
            r = min((r for r in map(near.find, _BOUNDARY_BEFORE) if r >= 0), default=-1)
            if r >= 0:
                lo = start + r + 1
    # do not cut a highlighted span in half at the end (spans are sorted and do not
    # overlap: only the last one starting before ``hi`` can)
    k = bisect.bisect_left(starts, hi)
    if k and spans[k - 1][1] > hi:
        hi = spans[k - 1][1]
    # only the spans that reach into [lo, hi) are rendered (the others are clipped away)
    j = bisect.bisect_left(starts, hi)
    i = bisect.bisect_right(spans, lo, 0, j, key=lambda s: s[1])   # ends ascending too
    snippet = _render_window(text, spans[i:j], lo, hi)
    return ("…" if lo > 0 else "") + snippet + ("…" if hi < len(text) else "")
