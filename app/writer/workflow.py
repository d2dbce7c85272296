"""An article's life in the browser: save revisions, review, publish, archive, restore.

States (``working_state``): ``draft → in_review → published → archived``, and back to
``draft`` for changes. ``Article.status`` is what **readers** see: a published article stays
published (the row keeps the published revision's content) while a newer revision is being
written or reviewed; only ``publish`` copies a revision into the row. For an article that is
not published the row always holds its newest revision.

* Every save is an :class:`ArticleRevision` (who, when, a short note). A save names the
  revision it started from (``base_revision``); if another save came first the save is refused
  with :class:`Conflict` — nothing is overwritten (compare-and-set on ``Article.revision``).
* ``KB_REQUIRE_REVIEW`` on: a writer's publish becomes a review request; another writer or an
  admin approves it (published) or sends it back with a comment (draft). Rules in
  ``app/visibility.py``.
* Publishing a changed article bumps ``Article.version`` (feedback is judged per version) and
  closes its open fix task, as ``kb sync`` does.
* The caller commits, then pushes the article to the search index (``commit_and_index``).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import MAX_INTEGER, Article, ArticleEvent, ArticleRevision, User, utcnow
from ..visibility import can_approve, can_publish_directly
from .content import Content, Submission, apply, of_article, of_revision, suggest_slug

STATES = {"draft": "草稿", "in_review": "待审核", "published": "已发布", "archived": "已归档"}
EVENT_LABELS = {
    "created": "创建", "submitted": "提交审核", "approved": "审核通过", "returned": "退回修改",
    "published": "发布", "unpublished": "撤下（转为草稿）", "archived": "归档", "verified": "已复核",
    "restored": "恢复旧版本", "review_date": "修改复核日期",
}
ORIGINS = {"web": "网页编辑", "api": "API", "file": "文件导入", "restore": "恢复旧版本", "kcs": "从工单起草"}
TRUE_WORDS = {"1", "true", "yes", "on", "是"}


class WorkflowError(Exception):
    """A refused action: ``code`` for the API, ``message`` in Chinese, an HTTP ``status``."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Conflict(WorkflowError):
    """Someone saved since ``base_revision``: ``current`` is their revision."""

    def __init__(self, current: ArticleRevision):
        super().__init__("conflict", f"保存被拒绝：别人在您之后保存了第 {current.number} 版。"
                         "请对照下面的差异合并修改后再保存，您写的内容都还在编辑框里。", 409)
        self.current = current


def review_required() -> bool:
    value = current_app.config.get("KB_REQUIRE_REVIEW", False)
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return bool(value)


def working_state(article: Article) -> str:
    """The state of the article's newest revision."""
    if article.status == "archived":
        return "archived"
    if article.review_revision is not None and article.review_revision == article.revision:
        return "in_review"
    if article.status == "published" and article.published_revision == article.revision:
        return "published"
    return "draft"


def has_pending_changes(article: Article) -> bool:
    """Published, with a newer revision readers do not see yet."""
    return article.status == "published" and article.published_revision != article.revision


def revision(session: Session, article: Article, number: int | None) -> ArticleRevision | None:
    if number is None or not 1 <= number <= MAX_INTEGER:     # ?from=2147483648 is no revision
        return None
    return session.scalar(
        select(ArticleRevision).where(ArticleRevision.article_id == article.id, ArticleRevision.number == number)
    )


def head(session: Session, article: Article) -> ArticleRevision | None:
    return revision(session, article, article.revision)


def revisions(session: Session, article: Article) -> list[ArticleRevision]:
    return list(session.scalars(
        select(ArticleRevision).where(ArticleRevision.article_id == article.id).order_by(ArticleRevision.number.desc())
    ))


def events(session: Session, article: Article, limit: int = 100) -> list[ArticleEvent]:
    return list(session.scalars(
        select(ArticleEvent).where(ArticleEvent.article_id == article.id)
        .order_by(ArticleEvent.created_at.desc(), ArticleEvent.id.desc()).limit(limit)
    ))


def head_content(session: Session, article: Article) -> Content:
    if not has_pending_changes(article):
        return of_article(article)
    current = head(session, article)
    return of_revision(current) if current is not None else of_article(article)


def log(session: Session, article: Article, kind: str, user: User | None, *, revision: int | None = None,
        comment: str = "") -> ArticleEvent:
    event = ArticleEvent(article_id=article.id, kind=kind, revision=revision, comment=comment or "",
                         user_id=user.id if user is not None else None, created_at=utcnow())
    session.add(event)
    return event


def add_revision(session: Session, article: Article, content: Content, number: int, *, user: User | None,
                 origin: str, note: str = "", restored_from: int | None = None) -> ArticleRevision:
    row = ArticleRevision(article=article, number=number, note=(note or "")[:200], origin=origin,
                          restored_from=restored_from, author_id=user.id if user is not None else None,
                          created_at=utcnow())
    apply(content, row)
    session.add(row)
    return row


