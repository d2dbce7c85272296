"""Text normalisation shared by indexing and querying.

``normalise(s)`` = remove control characters → Unicode NFKC (full-width → half-width,
``ＶＰＮ１２３`` → ``VPN123``) → OpenCC ``t2s`` (Traditional → Simplified; *not* ``tw2sp``,
which rewrites Simplified words) → ``str.lower()``.  It runs before segmentation because the
jieba user dictionary is case-sensitive.

``fold(s)`` is the same without lowercasing (code recognition looks at the original case to
decide whether ``ERR_CONNECTION_RESET`` is an identifier written as a constant).
``normalise_with_map`` additionally returns, for each output character, its offset in the
input, so snippets can highlight the original text.
"""
from __future__ import annotations

import re
import threading
import unicodedata

import opencc

__all__ = ["fold", "is_cjk", "normalise", "normalise_pair", "normalise_with_map", "QUERY_MAX_CHARS"]

#: queries are cut to this many characters after normalisation
QUERY_MAX_CHARS = 200

# C0/C1 controls except \t \n \r, zero-width and bidi controls, BOM, lone surrogates
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)

_local = threading.local()


def _converter() -> opencc.OpenCC:
    conv = getattr(_local, "t2s", None)
    if conv is None:
        conv = _local.t2s = opencc.OpenCC("t2s")
    return conv


def _t2s(s: str) -> str:
    if s.isascii():
        return s
    return _converter().convert(s)


def is_cjk(w: str) -> bool:
    """Every character of ``w`` (not empty) is a CJK Unified Ideograph (U+4E00–U+9FFF)."""
    return bool(w) and all("\u4e00" <= c <= "\u9fff" for c in w)


def fold(s: str) -> str:
    """Controls removed, NFKC, Traditional→Simplified; case kept."""
    if not s:
        return ""
    s = _CONTROL_RE.sub(" ", s)
    if not unicodedata.is_normalized("NFKC", s):
        s = unicodedata.normalize("NFKC", s)
    return _t2s(s)


def normalise(s: str) -> str:
    """The one normalisation used for index and query text."""
    return fold(s).lower()


# the same body string is analysed for several fields: remember the last few results
_PAIR_CACHE: dict[str, tuple[str, str]] = {}


def normalise_pair(s: str) -> tuple[str, str]:
    """(folded, lowercased) — cached for the last few inputs."""
    hit = _PAIR_CACHE.get(s)
    if hit is not None:
        return hit
    folded = fold(s)
    pair = (folded, folded.lower())
    if len(_PAIR_CACHE) >= 8:
        _PAIR_CACHE.clear()
    _PAIR_CACHE[s] = pair
    return pair


def normalise_with_map(s: str) -> tuple[str, list[int] | None]:
    """Normalise ``s`` and map output offsets back to ``s``.

    Returns ``(normalised, offsets)``; ``offsets`` is ``None`` when the normalisation kept
    every character at its place (the common case), else ``offsets[i]`` is the index in
    ``s`` of the character that produced output character ``i`` (with a final sentinel).
    """
    out = normalise(s)
    if len(out) == len(s):
        return out, None
    pieces: list[str] = []
    offsets: list[int] = []
    cache = _CHAR_CACHE
    for i, ch in enumerate(s):
        piece = cache.get(ch)
        if piece is None:
            piece = normalise(ch)
            if len(cache) < 50_000:
                cache[ch] = piece
        pieces.append(piece)
        if len(piece) == 1:
            offsets.append(i)
        else:
            offsets.extend([i] * len(piece))
    out = "".join(pieces)
    offsets.append(len(s))
    return out, offsets


_CHAR_CACHE: dict[str, str] = {}
