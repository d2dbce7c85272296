"""Mainland wording of a query typed in Traditional characters, from OpenCC's phrase tables.

The pipeline folds Traditional *characters* to Simplified (``t2s``), not words: 印表機 becomes
印表机, while the library's mainland pages say 打印机; 遠端桌面連線設定 becomes 远端 桌面 连线
设定 where they say 远程桌面 连接 设置.  OpenCC (already a dependency, ``text.py``) ships
Taiwan phrase tables: ``tw2sp`` converts Taiwan wording to mainland wording (印表機 → 打印机,
檔案 → 文件, 啟用 → 激活, 預設 → 默认).  These tables are a general resource, written by the
OpenCC project for every text, not for our queries.

``mainland_reading(raw)`` converts the user's text with ``tw2sp`` — only when it holds
Traditional characters, because ``tw2sp`` rewrites Simplified words too (程序 → 进程, the trap in
the search notes) — and returns it normalised like any query, or ``None`` when the conversion
changes nothing.  ``query.parse`` aligns its words with the query's own groups and adds them as
weighted alternatives (``query.REGIONAL_WEIGHT``).  Queries typed in Simplified characters are
never touched.
"""
from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache

import opencc

from .text import normalise

__all__ = ["mainland_reading"]

_local = threading.local()


def _converter(name: str) -> opencc.OpenCC:
    conv = getattr(_local, name, None)
    if conv is None:
        conv = opencc.OpenCC(name)
        setattr(_local, name, conv)
    return conv


@lru_cache(maxsize=2048)
def mainland_reading(raw: str) -> str | None:
    """``raw`` in mainland wording, normalised (``text.normalise``), or ``None`` when ``raw`` has
    no Traditional character or the phrase tables change nothing but characters."""
    if not raw or raw.isascii():
        return None
    s = unicodedata.normalize("NFKC", raw)
    if _converter("t2s").convert(s) == s:
        return None                     # no Traditional character: a Simplified query
    plain = normalise(s)
    mainland = normalise(_converter("tw2sp").convert(s))
    return None if mainland == plain else mainland
