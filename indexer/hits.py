"""Results assembly: ranking signals, pagination keys and ``Hit`` objects from stored fields."""
from __future__ import annotations

import datetime
import math
from typing import Mapping

from .results import Hit

__all__ = ["SIGNAL_MIN", "SIGNAL_MAX", "signal", "rank_key", "clamp_int", "make_hit"]

SIGNAL_MIN, SIGNAL_MAX = 0.5, 2.0      # multipliers from ``signals`` are clamped to this range


def clamp_int(v, lo, hi) -> int:
    try:
        v = int(v)
    except (TypeError, ValueError):
        v = lo
    return max(lo, min(hi, v))


def rank_key(t: tuple[float, int]) -> tuple[float, int]:
    """Best score first, then the lower document number (stable across runs)."""
    return -t[0], t[1]


def signal(signals: Mapping[str, float], slug: str) -> float:
    """The clamped ranking multiplier for ``slug`` (1.0 for anything that is not a number)."""
    try:
        m = float(signals.get(slug, 1.0))
    except (TypeError, ValueError):
        return 1.0
    if not math.isfinite(m):
        return 1.0
    return max(SIGNAL_MIN, min(SIGNAL_MAX, m))


def make_hit(stored: dict, score: float, snippet: str) -> Hit:
    upd = stored.get("updated")
    try:
        upd = datetime.date.fromisoformat(upd) if upd else None
    except (TypeError, ValueError):
        upd = None
    return Hit(
        slug=stored.get("slug", ""), title=stored.get("stored_title", ""),
        category=stored.get("category", ""), error_codes=tuple(stored.get("error_codes") or ()),
        snippet=snippet, score=float(score), audience=stored.get("audience", ""), updated=upd,
    )
