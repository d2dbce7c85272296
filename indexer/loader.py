"""Load Markdown articles from a folder tree.

One job: turn files into validated :class:`SourceArticle` records, and every
file that cannot be one into a :class:`LoadError` naming its path and reason.
A broken file never stops the others from loading.

Rules (see ``articles/README.md`` and the interface contract):

* every ``*.md`` below the root, recursively; hidden files and folders are
  skipped, and so is a ``README.md`` directly in the root (the writers' guide) and, at any
  depth, the files a documentation repository keeps *about* itself rather than help pages
  (``NOT_ARTICLES``: licence, change log, contribution guide, provenance ``SOURCE.md``, tables
  of contents ``TOC.md``/``SUMMARY.md``) — imported, they only outrank the pages they list;
* front matter (YAML between ``---`` lines) is optional; without it the title
  is the first ``#`` heading (else the file name), the category is the folder,
  the article is public and published;
* the slug is the path relative to the root without ``.md`` unless the front
  matter sets ``slug``;
* ``content_hash`` is the SHA-256 of the file's bytes, so unchanged files can be
  skipped by whoever imports them;
* front matter written for another system (MS Learn, Hugo, Jekyll…) never costs
  the file: keys we do not define are ignored, an ``audience`` value we do not
  define is imported as ``internal`` (the safe side) and an unknown ``status``
  as ``draft`` (never published by accident) -- each with a :class:`LoadWarning`,
  unless an *audience map* (``kb sync --audience-map Admin=internal,…``) says
  what the foreign value means.  Files that are truly broken stay errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import yaml

MAX_FILE_BYTES = 1_000_000
AUDIENCES = ("public", "internal")
STATUSES = ("draft", "published", "archived")
UNCATEGORISED = "未分类"
# The front-matter keys we define (articles/README.md); any other key is ignored with a warning.
KNOWN_KEYS = frozenset({"title", "slug", "category", "tags", "error_codes", "audience", "status", "updated", "review_by"})
# Where a foreign value lands when nobody said what it means: the side that leaks nothing.
SAFE_AUDIENCE = "internal"
SAFE_STATUS = "draft"

# libyaml's C parser is ~9x faster on the corpus (same results); pure Python where it is missing.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)(?:\r?\n)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)
_SLUG_OK = re.compile(r"^[^\s/\\?#%<>\"'`]+(?:/[^\s/\\?#%<>\"'`]+)*$")


class ArticleFormatError(ValueError):
    """A file that cannot be imported; the message says why, in Chinese."""


@dataclass(frozen=True)
class SourceArticle:
    path: Path
    slug: str
    title: str
    category: str
    tags: tuple[str, ...]
    error_codes: tuple[str, ...]
    audience: str
    status: str
    updated: dt.date | None
    body: str
    content_hash: str
    # What the import had to decide on the author's behalf (foreign values), in Chinese.
    warnings: tuple[str, ...] = ()
    # Front-matter keys we do not define, ignored (reported once per key per run).
    unknown_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadError:
    path: str
    error: str


@dataclass(frozen=True)
class LoadWarning:
    path: str
    warning: str


@dataclass
class LoadResult:
    articles: list[SourceArticle] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)


class ImportWarnings:
    """The warnings of one import run: each file's own, and each unknown key once."""

    def __init__(self) -> None:
        self.items: list[LoadWarning] = []
        self._keys: set[str] = set()

    def add(self, article: SourceArticle) -> None:
        path = str(article.path)
        self.items.extend(LoadWarning(path, w) for w in article.warnings)
        for key in article.unknown_keys:
            if key not in self._keys:
                self._keys.add(key)
                self.items.append(LoadWarning(path, f"front matter 中的键 “{key}” 不是本系统定义的，已忽略"
                                                    "（同一个键本次只提示一次）"))


