"""Attachments kept on the server between the request form's check and confirm steps.

Without JavaScript the form is submitted twice (check → 「仍然提交」), and a browser cannot
re-send files from hidden fields; so the files from the first submit wait here, in
``$KB_INSTANCE_DIR/staging/<visit token>/``, until the ticket is created (then they move to
the ticket) or the visit ends. Folders older than a day are removed when new files arrive.
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

MAX_AGE = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _root() -> Path:
    return Path(current_app.config["KB_INSTANCE_DIR"]) / "staging"


def _folder(token: str) -> Path | None:
    if not _TOKEN.match(token or ""):
        return None
    return _root() / token


def stage(token: str, files: list[FileStorage]) -> list[str]:
    """Keep ``files`` for visit ``token`` (replacing what was staged); their names."""
    folder = _folder(token)
    if folder is None or not files:
        return staged_names(token)
    _cleanup()
    discard(token)
    folder.mkdir(parents=True, exist_ok=True)
    meta = []
    for i, storage in enumerate(files):
        target = folder / f"{i}.bin"
        storage.stream.seek(0)
        with open(target, "wb") as out:
            shutil.copyfileobj(storage.stream, out)
        storage.stream.seek(0)
        meta.append({"file": target.name, "filename": storage.filename, "content_type": storage.mimetype})
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    return [m["filename"] for m in meta]


def _meta(token: str) -> list[dict]:
    folder = _folder(token)
    if folder is None:
        return []
    try:
        return json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return []


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


def _cleanup() -> None:
    root = _root()
    if not root.exists():
        return
    cutoff = time.time() - MAX_AGE
    for child in root.iterdir():
        try:
            if child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
        except OSError:
            pass
