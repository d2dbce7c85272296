"""What a writer edits: an article's content (title, category, tags, codes, audience, body)
and its metadata (slug, review-by date), validated into one value with Chinese messages.

The same rules serve the editor form, the JSON API and KCS drafts, so a field is checked the
same way wherever it comes from. Bad input raises :class:`ContentError` with a message per
field and keeps what was typed (``values``) so a form can show it again.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Mapping

from ..models import Article, ArticleRevision
from ..tickets.service import clean_text  # the same cleaning as every other text we store

TITLE_MAX = 300
CATEGORY_MAX = 100
BODY_MAX = 1_000_000  # the importer's file limit (indexer/loader.py MAX_FILE_BYTES)
NOTE_MAX = 200
LIST_MAX_ITEMS = 30
LIST_ITEM_MAX = 60
SLUG_MAX = 120
AUDIENCES = {"public": "所有人（公开）", "internal": "仅服务台（内部）"}

# The library's categories and their folders (articles/README.md), in display order.
CATEGORY_FOLDERS = {
    "账号与密码": "account",
    "VPN 与远程访问": "vpn",
    "网络与 Wi-Fi": "network",
    "邮件与日历": "mail",
    "打印与外设": "printing",
    "软件安装与授权": "software",
    "电脑与系统": "computer",
    "信息安全": "security",
    "协作与会议": "collaboration",
}
# Last slug segments that would collide with the editor's own URLs (/writer/articles/<slug>/edit …).
RESERVED_SEGMENTS = {"new", "edit", "history", "diff", "revisions", "restore", "publish", "submit",
                     "approve", "return", "archive", "unpublish", "verify", "revisions.json"}
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:/[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")
_SPLIT = re.compile(r"[,，、;；\n]+")


class ContentError(ValueError):
    """``errors``: field → Chinese message; ``values``: what was typed."""

    def __init__(self, errors: dict[str, str], values: dict | None = None):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.values = dict(values or {})

    @property
    def message(self) -> str:
        return "内容有误，请按提示修改后重新保存。"


@dataclass(frozen=True)
class Content:
    """The versioned part of an article: one revision holds exactly this."""

    title: str
    category: str
    body: str
    tags: tuple[str, ...] = ()
    error_codes: tuple[str, ...] = ()
    audience: str = "public"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["tags"], data["error_codes"] = list(self.tags), list(self.error_codes)
        return data


def of_article(article: Article) -> Content:
    """What the article row holds (readers' content while it is published)."""
    return Content(title=article.title, category=article.category, body=article.body or "",
                   tags=tuple(article.tags or ()), error_codes=tuple(article.error_codes or ()),
                   audience=article.audience)


def of_revision(revision: ArticleRevision) -> Content:
    return Content(title=revision.title, category=revision.category, body=revision.body or "",
                   tags=tuple(revision.tags or ()), error_codes=tuple(revision.error_codes or ()),
                   audience=revision.audience)


def apply(content: Content, target) -> None:
    """Copy ``content`` onto an Article or ArticleRevision."""
    target.title = content.title
    target.category = content.category
    target.body = content.body
    target.tags = list(content.tags)
    target.error_codes = list(content.error_codes)
    target.audience = content.audience


def split_list(value) -> list[str]:
    """``"VPN, L2TP、IKEv2"`` or ``["VPN", "L2TP"]`` → ``["VPN", "L2TP", "IKEv2"]`` (deduplicated)."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else _SPLIT.split(clean_text(value))
    out: list[str] = []
    for item in items:
        text = clean_text(item, single_line=True).strip() if isinstance(item, (str, int, float)) else ""
        if text and text not in out:
            out.append(text)
    return out


def _list_error(label: str, items: list[str]) -> str | None:
    if len(items) > LIST_MAX_ITEMS:
        return f"{label}最多 {LIST_MAX_ITEMS} 个，现在有 {len(items)} 个。"
    long = [i for i in items if len(i) > LIST_ITEM_MAX]
    if long:
        return f"“{long[0][:20]}…”太长：每个{label}最多 {LIST_ITEM_MAX} 个字。"
    return None


def parse_date(value) -> dt.date | None:
    """``YYYY-MM-DD`` (or a date) → date; empty → None; anything else raises ValueError."""
    from indexer.loader import ArticleFormatError, _date  # the importer's own date rule

    try:
        return _date(clean_text(value, single_line=True).strip() if isinstance(value, str) else value)
    except ArticleFormatError as exc:
        raise ValueError(str(exc)) from None


@dataclass
class Submission:
    """A validated save: the content, plus what is not versioned."""

    content: Content
    note: str = ""
    review_by: dt.date | None = None
    review_by_given: bool = False
    slug: str | None = None
    warnings: list[str] = field(default_factory=list)


def validate(data: Mapping, *, base: Content | None = None, new: bool = False) -> Submission:
    """Check a form or JSON body; fields missing from ``data`` keep their ``base`` value.

    Raises ContentError (messages per field, the typed values kept).
    """
    if not isinstance(data, Mapping):
        raise ContentError({"body": "请求正文必须是一个 JSON 对象。"})
    errors: dict[str, str] = {}
    values: dict = {}

    def pick(name, default):
        return data.get(name) if name in data else default

    title = clean_text(pick("title", base.title if base else ""), single_line=True).strip()
    values["title"] = title
    if not title:
        errors["title"] = "请填写标题：用读者会搜索的话说明问题，例如“VPN 连接提示错误 809”。"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"标题最多 {TITLE_MAX} 个字，现在是 {len(title)} 个字。"

    category = clean_text(pick("category", base.category if base else ""), single_line=True).strip()
    values["category"] = category
    if not category:
        errors["category"] = "请选择类别。"
    elif len(category) > CATEGORY_MAX:
        errors["category"] = f"类别最多 {CATEGORY_MAX} 个字。"

    body = clean_text(pick("body", base.body if base else ""))
    values["body"] = body
    if not body.strip():
        errors["body"] = "正文不能为空。"
    elif len(body.encode("utf-8")) > BODY_MAX:
        errors["body"] = f"正文太长（上限 {BODY_MAX // 1000} KB），请拆成几篇文章。"

    tags = split_list(pick("tags", list(base.tags) if base else []))
    codes = split_list(pick("error_codes", list(base.error_codes) if base else []))
    values["tags"], values["error_codes"] = tags, codes
    for name, label, items in (("tags", "标签", tags), ("error_codes", "错误代码", codes)):
        problem = _list_error(label, items)
        if problem:
            errors[name] = problem

    audience = clean_text(pick("audience", base.audience if base else "public"), single_line=True).strip().lower()
    values["audience"] = audience
    if audience not in AUDIENCES:
        errors["audience"] = "读者范围只能是 public（所有人）或 internal（仅服务台）。"

    note = clean_text(data.get("note"), single_line=True).strip()
    values["note"] = note
    if len(note) > NOTE_MAX:
        errors["note"] = f"修改说明最多 {NOTE_MAX} 个字。"

    review_by = None
    review_given = "review_by" in data
    values["review_by"] = clean_text(data.get("review_by"), single_line=True).strip() if review_given else ""
    if review_given:
        try:
            review_by = parse_date(data.get("review_by"))
        except (TypeError, ValueError):
            errors["review_by"] = "复核日期应为 YYYY-MM-DD，例如 2027-06-30。"

    slug = None
    if new:
        slug = clean_text(data.get("slug"), single_line=True).strip().strip("/").lower() or None
        values["slug"] = slug or ""
        if slug is not None:
            problem = slug_problem(slug)
            if problem:
                errors["slug"] = problem

    if errors:
        raise ContentError(errors, values)
    content = Content(title=title, category=category, body=body, tags=tuple(tags),
                      error_codes=tuple(codes), audience=audience)
    return Submission(content=content, note=note, review_by=review_by, review_by_given=review_given, slug=slug)


def slug_problem(slug: str) -> str | None:
    if len(slug) > SLUG_MAX:
        return f"网址最多 {SLUG_MAX} 个字符。"
    if not _SLUG.match(slug):
        return "网址只能用小写英文字母、数字和连字符，用 / 分隔类别，例如 vpn/error-809。"
    if slug.rsplit("/", 1)[-1] in RESERVED_SEGMENTS:
        return f"网址不能以“{slug.rsplit('/', 1)[-1]}”结尾（编辑器的页面用了这个名字）。"
    return None


def slug_words(title: str) -> list[str]:
    """The title as address words: Latin words and numbers as they are, each Chinese word as
    its pinyin (``打印机一直显示脱机`` → ``dayinji``, ``yizhi``, ``xianshi``, ``tuoji``; ``VPN 错误 809``
    → ``vpn``, ``cuowu``, ``809``) — readable and typeable where a random name is neither."""
    from pypinyin import Style, lazy_pinyin

    from indexer import segment
    from indexer.text import normalise

    words = []
    for piece in segment.get().cut(normalise(title or "")):
        if re.fullmatch(r"[\u4e00-\u9fff]+", piece):
            words.append("".join(lazy_pinyin(piece, style=Style.NORMAL)))
        else:
            words += re.findall(r"[a-z0-9]+", piece.lower())
    return [w for w in words if re.fullmatch(r"[a-z0-9]+", w)]


def suggest_slug(title: str, category: str, taken) -> str:
    """A free slug: the category's folder and the title's words (``vpn/error-809``,
    ``printing/dayinji-xianshi-tuoji``), or a short random name when the title has none.
    ``taken(slug)`` says whether it is used."""
    folder = CATEGORY_FOLDERS.get(category, "kb")
    stem = ""
    for word in slug_words(title):
        if len(stem) + len(word) + 1 > 60:
            break
        stem = f"{stem}-{word}" if stem else word
    candidates = [f"{folder}/{stem}"] if len(stem) >= 3 else []
    candidates += [f"{folder}/{stem + '-' if len(stem) >= 3 else 'article-'}{secrets.token_hex(3)}" for _ in range(5)]
    for slug in candidates:
        if slug_problem(slug) is None and not taken(slug):
            return slug
    return f"{folder}/article-{secrets.token_hex(8)}"