def parse_audience_map(text: str | None) -> dict[str, str]:
    """``Admin=internal,ITPro=internal`` -> ``{"admin": "internal", "itpro": "internal"}``.

    Foreign values are matched case-insensitively; each must map to one of AUDIENCES.
    Raises ``ValueError`` with a Chinese message for a malformed map.
    """
    mapping: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        foreign, sep, ours = item.partition("=")
        foreign, ours = foreign.strip().lower(), ours.strip().lower()
        if not sep or not foreign:
            raise ValueError(f"“{item.strip()}” 应写成 值=public 或 值=internal")
        if ours not in AUDIENCES:
            raise ValueError(f"“{item.strip()}” 只能对应 {' 或 '.join(AUDIENCES)}")
        mapping[foreign] = ours
    return mapping


#: file names (lower case) that are never articles, at any depth of an imported folder
NOT_ARTICLES = frozenset({
    "license.md", "licence.md", "changelog.md", "contributing.md", "code_of_conduct.md",
    "source.md", "toc.md", "summary.md",
})


def iter_markdown_files(root: Path) -> Iterator[Path]:
    """Every article file below ``root`` in a stable (sorted) order."""
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(".md"):
                continue
            if name.lower() == "readme.md" and Path(dirpath) == root:
                continue
            if name.lower() in NOT_ARTICLES:
                continue
            yield Path(dirpath) / name


def load_tree(
    root: Path, files: Iterable[Path] | None = None, *, audience_map: dict[str, str] | None = None
) -> LoadResult:
    """Load every article below ``root``; duplicate slugs are errors for the later file."""
    root = Path(root)
    result = LoadResult()
    warnings = ImportWarnings()
    result.warnings = warnings.items
    seen: dict[str, Path] = {}
    for path in files if files is not None else iter_markdown_files(root):
        try:
            article = load_file(path, root, audience_map=audience_map)
        except ArticleFormatError as exc:
            result.errors.append(LoadError(str(path), str(exc)))
            continue
        if article.slug in seen:
            result.errors.append(
                LoadError(str(path), f"slug “{article.slug}” 与 {seen[article.slug]} 重复")
            )
            continue
        seen[article.slug] = path
        warnings.add(article)
        result.articles.append(article)
    return result


def load_file(path: Path, root: Path, *, audience_map: dict[str, str] | None = None) -> SourceArticle:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArticleFormatError(f"文件过大（{size:,} 字节，上限 {MAX_FILE_BYTES:,} 字节）")
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleFormatError(f"无法读取文件：{exc.strerror or exc}") from exc
    rel = path.relative_to(root).as_posix()
    return parse_article(data, rel, path=path, audience_map=audience_map)


