"""The writers' inbox (``/writer/``): everything waiting for a writer, in one place.

* 待审核 — revisions waiting for approval (KB_REQUIRE_REVIEW), marked when the viewer may approve;
* 草稿 — articles whose newest revision is not published (new ones and changes to published ones);
* 来自工单的草稿 — KCS drafts written from tickets, not yet published;
* 待修订 — open fix tasks from readers' "not helpful" feedback;
* 待复核 — published articles past their review-by date;
* 失效链接 — how many internal links lead to missing or archived articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..models import Article, ArticleRevision, FixTask, Ticket, User
from ..visibility import ALL_AUDIENCES, can_approve
from . import links, review, workflow


@dataclass
class DraftItem:
    article: Article
    newest: ArticleRevision | None
    state: str
    pending: bool  # a change to a published article
    ticket: Ticket | None = None
    may_approve: bool = False


@dataclass
class Inbox:
    to_review: list[DraftItem] = field(default_factory=list)
    drafts: list[DraftItem] = field(default_factory=list)
    kcs: list[DraftItem] = field(default_factory=list)
    fix_tasks: list[tuple[FixTask, Article]] = field(default_factory=list)
    overdue: list[Article] = field(default_factory=list)
    broken_links: int = 0

    @property
    def empty(self) -> bool:
        return not (self.to_review or self.drafts or self.kcs or self.fix_tasks or self.overdue or self.broken_links)


def unpublished_work(session: Session, limit: int = 200) -> list[DraftItem]:
    """Articles whose newest revision readers do not see, newest change first."""
    rows = session.execute(
        select(Article, ArticleRevision)
        .outerjoin(ArticleRevision, and_(ArticleRevision.article_id == Article.id,
                                         ArticleRevision.number == Article.revision))
        .where(or_(Article.status.in_(("draft", "in_review")),
                   and_(Article.status == "published", Article.published_revision != Article.revision)))
        .order_by(func.coalesce(ArticleRevision.created_at, Article.modified_at).desc(), Article.id.desc())
        .limit(limit)
    ).all()
    ticket_ids = {a.source_ticket_id for a, _ in rows if a.source_ticket_id}
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))} if ticket_ids else {}
    return [DraftItem(article=a, newest=r, state=workflow.working_state(a), pending=a.status == "published",
                      ticket=tickets.get(a.source_ticket_id)) for a, r in rows]


def build(session: Session, user: User) -> Inbox:
    box = Inbox()
    for item in unpublished_work(session):
        if item.state == "in_review":
            item.may_approve = can_approve(user, item.newest.author_id if item.newest else None)
            box.to_review.append(item)
        elif item.ticket is not None:
            box.kcs.append(item)
        else:
            box.drafts.append(item)
    box.fix_tasks = list(session.execute(
        select(FixTask, Article).join(Article, Article.id == FixTask.article_id)
        .where(FixTask.status == "open").order_by(FixTask.opened_at)
    ).all())
    box.overdue = review.overdue_articles(session, ALL_AUDIENCES)
    box.broken_links = len(links.broken_links(session, ALL_AUDIENCES))
    return box
