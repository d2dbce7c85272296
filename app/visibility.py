"""Who may see what. Visibility is security: every page, API and search asks here."""

from __future__ import annotations

from flask_login import current_user

from .models import STAFF_ROLES, Article

ROLE_NAMES = ("anonymous", "requester", "agent", "writer", "admin")
PUBLIC = frozenset({"public"})
ALL_AUDIENCES = frozenset({"public", "internal"})


def current_role() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.role
    return "anonymous"


def audiences_for(role: str) -> frozenset[str]:
    return ALL_AUDIENCES if role in STAFF_ROLES else PUBLIC


def can_see_drafts(role: str) -> bool:
    return role in ("writer", "admin")


def can_view(article: Article | None, role: str) -> bool:
    if article is None:
        return False
    if article.audience not in audiences_for(role):
        return False
    if article.status == "published":
        return True
    return can_see_drafts(role)


# --- Accounts: only admins see accounts, tokens, sessions and the audit log ----------------


def can_manage_accounts(role: str) -> bool:
    return role == "admin"


# --- Writers' workspace (app/writer/README.md) ------------------------------------------
# Writing, reviewing and publishing articles: writers and admins. Agents may only start a
# draft from a ticket (KCS); requesters and anonymous visitors get nothing of the workspace.
WRITER_ROLES = ("writer", "admin")
KCS_ROLES = ("agent", "writer", "admin")


def can_write_articles(role: str) -> bool:
    """Create, edit, see the history of, publish and archive articles."""
    return role in WRITER_ROLES


def can_start_kcs_draft(role: str) -> bool:
    """Open the editor prefilled from a ticket and save it as a new draft."""
    return role in KCS_ROLES


def can_publish_directly(role: str, review_required: bool) -> bool:
    """With KB_REQUIRE_REVIEW on, a writer's publish becomes a review request; an admin's
    publish counts as the approval."""
    return can_write_articles(role) and (not review_required or role == "admin")


def can_approve(user, author_id: int | None) -> bool:
    """Another writer, or an admin (who may also approve a revision they wrote)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin":
        return True
    return user.role == "writer" and author_id != user.id


def can_see_review_marks(role: str) -> bool:
    """「可能已过时」 (past its review-by date) is for the service desk, not for readers."""
    return role in STAFF_ROLES


def can_view_image(image, article: Article | None, role: str, user_id: int | None = None) -> bool:
    """An editor image: whoever may read the article it belongs to; writers, and its uploader,
    always (an image not yet attached to a saved article is theirs only)."""
    if can_write_articles(role) or (user_id is not None and image.uploaded_by_id == user_id):
        return True
    return image.article_id is not None and can_view(article, role)
