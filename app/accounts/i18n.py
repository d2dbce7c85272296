"""Click's own messages in Chinese: usage errors, missing arguments, ``--help`` headings.

Click translates everything it prints through the standard ``gettext`` functions (its hook for
applications). We give it our own catalogue, ``locale/zh_CN/LC_MESSAGES/helpdesk-kb.po``
(written for this project), compiled to ``helpdesk-kb.mo`` next to it, and make it the active
domain and language when a ``kb`` command starts (:func:`activate`, called by the ``kb`` group
before it parses anything, so ``--help`` and usage errors are covered).

The language is chosen through the ``LANGUAGE`` variable, which only decides message
catalogues: ``zh_CN`` is put first in it for the ``kb`` process (an operator's other languages
stay behind it). The ``.mo`` is rebuilt with ``python -m app.accounts.i18n``; a test checks
that it matches the ``.po`` and that every message of the installed Click is translated.
"""

from __future__ import annotations

import ast
import gettext
import os
import struct
from pathlib import Path

DOMAIN = "helpdesk-kb"
LANGUAGE = "zh_CN"
LOCALE_DIR = Path(__file__).parent / "locale"
PO_FILE = LOCALE_DIR / LANGUAGE / "LC_MESSAGES" / f"{DOMAIN}.po"
MO_FILE = PO_FILE.with_suffix(".mo")


def activate() -> None:
    """Make Click speak Chinese in this process (idempotent)."""
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    languages = [lang for lang in os.environ.get("LANGUAGE", "").split(":") if lang]
    if languages[:1] != [LANGUAGE]:
        os.environ["LANGUAGE"] = ":".join([LANGUAGE, *[lang for lang in languages if lang != LANGUAGE]])


# --- the catalogue: .po (text, edited by hand) → .mo (what gettext reads) -----------------


def read_po(text: str) -> dict[str, str]:
    """``{msgid: msgstr}`` of a .po file; a plural entry's key is ``singular\\0plural`` and its
    value the forms joined with ``\\0`` (the .mo convention). Comments and fuzzy flags are skipped."""
    entries: dict[str, str] = {}
    current: dict[str, list[str]] = {}
    field = None

    def flush():
        if "msgid" in current:
            msgid = "".join(current["msgid"])
            if "msgid_plural" in current:
                msgid += "\0" + "".join(current["msgid_plural"])
                forms = sorted(k for k in current if k.startswith("msgstr["))
                msgstr = "\0".join("".join(current[k]) for k in forms)
            else:
                msgstr = "".join(current.get("msgstr", []))
            entries[msgid] = msgstr
        current.clear()

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            if field is None:
                raise ValueError(f"第 {number} 行：字符串前没有 msgid 或 msgstr")
            current[field].append(_unquote(line, number))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid":
            flush()
        if keyword not in ("msgid", "msgid_plural", "msgstr") and not keyword.startswith("msgstr["):
            raise ValueError(f"第 {number} 行：无法识别 {keyword!r}")
        field = keyword
        current[field] = [_unquote(rest.strip(), number)]
    flush()
    return entries


def _unquote(token: str, number: int) -> str:
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"第 {number} 行：字符串应放在双引号里")
    return ast.literal_eval(token)


def write_mo(entries: dict[str, str]) -> bytes:
    """The GNU .mo format (little-endian, no hash table): what :mod:`gettext` reads."""
    keys = sorted(entries)
    ids = [k.encode() for k in keys]
    strs = [entries[k].encode() for k in keys]
    count = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + count * 8
    data_start = strs_table + count * 8
    offsets_ids, offsets_strs, blob = [], [], b""
    for value in ids:
        offsets_ids.append((len(value), data_start + len(blob)))
        blob += value + b"\0"
    for value in strs:
        offsets_strs.append((len(value), data_start + len(blob)))
        blob += value + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, count, ids_table, strs_table, 0, 0)
    out += b"".join(struct.pack("<2I", *pair) for pair in offsets_ids)
    out += b"".join(struct.pack("<2I", *pair) for pair in offsets_strs)
    return out + blob


def compile_catalogue(po_file: Path = PO_FILE) -> bytes:
    return write_mo(read_po(po_file.read_text(encoding="utf-8")))


if __name__ == "__main__":  # python -m app.accounts.i18n
    MO_FILE.write_bytes(compile_catalogue())
    print(f"已生成 {MO_FILE}（{len(read_po(PO_FILE.read_text(encoding='utf-8'))) - 1} 条译文）")
