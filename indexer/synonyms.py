"""Query-time synonym expansion.

Files hold one group per line; entries are separated by whitespace or commas; ``#`` starts a
comment.  Each entry is analysed with the query pipeline, so an entry can be several words
(``虚拟专用网络`` → matched when its words appear in sequence in the query) and Traditional or
full-width spellings need no entries of their own.  The built-in ``data/synonyms.txt`` is
always read; an optional extra file (the app passes ``<articles dir>/synonyms.txt``) is merged
and re-read when its modification time changes, so writers extend synonyms without code
changes or re-indexing.  A word in several groups gets the union of them.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path

from .analysis import words

__all__ = ["SynonymTable", "BUILTIN_SYNONYMS"]

log = logging.getLogger("indexer")

BUILTIN_SYNONYMS = Path(__file__).resolve().with_name("data") / "synonyms.txt"
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
            toks = tuple(words(entry, keep_stop=True))
            if toks and len(toks) <= MAX_SPAN and toks not in group:
                group.append(toks)
        if len(group) > 1:
            groups.append(group)
    return groups


class SynonymTable:
    def __init__(self, extra: Path | None = None, *, recheck_seconds: float = 2.0):
        self.extra = Path(extra) if extra else None
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._builtin = _parse(BUILTIN_SYNONYMS)
        self._extra_sig = None
        self._checked = 0.0
        self._map: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
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
        mapping: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for group in groups:
            for entry in group:
                alts = mapping.setdefault(entry, [])
                for other in group:
                    if other != entry and other not in alts:
                        alts.append(other)
        self._map = {k: tuple(v) for k, v in mapping.items()}
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

    def lookup(self, seq: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        self._maybe_reload()
        return self._map.get(seq, ())

    def match(self, toks: list[str]) -> list[tuple[int, int, tuple[tuple[str, ...], ...]]]:
        """Non-overlapping (start, length, alternatives) matches, longest first, left to right."""
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
