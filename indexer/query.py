"""Query construction from tokens — user text never reaches Whoosh's QueryParser.

``parse(q, synonyms)`` turns user text into *groups*, one per query position:

* the text is normalised and cut to ``QUERY_MAX_CHARS`` (200) characters, then analysed with
  the same pipeline as the index (accurate mode, no sub-words); operators, quotes, ``field:``,
  ``[a TO z]``, wildcards are just punctuation and disappear;
* a group's alternatives: the word itself (weight 1), a code's equivalent spellings (1), the
  jieba sub-words that exactly cover a long word (``帐号密码`` → ``帐号`` + ``密码``, 0.8), and
  synonyms (0.5).  Synonym entries may span several query words;
* at most ``MAX_GROUPS`` groups are kept.

``build(groups, "and"|"or")`` makes the Whoosh query: each alternative is searched in every
field with the field weight (``FIELD_WEIGHTS``; with token boosts: title > front-matter codes >
tags > headings > body codes > body) times the alternative's weight; groups are combined with
AND (first) or OR (relaxed).  With 2–8 plain word groups the exact phrase in the title adds a
bonus (``AndMaybe``), which relies on the index's sequential positions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from . import segment
from .analysis import CODE, VARIANT, WORD, tokens
from .synonyms import SynonymTable
from .text import QUERY_MAX_CHARS, normalise

__all__ = ["FIELD_WEIGHTS", "Group", "parse", "build", "highlight_terms", "SYNONYM_WEIGHT"]

#: query-time field boosts.  With the token boosts of ``analysis`` (tag words 0.6, front-matter
#: codes 4, heading words 1+2) and BM25 saturation, one occurrence scores (measured, test
#: ``test_field_weights…``): title 9.5 > tag 5.6 > heading 2.9 > body 1.8 for a word, and title
#: 23 > front-matter code 10.9 > code in the body 9.0 for a code.
FIELD_WEIGHTS = {
    "title": 5.0,
    "codes": 2.5,
    "body": 1.0,
}
SYNONYM_WEIGHT = 0.5
COVER_WEIGHT = 0.8
CORRECTION_WEIGHT = 0.9
MAX_GROUPS = 16
PHRASE_BOOST = {"title": 4.0}

_LATIN_WORD = re.compile(r"[a-z][a-z\-]{3,}")


@dataclass
class Group:
    """One query position (or several merged by a multi-word synonym)."""
    words: tuple[str, ...]                       # the query's own word(s)
    kind: str = WORD                             # word | code
    alts: list[tuple[tuple[str, ...], float]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.words) if all(not w.isascii() for w in self.words) else " ".join(self.words)


def _cover(word: str) -> tuple[str, ...] | None:
    """Dictionary pieces that cover ``word`` exactly, longest first (``帐号密码`` → ``帐号`` +
    ``密码``; ``域账号`` → ``域`` + ``账号``).  Lets a query word match text that jieba cut
    differently (``重置域账号密码`` is cut ``重置/域/账号密码``)."""
    if len(word) <= 2 or word.isascii():
        return None
    seg = segment.get()
    out = []
    i = 0
    while i < len(word):
        for n in (4, 3, 2, 1):
            piece = word[i:i + n]
            if len(piece) == n and n < len(word) and (n == 1 or seg.has_word(piece)):
                out.append(piece)
                i += n
                break
    if len(out) < 2 or max(len(p) for p in out) < 2:
        return None
    return tuple(out)


def parse(q: str, synonyms: SynonymTable | None = None) -> list[Group]:
    if not isinstance(q, str):
        return []
    qn = normalise(q[: QUERY_MAX_CHARS * 4])[:QUERY_MAX_CHARS]
    toks = tokens(qn)
    if not any(t.kind in (WORD, CODE) for t in toks):
        toks = tokens(qn, keep_stop=True)   # a query of stop words only: use them
    positions: list[Group] = []
    for t in toks:
        if t.kind in (WORD, CODE):
            g = Group((t.text,), t.kind, [((t.text,), 1.0)])
            if t.kind == WORD:
                cov = _cover(t.text)
                if cov:
                    g.alts.append((cov, COVER_WEIGHT))
            positions.append(g)
        elif t.kind == VARIANT and positions:
            positions[-1].alts.append(((t.text,), 1.0))
    # de-duplicate repeated words (``vpn vpn vpn``)
    seen = set()
    uniq = []
    for g in positions:
        if g.words not in seen:
            seen.add(g.words)
            uniq.append(g)
    positions = uniq[:MAX_GROUPS]
    if synonyms is None:
        return positions
    mains = [g.words[0] if g.kind == WORD else "\x00" for g in positions]
    out: list[Group] = []
    i = 0
    for start, n, alts in synonyms.match(mains):
        out.extend(positions[i:start])
        if n == 1:
            g = positions[start]
        else:
            ws = tuple(mains[start:start + n])
            g = Group(ws, WORD, [(ws, 1.0)])
        g.alts.extend((a, SYNONYM_WEIGHT) for a in alts if (a, 1.0) not in g.alts)
        out.append(g)
        i = start + n
    out.extend(positions[i:])
    return out


class _Or(wq.Or):
    """Or with a binary tree of union matchers: Whoosh's default "array" matcher allocates and
    clears a 2,048-slot array per sub-query, which dominated search time."""
    matcher_type = wq.Or.DEFAULT_MATCHER


def _any(qs: list) -> wq.Query:
    qs = [q for q in qs if q is not wq.NullQuery]
    if not qs:
        return wq.NullQuery
    return qs[0] if len(qs) == 1 else _Or(qs)


def _alt_query(words: tuple[str, ...], weight: float, fields, exists) -> wq.Query:
    per_word = []
    for w in words:
        q = _any([wq.Term(f, w, boost=FIELD_WEIGHTS[f] * weight) for f in fields
                  if exists is None or exists(f, w)])
        if q is wq.NullQuery:
            return wq.NullQuery      # a word that is nowhere: this alternative cannot match
        per_word.append(q)
    return per_word[0] if len(per_word) == 1 else wq.And(per_word)


def group_query(g: Group, fields=tuple(FIELD_WEIGHTS), exists=None) -> wq.Query:
    return _any([_alt_query(ws, wt, fields, exists) for ws, wt in g.alts])


def build(groups: list[Group], mode: str = "and", exists=None) -> wq.Query:
    """``exists(field, term) -> bool`` (e.g. ``reader.__contains__``) drops terms absent from
    the index before Whoosh builds matchers for them."""
    if not groups:
        return wq.NullQuery
    parts = [group_query(g, exists=exists) for g in groups]
    if len(parts) == 1:
        core = parts[0]
    elif mode == "and":
        if any(p is wq.NullQuery for p in parts):
            return wq.NullQuery
        core = wq.And(parts)
    else:
        core = _any(parts)
    if core is wq.NullQuery:
        return core
    if mode == "and" and 2 <= len(groups) <= 8 and all(len(g.words) == 1 for g in groups):
        seq = [g.words[0] for g in groups]
        phrases = [wq.Phrase(f, seq, boost=b) for f, b in PHRASE_BOOST.items()]
        core = wq.AndMaybe(core, _Or(phrases))
    return core


RELAX_MAX_GROUPS = 6
RELAX_MAX_DF = 0.2
RELAX_PRUNE_FROM = 1000   # prune only in indexes this big (where OR queries get expensive)


def relax(groups: list[Group], df, ndocs: int) -> list[Group]:
    """Groups for the OR fallback.

    ``df(words)`` returns the document frequency of a word tuple (0 when a word is absent).
    Groups none of whose alternatives occur anywhere are dropped (they cannot help).  In big
    indexes (``RELAX_PRUNE_FROM``) only the ``RELAX_MAX_GROUPS`` rarest groups are kept, words that
    occur in more than ``RELAX_MAX_DF`` of the articles are dropped when rarer ones exist, and so
    are such weaker alternatives (synonyms): long natural-language questions
    ("改完密码以后账号每天早上都被锁…") otherwise score most of the index.
    """
    rated = []
    for i, g in enumerate(groups):
        dfs = [(df(ws), wt) for ws, wt in g.alts]
        if any(d > 0 for d, _ in dfs):
            own = df(g.words) if g.kind == WORD else 0
            rated.append((own, i, g))
    if not rated:
        return groups
    if ndocs < RELAX_PRUNE_FROM:
        return [g for _d, _i, g in rated]
    cap = RELAX_MAX_DF * ndocs
    rated.sort(key=lambda t: (t[0], t[1]))
    keep = [t for t in rated if t[0] <= cap] or rated[:2]
    keep = sorted(keep[:RELAX_MAX_GROUPS], key=lambda t: t[1])
    out = []
    for _d, _i, g in keep:
        alts = [(ws, wt) for ws, wt in g.alts if wt >= 1.0 or df(ws) <= cap]
        out.append(Group(g.words, g.kind, alts))
    return out


def prune_alternatives(groups: list[Group], df, ndocs: int) -> list[Group]:
    """In big indexes drop weaker alternatives (synonyms, pieces) found in more than
    ``RELAX_MAX_DF`` of the articles: they barely change the ranking but make every posting of,
    say, ``邮件`` part of the query."""
    if ndocs < RELAX_PRUNE_FROM:
        return groups
    cap = RELAX_MAX_DF * ndocs
    out = []
    for g in groups:
        alts = [(ws, wt) for ws, wt in g.alts if wt >= 1.0 or df(ws) <= cap]
        out.append(g if len(alts) == len(g.alts) else Group(g.words, g.kind, alts))
    return out


def with_corrections(groups: list[Group], corrections: dict[int, str], *, replace: bool) -> list[Group]:
    """Copy of ``groups`` where group i searches ``corrections[i]`` instead of / besides its word."""
    out = []
    for i, g in enumerate(groups):
        c = corrections.get(i)
        if c is None:
            out.append(g)
        elif replace:
            out.append(Group((c,), WORD, [((c,), 1.0)]))
        else:
            out.append(Group(g.words, g.kind, g.alts + [((c,), CORRECTION_WEIGHT)]))
    return out


def correctable(g: Group) -> bool:
    """Typo tolerance applies to single Latin words of 4+ letters."""
    return g.kind == WORD and len(g.words) == 1 and bool(_LATIN_WORD.fullmatch(g.words[0]))


def highlight_terms(groups: list[Group]) -> list[str]:
    terms: dict[str, None] = {}
    for g in groups:
        for ws, _wt in g.alts:
            if len(ws) == 1:
                terms.setdefault(ws[0], None)
            else:
                for w in ws:
                    terms.setdefault(w, None)
    return sorted(terms, key=len, reverse=True)


def display(groups: list[Group]) -> str:
    out = ""
    for g in groups:
        t = g.text
        if out and (out[-1].isascii() or t[:1].isascii()):
            out += " "
        out += t
    return out