def parse_article(
    data: bytes, rel_path: str, *, path: Path | None = None, audience_map: dict[str, str] | None = None
) -> SourceArticle:
    """Validate one file's bytes; ``rel_path`` is its path relative to the import root.

    ``audience_map`` (lower-cased foreign value -> public|internal) says what a foreign
    ``audience`` value means; unmapped foreign values import as internal with a warning.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ArticleFormatError(f"文件过大（{len(data):,} 字节，上限 {MAX_FILE_BYTES:,} 字节）")
    if b"\x00" in data:
        raise ArticleFormatError("不是文本文件（含有二进制内容）")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleFormatError(f"不是 UTF-8 编码（第 {exc.start} 字节处无法解码）") from exc
    if not text.strip():
        raise ArticleFormatError("文件为空")

    meta, body = _split_front_matter(text)
    if not body.strip() and not meta.get("title"):
        raise ArticleFormatError("没有正文")

    stem = rel_path[:-3] if rel_path.lower().endswith(".md") else rel_path
    folder = stem.rsplit("/", 1)[0] if "/" in stem else ""

    title = _text(meta, "title") or _first_heading(body) or stem.rsplit("/", 1)[-1]
    slug = (_text(meta, "slug") or _slug_from_path(stem)).strip().strip("/")
    if not _SLUG_OK.match(slug) or any(part in (".", "..") for part in slug.split("/")):
        raise ArticleFormatError(f"slug “{slug}” 无效：不能含空白、引号、? # % 或 .. 路径段")
    if len(slug) > 300:
        raise ArticleFormatError("slug 过长（上限 300 个字符）")
    category = _text(meta, "category") or (folder.rsplit("/", 1)[-1] if folder else UNCATEGORISED)

    warnings: list[str] = []
    audience = _audience(meta, audience_map or {}, warnings)
    status = _choice(meta, "status", STATUSES, "published", SAFE_STATUS, warnings)

    return SourceArticle(
        path=path or Path(rel_path),
        slug=slug,
        title=title[:300],
        category=category[:100],
        tags=_string_list(meta, "tags"),
        error_codes=_string_list(meta, "error_codes"),
        audience=audience,
        status=status,
        updated=_date(meta.get("updated")),
        body=body,
        content_hash=hashlib.sha256(data).hexdigest(),
        warnings=tuple(warnings),
        unknown_keys=tuple(str(k) for k in meta if str(k) not in KNOWN_KEYS),
    )


def _slug_from_path(stem: str) -> str:
    """A file name may hold spaces or quotes (``cant-access-user data.md``): make it URL-safe."""
    stem = re.sub(r"\s+", "-", stem.strip())
    return re.sub(r"[\\?#%<>\"'`]", "", stem)


def _split_front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        if text.startswith("---") and text.split("\n", 1)[0].strip() == "---":
            raise ArticleFormatError("front matter 没有结束的 --- 行")
        return {}, text
    try:
        meta = yaml.load(match.group(1), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"第 {where.line + 2} 行：" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleFormatError(f"front matter 不是有效的 YAML（{line}{problem}）") from exc
    except ValueError as exc:  # e.g. `updated: 2026-13-45` fails inside YAML's date constructor
        raise ArticleFormatError(f"front matter 中的日期无效（{exc}）") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ArticleFormatError("front matter 必须是“键: 值”形式的映射")
    return meta, text[match.end():]


def _first_heading(body: str) -> str | None:
    match = _H1.search(body)
    return match.group(1).strip() if match else None


def _text(meta: dict, key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise ArticleFormatError(f"{key} 应该是文本")
    value = str(value).strip()
    return value or None


def _choice(meta: dict, key: str, allowed: tuple[str, ...], default: str, fallback: str,
            warnings: list[str]) -> str:
    """A value from ``allowed``; a foreign one becomes ``fallback`` with a warning."""
    value = meta.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, (dict, list)):
        raise ArticleFormatError(f"{key} 应该是文本（可选：{' | '.join(allowed)}）")
    word = str(value).strip().lower()
    if word in allowed:
        return word
    warnings.append(f"未知的 {key}：“{value}”，已按 {fallback} 导入（本系统可选：{' | '.join(allowed)}）")
    return fallback


def _audience(meta: dict, audience_map: dict[str, str], warnings: list[str]) -> str:
    """``audience``: ours, or a foreign value the map names, or else internal with a warning.

    A list (``[Admin, ITPro]``, as some doc sets write it) is public only if every value is.
    """
    value = meta.get("audience")
    if value is None or value == "" or value == []:
        return "public"
    values = value if isinstance(value, list) else [value]
    if any(isinstance(v, (dict, list)) for v in values):
        raise ArticleFormatError(f"audience 应该是文本（可选：{' | '.join(AUDIENCES)}）")
    resolved = []
    for item in values:
        word = str(item).strip().lower()
        if word in audience_map:
            resolved.append(audience_map[word])
        elif word in AUDIENCES:
            resolved.append(word)
        else:
            resolved.append(SAFE_AUDIENCE)
            warnings.append(
                f"未知的 audience：“{item}”，已按 internal（仅服务台、写作者、管理员可见）导入；"
                f"如需公开，请用 kb sync --audience-map {str(item).strip()}=public"
            )
    return "public" if all(r == "public" for r in resolved) else "internal"


def _string_list(meta: dict, key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        value = [v for v in str(value).split(",")]
    if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
        raise ArticleFormatError(f"{key} 应该是列表，例如 [VPN, L2TP]")
    items = [str(v).strip() for v in value if v is not None and str(v).strip()]
    return tuple(dict.fromkeys(items))


def _date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ArticleFormatError(f"日期无效：“{value}”（应为 YYYY-MM-DD）") from None
