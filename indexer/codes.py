"""Error-code recognition.

Codes are found with one regular expression over *normalised* (lowercased) text before the
rest is segmented, so each code becomes ONE token whatever form the user types:

====================  ===============  ==============================  =========================
form typed            main token       same-position variants          parts (index only)
====================  ===============  ==============================  =========================
0x80070005 / 0X8007…  ``0x80070005``   ``80070005``                    –
80070005              ``80070005``     ``0x80070005``                  –
0x0000007B            ``0x0000007b``   ``0000007b``, ``0x7b``           –
错误809 / 错误 809     ``809``          –                               –
809错误 / error 691    ``809``/``691``  –                               –
KB5034441             ``kb5034441``    –                               ``5034441``
ERR_CONNECTION_RESET  ``err_connection_reset``  –                      ``err``, ``connection``, ``reset``
554 5.2.2             ``554 5.2.2``    ``5.2.2``                       ``554``
5.7.1 / 10.0.19041    ``5.7.1``        –                               –
30068-39              ``30068-39``     –                               –
====================  ===============  ==============================  =========================

Variants are *equivalent* spellings: the query builder ORs them.  Parts are only indexed so a
search for ``reset`` or ``5034441`` still finds the article; queries never use parts.

"Strong" codes — the body codes that enter the ``codes`` field — follow
this rule, so that years, sizes, ports or versions in prose (``2026``, ``8000``, ``3.11``)
never flood the codes field:

* hexadecimal ``0x…`` always; bare 8-digit hex starting ``80``/``c0`` or containing a letter;
* ``KB`` + 6–8 digits always;
* ``UPPER_CASE_IDENTIFIERS`` (≥ 2 parts, written in capitals in the article);
* SMTP ``554 5.2.2`` (3-digit class + enhanced status) always;
* a 3–6 digit number glued to a keyword: ``错误 809``, ``错误代码：809``, ``809 错误``,
  ``error 691``, ``error code 1603``, ``代码 1603`` (not when followed by 年/月/次/秒/%/MB…);
* ``5.7.1``-shaped dotted codes (2/4/5 . n . n) and ``30068-39``-shaped dashed codes when a
  keyword (错误/error/代码/code/NDR/退信/失败/提示…) is within 16 characters before them, and
  dashed codes whose first part has 5 digits or is ``0`` (Office ``0-1011``).

Other matches (versions, IP addresses, ranges) are still single tokens in the body field but
never enter the ``codes`` field.  Front-matter ``error_codes`` entries are always codes
(``code_entry_tokens``), and weigh twice as much (``analysis.FM_CODE_BOOST``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Code", "CODE_RE", "code_matches", "interpret", "find_codes", "code_entry_tokens"]


@dataclass(frozen=True, slots=True)
class Code:
    main: str
    variants: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    strong: bool = False


_B = r"(?<![0-9a-z_])"          # left boundary for alphanumeric codes
_E = r"(?![0-9a-z_])"           # right boundary
_NOT_UNIT = r"(?!\s*(?:年|月|日|号|次|个|秒|分|小时|天|%|ms|mb|gb|kb|tb|px|元|人|台|条|行|字|位|k\b|m\b|s\b))"
_KW_BEFORE = r"(?:错误代码|错误码|错误号|故障码|报错代码|错误|报错|代码|状态码|(?<![a-z])error\s*code|(?<![a-z])error|(?<![a-z])err|(?<![a-z])code)"

CODE_RE = re.compile(
    "|".join(
        [
            _B + r"0x(?P<hex>[0-9a-f]{1,16})" + _E,
            _B + r"kb\s?(?P<kb>\d{6,8})" + _E,
            r"(?<![\d.])(?P<smtp>[245]\d\d)[ \t]+(?P<smtpx>[245]\.\d{1,3}\.\d{1,3})(?![\d.]*\d)",
            _KW_BEFORE + r"[ \t]*(?:[:：#]|是|为)?[ \t]*(?P<kwnum>\d{3,6})(?![\d.\-]*\d)" + _NOT_UNIT,
            r"(?<![\d.\-])(?P<numkw>\d{3,6})[ \t]*(?:错误|报错|(?:error)(?![a-z_]))",
            _B + r"(?P<sym>[a-z][a-z0-9]*(?:_[a-z0-9]+)+)" + _E,
            r"(?<![\d\-.])(?P<dash>\d{1,5}-\d{1,4})(?![\d\-])",
            r"(?<![\d.])(?P<dot>\d+(?:\.\d+)+)(?![.]?\d)",
            _B + r"(?P<bhex>[8c][0-9a-f]{7})" + _E,
        ]
    )
)

#: the positions where a ``CODE_RE`` match can start (a superset): a Unicode digit, a
#: character that begins a keyword of ``_KW_BEFORE`` (错 报 代 状 故), a Latin letter after no
#: ``[0-9a-z_]`` (``_B``: hex, kb, sym, bhex) and ``e``/``c`` after no Latin letter (error,
#: err, code).  A new alternative of ``CODE_RE`` must start with one of these.
_START = re.compile(r"[\d错报代状故a-z](?<=[\d错报代状故]|(?<![0-9a-z_])[a-z]|(?<![a-z])[ec])")


def code_matches(low: str) -> list[re.Match]:
    """``list(CODE_RE.finditer(low))``, the same matches, about 3× faster on articles.

    ``CODE_RE``'s alternatives begin with lookbehinds, so the regex engine tries all nine at
    every character (~0.6 µs each: a quarter of a rebuild's analysis, issue 15).  ``_START``
    begins with a character class, which the engine scans for in C; ``CODE_RE`` is then tried
    only where a match can start (about one character in ten of the corpus).  ``match(low, i)``
    sees the text before ``i`` for its lookbehinds and the whole text for its lookaheads, as
    ``finditer`` does, and no alternative matches the empty string, so the next search starts
    at the match's end either way."""
    out = []
    search = _START.search
    match = CODE_RE.match
    p = 0
    while True:
        c = search(low, p)
        if c is None:
            return out
        i = c.start()
        m = match(low, i)
        if m is None:
            p = i + 1
        else:
            out.append(m)
            p = m.end()


_NEAR_KEYWORD = re.compile(r"错误|报错|代码|状态|提示|失败|退信|拒绝|error|code|ndr|smtp|err|failed|stop")
_SMTP_DOT = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")


def _near_keyword(low: str, start: int) -> bool:
    return _NEAR_KEYWORD.search(low, max(0, start - 16), start) is not None


def _hex_code(h: str, main: str) -> Code:
    variants = []
    if main.startswith("0x"):
        if len(h) == 8:
            variants.append(h)
        stripped = "0x" + (h.lstrip("0") or "0")
        if stripped != main:
            variants.append(stripped)
    else:
        variants.append("0x" + h)
    return Code(main, tuple(variants), (), True)


def interpret(m: re.Match, cased: str | None = None) -> Code:
    """Turn one ``CODE_RE`` match over lowercased text into a ``Code``.

    ``cased`` is the same text before lowercasing (same length), used to tell constants
    (``ERR_CONNECTION_RESET``) from snake_case words.
    """
    g = m.lastgroup
    if g == "hex":
        h = m.group("hex")
        return _hex_code(h, "0x" + h)
    if g == "kb":
        num = m.group("kb")
        return Code("kb" + num, (), (num,), True)
    if g in ("smtp", "smtpx"):
        cls, enh = m.group("smtp"), m.group("smtpx")
        return Code(f"{cls} {enh}", (enh,), (cls,), True)
    if g == "kwnum":
        return Code(m.group("kwnum"), (), (), True)
    if g == "numkw":
        return Code(m.group("numkw"), (), (), True)
    if g == "sym":
        sym = m.group("sym")
        parts = tuple(p for p in sym.split("_") if len(p) >= 2)
        strong = False
        if cased is not None:
            orig = cased[m.start("sym"):m.end("sym")]
            strong = orig.isupper() and len(sym) >= 5
        return Code(sym, (), parts, strong)
    if g == "dash":
        d = m.group("dash")
        first, second = d.split("-")
        strong = len(first) == 5 or (first == "0" and len(second) >= 3) or _near_keyword(m.string, m.start())
        return Code(d, (), (), strong)
    if g == "dot":
        d = m.group("dot")
        strong = bool(_SMTP_DOT.fullmatch(d)) and _near_keyword(m.string, m.start())
        return Code(d, (), (), strong)
    if g == "bhex":
        h = m.group("bhex")
        strong = h.startswith(("80", "c0")) or not h.isdigit()
        c = _hex_code(h, h)
        return Code(c.main, c.variants, (), strong)
    raise AssertionError(g)  # pragma: no cover


def find_codes(low: str, cased: str | None = None, *, strong_only: bool = False) -> list[Code]:
    """All codes in normalised text ``low`` (``cased``: same text before lowercasing)."""
    out = []
    for m in code_matches(low):
        c = interpret(m, cased)
        if c.strong or not strong_only:
            out.append(c)
    return out


_DIGITS = re.compile(r"\d{3,}")


def code_entry_tokens(entry_low: str, entry_cased: str | None = None) -> list[str]:
    """Tokens for one front-matter ``error_codes`` entry (already normalised).

    Every entry is a code: recognised forms give their main token + variants; an entry that
    no pattern recognises (``809``, ``event 4625``) gives its whitespace-collapsed text plus
    each run of 3+ digits inside it.
    """
    entry = " ".join(entry_low.split())
    if not entry:
        return []
    toks: list[str] = []
    for m in CODE_RE.finditer(entry):
        c = interpret(m, entry_cased)
        toks.append(c.main)
        toks.extend(c.variants)
    m = CODE_RE.fullmatch(entry)
    if m is None:
        toks.append(entry)
        toks.extend(_DIGITS.findall(entry))
    seen: dict[str, None] = {}
    for t in toks:
        seen.setdefault(t, None)
    return list(seen)
