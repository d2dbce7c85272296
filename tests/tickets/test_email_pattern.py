"""The contact address pattern: the same addresses as the plain form of the pattern, built from
classes ``re`` compiles without visiting tens of thousands of code points (issue 15, worker
ready: the plain form cost 25 ms of every web process's start)."""

from __future__ import annotations

import re
from re import _constants as C
from re import _parser

from app.tickets.service import _EMAIL, _LABEL_CHAR, _LABEL_CHAR_OR_HYPHEN

#: the pattern as it was written before (the reference for what it accepts)
PLAIN = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]*[A-Za-z0-9\u00a1-\uffff])?"
    r"(?:\.[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]*[A-Za-z0-9\u00a1-\uffff])?)+$")


def test_label_classes_hold_the_same_characters():
    plain, plain_hyphen = re.compile(r"[A-Za-z0-9\u00a1-\uffff]"), re.compile(r"[A-Za-z0-9\u00a1-\uffff-]")
    ours, ours_hyphen = re.compile(_LABEL_CHAR), re.compile(_LABEL_CHAR_OR_HYPHEN)
    for code in range(0x110000):
        c = chr(code)
        assert bool(ours.fullmatch(c)) == bool(plain.fullmatch(c)), hex(code)
        assert bool(ours_hyphen.fullmatch(c)) == bool(plain_hyphen.fullmatch(c)), hex(code)


def test_same_addresses_as_the_plain_pattern():
    addresses = [
        "zhangsan@example.com", "a@b.c", "first.last+tag@sub.example.co.uk", "用户@例子.公司",
        "x@xn--fiqs8s.cn", "x@münchen.de", "x@-bad.com", "x@bad-.com", "x@ok-ok.com", "x@a..com",
        "x@.com", "x@com", "x@exa_mple.com", "x@exa mple.com", "a b@c.com", "a@b@c.com", "<a>@b.com",
        "x@example.com\n", "x@example.com\n\n", "x@\U0001f600.com", "x@\u00a0.com", "x@\u00a1.com",
        "x@\uffff.com", "x@ex`ample.com", "x@ex{ample.com", "x@ex/ample.com", "x@ex:ample.com",
        "x@a-b-c.d-e", "@example.com", "", "x@1.2", "Zhang.San@Example.COM",
    ]
    for a in addresses:
        assert bool(_EMAIL.match(a)) == bool(PLAIN.match(a)), a


def _widest_bmp_range(pattern: str) -> int:
    """Code points below U+10000 of the widest range in any character class of ``pattern``:
    what ``re`` visits one by one, in Python, when it compiles the class."""
    widest = 0

    def walk(items):
        nonlocal widest
        for op, av in items:
            if op is C.IN:
                for iop, iav in av:
                    if iop is C.RANGE and iav[0] <= 0xFFFF:
                        widest = max(widest, min(iav[1], 0xFFFF) - iav[0] + 1)
            elif op in (C.SUBPATTERN,):
                walk(av[-1])
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                walk(av[2])
            elif op is C.BRANCH:
                for b in av[1]:
                    walk(b)

    walk(_parser.parse(pattern))
    return widest


def test_no_wide_class_to_compile():
    assert _widest_bmp_range(PLAIN.pattern) > 60_000          # the helper sees the plain one
    assert _widest_bmp_range(_EMAIL.pattern) < 256
