"""Readers' votes on articles: 「这篇文章对您有帮助吗？」.

One vote per person per article, changeable: the ``feedback`` table has a unique
(article_id, voter_key) constraint and a repeated vote updates the row in place, so clicking
again never inflates the counts. A logged-in reader votes as ``user:<id>``; an anonymous
reader as ``session:<random id>`` kept in the (signed) Flask session.

A vote belongs to the article version it was cast on; counts shown anywhere are for the
current version only, so a new version starts with a clean slate.

Comments are plain text: control and bidi-override characters are dropped, newlines are
normalised, and the text is stored as typed and always shown escaped (never as HTML).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..auth import caller_key
from ..models import Article, Feedback, utcnow

REASONS: dict[str, str] = {
    "not_solved": "没有解决我的问题",
    "unclear": "步骤看不懂",
    "outdated": "内容过时或有误",
    "irrelevant": "不是我要找的",
}
MAX_COMMENT = 1000
MAX_QUERY = 300

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class FeedbackInputError(ValueError):
    """Bad feedback input: ``errors`` maps a field to a Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Vote:
    helpful: bool
    reason: str | None = None
    comment: str | None = None
    query: str | None = None


def voter_key(flask_session, user=None) -> str:
    """``user:<id>`` for a logged-in reader, else ``session:<id>`` (created on first use)."""
    return caller_key(flask_session, user)


def existing_voter_key(flask_session, user=None) -> str | None:
    """The voter key if this reader already has one (never creates a session id)."""
    return caller_key(flask_session, user, create=False)


def clean_text(value, *, multiline: bool = True) -> str:
    """Plain text: no control/bidi-override characters, ``\\n`` newlines, trimmed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    if not multiline:
        value = " ".join(value.split())
    return value.strip()


def parse_helpful(value) -> bool | None:
    """``True``/``False`` from JSON booleans or form values (1/0, true/false, yes/no)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("1", "true", "yes", "helpful"):
            return True
        if text in ("0", "false", "no", "not_helpful"):
            return False
    return None


def parse_vote(data) -> Vote:
    """Check ``helpful``, ``reason``, ``comment`` and ``query``; raise FeedbackInputError."""
    errors: dict[str, str] = {}
    helpful = parse_helpful(data.get("helpful"))
    if helpful is None:
        errors["helpful"] = "请选择“有帮助”或“没有帮助”。"
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        errors["reason"] = "请从列表中选择原因。"
        reason = None
    reason = (reason or "").strip() or None
    if reason is not None and reason not in REASONS:
        errors["reason"] = "请从列表中选择原因：" + " / ".join(REASONS.values()) + "。"
    if reason is not None and helpful:
        reason = None  # a reason only explains "not helpful"
    comment = clean_text(data.get("comment"))
    if len(comment) > MAX_COMMENT:
        errors["comment"] = f"补充说明最多 {MAX_COMMENT:,} 个字，现在是 {len(comment):,} 个字，请精简后再提交。"
    query = clean_text(data.get("query"), multiline=False)[:MAX_QUERY]
    if errors:
        raise FeedbackInputError(errors)
    return Vote(helpful=bool(helpful), reason=reason, comment=comment or None, query=query or None)


def find_vote(session: Session, article: Article, key: str | None) -> Feedback | None:
    if not key:
        return None
    return session.scalar(select(Feedback).where(Feedback.article_id == article.id, Feedback.voter_key == key))


def record_vote(session: Session, article: Article, key: str, vote: Vote, *, user_id: int | None = None) -> Feedback:
    """Insert or update this voter's one row for ``article`` (flushed, not committed)."""
    row = find_vote(session, article, key)
    if row is None:
        row = Feedback(article_id=article.id, voter_key=key, user_id=user_id, helpful=vote.helpful,
                       article_version=article.version, created_at=utcnow())
        try:
            with session.begin_nested():
                session.add(row)
                _apply(row, article, vote)
        except IntegrityError:  # a concurrent first vote by the same voter won: update theirs
            row = find_vote(session, article, key)
            if row is None:
                raise
            _apply(row, article, vote)
    else:
        _apply(row, article, vote)
    session.flush()
    return row


def _apply(row: Feedback, article: Article, vote: Vote) -> None:
    if row.article_version != article.version:
        # A vote on a new version is a new judgement: links to the old version's ticket/task
        # stay on those (tickets keep their article); this row starts over.
        row.ticket_id = None
        row.fix_task_id = None
        row.comment = None
        row.reason = None
    row.article_version = article.version
    row.helpful = vote.helpful
    if vote.helpful:
        row.reason = None
        row.comment = vote.comment
        row.fix_task_id = None
    else:
        if vote.reason is not None:
            row.reason = vote.reason
        if vote.comment is not None:
            row.comment = vote.comment
    if vote.query:
        row.query = vote.query
    row.updated_at = utcnow()


def counts(session: Session, article: Article) -> tuple[int, int]:
    """(helpful, not helpful) votes on the article's current version."""
    helpful, total = session.execute(
        select(
            func.coalesce(func.sum(case((Feedback.helpful.is_(True), 1), else_=0)), 0),
            func.count(Feedback.id),
        ).where(and_(Feedback.article_id == article.id, Feedback.article_version == article.version))
    ).one()
    return int(helpful), int(total) - int(helpful)
