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
