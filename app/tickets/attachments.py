"""Attachments of a service request: checked by extension AND content, stored under
``<instance>/attachments/`` with random names, removed again if the ticket is not saved.

Allowed: screenshots (png, jpg/jpeg, gif, webp), pdf, text (txt, log, csv), Office documents
(docx, xlsx) and zip archives (without programs inside). At most ``MAX_FILES`` files of
``MAX_FILE_SIZE`` each; the whole request is capped by ``MAX_CONTENT_LENGTH`` (25 MB), which
the web server enforces before we see anything (the form shows ``UPLOAD_TOO_LARGE_MESSAGE``).
Programs are refused whatever they are called: a Windows executable ("MZ") renamed to
``.png`` or ``.txt`` does not pass the content check, and ``evil.exe.`` / ``evil.exe `` count as
``.exe`` (Windows drops the trailing dot or space). Zip archives (and the zip-based DOCX/XLSX) are
opened and every entry checked, nested zips included (up to ``ZIP_MAX_DEPTH``, with entry and
size budgets against zip bombs): no programs by name or content, no disk images or macro-enabled
Office files, no archives we cannot look into, no encrypted entries, no ``../`` or absolute paths.
"""

from __future__ import annotations

import io
import ntpath
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..models import Attachment, Ticket

MAX_FILES = 5
MAX_FILE_SIZE = 10 * 1024 * 1024
FIELD = "attachments"

UPLOAD_TOO_LARGE_MESSAGE = (
    "上传的内容太大：整个请求不能超过 25 MB（单个文件不超过 10 MB，最多 5 个）。"
    "请压缩截图或删减附件后重新提交。"
)
ALLOWED_HINT = "可上传图片（PNG、JPG、GIF、WebP）、PDF、文本（TXT、LOG、CSV）、Word/Excel（DOCX、XLSX）或 ZIP 压缩包"

