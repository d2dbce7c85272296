"""Chinese typo tolerance: pinyin input-method slips (重至 → 重置, 容两 → 容量, 蓝压 → 蓝牙).

Chinese users type through a pinyin IME, so a slip is a *homophone*: the right syllables, a
wrong character.  jieba then cuts the slip into single characters (容两 → 容 / 两) or an
unknown word, and the query loses its key word.

A candidate is a word of the visible vocabulary (title and tag words, user dictionary and
synonym terms — the did-you-mean vocabulary of ``spelling.py``) with the same toneless pinyin
and the same length, differing in one character (two for words of 4+ characters); the
candidate found in most visible articles wins (``searching.homophone_fixes``).

Only the per-character table of ``pypinyin`` is read (``pinyin_dict.json``, loaded from the
package folder *without importing the package*: ``import pypinyin`` loads its phrase table,
+55 MB per process), lazily, the first time a query needs it; it is kept as
{character: toneless readings} for the CJK Unified Ideographs block only (about 21,000
characters; +72 ms CPU once per process, see README).
"""
from __future__ import annotations

import functools
import importlib.util
import json
import re
import threading
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Mapping

from .text import is_cjk

__all__ = ["HomophoneIndex", "dictionary_part", "key", "keyed", "readings"]

MIN_LEN, MAX_LEN = 2, 4

_table: dict[str, str] | None = None
_lock = threading.Lock()


@functools.lru_cache(maxsize=4096)     # ~1,500 distinct toned syllables, ~42,000 readings
def _toneless(p: str) -> str:
    out = []
    for c in unicodedata.normalize("NFD", p):
        if unicodedata.combining(c) and c != "\u0308":   # keep ü's diaeresis (lü ≠ lu)
            continue
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out)).replace("ü", "v")


#: an entry of the file whose code may be in the CJK Unified Ideographs block (U+4E00-U+9FFF =
#: 19968-40959, ``add`` checks the exact bounds): the other half of the file's 42,000 entries is
#: skipped by the regular expression at its first digits instead of one Python step each
_ENTRY = re.compile(r'"(199[6-9]\d|[23]\d{4}|40\d{3})"\s*:\s*"([^"]*)"')


def _load() -> dict[str, str]:
    """{character: toneless readings joined by commas, most common first}, CJK Unified
    Ideographs only.  The JSON file holds one ``"code": "readings"`` entry per line: the
    entries are matched one at a time in the file's text (the whole document parsed at once
    peaks 4 MB higher and leaves the freed memory behind; a line-by-line read cost a Python
    step per line on top), falling back to a full parse if its layout ever changes."""
    spec = importlib.util.find_spec("pypinyin")   # finds the folder, runs no package code
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(list(spec.submodule_search_locations)[0]) / "pinyin_dict.json"
    table: dict[str, str] = {}
    # the file's reading lists -> ours: 6,600 distinct lists for 21,000 characters, so each is
    # split and made toneless once (the start of gunicorn's master, which reads this table)
    toneless: dict[str, str] = {}
    shared: dict[str, str] = {}

    def add(code: int, ps: str) -> None:
        if 0x4E00 <= code <= 0x9FFF:
            v = toneless.get(ps)
            if v is None:
                rs: list[str] = []
                for p in ps.split(","):
                    t = _toneless(p.strip())
                    if t and t not in rs:
                        rs.append(t)
                v = ",".join(rs)
                v = toneless[ps] = shared.setdefault(v, v)
            if v:
                table[chr(code)] = v

    for m in _ENTRY.finditer(path.read_text("utf-8")):
        add(int(m[1]), m[2])
    if not table:
        for code, ps in json.loads(path.read_text("utf-8")).items():
            add(int(code), ps)
    return table


def load_table() -> None:
    """Read the character table now (≈ 35–70 ms, once per process) instead of inside the first
    query with a possible slip: ``SearchEngine.preload`` calls it in a process about to fork
    its workers, which then inherit it."""
    readings("一")


def readings(c: str) -> tuple[str, ...]:
    """Toneless pinyin readings of one character (empty when unknown)."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _load()
    v = _table.get(c)
    return tuple(v.split(",")) if v else ()


def key(word: str) -> str | None:
    """The word's toneless pinyin, each character by its first (most common) reading; None
    when a character has none."""
    out = []
    for c in word:
        rs = readings(c)
        if not rs:
            return None
        out.append(rs[0])
    return " ".join(out)


def keyed(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """{toneless pinyin key: words (sorted)} of the words of ``words`` a slip may stand for
    (2-4 Chinese characters): one part of a ``HomophoneIndex`` — one segment's title/tag words
    in one field (``segcache.SegmentInfo.homophone_keys``, kept across snapshots) or the
    dictionary terms (``dictionary_part``)."""
    out: dict[str, list[str]] = defaultdict(list)
    for w in sorted(set(words)):
        if MIN_LEN <= len(w) <= MAX_LEN and is_cjk(w):
            k = key(w)
            if k is not None:
                out[k].append(w)
    return {k: tuple(v) for k, v in out.items()}


def dictionary_part(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``keyed(words)`` of the dictionary terms (user dictionary, synonyms), remembered for
    the next snapshot while the terms stay the same (a synonym file reloaded changes them)."""
    return _dictionary_part(frozenset(words))


@functools.lru_cache(maxsize=1)
def _dictionary_part(words: frozenset) -> dict[str, tuple[str, ...]]:
    return keyed(words)


class HomophoneIndex:
    """{toneless pinyin key: vocabulary words} of one snapshot and audience: the union of its
    parts (``keyed``), looked up part by part.  Each segment's part is built once and kept by
    the engine's segment cache, so a snapshot after a commit keys only the new segment's words
    instead of the whole vocabulary (≈ 2,300 words at 100,000 articles) again."""

    def __init__(self, words: Mapping[str, int] | Iterable[str] = (),
                 parts: Iterable[Mapping[str, tuple[str, ...]]] = ()):
        self._parts = [p for p in (keyed(words), *parts) if p]

    def __len__(self) -> int:
        """Number of distinct keys."""
        if len(self._parts) == 1:
            return len(self._parts[0])
        return len(set().union(*self._parts))

    def candidates(self, typed: str) -> list[str]:
        """Vocabulary words sounding like ``typed`` (toneless), of its length, differing in 1
        character (up to 2 from 4 characters on), sorted.  Characters are compared by their
        *first* (most common) reading: the user typed the syllable of the character meant and
        picked a wrong one listed under it (重置 is typed chong zhi, 至 reads zhi), while 受
        has a rare reading dao and 传 a rare zhuan (传记) — 不受 is no slip of 不到, nor 转到
        of 传到."""
        if not (MIN_LEN <= len(typed) <= MAX_LEN and is_cjk(typed)):
            return []
        k = key(typed)
        if k is None:
            return []
        found: set[str] = set()
        for p in self._parts:
            found.update(p.get(k, ()))
        maxd = 2 if len(typed) >= 4 else 1
        out = []
        for w in sorted(found):
            d = sum(1 for a, b in zip(w, typed) if a != b)
            if 1 <= d <= maxd:
                out.append(w)
        return out
