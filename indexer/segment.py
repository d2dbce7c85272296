"""Chinese word segmentation: jieba's dictionary and algorithm, HMM off, plus our user dictionary.

Backend: ``rjieba`` (jieba-rs) — same dictionary and DAG algorithm as jieba; with HMM off its
output is identical to jieba's (checked by ``tests/indexer/test_segment.py`` on real corpus
files) and it is ~18× faster.  ``jieba`` is the fallback when rjieba cannot be imported; its
cache file goes to ``cache_dir`` (``jieba.dt.tmp_dir``), never to the shared temp folder.

HMM is off for both indexing and querying: HMM guesses "new words" from context, so the same
string could be cut differently inside an article and inside a short query.

The user dictionary (``data/userdict.txt``) lines are ``word [freq] [tag]``; words are
normalised (NFKC, t2s, lowercase) before being added, because segmentation runs on normalised
text.  Plain Latin words (``outlook``, ``vpn``) are not added to the segmenter — jieba keeps a run of
letters whole anyway, and adding ``office`` would cut ``offices`` into ``office`` + ``s`` — but
they still count as dictionary terms for did-you-mean.  A word without a frequency gets the frequency that forces it to be kept whole
(``suggest_freq``), computed once so every backend receives the same explicit number.

``configure()``/``get()`` initialise once per process (thread-safe); never call ``add_word``
afterwards — it would change segmentation under running queries.
"""
from __future__ import annotations

import hashlib
import re
import logging
import threading
from pathlib import Path

from .text import normalise

__all__ = ["Segmenter", "configure", "get", "USERDICT_PATH", "read_userdict", "dictionary_fingerprint"]

log = logging.getLogger("indexer")

DATA_DIR = Path(__file__).resolve().with_name("data")
USERDICT_PATH = DATA_DIR / "userdict.txt"


_PLAIN_LATIN = re.compile(r"[a-z0-9]+")
#: distinct words whose search-mode sub-words are remembered (a few MB at most)
SUBWORDS_MEMO_MAX = 200_000
_NO_SUBWORDS: list[str] = []
_HAS_LATIN = re.compile(r"[A-Za-z0-9]")


def read_userdict(path: Path = USERDICT_PATH) -> list[tuple[str, int | None, str | None]]:
    """Parse ``word [freq] [tag]`` lines (``#`` comments allowed); words normalised."""
    entries: list[tuple[str, int | None, str | None]] = []
    seen = set()
    for raw in path.read_text("utf-8").splitlines():
        line = raw.split("#", 1)[0].strip() if raw.lstrip().startswith("#") else raw.strip()
        if not line:
            continue
        parts = line.split()
        word = normalise(parts[0])
        freq = None
        tag = None
        if len(parts) > 1 and parts[1].isdigit():
            freq = int(parts[1])
            tag = parts[2] if len(parts) > 2 else None
        elif len(parts) > 1:
            tag = parts[1]
        if word and word not in seen:
            seen.add(word)
            entries.append((word, freq, tag))
    return entries


def dictionary_fingerprint() -> str:
    return hashlib.sha256(USERDICT_PATH.read_bytes()).hexdigest()[:16]


def _rjieba_class():
    """rjieba's ``Jieba`` class, without running ``rjieba/__init__.py``.

    That ``__init__`` builds a module-level default ``Jieba()`` (its own copy of the whole
    dictionary: 0.13 CPU-s and memory in every process) which we never use — the segmenter
    needs its own instance for the user dictionary.  The compiled module is loaded under its
    usual name ``rjieba.rjieba``, so a later ``import rjieba`` finds it and does not initialise
    the extension twice.  Any surprise (another layout of the wheel): plain ``import rjieba``.
    """
    import importlib.machinery
    import importlib.util
    import sys

    mod = sys.modules.get("rjieba.rjieba")
    if mod is None and "rjieba" not in sys.modules:
        try:
            spec = importlib.util.find_spec("rjieba")
            folders = list(spec.submodule_search_locations or ()) if spec else []
            for folder in folders:
                for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                    path = Path(folder) / f"rjieba{suffix}"
                    if path.is_file():
                        loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", str(path))
                        ext = importlib.util.spec_from_file_location("rjieba.rjieba", path,
                                                                     loader=loader)
                        mod = importlib.util.module_from_spec(ext)
                        loader.exec_module(mod)
                        sys.modules["rjieba.rjieba"] = mod
                        break
                if mod is not None:
                    break
        except (ImportError, OSError, AttributeError):  # pragma: no cover - other layout
            mod = None
    if mod is None:
        import rjieba as mod  # noqa: PLC0415
    return mod.Jieba