# --- saving --------------------------------------------------------------------------------


def create(session: Session, sub: Submission, *, user: User, origin: str = "web",
           source_ticket_id: int | None = None) -> Article:
    """A new draft article (revision 1). The slug is the submitted one or a suggested one."""
    def taken(slug: str) -> bool:
        return session.scalar(select(func.count()).select_from(Article).where(Article.slug == slug)) > 0

    slug = sub.slug or suggest_slug(sub.content.title, sub.content.category, taken)
    if taken(slug):
        raise WorkflowError("slug_taken", f"网址 {slug} 已被另一篇文章使用，请换一个。", 409)
    now = utcnow()
    article = Article(slug=slug, status="draft", version=1, revision=1, web_edited=True, content_hash="",
                      created_by_id=user.id, source_ticket_id=source_ticket_id, created_at=now, modified_at=now,
                      review_by=sub.review_by if sub.review_by_given else None)
    apply(sub.content, article)
    session.add(article)
    session.flush()
    add_revision(session, article, sub.content, 1, user=user, origin=origin, note=sub.note or "新建")
    log(session, article, "created", user, revision=1)
    from .images import claim_images

    claim_images(session, article, sub.content.body, user)
    return article


def save(session: Session, article: Article, sub: Submission, *, base_revision: int | None, user: User,
         origin: str = "web", restored_from: int | None = None) -> ArticleRevision | None:
    """A new revision from ``sub``; None when the content is the newest revision's already.

    Raises Conflict when ``base_revision`` is not the newest revision (someone saved first),
    even when the text is the same: the caller decides how to tell the writer.
    """
    if sub.review_by_given and sub.review_by != article.review_by:
        article.review_by = sub.review_by
        log(session, article, "review_date", user, comment=sub.review_by.isoformat() if sub.review_by else "")
    current = head(session, article)
    if base_revision != article.revision:
        raise Conflict(current) if current is not None else WorkflowError("conflict", "文章已被修改，请刷新。")
    if current is not None and of_revision(current) == sub.content and restored_from is None:
        return None  # nothing to save
    number = base_revision + 1
    # Compare-and-set: of two saves from the same base only one moves the number on.
    moved = session.execute(
        update(Article).where(Article.id == article.id, Article.revision == base_revision)
        .values(revision=number).execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        session.rollback()
        session.refresh(article)
        raise Conflict(head(session, article))
    set_committed_value(article, "revision", number)
    row = add_revision(session, article, sub.content, number, user=user, origin=origin, note=sub.note,
                       restored_from=restored_from)
    if article.review_revision is not None:
        article.review_revision = None  # a newer save replaces the revision under review
    if article.status != "published":
        apply(sub.content, article)
        article.status = "draft"
        article.modified_at = utcnow()
    # A published article's row is its readers' text: a draft saved beside it changes nothing
    # they see — not its date, nor its place among the newest articles.
    article.web_edited = True
    from .images import claim_images

    claim_images(session, article, sub.content.body, user)
    return row


def restore(session: Session, article: Article, number: int, *, user: User, base_revision: int | None = None
            ) -> ArticleRevision:
    """Revision ``number``'s content as a new draft revision."""
    old = revision(session, article, number)
    if old is None:
        raise WorkflowError("not_found", f"没有第 {number} 版。", 404)
    current = head(session, article)
    if current is not None and of_revision(current) == of_revision(old):
        raise WorkflowError("unchanged", f"第 {number} 版与最新的第 {current.number} 版内容相同，不需要恢复。")
    sub = Submission(content=of_revision(old), note=f"恢复第 {number} 版")
    row = save(session, article, sub, base_revision=article.revision if base_revision is None else base_revision,
               user=user, origin="restore", restored_from=number)
    log(session, article, "restored", user, revision=row.number, comment=f"第 {number} 版")
    return row


# --- review and publishing -----------------------------------------------------------------


def _expect_head(article: Article, number: int | None) -> None:
    if number is not None and number != article.revision:
        raise WorkflowError("conflict", f"最新的是第 {article.revision} 版，不是第 {number} 版：请先看一下新的修改。")


def publish(session: Session, article: Article, *, user: User, number: int | None = None, comment: str = "") -> str:
    """Publish the newest revision, or ask for review when KB_REQUIRE_REVIEW says so.

    Returns ``"published"`` or ``"in_review"``.
    """
    _expect_head(article, number)
    state = working_state(article)
    if state == "published":
        raise WorkflowError("already_published", "最新版本已经发布，没有需要发布的修改。")
    _refuse_unfinished(session, article)
    if not can_publish_directly(user.role, review_required()):
        if state != "in_review":
            submit(session, article, user=user, comment=comment)
        return "in_review"
    _publish_head(session, article, user)
    return "published"


def submit(session: Session, article: Article, *, user: User, comment: str = "") -> None:
    state = working_state(article)
    if state == "in_review":
        raise WorkflowError("already_in_review", "这一版已经在等待审核。")
    if state == "published":
        raise WorkflowError("already_published", "最新版本已经发布，没有需要审核的修改。")
    article.review_revision = article.revision
    if article.status != "published":
        article.status = "in_review"
    article.web_edited = True
    log(session, article, "submitted", user, revision=article.revision, comment=comment)


def approve(session: Session, article: Article, *, user: User, number: int | None = None, comment: str = "") -> None:
    _expect_head(article, number)
    if working_state(article) != "in_review":
        raise WorkflowError("not_in_review", "这篇文章没有等待审核的版本。")
    current = head(session, article)
    if not can_approve(user, current.author_id if current is not None else None):
        raise WorkflowError("forbidden", "不能审核自己写的版本：请另一位写作者或管理员审核。", 403)
    _refuse_unfinished(session, article)
    log(session, article, "approved", user, revision=article.revision, comment=comment)
    _publish_head(session, article, user)


def _refuse_unfinished(session: Session, article: Article) -> None:
    """Readers must never get the template's 「（读者遇到了什么…）」 or a KCS draft's 「（待补充…）」."""
    from .lint import unfinished

    found = unfinished(of_revision(head(session, article)).body or "")
    if found:
        more = f"（共 {len(found)} 处）" if len(found) > 1 else ""
        raise WorkflowError("unfinished", f"还不能发布：{found[0].message}{more}", 422)


def send_back(session: Session, article: Article, *, user: User, comment: str) -> None:
    comment = (comment or "").strip()
    if working_state(article) != "in_review":
        raise WorkflowError("not_in_review", "这篇文章没有等待审核的版本。")
    if not comment:
        raise WorkflowError("comment_required", "退回时请写明需要修改什么。", 400)
    article.review_revision = None
    if article.status == "in_review":
        article.status = "draft"
    log(session, article, "returned", user, revision=article.revision, comment=comment[:2000])


def _publish_head(session: Session, article: Article, user: User) -> None:
    from ..feedback.fixtasks import close_for_new_versions
    from .review import today

    current = head(session, article)
    content = of_revision(current)
    if article.published_revision is not None and article.published_revision != current.number:
        article.version = (article.version or 0) + 1
        article.version_views = 0  # a new version is judged afresh (app/feedback/health.py)
    apply(content, article)
    article.status = "published"
    article.published_revision = current.number
    article.review_revision = None
    article.updated = today()
    article.modified_at = utcnow()
    article.web_edited = True
    log(session, article, "published", user, revision=current.number)
    session.flush()
    close_for_new_versions(session, [article])


def unpublish(session: Session, article: Article, *, user: User) -> None:
    """Published → draft: readers no longer see it; the newest revision is the draft."""
    if article.status != "published":
        raise WorkflowError("not_published", "这篇文章没有发布，无需撤下。")
    _take_off(session, article, "draft")
    log(session, article, "unpublished", user, revision=article.revision)


def archive(session: Session, article: Article, *, user: User, comment: str = "") -> None:
    if article.status == "archived":
        raise WorkflowError("already_archived", "这篇文章已经归档。")
    _take_off(session, article, "archived")
    log(session, article, "archived", user, revision=article.revision, comment=comment)


def _take_off(session: Session, article: Article, status: str) -> None:
    if has_pending_changes(article):
        apply(of_revision(head(session, article)), article)  # not published: the row holds the newest
    article.status = status
    article.review_revision = None
    article.web_edited = True
    article.modified_at = utcnow()


def verify(session: Session, article: Article, *, user: User, next_date, comment: str = "") -> None:
    """「已复核」: the content is still right; record who and when, set the next date."""
    from .review import next_due_date, today

    if article.status != "published":
        raise WorkflowError("not_published", "只有已发布的文章需要复核。")
    next_date = next_date or next_due_date()
    if next_date <= today():
        raise WorkflowError("bad_date", "下次复核日期必须晚于今天。", 400)
    article.review_by = next_date
    article.reviewed_at = utcnow()
    article.reviewed_by_id = user.id
    log(session, article, "verified", user, revision=article.published_revision,
        comment=(f"下次复核 {next_date.isoformat()}" + (f"：{comment}" if comment else "")))


def commit_and_index(session: Session, *articles: Article) -> None:
    """Commit, then make the change searchable (or unsearchable) in every app process."""
    import logging

    from ..articles.search import index_articles

    session.commit()
    try:
        index_articles(articles)
    except Exception:  # the database is the source: `kb index` repairs the index later
        logging.getLogger("app.writer").exception("could not update the search index for %s",
                                                  [a.slug for a in articles])
