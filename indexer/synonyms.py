"""Query-time synonym expansion and colloquial variants.

Files hold one group per line; entries are separated by whitespace or commas; ``#`` starts a
comment.  Each entry is analysed with the query pipeline, so an entry can be several words
(``虚拟专用网络`` → matched when its words appear in sequence in the query) and Traditional or
full-width spellings need no entries of their own.  Whitespace separates entries, so a Latin
phrase is written with hyphens (``windows-10`` → ``windows`` + ``10``).  The built-in ``data/synonyms.txt`` is
always read; an optional extra file (the app passes ``<articles dir>/synonyms.txt``) is merged
and re-read when its modification time changes, so writers extend synonyms without code
changes or re-indexing.  A word in several groups gets the union of them.

Every alternative carries a weight: ``SYNONYM_WEIGHT`` (0.5) for a synonym in the same script,
``CROSS_SCRIPT_WEIGHT`` (0.3) for an English alternative of a Chinese word (``邮箱`` →
``outlook`` put English stub titles above the Chinese page that answers),
``TO_CHINESE_WEIGHT`` (0.5) for a Chinese alternative of an English word (``query.plan`` raises
it to ``query.TRANSLATED_WEIGHT`` where the library says the word in Chinese),
``SPELLING_WEIGHT`` (0.9) for two spellings of one English word in a group (``wifi`` /
``wi-fi``), and ``VARIANT_WEIGHT`` (0.9) for the one-way colloquial variants of
``data/variants.txt`` (``连不上 > 连接 连上``: the same need said the way articles say it).
A pair found in several places keeps its highest weight.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path

from .analysis import words

__all__ = ["SynonymTable", "BUILTIN_SYNONYMS", "BUILTIN_VARIANTS", "SYNONYM_WEIGHT", "SPELLING_WEIGHT",
           "CROSS_SCRIPT_WEIGHT", "VARIANT_WEIGHT"]

log = logging.getLogger("indexer")

BUILTIN_SYNONYMS = Path(__file__).resolve().with_name("data") / "synonyms.txt"
BUILTIN_VARIANTS = Path(__file__).resolve().with_name("data") / "variants.txt"
SYNONYM_WEIGHT = 0.5
CROSS_SCRIPT_WEIGHT = 0.3     # a Chinese word → an English alternative
TO_CHINESE_WEIGHT = 0.5       # an English word → a Chinese alternative (printer → 打印机)
VARIANT_WEIGHT = 0.9
# English spellings of one word, with or without hyphen or space (wifi / wi-fi, e-mail / email,
# log-in / login): the same word, not a synonym (round 15b).  0: an ordinary synonym.
SPELLING_WEIGHT = 0.9
MAX_SPAN = 4  # longest entry, in words
_SPLIT = re.compile(r"[\s,，、;；]+")


def _parse(path: Path) -> list[list[tuple[str, ...]]]:
    groups = []
    for raw in path.read_text("utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        group: list[tuple[str, ...]] = []
        for entry in _SPLIT.split(line):
            toks = tuple(words(entry))   # as queries are analysed: stop words dropped
            if toks and len(toks) <= MAX_SPAN and toks not in group:
                group.append(toks)
        if len(group) > 1:
            groups.append(group)
    return groups


def _parse_variants(path: Path) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """``colloquial > variant …`` lines; entries analysed as queries are (stop words dropped)."""
    out = []
    for raw in path.read_text("utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if ">" not in line:
            continue
        left, right = line.split(">", 1)
        key = tuple(words(left.strip()))
        alts = []
        for entry in _SPLIT.split(right.strip()):
            toks = tuple(words(entry))
            if toks and toks != key and len(toks) <= MAX_SPAN and toks not in alts:
                alts.append(toks)
        if key and len(key) <= MAX_SPAN and alts:
            out.append((key, alts))
    return out


def _spelling(entry: tuple[str, ...]) -> str:
    return "".join(entry).replace("-", "")


def _script(entry: tuple[str, ...]) -> str:
    return "latin" if all(w.isascii() for w in entry) else "cjk"


def _synonym_weight(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Weight of alternative ``b`` for the query word(s) ``a``."""
    if _script(a) == _script(b):
        if SPELLING_WEIGHT and _script(a) == "latin" and _spelling(a) == _spelling(b):
            return SPELLING_WEIGHT
        return SYNONYM_WEIGHT
    return CROSS_SCRIPT_WEIGHT if _script(a) == "cjk" else TO_CHINESE_WEIGHT


class SynonymTable:
    def __init__(self, extra: Path | None = None, *, recheck_seconds: float = 2.0):
        self.extra = Path(extra) if extra else None
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._builtin = _parse(BUILTIN_SYNONYMS)
        self._variants = _parse_variants(BUILTIN_VARIANTS)
        self._extra_sig = None
        self._checked = 0.0
        self._map: dict[tuple[str, ...], tuple[tuple[tuple[str, ...], float], ...]] = {}
        self._load()

    def _signature(self):
        if self.extra is None:
            return None
        try:
            st = os.stat(self.extra)
            return (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            return None

    def _load(self) -> None:
        groups = list(self._builtin)
        sig = self._signature()
        if sig is not None:
            try:
                groups += _parse(self.extra)
            except (OSError, UnicodeError) as e:
                log.warning("cannot read synonyms file %s: %s", self.extra, e)
        mapping: dict[tuple[str, ...], dict[tuple[str, ...], float]] = {}

        def add(entry, other, weight):
            alts = mapping.setdefault(entry, {})
            if other != entry and weight > alts.get(other, 0.0):
                alts[other] = weight

        for group in groups:
            for entry in group:
                for other in group:
                    add(entry, other, _synonym_weight(entry, other))
        for key, alts in self._variants:
            for other in alts:
                add(key, other, VARIANT_WEIGHT)
        self._map = {k: tuple(v.items()) for k, v in mapping.items()}
        self._extra_sig = sig
        self._checked = time.monotonic()

    def _maybe_reload(self) -> None:
        if self.extra is None or time.monotonic() - self._checked < self.recheck_seconds:
            return
        with self._lock:
            if time.monotonic() - self._checked < self.recheck_seconds:
                return
            if self._signature() != self._extra_sig:
                log.info("synonyms file %s changed: reloading", self.extra)
                self._load()
            else:
                self._checked = time.monotonic()

    def lookup(self, seq: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], float], ...]:
        """``((alternative words, weight), …)`` for a word sequence."""
        self._maybe_reload()
        return self._map.get(seq, ())

    def match(self, toks: list[str]) -> list[tuple[int, int, tuple[tuple[tuple[str, ...], float], ...]]]:
        """Non-overlapping (start, length, weighted alternatives) matches, longest first, left
        to right."""
        self._maybe_reload()
        out = []
        i = 0
        m = self._map
        while i < len(toks):
            for n in range(min(MAX_SPAN, len(toks) - i), 0, -1):
                alts = m.get(tuple(toks[i:i + n]))
                if alts:
                    out.append((i, n, alts))
                    i += n
                    break
            else:
                i += 1
        return out

    def terms(self) -> set[str]:
        """Every single-word entry (dictionary terms for did-you-mean)."""
        self._maybe_reload()
        return {k[0] for k in self._map if len(k) == 1}