class Segmenter:
    """Accurate-mode cut + dictionary lookups, HMM off."""

    def __init__(self, backend: str = "auto", cache_dir: Path | None = None,
                 userdict: Path = USERDICT_PATH):
        self.backend = None
        if backend in ("auto", "rjieba"):
            try:
                self._r = _rjieba_class()()
                self.backend = "rjieba"
            except ImportError:  # pragma: no cover - rjieba is a dependency
                if backend == "rjieba":
                    raise
        if self.backend is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            self._j = jieba.Tokenizer()
            if cache_dir is not None:
                Path(cache_dir).mkdir(parents=True, exist_ok=True)
                self._j.tmp_dir = str(cache_dir)
            self._j.initialize()
            self.backend = "jieba"
        self._subwords_memo: dict[str, list[str]] = {}
        #: the exact (word, freq, tag) triples added, in order (for parity checks)
        self.entries: list[tuple[str, int, str | None]] = []
        #: every user-dictionary word, including plain Latin ones (dictionary terms)
        self.terms: list[str] = []
        for word, freq, tag in read_userdict(userdict):
            self.terms.append(word)
            if _PLAIN_LATIN.fullmatch(word):
                # jieba already keeps a run of letters/digits whole; adding ``office`` would
                # make it cut ``offices`` into ``office`` + ``s``
                continue
            if freq is None:
                freq = max(self.suggest_freq(word), 1)
            self.add_word(word, freq, tag)
            self.entries.append((word, freq, tag))

    # -- backend primitives -------------------------------------------------------------
    def suggest_freq(self, word: str) -> int:
        if self.backend == "rjieba":
            return int(self._r.suggest_freq(word))
        return int(self._j.suggest_freq(word, False))

    def add_word(self, word: str, freq: int, tag: str | None = None) -> None:
        if self.backend == "rjieba":
            self._r.add_word(word, freq, tag)
        else:
            self._j.add_word(word, freq, tag)

    def cut(self, text: str) -> list[str]:
        """Accurate mode, HMM off."""
        if self.backend == "rjieba":
            return self._r.cut(text, False)
        return self._j.lcut(text, HMM=False)

    def cut_for_search(self, text: str) -> list[tuple[str, list[str]]]:
        """jieba search mode, HMM off, as ``(word, sub_words)`` pairs.

        Flattened (each word preceded by its sub-words) this equals jieba's
        ``lcut_for_search(text, HMM=False)``: dictionary 2-grams of words longer than 2
        characters, then 3-grams of words longer than 3 — which is exactly ``subwords(w)`` of
        each accurate-mode word.  The sub-words of a word never change, so they are computed
        once per distinct word and remembered (issue 15: asking rjieba's own search mode and
        re-aligning its output with the accurate cut in Python was a fifth of a rebuild's
        analysis time).  The lists are shared: callers must not modify them.
        """
        out = []
        memo = self._subwords_memo
        for w in self.cut(text):
            if len(w) > 2:
                subs = memo.get(w)
                if subs is None:
                    subs = self.subwords(w)
                    if len(memo) < SUBWORDS_MEMO_MAX:
                        memo[w] = subs
                out.append((w, subs))
            else:
                out.append((w, _NO_SUBWORDS))
        return out

    def _cut_for_search_rjieba(self, text: str) -> list[tuple[str, list[str]]]:
        """The former way (rjieba's search mode aligned with the accurate cut), kept for the
        parity test of ``cut_for_search``."""
        full = self.cut(text)
        if self.backend != "rjieba":
            return [(w, self.subwords(w)) for w in full]
        out = []
        j = 0
        nfull = len(full)
        pending: list[str] = []
        for w in self._r.cut_for_search(text, False):
            if j < nfull and w == full[j]:
                j += 1
                if pending and not w.isascii() and not _HAS_LATIN.search(w):
                    out.append((w, pending))
                    pending = []
                else:
                    out.append((w, self.subwords(w) if len(w) > 2 else []))
                    pending = []
            else:
                pending.append(w)
        return out

    def has_word(self, word: str) -> bool:
        """True for a real dictionary word (jieba's ``FREQ.get(w)`` truthiness)."""
        if self.backend == "rjieba":
            return self._r.has_word(word)
        return bool(self._j.FREQ.get(word))

    def subwords(self, w: str) -> list[str]:
        """jieba search-mode sub-words of ``w``: dictionary 2-grams (len > 2) and 3-grams (len > 3)."""
        out = []
        n = len(w)
        if n > 2:
            hw = self.has_word
            for i in range(n - 1):
                g = w[i:i + 2]
                if hw(g):
                    out.append(g)
            if n > 3:
                for i in range(n - 2):
                    g = w[i:i + 3]
                    if hw(g):
                        out.append(g)
        return out


_lock = threading.Lock()
_segmenter: Segmenter | None = None
_cache_dir: Path | None = None


def configure(cache_dir: Path | None = None, backend: str = "auto") -> Segmenter:
    """Initialise the process-wide segmenter once (later calls return the same one)."""
    global _segmenter, _cache_dir
    with _lock:
        if _segmenter is None:
            _cache_dir = cache_dir
            _segmenter = Segmenter(backend=backend, cache_dir=cache_dir)
            log.debug("segmenter ready (%s, %d user words)", _segmenter.backend, len(_segmenter.entries))
        return _segmenter


def get() -> Segmenter:
    seg = _segmenter
    if seg is None:
        seg = configure(_cache_dir)
    return seg
