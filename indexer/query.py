"""Query plans from user text — user text never reaches Whoosh's QueryParser.

``parse(q, synonyms)`` turns user text into *groups*, one per query position:

* the text is normalised and cut to ``QUERY_MAX_CHARS`` (200) characters, then analysed with
  the same pipeline as the index (accurate mode, no sub-words); operators, quotes, ``field:``,
  ``[a TO z]``, wildcards are just punctuation and disappear;
* a group's alternatives: the word itself (weight 1), a code's equivalent spellings (1), the
  jieba sub-words that exactly cover a long word (``帐号密码`` → ``帐号`` + ``密码``, 0.8,
  all of them needed — a single sub-word alone is no alternative),
  colloquial variants (``连不上`` → ``连接``, 0.9), synonyms (0.5; 0.3 across scripts,
  ``synonyms.py``).  Synonym entries may span several query words;
* a query typed in Traditional characters: the words of its mainland reading (OpenCC ``tw2sp``,
  ``regional.py``: 印表機 → 打印机, 遠端桌面 → 远程桌面), ``REGIONAL_WEIGHT`` (0.7);
* a complement after 不/没 that jieba cut off its verb (打不出来 → 打 / 不 / 出来) is filler;
* filler words (``data/filler.txt``: 老是, 突然, 一直 …) are marked;
* letters glued to digits (``vpn809``) remember their two halves; a letter glued after a dotted
  number (``802.1x``) is filler (``CODE_SUFFIX_FILLER``);
* a bare number of 3-5 digits that is not a year (``L2TP 789``) is an error code
  (``NUMBER_CODES``): users type the code without 错误/error;
* at most ``MAX_GROUPS`` groups are kept.

``plan(groups, df, ndocs)`` then decides, with the index's document frequencies, what the
engine executes (``ranking.rank``): two neighbouring Chinese words of which one is found nowhere
are cut again at the other place when that makes a word the library holds (上谷 / 歌 → 上 / 谷歌,
``RECUT_UNKNOWN``); alternatives found nowhere are dropped; a glued word found
nowhere becomes its two halves (``vpn`` + ``809``); every group gets a *weight* (1, filler
``FILLER_WEIGHT``) and a *coverage* weight (its idf; 0 for filler), and the plan a minimum
share of coverage a page must reach (``MIN_SHARE``); neighbouring words that together are
one dictionary word the index holds, in either order (``密码忘了`` → ``忘记密码``), add that
compound as an alternative (weight 1) of the rarer of the two words (``COMPOUND_MERGE``; before
round 10 it was a group of its own, ``COMPOUND_WEIGHT``, no coverage, which counted the need
twice on pages holding the compound).  Long descriptions keep their
``LONG_KEEP`` most informative groups (codes first, then by idf) at full weight; the other
words still count, at ``LONG_REST_WEIGHT``, without coverage.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import segment
from .analysis import CODE, VARIANT, WORD, tokens, words
from .ranking import PREFIX_MARK, prefix_term
from .regional import mainland_reading
from .synonyms import TO_CHINESE_WEIGHT, SynonymTable
from .text import QUERY_MAX_CHARS, is_cjk, normalise

__all__ = ["FIELD_WEIGHTS", "Group", "Plan", "PlanGroup", "parse", "plan", "highlight_terms",
           "FILLER"]

#: query-time field boosts of the Whoosh queries suggest still builds (``suggesting``).
FIELD_WEIGHTS = {
    "title": 5.0,
    "codes": 2.5,
    "body": 1.0,
}
COVER_WEIGHT = 0.8
UNFINISHED_WEIGHT = 0.7   # a title word that starts with the unfinished last word
SAME_WORD_WEIGHT = 0.5     # alternatives at least this heavy count as the same word (plan)
MAX_GROUPS = 32
FILLER_WEIGHT = 0.2
SINGLE_CHAR_WEIGHT = 0.5
CODE_WEIGHT = 1.5            # an error code is the most specific thing a query holds
SPLIT_CHAR_WEIGHT = 0.0      # a character of a word no article holds, without a word variant
COVER_IDF_EXP = 0.0
MIN_DF_SHARE = 0.01
LONG_FROM = 8
LONG_COMMON_SHARE = 0.2
LONG_RARE_SHARE = 0.01        # = MIN_DF_SHARE: the words whose idf is floored
LONG_REST_WEIGHT = 0.3
HIGHLIGHT_MIN_WEIGHT = 0.5
#: a query with more words than this (besides filler) marks a lone Chinese character only
#: within a run of its neighbours (``highlight_terms``)
LONE_MARK_MAX_GROUPS = 4
PAIRS_ALL = False            # proximity pairs: every two informative groups, not only neighbours
PAIRS_MAX_GROUPS = 8         # (measured: no better than neighbours; kept for experiments)
SINGLE_CHAR_VARIANT = True   # a one-character word with a word variant (忘 → 忘记) weighs as a word
COMPOUND_WEIGHT = 1.0        # neighbouring words forming a dictionary word (密码忘了 → 忘记密码)
COMPOUND_MAX_CHARS = 6
COMPOUND_OWN_IDF = True      # merged, the compound keeps its own idf (the group cap rises to it)
COMPOUND_MERGE = True        # the compound is an alternative of the rarer of its two words, not a group of its own
# An English word typed in a query whose Chinese synonym the library uses more often than the
# word itself (inbox → 收件箱, webinar → 网络研讨会, battery → 电池: the pages translate it) is said
# by that Chinese word: the alternative weighs TRANSLATED_WEIGHT instead of TO_CHINESE_WEIGHT
# (and so counts for the title).  A product name the pages write in English (outlook in 439
# articles, 邮件 in 613: not under half) keeps the lower weight (round 15b).  0: off.
TRANSLATED_WEIGHT = 0.8
TRANSLATED_RATIO = 0.5       # raised where df(English word) < TRANSLATED_RATIO × df(Chinese synonym)
#: a bare number of 3-5 digits typed in a query (``L2TP 789``, ``outlook 0x…`` is a code
#: already) is taken for an error code unless it looks like a year (19xx, 20xx)
NUMBER_CODES = True
#: the employee's own context (公司的vpn, 公司邮箱, 公司账号): every question here is about work
#: IT, so the word says little about which page answers.  It weighs CONTEXT_WEIGHT but keeps
#: its coverage (a page titled 连接公司 Wi-Fi still gets the title credit)
CONTEXT_WORDS = frozenset({"公司"})
CONTEXT_WEIGHT = 0.3
#: a query typed in Traditional characters also searches its mainland wording (印表機 → 打印机,
#: 遠端桌面 → 远程桌面; OpenCC's Taiwan phrase tables, ``regional.py``, round 24): each word the
#: conversion changes gets the mainland word(s) as an alternative of this weight.  0: off.
REGIONAL_WEIGHT = 0.7
#: "cannot V" said with a potential complement that jieba cuts off its verb (打不出来 → 打 / 不 /
#: 出来, 删不掉 → 删 / 不 / 掉): the complement after 不/没 says how the action fails (out, up,
#: away, done), not what it is about, so it weighs like filler — 出来 matched a page tagged
#: 打印不出来 about a different printing problem (round 24).  Fused forms (连不上, 打不开) are
#: one word with their variants (``data/variants.txt``) and are not touched.
NEGATED_COMPLEMENT_FILLER = True
COMPLEMENTS = frozenset({"出来", "出去", "进来", "进去", "上来", "上去", "下来", "下去", "起来",
                         "过来", "过去", "回来", "回去", "出", "进", "上", "下", "到", "了", "掉",
                         "开", "动", "完", "好", "住", "着"})
_NEGATIONS = {("不",), ("没",)}
#: a query word no article holds, glued by jieba to a neighbouring character that belongs to the
#: next word (上谷歌学术 → 上谷 / 歌 / 学术, where 上谷 is a place name in jieba's dictionary and the
#: employee typed 上 / 谷歌): the two neighbours are cut again at the other place when that gives a
#: word the library (or its vocabulary) knows (``_recut``).  False: off.
RECUT_UNKNOWN = True
RECUT_MAX_CHARS = 5
RECUT_KNOWN_WEIGHT = 0.9
#: a letter glued to a dotted standard number (``802.1x``, ``802.11ac``) is part of its name;
#: the analysis cuts it off (``802.1`` + ``x``), and alone the letter is a word of weight 1 that
#: any page holding an ``x`` matches — in the 802.1X guides' titles it lifted them above the
#: campus page about the dorm's 802.1X Wi-Fi (round 25).  It weighs like filler.  False: off.
CODE_SUFFIX_FILLER = True
_CODE_SUFFIX = re.compile(r"(?<![\d.])\d+(?:\.\d+)+([a-z]{1,2})(?![a-z0-9])")
#: pinyin slips (容两 → 容量) are corrected like Latin typos (``searching.homophone_fixes``)
HOMOPHONES = True
#: a bare number found in more than this share of the visible articles is part of product
#: names (Microsoft 365: 884 of the corpus's 4,128 articles; the error numbers users type are in
#: at most 14), not an error code: it is planned as an ordinary word
NUMBER_WORD_SHARE = 0.05
NUMBER_WORD_MIN_DF = 20      # …and in more articles than this (a small library's 809 stays a code)
#: minimum share of the plan's coverage weight a page must match, by number of informative
#: groups (more groups than listed: the last value)
MIN_SHARE = {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: 0.0, 6: 0.0}

_LATIN_WORD = re.compile(r"[a-z][a-z\-]{3,}")
_NUMBER = re.compile(r"(?!19[0-9]{2}$|20[0-9]{2}$)[0-9]{3,5}")
# An English verb and its particle typed apart (sign in, log out, turn off): the vocabulary
# writes them as one word (sign-in, logout); ``in``/``on`` are stop words and vanished, so
# ``sign in`` was ``sign`` and ``log in`` was ``log`` (→ 日志).  Joined when the vocabulary
# knows the joined form (round 15b).
PHRASAL_JOIN = True
_PHRASAL = re.compile(r"(?<![a-z0-9])([a-z]{2,})[ ]+(in|on|out|off)(?![a-z0-9])")
_ENGLISH_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_GLUED = re.compile(r"([a-z]{2,})([0-9]+)|([0-9]+)([a-z]{2,})")
FILLER_PATH = Path(__file__).resolve().with_name("data") / "filler.txt"


def _load_filler() -> frozenset[str]:
    out = set()
    for line in FILLER_PATH.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0]
        for entry in line.split():
            out.update(words(entry))
    return frozenset(out)


FILLER = _load_filler()


@dataclass
class Group:
    """One query position (or several merged by a multi-word synonym)."""
    words: tuple[str, ...]                       # the query's own word(s)
    kind: str = WORD                             # word | code
    alts: list[tuple[tuple[str, ...], float]] = field(default_factory=list)
    filler: bool = False
    split: list["Group"] | None = None           # ``vpn809`` → groups of ``vpn`` and ``809``
    number: bool = False                         # a bare number taken for a code (NUMBER_CODES)

    @property
    def text(self) -> str:
        return "".join(self.words) if all(not w.isascii() for w in self.words) else " ".join(self.words)

    def key(self):
        return (self.words, self.kind, tuple(self.alts), self.filler)


@dataclass
class PlanGroup:
    words: tuple[str, ...]
    kind: str
    alts: list[tuple[tuple[str, ...], float]]
    weight: float                                # score multiplier
    cover: float                                 # coverage weight (0: does not count)
    idf: float = 0.0                             # the group's idf: no alternative scores above it
    required: bool = False                       # only pages matching it are candidates


@dataclass
class Plan:
    groups: list[PlanGroup]
    min_share: float = 0.0
    pairs: list[tuple[int, int]] = field(default_factory=list)   # neighbours, for proximity

    def key(self):
        return (tuple((g.words, tuple(g.alts), g.weight, g.cover, g.idf) for g in self.groups),
                self.min_share, tuple(self.pairs))


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
    if PHRASAL_JOIN and synonyms is not None:
        qn = _join_phrasal(qn, synonyms)
    groups = _groups(qn, synonyms, glued=True)
    if REGIONAL_WEIGHT and groups:
        mainland = mainland_reading(q[: QUERY_MAX_CHARS * 4])
        if mainland:
            groups = _regional(groups, mainland[:QUERY_MAX_CHARS])
    if groups and qn and not qn[-1].isspace():
        _unfinished(groups[-1])
    return groups


def _regional(groups: list[Group], mainland: str) -> list[Group]:
    """``groups`` with the words of the query's mainland reading as alternatives (weight
    ``REGIONAL_WEIGHT``).  The two readings are aligned by characters: a run of query words and a
    run of mainland words spelling the same number of characters stand for each other (印表机 ↔
    打印机; 远端 桌面 ↔ 远程桌面, merged into one group as a multi-word synonym is).  Codes are left
    alone; where the readings cannot be aligned (the phrase tables changed a word's length), the
    rest of the query keeps its own words."""
    conv = [t.text for t in tokens(mainland) if t.kind in (WORD, CODE)]
    out: list[Group] = []
    gi = ci = 0
    while gi < len(groups):
        if ci >= len(conv):
            break
        gs, cs = [gi], [ci]
        glen, clen = len("".join(groups[gi].words)), len(conv[ci])
        while glen != clen:
            if glen < clen and gs[-1] + 1 < len(groups):
                gs.append(gs[-1] + 1)
                glen += len("".join(groups[gs[-1]].words))
            elif clen < glen and cs[-1] + 1 < len(conv):
                cs.append(cs[-1] + 1)
                clen += len(conv[cs[-1]])
            else:
                break
        if glen != clen:
            break
        span = [groups[i] for i in gs]
        own = tuple(w for g in span for w in g.words)
        alt = tuple(conv[i] for i in cs)
        if alt == own or any(g.kind != WORD for g in span):
            out.extend(span)
        elif len(span) == 1:
            g = span[0]
            g.alts = [(a, w) for a, w in g.alts if a != alt or w > REGIONAL_WEIGHT]
            if all(a != alt for a, _w in g.alts):
                g.alts.append((alt, REGIONAL_WEIGHT))   # or raised to it (a synonym at 0.5)
            out.append(g)
        else:
            out.append(Group(own, WORD, [(own, 1.0), (alt, REGIONAL_WEIGHT)],
                             filler=all(g.filler for g in span)))
        gi, ci = gs[-1] + 1, cs[-1] + 1
    out.extend(groups[gi:])
    return out


def _join_phrasal(qn: str, synonyms: SynonymTable) -> str:
    """``sign in`` → ``sign-in`` (or ``signin``) when the vocabulary holds that word."""
    def join(m: re.Match) -> str:
        for form in (f"{m[1]}-{m[2]}", f"{m[1]}{m[2]}"):
            if synonyms.lookup((form,)):
                return form
        return m[0]
    return _PHRASAL.sub(join, qn) if " " in qn else qn


def _unfinished(g: Group) -> None:
    """The last word may be unfinished (``远程桌``, ``vpn 连接错``): one Chinese character or a
    Latin fragment also matches title words that start with it (suggest's ``prefix`` field)."""
    if g.kind != WORD or len(g.words) != 1:
        return
    w = g.words[0]
    if (len(w) == 1 and not w.isascii()) or (w.isascii() and w.isalpha() and 3 <= len(w) <= 10):
        g.alts.append(((prefix_term(w),), UNFINISHED_WEIGHT))


def _groups(qn: str, synonyms: SynonymTable | None, glued: bool) -> list[Group]:
    toks = tokens(qn)
    if not any(t.kind in (WORD, CODE) for t in toks):
        toks = tokens(qn, keep_stop=True)   # a query of stop words only: use them
    positions: list[Group] = []
    for t in toks:
        if t.kind in (WORD, CODE):
            kind = CODE if NUMBER_CODES and t.kind == WORD and _NUMBER.fullmatch(t.text) else t.kind
            g = Group((t.text,), kind, [((t.text,), 1.0)], number=kind != t.kind)
            if g.kind == WORD:
                cov = _cover(t.text)
                if cov:
                    g.alts.append((cov, COVER_WEIGHT))
                # no single sub-word alternative (浏览器 → 浏览 alone): measured on folds of the
                # tuning half it matched pages about the part, not the word (round 3)
                m = _GLUED.fullmatch(t.text) if glued else None
                if m:
                    halves = " ".join(p for p in m.groups() if p)
                    g.split = _groups(halves, synonyms, glued=False)
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
    if synonyms is not None:
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
            have = {a for a, _w in g.alts}
            g.alts.extend((a, w) for a, w in alts if a not in have)
            out.append(g)
            i = start + n
        out.extend(positions[i:])
        positions = out
    for g in positions:
        g.filler = g.kind == WORD and all(w in FILLER for w in g.words)
    if CODE_SUFFIX_FILLER:
        sufs = {m[1] for m in _CODE_SUFFIX.finditer(qn)}
        for a, b in zip(positions, positions[1:]):
            if a.kind == CODE and b.kind == WORD and b.words == (b.words[0],) and b.words[0] in sufs:
                b.filler = True
    if NEGATED_COMPLEMENT_FILLER:
        for a, b in zip(positions, positions[1:]):
            if a.words in _NEGATIONS and b.kind == WORD and b.words[0] in COMPLEMENTS and len(b.words) == 1:
                b.filler = True
    return positions


def _unknown_cjk(g: Group) -> bool:
    w = g.words[0]
    return (g.kind == WORD and len(g.words) == 1 and 2 <= len(w) <= 4
            and is_cjk(w))


def _rare_phrasing(g: Group) -> bool:
    """A Chinese word of two characters or more (what a long description's rare words are)."""
    return (g.kind == WORD and len(g.words) == 1 and len(g.words[0]) > 1
            and not any(c.isascii() for c in g.words[0]))


def _single_char(g: Group) -> bool:
    return g.kind == WORD and len(g.words) == 1 and len(g.words[0]) == 1 and not g.words[0].isascii()


def _has_word_variant(alts) -> bool:
    """A one-character word with a colloquial variant of two or more characters (忘 → 忘记,
    卡 → 卡顿) stands for that word: it is not a fragment of an unknown word."""
    return any(wt >= SAME_WORD_WEIGHT and len(ws) == 1 and len(ws[0]) > 1
               and not ws[0].startswith(PREFIX_MARK) for ws, wt in alts)   # not "a title word
    # starting with it" (the unfinished last word), which is a fragment, not a variant


def _idf(df: int, ndocs: int) -> float:
    return math.log(1.0 + (ndocs - df + 0.5) / (df + 0.5))


def plan(groups: list[Group], df, ndocs: int, synonyms: SynonymTable | None = None,
         titles: bool = False) -> Plan:
    """The executable plan.  ``df(word) -> int``: documents holding the word in any field.

    A group's document frequency is that of its broadest *same-word* alternative (weight ≥
    ``SAME_WORD_WEIGHT``: the word, code spellings, covering pieces, colloquial variants), as
    if they were one term: the rare colloquial ``连不上`` is as common as the ``连接`` it
    stands for, and a page that happens to use the colloquial word is not lifted by its
    rarity.  The group's idf (from that frequency) caps every alternative's idf and is its
    coverage weight.

    ``titles``: ``df`` counts titles (suggest), where a word in one title is the title's
    topic, not a long description's phrasing (no ``LONG_RARE_SHARE`` rule)."""
    def alt_df(ws):
        return min(df(w) for w in ws)

    def group_df(alts):
        same = [alt_df(ws) for ws, wt in alts if wt >= SAME_WORD_WEIGHT]
        return max(same) if same else max(alt_df(ws) for ws, _ in alts)

    if RECUT_UNKNOWN:
        groups = _recut(groups, df, synonyms)
    live: list[tuple[Group, list, int]] = []
    chars: set[int] = set()          # indices in live of the characters of an unknown word
    for g in groups:
        alts = [(ws, wt) for ws, wt in g.alts if alt_df(ws) > 0]
        own = alt_df(g.words) if (g.words, 1.0) in g.alts else 0
        unknown = not alts and g.split is None and _unknown_cjk(g)
        if unknown:
            # a Chinese word no article holds (误删, a typo, a rare compound): its characters
            g.split = _groups(" ".join(g.words[0]), synonyms, glued=False)
        if g.split and own == 0:
            for h in g.split:
                halts = [(ws, wt) for ws, wt in h.alts if alt_df(ws) > 0]
                if halts:
                    if unknown or _unknown_cjk(g):
                        chars.add(len(live))
                    live.append((h, halts, group_df(halts)))
            continue
        if alts:
            if TRANSLATED_WEIGHT and own:
                alts = _translated(g, alts, own, alt_df)
            live.append((g, alts, group_df(alts)))
    if not live:
        return Plan([])
    out = []
    informative = [i for i, (g, _a, _d) in enumerate(live) if not g.filler]
    if not informative:                       # only filler words: they are the query
        informative = list(range(len(live)))
    # a bare number in many articles is part of product names (Microsoft 365), not a code
    product = max(NUMBER_WORD_SHARE * ndocs, NUMBER_WORD_MIN_DF)
    kinds = [WORD if g.kind == CODE and g.number and d > product else g.kind for g, _a, d in live]
    keep = set(informative)
    if len(informative) > LONG_FROM:
        # a long description: its generic words (found in more than LONG_COMMON_SHARE of the
        # articles) count little, and so do its Chinese words found in (nearly) no article
        # (fewer than LONG_RARE_SHARE: 几次, 里面, 之类, 区别 — the writer's phrasing, not the
        # topic; round 2 measured the opposite, keeping only the rarest words, and lost);
        # codes, Latin words (product names) and single characters (their own rules below)
        # are never taken for phrasing
        keep = {i for i in informative
                if kinds[i] == CODE
                or (live[i][2] <= LONG_COMMON_SHARE * ndocs
                    and (titles or live[i][2] >= LONG_RARE_SHARE * ndocs
                         or not _rare_phrasing(live[i][0])))}
    floor = MIN_DF_SHARE * ndocs
    others = any(i not in chars for i in informative)
    for i, (g, alts, d) in enumerate(live):
        idf = _idf(max(d, floor), ndocs)
        kind = kinds[i]
        plain_char = _single_char(g) and not (SINGLE_CHAR_VARIANT and _has_word_variant(alts))
        if i in keep and plain_char and i in chars and others:
            # a character of a word no article holds (放 of 放假), without a word variant
            # (删 of 误删 → 删除 has one): a rare character matches pages by accident, so it
            # weighs SPLIT_CHAR_WEIGHT when the query has other words (0: it scores nothing
            # but keeps its place, so the words around it are not taken for neighbours)
            weight = SPLIT_CHAR_WEIGHT
            cover = weight if weight > FILLER_WEIGHT else 0.0
        elif i in keep and plain_char:
            # one Chinese character is usually part of a word the index holds whole (输 of
            # 输入): its own document frequency says little about how informative it is
            weight, cover = SINGLE_CHAR_WEIGHT, SINGLE_CHAR_WEIGHT * idf ** COVER_IDF_EXP
        elif i in keep:
            weight, cover = (CODE_WEIGHT if kind == CODE else 1.0), idf ** COVER_IDF_EXP
        elif i in informative:
            weight, cover = LONG_REST_WEIGHT, 0.0
        else:
            weight, cover = FILLER_WEIGHT, 0.0
        if (i in keep and len(keep) > 1 and g.kind == WORD and len(g.words) == 1
                and g.words[0] in CONTEXT_WORDS):
            weight *= CONTEXT_WEIGHT
        out.append(PlanGroup(g.words, kind, alts, weight, cover, idf))
    n = sum(1 for g in out if g.cover > 0)
    min_share = MIN_SHARE.get(n, MIN_SHARE[max(MIN_SHARE)]) if n else 0.0
    if PAIRS_ALL:
        inf = [i for i, g in enumerate(out) if g.cover > 0][:PAIRS_MAX_GROUPS]
        pairs = [(a, b) for k, a in enumerate(inf) for b in inf[k + 1:]]
    else:
        pairs = [(i, i + 1) for i in range(len(out) - 1) if out[i].cover > 0 and out[i + 1].cover > 0]
    if COMPOUND_WEIGHT:
        compounds = _compounds(out, df, ndocs)
        if COMPOUND_MERGE:
            for at, c in compounds:
                g = out[at]
                out[at] = PlanGroup(g.words, g.kind, g.alts + [a for a in c.alts if a not in g.alts],
                                    g.weight, g.cover, max(g.idf, c.idf) if COMPOUND_OWN_IDF else g.idf,
                                    g.required)
        else:
            out.extend(c for _, c in compounds)
    return Plan(out, min_share, pairs)


def _recut(groups: list[Group], df, synonyms: SynonymTable | None) -> list[Group]:
    """Neighbouring Chinese words, one of them a single character, of which one is held by no
    article and whose characters, cut at another place, make a one-character word and a word
    the library holds (itself, or
    a variant: 上谷 / 歌 → 上 / 谷歌, 谷歌 → google; 时报 / 错 → 时 / 报错).  The characters typed
    stay the same; only where jieba cut them changes, and only where its cut left a word found
    nowhere.  "Holds" is the word or an alternative of weight ``VARIANT_WEIGHT`` or more — not
    the pieces covering it (会议 / 录影 is not recut into 会议录 / 影)."""
    def known(g: Group) -> bool:
        return any(wt >= RECUT_KNOWN_WEIGHT and all(df(w) for w in ws) for ws, wt in g.alts)

    def plain(g: Group) -> bool:
        return (g.kind == WORD and len(g.words) == 1 and is_cjk(g.words[0]) and not g.split
                and not g.filler)

    if not any(plain(g) and not known(g) for g in groups):
        return groups                         # (the usual case: every word is found somewhere)
    out = list(groups)
    i = 0
    while i + 1 < len(out):
        a, b = out[i], out[i + 1]
        best = None
        text = a.words[0] + b.words[0] if plain(a) and plain(b) else ""
        if (text and len(text) <= RECUT_MAX_CHARS and min(len(a.words[0]), len(b.words[0])) == 1
                and not (known(a) and known(b))):
            for at in (1, len(text) - 1):
                if at == len(a.words[0]):
                    continue
                pieces = _groups(text[:at] + " " + text[at:], synonyms, glued=False)
                spans = ["".join(p.words) for p in pieces]
                if (len(pieces) == 2 and "".join(spans) == text
                        and all(p.kind == WORD and not p.filler for p in pieces)
                        and all(known(p) for p, sp in zip(pieces, spans) if len(sp) > 1)):
                    best = pieces
                    break
        if best is None:
            i += 1
            continue
        out[i:i + 2] = best
        i += 2
    return out


def _translated(g: Group, alts, own: int, alt_df):
    """An English word's Chinese synonyms that the library uses more often than the word
    itself weigh ``TRANSLATED_WEIGHT`` (see there)."""
    if not (len(g.words) == 1 and _ENGLISH_WORD.fullmatch(g.words[0])):
        return alts
    return [(ws, TRANSLATED_WEIGHT) if (wt == TO_CHINESE_WEIGHT and not any(w.isascii() for w in ws)
                                        and own < TRANSLATED_RATIO * alt_df(ws)) else (ws, wt)
            for ws, wt in alts]


def _compounds(groups: list[PlanGroup], df, ndocs: int) -> list[tuple[int, PlanGroup]]:
    """Neighbouring query words that together are one dictionary word the index holds, in
    either order (``密码忘了`` → ``忘记密码``, ``打印 双面`` → ``双面打印``): (index of the rarer
    of the two groups, a group for that word without coverage) — ``plan`` merges it into that
    group as an alternative (``COMPOUND_MERGE``) or adds it as a group.  Chinese puts the topic first (密码忘了), articles name the
    need (忘记密码); the page that uses the compound is about it, a page that merely holds
    both words somewhere is not."""
    seg = segment.get()
    out = []
    have = {g.words for g in groups}
    for i, (a, b) in enumerate(zip(groups, groups[1:])):
        if a.cover <= 0 or b.cover <= 0 or a.kind != WORD or b.kind != WORD:
            continue
        found = {}
        for wa in _same_words(a):
            for wb in _same_words(b):
                for c in (wa + wb, wb + wa):
                    if (len(c) <= COMPOUND_MAX_CHARS and (c,) not in have and c not in found
                            and seg.has_word(c)):
                        d = df(c)
                        if d:
                            found[c] = d
        if found:
            idf = _idf(max(max(found.values()), MIN_DF_SHARE * ndocs), ndocs)
            rarer = i if a.idf >= b.idf else i + 1
            out.append((rarer, PlanGroup(tuple(found)[:1], WORD, [((c,), 1.0) for c in found],
                                         COMPOUND_WEIGHT, 0.0, idf)))
    return out


def _same_words(g: PlanGroup) -> list[str]:
    return [ws[0] for ws, wt in g.alts
            if len(ws) == 1 and wt >= COVER_WEIGHT and not ws[0].isascii()
            and not ws[0].startswith(PREFIX_MARK)]


def with_corrections(groups: list[Group], corrections: dict[int, str],
                     synonyms: SynonymTable | None = None) -> list[Group]:
    """Copy of ``groups`` where group i searches ``corrections[i]`` instead of its word (with
    the correction's own synonyms: ``pritner`` → ``printer`` also finds 打印机)."""
    out = []
    for i, g in enumerate(groups):
        c = corrections.get(i)
        if c is None:
            out.append(g)
            continue
        fixed = _groups(c, synonyms, glued=False)
        out.append(fixed[0] if len(fixed) == 1 else Group((c,), WORD, [((c,), 1.0)]))
    return out


def with_span_corrections(groups: list[Group], spans: list[tuple[int, int, str]],
                          synonyms: SynonymTable | None = None) -> list[Group]:
    """Copy of ``groups`` where groups ``i..j-1`` become the groups of the word ``c`` for each
    ``(i, j, c)`` of ``spans`` (sorted, not overlapping): a pinyin slip spans several groups
    (容两 → 容 / 两 → 容量)."""
    out: list[Group] = []
    k = 0
    for i, j, c in spans:
        out.extend(groups[k:i])
        fixed = _groups(c, synonyms, glued=False)
        out.append(fixed[0] if len(fixed) == 1 else Group((c,), WORD, [((c,), 1.0)]))
        k = j
    out.extend(groups[k:])
    return out


def slip_unit(g: Group, df) -> str | None:
    """The characters a group lends to a possible pinyin slip: a single Chinese character, or a
    Chinese word of 2-3 characters that no visible article holds (nor any alternative of it);
    None otherwise."""
    if g.kind != WORD or len(g.words) != 1:
        return None
    w = g.words[0]
    if not is_cjk(w) or len(w) > 3:
        return None
    if len(w) == 1:
        return w
    if any(df(x) > 0 for ws, _wt in g.alts for x in ws):
        return None
    return w


def correctable(g: Group) -> bool:
    """Typo tolerance applies to single Latin words of 4+ letters."""
    return g.kind == WORD and len(g.words) == 1 and bool(_LATIN_WORD.fullmatch(g.words[0]))


def highlight_terms(groups) -> list[str]:
    """Words to mark in snippets: every alternative of the query's groups except filler words,
    English stand-ins for Chinese words (weight below ``HIGHLIGHT_MIN_WEIGHT``) and single Chinese
    characters split off a longer typed word; a Chinese alternative of several words also as
    one phrase. Longest first.

    A Chinese character typed as a word of its own is marked alone only in a short query
    (≤ ``LONE_MARK_MAX_GROUPS`` words besides filler: 账号被锁, 网 慢), where it was typed on
    purpose. In a longer description the segmenter's leftovers (弹 出 框 in 弹出密码框, 没 用 in
    没用) are marked only together with their neighbours, as the runs they form (弹出框, 弹出,
    没用): alone, 用 and 出 light up in every 使用 and 出现."""
    terms: dict[str, None] = {}
    lone: list[str | None] = []       # per group in query order: its lone character, or None
    for g in groups:
        if getattr(g, "weight", 1.0) <= FILLER_WEIGHT:
            lone.append(None)
            continue
        typed = "".join(g.words)
        if len(typed) == 1 and not typed.isascii():
            lone.append(typed)
            continue
        lone.append(None)
        for ws, wt in g.alts:
            if wt < HIGHLIGHT_MIN_WEIGHT:
                continue
            if len(ws) > 1 and not any(w.isascii() for w in ws):
                terms.setdefault("".join(ws), None)   # 连+上: the phrase as written
            for w in ws:
                if len(w) == 1 and not w.isascii() and len(typed) > 1:
                    continue   # a lone character of a longer word (上, 机) lights up everywhere
                terms.setdefault(w, None)
    words = [g for g in groups if getattr(g, "weight", 1.0) > FILLER_WEIGHT]
    if len(words) <= LONE_MARK_MAX_GROUPS or not terms:
        terms.update(dict.fromkeys(c for c in lone if c))
    run: list[str] = []
    for c in [*lone, None]:
        if c:
            run.append(c)
            continue
        for i in range(len(run)):                     # every stretch of 2–4 neighbours
            for j in range(i + 2, min(i + 4, len(run)) + 1):
                terms.setdefault("".join(run[i:j]), None)
        run = []
    return sorted(terms, key=len, reverse=True)


def display(groups: list[Group]) -> str:
    out = ""
    for g in groups:
        t = g.text
        if out and (out[-1].isascii() or t[:1].isascii()):
            out += " "
        out += t
    return out
