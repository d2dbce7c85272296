"""Attachments kept on the server between the request form's check and confirm steps.

Without JavaScript the form is submitted twice (check → 「仍然提交」), and a browser cannot
re-send files from hidden fields; so the files from the first submit wait here, in
``$KB_INSTANCE_DIR/staging/<visit token>/``, until the ticket is created (then they move to
the ticket) or the visit ends.

Anyone may use the form, so the space is bounded (issue 13 item 7; one client once staged
160 MB in 2.2 s):

* per client address: at most ``KB_STAGING_PER_ADDRESS_MB`` (default 50) staged at once;
* in total: at most ``KB_STAGING_TOTAL_MB`` (default 500);
* per address: at most ``KB_STAGING_LIMIT`` staging operations (default ``"20 per hour"``),
  counted in the shared rate-limit store (``app/ratelimit.py``);
* folders older than ``KB_STAGING_MAX_HOURS`` (default 24) are removed by the ``kb worker``
  job ``staging_cleanup`` (every 15 minutes) and when new files arrive.

Refusals raise :class:`StagingRefused` with a Chinese message for the form (the typed text is
kept; the visitor may submit without the files and add them on the ticket page).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from io import BytesIO
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from .. import ratelimit

MAX_AGE = 24 * 3600
DEFAULT_PER_ADDRESS_MB = 50
DEFAULT_TOTAL_MB = 500
DEFAULT_LIMIT = "20 per hour"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_LIMIT = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
META = "meta.json"


class StagingRefused(Exception):
    """The files cannot wait on the server now; ``message`` says why (Chinese), ``status``
    is the HTTP status for the page (429 for one client's limits, 503 for the server's)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message, self.status = message, status


def _setting(name: str, default):
    value = current_app.config.get(name)
    return default if value in (None, "") else value


def max_age() -> float:
    return float(_setting("KB_STAGING_MAX_HOURS", MAX_AGE / 3600)) * 3600


def parse_limit(text: str) -> tuple[int, int]:
    """``"20 per hour"`` / ``"20/hour"`` → (20, 3600)."""
    m = _LIMIT.match(str(text))
    if not m:
        raise ValueError(f"KB_STAGING_LIMIT 的格式应为“次数 per 时间单位”，例如 20 per hour，收到 {text!r}")
    return int(m.group(1)), int(m.group(2) or 1) * _UNITS[m.group(3).lower()]


def _root() -> Path:
    return Path(current_app.config["KB_INSTANCE_DIR"]) / "staging"


def _folder(token: str) -> Path | None:
    if not _TOKEN.match(token or ""):
        return None
    return _root() / token


def _size(storage: FileStorage) -> int:
    stream = storage.stream
    pos = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(pos)
    return size


def usage(address: str | None = None) -> int:
    """Bytes staged now, in total or by ``address``."""
    root = _root()
    total = 0
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        meta = _read_meta(folder)
        if address is not None and meta.get("address") != address:
            continue
        total += int(meta.get("bytes") or 0)
    return total


def stage(token: str, files: list[FileStorage], address: str | None = None) -> list[str]:
    """Keep ``files`` for visit ``token`` (replacing what was staged); their names.

    Raises :class:`StagingRefused` over a quota or the rate limit."""
    folder = _folder(token)
    if folder is None or not files:
        return staged_names(token)
    cleanup()
    address = address or "-"
    incoming = sum(_size(f) for f in files)
    mine = incoming - int(_read_meta(folder).get("bytes") or 0)  # replacing this visit's files
    per_address = float(_setting("KB_STAGING_PER_ADDRESS_MB", DEFAULT_PER_ADDRESS_MB)) * 1024 * 1024
    total = float(_setting("KB_STAGING_TOTAL_MB", DEFAULT_TOTAL_MB)) * 1024 * 1024
    if usage() + mine > total:
        current_app.logger.warning("staging full: %d bytes refused", incoming)
        raise StagingRefused("服务器上暂存附件的空间暂时已满。您填写的内容都还在：可以先不带附件提交，"
                             "提交后在工单页面补充附件；或稍后再试。", 503)
    if usage(address) + mine > per_address:
        raise StagingRefused(f"您暂存的附件已超过 {per_address / 1024 / 1024:.0f} MB。您填写的内容都还在："
                             "可以先不带附件提交，提交后在工单页面补充附件；或稍后再试。", 429)
    if ratelimit.enabled():
        count, window = parse_limit(_setting("KB_STAGING_LIMIT", DEFAULT_LIMIT))
        if not ratelimit.backend().hit(ratelimit.key("staging", address), count, window):
            raise StagingRefused("上传附件的次数太多了，请稍后再试。您填写的内容都还在，"
                                 "也可以先不带附件提交，提交后在工单页面补充附件。", 429)
    discard(token)
    folder.mkdir(parents=True, exist_ok=True)
    meta = []
    try:
        for i, storage in enumerate(files):
            target = folder / f"{i}.bin"
            storage.stream.seek(0)
            with open(target, "wb") as out:
                shutil.copyfileobj(storage.stream, out)
            storage.stream.seek(0)
            meta.append({"file": target.name, "filename": storage.filename, "content_type": storage.mimetype})
        (folder / META).write_text(json.dumps({"address": address, "bytes": incoming, "files": meta,
                                               "at": time.time()}, ensure_ascii=False))
    except OSError as exc:  # a full disk: nothing half-staged stays behind
        discard(token)
        current_app.logger.error("staging failed: %s", exc)
        raise StagingRefused("系统暂时无法保存附件，请稍后再试。您填写的内容都还在。", 503) from None
    return [m["filename"] for m in meta]


def _read_meta(folder: Path) -> dict:
    try:
        data = json.loads((folder / META).read_text())
    except (OSError, ValueError):
        return {}
    if isinstance(data, list):  # written before quotas existed
        return {"files": data}
    return data if isinstance(data, dict) else {}


def _meta(token: str) -> list[dict]:
    folder = _folder(token)
    if folder is None:
        return []
    return list(_read_meta(folder).get("files") or [])


def staged_names(token: str) -> list[str]:
    return [m["filename"] for m in _meta(token)]


def load(token: str) -> list[FileStorage]:
    """The staged files as FileStorage objects (read into memory; they are size-checked)."""
    folder = _folder(token)
    out = []
    for m in _meta(token):
        try:
            data = (folder / m["file"]).read_bytes()
        except OSError:
            continue
        out.append(FileStorage(stream=BytesIO(data), filename=m["filename"], content_type=m["content_type"]))
    return out


def discard(token: str) -> None:
    folder = _folder(token)
    if folder is not None and folder.exists():
        shutil.rmtree(folder, ignore_errors=True)


def cleanup(now: float | None = None) -> int:
    """Remove folders older than ``KB_STAGING_MAX_HOURS``; how many were removed."""
    root = _root()
    if not root.exists():
        return 0
    cutoff = (now if now is not None else time.time()) - max_age()
    removed = 0
    for child in root.iterdir():
        try:
            if child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
        except OSError:
            pass
    return removed


def run_cleanup(session, now) -> int:
    """The ``kb worker`` job ``staging_cleanup`` (app/worker/jobs.py)."""
    return cleanup(now.timestamp())