# extension → (content type, sniffing kind)
TYPES: dict[str, tuple[str, str]] = {
    "png": ("image/png", "png"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "gif": ("image/gif", "gif"),
    "webp": ("image/webp", "webp"),
    "pdf": ("application/pdf", "pdf"),
    "txt": ("text/plain; charset=utf-8", "text"),
    "log": ("text/plain; charset=utf-8", "text"),
    "csv": ("text/csv; charset=utf-8", "text"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "zip": ("application/zip", "zip"),
}
# Anything Windows (or macOS/Linux) would run, mount or open with macros — never accepted, not even
# inside an archive: programs and scripts, disk images (which bypass Mark-of-the-Web), macro-enabled
# Office files, app packages and shortcut-like files.
EXECUTABLE_EXTENSIONS = {
    "exe", "dll", "com", "scr", "msi", "msp", "mst", "bat", "cmd", "ps1", "psm1", "psd1", "ps1xml",
    "vb", "vbs", "vbe", "js", "jse", "wsf", "wsh", "ws", "wsc", "hta", "cpl", "msc", "jar", "lnk",
    "reg", "sh", "app", "pif", "sys", "drv", "ocx", "inf", "scf", "url", "chm", "hlp", "gadget",
    "application", "appref-ms", "settingcontent-ms", "library-ms", "xll", "iqy", "slk",
    "iso", "img", "vhd", "vhdx", "dmg",
    "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "ppsm", "sldm",
    "msix", "msixbundle", "appx", "appxbundle", "appinstaller", "apk", "pkg",
}
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"#!")
# Archive formats we cannot look inside: refused within a zip, since they could hide a program.
_OPAQUE_ARCHIVES = {"7z", "rar", "cab", "tar", "gz", "tgz", "bz2", "xz", "zst", "arj", "lzh", "ace"}
# Archive inspection limits (zip bombs): nesting, entries, bytes decompressed in all.
ZIP_MAX_DEPTH = 3
ZIP_MAX_ENTRIES = 2_000
ZIP_MAX_UNPACKED = 200 * 1024 * 1024
_MAGIC_PEEK = 8


class AttachmentError(ValueError):
    """One Chinese sentence saying what is wrong with the uploaded files."""


@dataclass
class StagedFile:
    filename: str
    data: bytes
    content_type: str


def _extension(filename: str) -> str:
    """The extension as Windows sees it: trailing dots and spaces are dropped (``evil.exe.`` → exe),
    and so is an NTFS stream suffix (``evil.exe::$DATA``)."""
    name = filename.split(":", 1)[0].rstrip(". \t")
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def clean_filename(raw: str | None) -> str:
    """The name to show: no folders, no control characters, at most 200 characters."""
    name = ntpath.basename(str(raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".") or "附件"
    if len(name) > 200:
        ext = _extension(name)
        name = name[: 200 - len(ext) - 1] + "." + ext if ext and len(ext) < 10 else name[:200]
    return name


def _is_text(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with BOM (Windows logs)
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _zip_names(data: bytes) -> list[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


class _ZipProblem(Exception):
    """Why an archive is refused (a Chinese phrase completing “压缩包“x”…”)."""


def _unsafe_entry_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts


def _inspect_zip(data: bytes, depth: int = 1, budget: list[int] | None = None) -> None:
    """Raise _ZipProblem if anything inside (at any depth) is a program, could hide one, or is unsafe."""
    budget = budget if budget is not None else [ZIP_MAX_UNPACKED, ZIP_MAX_ENTRIES]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _ZipProblem("已损坏，无法检查其中的内容") from None
    with archive:
        for info in archive.infolist():
            budget[1] -= 1
            if budget[1] < 0:
                raise _ZipProblem(f"里的文件太多（超过 {ZIP_MAX_ENTRIES} 个），无法检查")
            name = info.filename
            if _unsafe_entry_name(name):
                raise _ZipProblem(f"里有指向压缩包以外位置的路径（{clean_filename(name)}）")
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise _ZipProblem("里有加密的文件，无法检查其中的内容")
            ext = _extension(name.rsplit("/", 1)[-1])
            if ext in EXECUTABLE_EXTENSIONS:
                raise _ZipProblem("里有可执行程序")
            if ext in _OPAQUE_ARCHIVES:
                raise _ZipProblem(f"里有无法检查的压缩文件（.{ext}），请直接上传其中的文件或改用 ZIP")
            budget[0] -= info.file_size
            if budget[0] < 0:
                raise _ZipProblem("解压后太大，无法检查")
            try:
                with archive.open(info) as member:
                    if ext in ("zip", "docx", "xlsx", "pptx"):
                        inner = member.read(ZIP_MAX_UNPACKED + 1)
                        head = inner[:_MAGIC_PEEK]
                    else:
                        inner, head = b"", member.read(_MAGIC_PEEK)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
                raise _ZipProblem("已损坏，无法检查其中的内容") from None
            if head.startswith(_EXECUTABLE_MAGIC):
                raise _ZipProblem("里有可执行程序")
            if inner and inner.startswith((b"PK\x03\x04", b"PK\x05\x06")):
                if depth >= ZIP_MAX_DEPTH:
                    raise _ZipProblem(f"嵌套超过 {ZIP_MAX_DEPTH} 层，无法检查")
                _inspect_zip(inner, depth + 1, budget)
            if name.lower().endswith("vbaproject.bin"):
                raise _ZipProblem("里有带宏的 Office 文件")


def content_matches(kind: str, data: bytes) -> bool:
    """Does ``data`` really look like ``kind``? (magic bytes; zip-based formats are opened)."""
    if kind == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if kind == "gif":
        return data.startswith((b"GIF87a", b"GIF89a"))
    if kind == "webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if kind == "pdf":
        return data.startswith(b"%PDF-")
    if kind == "text":
        return _is_text(data)
    if kind in ("docx", "xlsx", "zip"):
        if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return False
        names = _zip_names(data)
        if names is None:
            return False
        if kind == "docx":
            return "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)
        if kind == "xlsx":
            return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)
        return True
    return False


def _read_limited(storage, limit: int) -> bytes:
    stream = getattr(storage, "stream", storage)
    return stream.read(limit + 1)


def stage_files(files) -> list[StagedFile]:
    """Read and check uploaded files (werkzeug FileStorage or anything with .filename and .read()).

    Empty file inputs are ignored. Raises AttachmentError with a Chinese message naming the file.
    Nothing is written to disk here.
    """
    chosen = [f for f in (files or []) if f is not None and (getattr(f, "filename", "") or "").strip()]
    if len(chosen) > MAX_FILES:
        raise AttachmentError(f"最多上传 {MAX_FILES} 个附件，您选择了 {len(chosen)} 个。")
    staged = []
    for storage in chosen:
        name = clean_filename(storage.filename)
        data = _read_limited(storage, MAX_FILE_SIZE)
        ext = _extension(name)
        if len(data) > MAX_FILE_SIZE:
            raise AttachmentError(f"“{name}”超过 10 MB，请压缩后再上传。")
        if not data:
            raise AttachmentError(f"“{name}”是空文件，请重新选择。")
        if ext in EXECUTABLE_EXTENSIONS or data.startswith(_EXECUTABLE_MAGIC):
            raise AttachmentError(f"“{name}”是可执行程序，出于安全原因不能上传。{ALLOWED_HINT}。")
        if ext not in TYPES:
            raise AttachmentError(f"不支持“{name}”这种文件类型。{ALLOWED_HINT}。")
        content_type, kind = TYPES[ext]
        if not content_matches(kind, data):
            raise AttachmentError(f"“{name}”的内容与扩展名 .{ext} 不符，可能已损坏或被改名。{ALLOWED_HINT}。")
        if kind in ("zip", "docx", "xlsx"):
            try:
                _inspect_zip(data)
            except _ZipProblem as problem:
                what = "压缩包" if kind == "zip" else "文件"
                raise AttachmentError(f"{what}“{name}”{problem}，出于安全原因不能上传。") from None
        staged.append(StagedFile(filename=name, data=data, content_type=content_type))
    return staged


def attachments_dir() -> Path:
    path = Path(current_app.config["KB_INSTANCE_DIR"]) / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def attachment_path(attachment: Attachment) -> Path:
    return attachments_dir() / attachment.stored_name


# --- files written in a transaction are removed again unless it commits -------------------
# Decided when the outermost transaction ends: committed → keep, anything else (rollback,
# an exception, a session closed without commit) → delete. Savepoints do not count.

_PENDING = "kb_attachment_files"
_COMMITTED = "kb_attachment_committed"


def _track(session: Session, path: Path) -> None:
    if not session.info.get("kb_attachment_hooks"):
        event.listen(session, "after_commit", _mark_committed)
        event.listen(session, "after_transaction_end", _settle)
        session.info["kb_attachment_hooks"] = True
    session.info.setdefault(_PENDING, []).append(path)


def _mark_committed(session: Session) -> None:
    if session.get_nested_transaction() is None:  # the outermost transaction, not a savepoint
        session.info[_COMMITTED] = True


def _settle(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    committed = session.info.pop(_COMMITTED, False)
    paths = session.info.pop(_PENDING, [])
    if committed:
        return
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def store_staged(session: Session, ticket: Ticket, staged: list[StagedFile]) -> list[Attachment]:
    """Write checked files and add their rows to ``ticket`` (in the caller's transaction)."""
    folder = attachments_dir() if staged else None
    rows = []
    for item in staged:
        stored_name = secrets.token_hex(16) + ".bin"
        path = folder / stored_name
        _track(session, path)  # before writing: a failure half-way still cleans up
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(item.data)
        row = Attachment(filename=item.filename, stored_name=stored_name,
                         content_type=item.content_type, size=len(item.data))
        ticket.attachments.append(row)
        rows.append(row)
    return rows


def save_attachments(session: Session, ticket: Ticket, files) -> list[Attachment]:
    """Check ``files`` and attach them to ``ticket``; raises TicketValidationError({"attachments": …}).

    Files are written only after every one passed; they are deleted again unless the session's
    transaction commits. The caller commits.
    """
    from .service import TicketValidationError

    try:
        staged = stage_files(files)
    except AttachmentError as exc:
        raise TicketValidationError({FIELD: str(exc)}, {}) from None
    return store_staged(session, ticket, staged)
