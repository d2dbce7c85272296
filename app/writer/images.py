"""Images in articles: uploaded or pasted in the editor, stored in ``<instance>/images/``.

The type is sniffed from the content (PNG, JPEG, GIF, WebP — the magic bytes checked by
``app/tickets/attachments.py``), never taken from the name or the browser's claim; SVG is
refused (it can carry scripts). At most ``MAX_IMAGE_SIZE`` bytes. Files get random names and
are served at ``/media/<name>`` with their sniffed type, ``nosniff`` and a sandboxing CSP, to
whoever may read the article they belong to (``app/visibility.py: can_view_image``).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Article, ArticleImage, User, utcnow
from ..tickets.attachments import clean_filename, content_matches

MAX_IMAGE_SIZE = 5 * 1024 * 1024
# sniffing kind → (extension, content type)
KINDS = {
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "gif": ("gif", "image/gif"),
    "webp": ("webp", "image/webp"),
}
ALLOWED_HINT = "可以上传 PNG、JPG、GIF 或 WebP 格式的图片，每张不超过 5 MB"
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(?:png|jpg|gif|webp)$")
_REFERENCE = re.compile(r"/media/([0-9a-f]{32}\.(?:png|jpg|gif|webp))")


class ImageError(ValueError):
    """One Chinese sentence saying why the image was refused."""


def images_dir() -> Path:
    path = Path(current_app.config["KB_INSTANCE_DIR"]) / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(data: bytes) -> str | None:
    for kind in KINDS:
        if content_matches(kind, data):
            return kind
    return None


def check(filename: str, data: bytes) -> str:
    """The sniffed kind of an acceptable image; raises ImageError otherwise."""
    if not data:
        raise ImageError(f"“{filename}”是空文件。")
    if len(data) > MAX_IMAGE_SIZE:
        raise ImageError(f"“{filename}”超过 5 MB，请压缩或裁剪后再上传。")
    kind = sniff(data)
    if kind is None:
        head = data[:512].lstrip().lower()
        if filename.lower().endswith(".svg") or head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
            raise ImageError(f"不支持 SVG 图片（可能含有脚本）。{ALLOWED_HINT}。")
        raise ImageError(f"“{filename}”不是可识别的图片。{ALLOWED_HINT}。")
    return kind


def store(session: Session, storage, user: User | None, article: Article | None = None) -> ArticleImage:
    """Check and save an uploaded file (werkzeug FileStorage); committed on return."""
    filename = clean_filename(getattr(storage, "filename", None) or "图片")
    stream = getattr(storage, "stream", storage)
    data = stream.read(MAX_IMAGE_SIZE + 1)
    kind = check(filename, data)
    ext, content_type = KINDS[kind]
    stored_name = f"{secrets.token_hex(16)}.{ext}"
    path = images_dir() / stored_name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    image = ArticleImage(stored_name=stored_name, filename=filename, content_type=content_type, size=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=user.id if user else None,
                         article_id=article.id if article is not None else None, created_at=utcnow())
    try:
        session.add(image)
        session.commit()
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)
        raise
    return image


def url(image: ArticleImage) -> str:
    return f"/media/{image.stored_name}"


def markdown(image: ArticleImage) -> str:
    alt = os.path.splitext(image.filename)[0].replace("[", "").replace("]", "")[:60] or "图片"
    return f"![{alt}]({url(image)})"


def find(session: Session, name: str) -> ArticleImage | None:
    if not NAME_RE.match(name or ""):
        return None
    return session.scalar(select(ArticleImage).where(ArticleImage.stored_name == name))


def path_of(image: ArticleImage) -> Path:
    return images_dir() / image.stored_name


def claim_images(session: Session, article: Article, body: str, user: User | None) -> int:
    """Images the body shows that belong to no article yet become this article's."""
    names = set(_REFERENCE.findall(body or ""))
    if not names or article.id is None:
        return 0
    return session.execute(
        update(ArticleImage)
        .where(ArticleImage.stored_name.in_(names), ArticleImage.article_id.is_(None))
        .values(article_id=article.id)
        .execution_options(synchronize_session=False)
    ).rowcount
