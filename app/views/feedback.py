"""「这篇文章对您有帮助吗？」 on every article, and 「转人工处理」.

HTML (CSRF-protected forms; work without JavaScript, ``static/feedback.js`` upgrades them):

* ``POST /feedback/<slug>`` — a vote (``helpful`` 1/0) and, for 没有帮助, ``reason`` and an
  optional ``comment``; redirects back to the article (``#feedback``). Bad input re-renders
  the article with the message at the field and the text kept. A 没有帮助 comment starts the
  escalation form's 问题描述; after any reason but 没有解决我的问题 a link to 转人工处理 stays on offer.
* ``GET|POST /escalate/<slug>`` — the escalation form (pre-filled with the article, the search
  that led there and the reason; an empty 问题描述 takes the comment carried from the reasons
  form); a valid POST records the 没有解决我的问题 vote, creates the
  ticket and redirects to its page (``/requests/<number>``, with the private link's token for
  an anonymous reader).

JSON (csrf-exempt like the other API blueprints; ``Content-Type: application/json`` required,
which a cross-site form cannot send):

* ``POST /api/articles/<slug>/feedback`` ``{"helpful", "reason"?, "comment"?, "query"?,
  "contact_name"?, "contact_email"?}`` → ``201 {"feedback_id", "ticket": TICKET|null,
  "helpful", "not_helpful"}`` (the last two: the article's counts after the vote).
  A ticket is created for ``helpful: false, reason: "not_solved"`` from a logged-in user, or
  from an anonymous one who gives a contact (name and a valid e-mail). Anonymous with a
  contact but no valid e-mail → ``400 validation_failed`` with ``fields`` and **nothing is
  recorded** (fix the input and resend). ``not_solved`` without any contact from an anonymous
  reader is just a vote (``ticket: null``). Extensions: ``"escalate": false`` records the
  vote without a ticket (the page's script uses it while the reader is still choosing);
  ``subject``, ``impact``, ``urgency``, ``contact_phone`` pass through to the ticket.
  ``Idempotency-Key`` works as for ``POST /api/tickets``. Too many requests → ``429``.

Internal and draft articles answer 404 to anyone who cannot read them, on every endpoint.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user

from ..db import get_session
from ..errors import json_error
from ..feedback import escalation, fixtasks, ranking, ratelimit, searchtrail, votes
from ..models import Article, Feedback
from ..articles.rendering import render_markdown
from ..security import csrf
from ..tickets.choices import (
    CATEGORIES,
    IMPACT_HINTS,
    IMPACTS,
    URGENCIES,
    URGENCY_HINTS,
)
from .portal import load_visible_article, related_articles

bp = Blueprint("feedback", __name__)
api_bp = Blueprint("feedback_api", __name__, url_prefix="/api")
csrf.exempt(api_bp)

MESSAGES = {
    "thanks": "感谢您的反馈！",
    "why": "请告诉我们哪里不满意，帮助我们改进这篇文章。",
    "noted": "已收到，谢谢！我们会据此改进这篇文章。",
}
ESCALATE_FIELDS = ("subject", "description", "category", "impact", "urgency",
                   "contact_name", "contact_email", "contact_phone", "search_text")


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _address() -> str:
    return request.remote_addr or "unknown"


# --- the panel under every article -----------------------------------------------------------


@dataclass
class Panel:
    article: Article
    helpful: int
    not_helpful: int
    vote: Feedback | None
    query: str
    values: dict = field(default_factory=dict)  # the why-form as typed
    errors: dict = field(default_factory=dict)
    error: str | None = None  # a message for the whole panel (rate limit)
    message: str | None = None
    escalate: dict = field(default_factory=dict)  # the escalation form's values
    escalate_errors: dict = field(default_factory=dict)
    idem: str = ""
    reasons: dict = field(default_factory=lambda: votes.REASONS)
    max_comment: int = votes.MAX_COMMENT

    @property
    def voted(self) -> str | None:
        if self.vote is None:
            return None
        return "helpful" if self.vote.helpful else "not_helpful"

    @property
    def reason(self) -> str | None:
        return self.values.get("reason") or (self.vote.reason if self.vote is not None else None)

    @property
    def show_why(self) -> bool:
        return self.voted == "not_helpful" or bool(self.errors) or bool(self.values.get("reason"))

    @property
    def show_escalate(self) -> bool:
        return self.reason == "not_solved" or bool(self.escalate_errors)

    @property
    def anonymous(self) -> bool:
        return not current_user.is_authenticated


def build_panel(article: Article, *, query: str | None = None, **extra) -> Panel:
    session = get_session()
    helpful, not_helpful = votes.counts(session, article)
    vote = votes.find_vote(session, article, votes.existing_voter_key(flask_session, current_user))
    if vote is not None and vote.article_version != article.version:
        vote = None
    if query is None:
        query = searchtrail.query_for(flask_session, request.args, article.slug)
    panel = Panel(article=article, helpful=helpful, not_helpful=not_helpful, vote=vote, query=query, **extra)
    if not panel.escalate:
        panel.escalate = escalation.default_values(article, query=query, user=_user())
        if vote is not None and not vote.helpful and vote.comment:    # what they already wrote, not typed twice
            panel.escalate["description"] = vote.comment
    if panel.message is None:
        panel.message = MESSAGES.get(request.args.get("fb", ""))
    panel.idem = panel.idem or secrets.token_urlsafe(18)
    return panel


def feedback_panel(article: Article) -> Panel:
    """For ``article.html``: the panel prepared by a view (after an error), else a fresh one."""
    panel = g.get("feedback_panel")
    if panel is not None and panel.article.id == article.id:
        return panel
    return build_panel(article)


@bp.app_context_processor
def _inject():
    return {"feedback_panel": feedback_panel, "feedback_choices": {
        "categories": CATEGORIES, "impacts": IMPACTS, "urgencies": URGENCIES,
        "impact_hints": IMPACT_HINTS, "urgency_hints": URGENCY_HINTS}}


def _article_page(article: Article, status: int, panel: Panel):
    g.feedback_panel = panel
    html = render_template(
        "article.html", article=article, rendered=render_markdown(article.body), related=related_articles(article)
    )
    return html, status


def _back(article: Article, query: str, code: str):
    return redirect(url_for("portal.article", slug=article.slug, q=query or None, fb=code, _anchor="feedback"), 303)


@bp.post("/feedback/<path:slug>")
def vote(slug: str):
    article = load_visible_article(slug)
    form = request.form
    query = votes.clean_text(form.get("q"), multiline=False)[: votes.MAX_QUERY]
    typed = {"helpful": form.get("helpful"), "reason": form.get("reason"), "comment": form.get("comment", "")}
    key = votes.voter_key(flask_session, current_user)
    if not ratelimit.allow("vote", person=key, address=_address()):
        return _article_page(article, 429, build_panel(article, query=query, values=typed, error=ratelimit.MESSAGE))
    try:
        parsed = votes.parse_vote({**typed, "query": query})
    except votes.FeedbackInputError as exc:
        return _article_page(article, 400, build_panel(article, query=query, values=typed, errors=exc.errors))
    session = get_session()
    row = votes.record_vote(session, article, key, parsed, user_id=current_user.id if current_user.is_authenticated else None)
    fixtasks.join_open_task(session, article, row)
    session.commit()
    ranking.invalidate(article)
    code = "thanks" if parsed.helpful else ("noted" if parsed.reason else "why")
    return _back(article, query, code)


# --- 「转人工处理」 --------------------------------------------------------------------------------


def _escalate_page(article: Article, values: dict, errors: dict, status: int, *, error: str | None = None,
                   comment: str = "", idem: str = ""):
    html = render_template(
        "feedback/escalate.html", article=article, values=values, errors=errors, error=error, comment=comment,
        idem=idem or secrets.token_urlsafe(18), anonymous=not current_user.is_authenticated,
        reason_label=votes.REASONS["not_solved"], max_comment=votes.MAX_COMMENT,
    )
    return html, status, {"Cache-Control": "no-store"}


@bp.route("/escalate/<path:slug>", methods=["GET", "POST"])
def escalate(slug: str):
    from ..tickets.present import ticket_url
    from ..tickets.service import TicketValidationError

    article = load_visible_article(slug)
    user = _user()
    if request.method == "GET":
        query = searchtrail.query_for(flask_session, request.args, article.slug)
        return _escalate_page(article, escalation.default_values(article, query=query, user=user), {}, 200)

    form = request.form
    values = {name: form.get(name, "") for name in ESCALATE_FIELDS}
    comment = form.get("comment", "")
    idem = votes.clean_text(form.get("idem"), multiline=False)[:64]
    key = votes.voter_key(flask_session, current_user)
    if not (ratelimit.allow("vote", person=key, address=_address())
            and ratelimit.allow("escalate", person=key, address=_address())):
        return _escalate_page(article, values, {}, 429, error=ratelimit.MESSAGE, comment=comment, idem=idem)
    if not votes.clean_text(values["description"]) and votes.clean_text(comment):
        values["description"] = comment          # the comment of the reasons form says what happened
    errors = escalation.precheck(article, values, user=user)
    for name, message in (("impact", "请选择影响范围。"), ("urgency", "请选择紧急程度。")):
        if not values.get(name):                          # the form's choice, never a silent default
            errors.setdefault(name, message)
    if not votes.clean_text(values["description"]):
        errors["description"] = "请描述您遇到的情况，以及按文章操作后发生了什么。"
    try:
        parsed = votes.parse_vote({"helpful": False, "reason": "not_solved", "comment": comment,
                                   "query": values["search_text"]})
    except votes.FeedbackInputError as exc:
        errors.update(exc.errors)
        parsed = None
    if errors:
        return _escalate_page(article, values, errors, 400, comment=comment, idem=idem)

    session = get_session()
    row = votes.record_vote(session, article, key, parsed, user_id=user.id if user else None)
    if not row.comment:
        row.comment = votes.clean_text(values["description"])[: votes.MAX_COMMENT] or None
    try:
        ticket = escalation.escalate(session, article, row, values, user=user,
                                     idempotency_key=f"article-feedback:{idem}" if idem else None, caller=key)
    except TicketValidationError as exc:
        return _escalate_page(article, values, exc.errors, 400, comment=comment, idem=idem)
    ranking.invalidate(article)
    return redirect(ticket_url(ticket, with_token=ticket.requester_id is None), 303)


# --- JSON -------------------------------------------------------------------------------------



def _wants_ticket(data: dict, parsed: votes.Vote, user) -> bool:
    if parsed.helpful or parsed.reason != "not_solved" or data.get("escalate", True) is False:
        return False
    if user is not None:
        return True
    return any(isinstance(data.get(k), str) and data.get(k).strip() for k in ("contact_name", "contact_email"))


@api_bp.post("/articles/<path:slug>/feedback")
def api_feedback(slug: str):
    from ..tickets.present import ticket_json
    from ..tickets.service import IdempotencyConflict, TicketValidationError, request_fingerprint

    article = load_visible_article(slug)  # 404 JSON from the shared error handler
    if not request.is_json:
        return json_error(415, "unsupported_media_type", "请以 JSON 格式提交（Content-Type: application/json）。")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return json_error(400, "bad_request", "请求正文必须是一个 JSON 对象。")
    if "escalate" in data and not isinstance(data["escalate"], bool):
        return json_error(400, "validation_failed", "escalate 只能是 true 或 false。",
                           fields={"escalate": "escalate 只能是 true 或 false。"})
    user = _user()
    try:
        parsed = votes.parse_vote(data)
    except votes.FeedbackInputError as exc:
        return json_error(400, "validation_failed", next(iter(exc.errors.values())), fields=exc.errors)
    key = votes.voter_key(flask_session, current_user)
    wants_ticket = _wants_ticket(data, parsed, user)
    if not ratelimit.allow("vote", person=key, address=_address()) or (
        wants_ticket and not ratelimit.allow("escalate", person=key, address=_address())
    ):
        return json_error(429, "rate_limited", ratelimit.MESSAGE)

    ticket_input = {
        "subject": data.get("subject"), "description": data.get("comment"),
        "category": data.get("category"), "impact": data.get("impact"), "urgency": data.get("urgency"),
        "contact_name": data.get("contact_name"), "contact_email": data.get("contact_email"),
        "contact_phone": data.get("contact_phone"),
    }
    if wants_ticket:
        errors = escalation.precheck(article, ticket_input, user=user)
        if errors:
            message = errors.get("contact_email") or errors.get("contact_name") or next(iter(errors.values()))
            if user is None and "contact_email" in errors:
                message = "匿名反馈需要填写有效的邮箱才能转人工处理：" + errors["contact_email"]
            return json_error(400, "validation_failed", message, fields=errors)

    session = get_session()
    row = votes.record_vote(session, article, key, parsed, user_id=user.id if user else None)
    ticket = None
    if wants_ticket:
        try:
            ticket = escalation.escalate(session, article, row, ticket_input, user=user,
                                         idempotency_key=request.headers.get("Idempotency-Key"),
                                         caller=key, fingerprint=request_fingerprint({"article": article.slug, **data}))
        except TicketValidationError as exc:
            return json_error(400, "validation_failed", exc.message, fields=exc.errors)
        except IdempotencyConflict as exc:
            session.rollback()
            return json_error(422, "idempotency_key_reused", exc.message)
    else:
        fixtasks.join_open_task(session, article, row)
        session.commit()
    ranking.invalidate(article)
    helpful, not_helpful = votes.counts(session, article)
    body = {
        "feedback_id": row.id,
        "ticket": ticket_json(ticket, with_token=ticket.requester_id is None) if ticket is not None else None,
        "helpful": helpful,
        "not_helpful": not_helpful,
    }
    response = jsonify(body)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response
