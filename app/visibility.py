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
    """An editor image: writers, and its uploader, always (an image not yet in a saved article
    is theirs only); anyone else only when the article it belongs to is readable to them *and*
    the text readers see holds it — an image added in a draft of a published article, uploaded
    for it, or removed from it is not the readers' to see."""
    if can_write_articles(role) or (user_id is not None and image.uploaded_by_id == user_id):
        return True
    return image.article_id is not None and can_view(article, role) and image_in_readers_text(image, article)


def image_in_readers_text(image, article: Article | None) -> bool:
    """The article's readers' text (the published revision, held in the row) shows ``image``."""
    from .writer.images import url   # the address the editor writes into the text

    return article is not None and url(image) in (article.body or "")


# --- Tickets (app/tickets/README.md): who may see a ticket, its events and attachments ------
# Agents and admins see every ticket with everything on it. A requester sees their own tickets
# (logged in), the holder of a ticket's secret link that one ticket — and both only its public
# events and the attachments of the request or of public replies. Writers are not ticket staff.
TICKET_STAFF_ROLES = ("agent", "admin")


def _role_of(user) -> str:
    if isinstance(user, str):
        return user
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return user.role


def is_ticket_staff(user) -> bool:
    """Agents and admins: the whole queue, internal notes, assignment, the console."""
    return _role_of(user) in TICKET_STAFF_ROLES


def can_see_internal(user) -> bool:
    """Internal notes, internal changes and their attachments: ticket staff only."""
    return is_ticket_staff(user)


def owns_ticket(ticket, user) -> bool:
    return bool(
        user is not None and not isinstance(user, str) and getattr(user, "is_authenticated", False)
        and ticket.requester_id is not None and ticket.requester_id == user.id
    )


def token_matches(ticket, token) -> bool:
    """The secret link's ``?token=`` (compared in constant time)."""
    import hmac

    if not isinstance(token, str) or not token or ticket is None:
        return False
    return hmac.compare_digest(token.encode("utf-8", "replace"), ticket.access_token.encode())


def can_view_ticket(ticket, user, token=None) -> bool:
    if ticket is None:
        return False
    return is_ticket_staff(user) or owns_ticket(ticket, user) or token_matches(ticket, token)


def can_draft_from_ticket(ticket, user) -> bool:
    """Open the editor prefilled from ``ticket`` (KCS): its subject, description and public
    replies go into the draft, so only someone who may read the ticket — ticket staff; a writer
    is not, and ticket numbers are easy to guess. A writer takes the draft over from the inbox."""
    return can_start_kcs_draft(_role_of(user)) and can_view_ticket(ticket, user)


def can_act_as_requester(ticket, user, token=None) -> bool:
    """Reply as the requester, confirm, rate, withdraw: the requester or the link holder."""
    return ticket is not None and (owns_ticket(ticket, user) or token_matches(ticket, token))


def visible_events(ticket, user) -> list:
    """The ticket's events ``user`` may see, oldest first."""
    if can_see_internal(user):
        return list(ticket.events)
    return [e for e in ticket.events if e.public]


def attachment_visible(attachment, user) -> bool:
    """An attachment of the request itself or of a public reply; of a note: staff only."""
    if can_see_internal(user):
        return True
    return attachment.event is None or bool(attachment.event.public)


def visible_attachments(ticket, user) -> list:
    return [a for a in ticket.attachments if attachment_visible(a, user)]


def ticket_list_scope(query, user, ticket_model):
    """Restrict a SELECT of tickets to what ``user`` may list: staff all, requesters their own,
    anyone else nothing."""
    if is_ticket_staff(user):
        return query
    if _role_of(user) == "anonymous":
        return query.where(ticket_model.id.is_(None))
    return query.where(ticket_model.requester_id == user.id)


def ticket_search_terms_public_only(user) -> bool:
    """Ticket search over internal notes is for staff; everyone else searches public text only."""
    return not can_see_internal(user)


def can_manage_console(user) -> bool:
    """Groups and macros (admin pages, `kb group`)."""
    return _role_of(user) == "admin"


# --- Reports (app/reports/README.md) ---------------------------------------------------------
# Agents, writers and admins open /reports/, the CSV exports and /api/reports/summary. Figures
# are counts over everything; what a line may *say* follows the rules above: articles only when
# the viewer may read them (can_view), ticket text (subjects, CSAT comments) only for ticket
# staff — a writer sees numbers, categories, ticket numbers and error codes, never ticket text.
REPORT_ROLES = ("agent", "writer", "admin")


def can_view_reports(user) -> bool:
    return _role_of(user) in REPORT_ROLES


def report_shows_ticket_text(user) -> bool:
    """Ticket subjects and CSAT comments in reports: ticket staff only (not writers)."""
    return is_ticket_staff(user)
