"""The writers' workspace ``/writer/``: write, preview, review, publish, and see how articles do.

* ``/writer/`` — the inbox (reviews waiting, drafts, KCS drafts from tickets, fix tasks,
  articles past review, broken links) and the articles' health (「需要关注」, every article).
* ``/writer/articles/new`` (``?from_ticket=<number>`` for a KCS draft) and
  ``/writer/articles/<slug>/edit`` — the editor: validated front-matter fields, Markdown with a
  live preview by the server's own renderer, rendering warnings, autosave, image upload/paste.
* ``/writer/articles/<slug>`` — one article: workflow state and actions, review date, broken
  links, and its health (views, votes, reasons, escalated tickets, fix task).
* ``…/history``, ``…/diff``, ``…/revisions/<n>`` — every revision, side-by-side differences,
  restore as a new draft. ``/writer/links`` — 「失效链接」.
* ``/media/<name>`` — editor images, for whoever may read their article.

Who: the health pages are for writers, agents and admins (agents: no drafts); everything that
writes or shows drafts is for writers and admins; agents may open the editor only to start a
draft from a ticket (``app/visibility.py``). Anonymous visitors go to the login page;
requesters get 404 from the health pages (as before) and 403 from the editor.
"""

from __future__ import annotations

import dataclasses
from functools import wraps
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..articles.rendering import render_markdown
from ..auth import login_manager
from ..db import get_session
from ..feedback import health
from ..feedback.votes import REASONS
from ..models import Article, Ticket, parse_id
from ..tickets.access import find_ticket
from ..tickets.choices import STATUS_SHORT
from ..visibility import (
    ALL_AUDIENCES,
    audiences_for,
    can_approve,
    can_draft_from_ticket,
    can_publish_directly,
    can_see_drafts,
    can_see_review_marks,
    can_start_kcs_draft,
    can_view,
    can_view_image,
    can_write_articles,
    image_in_readers_text,
    current_role,
)
from ..writer import autosave, images, inbox, kcs, links, merge, review, workflow
from ..writer.content import AUDIENCES, CATEGORY_FOLDERS, ContentError, Content, of_revision, validate
from ..writer.diff import field_changes, side_by_side
from ..writer.lint import lint
from ..writer.present import author_name, when
from ..writer.template import public_body

bp = Blueprint("writer", __name__, url_prefix="/writer")
media_bp = Blueprint("media", __name__)

WORKSPACE_ROLES = ("writer", "agent", "admin")
NO_STORE = {"Cache-Control": "private, no-store"}


def _role_gate(allowed, *, missing_status: int):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not allowed(current_user.role):
                abort(missing_status)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# The health pages do not exist for requesters (404); the editor is refused (403).
workspace_required = _role_gate(lambda role: role in WORKSPACE_ROLES, missing_status=404)
writer_required = _role_gate(can_write_articles, missing_status=403)
drafting_required = _role_gate(can_start_kcs_draft, missing_status=403)


def _user():
    return current_user._get_current_object()


def _fmt(value) -> str:
    return when(value)


@bp.app_template_global()
def article_outdated(article) -> bool:
    """「可能已过时」 on an article page: past its review-by date, shown to the service desk only."""
    return can_see_review_marks(current_role()) and review.is_overdue(article)


@bp.app_template_global()
def can_edit_articles() -> bool:
    return current_user.is_authenticated and can_write_articles(current_user.role)


# --- the inbox and health ------------------------------------------------------------------


def _visible_articles(role: str):
    statuses = ("published", "draft", "in_review") if can_see_drafts(role) else ("published",)
    return get_session().scalars(
        select(Article)
        .where(Article.status.in_(statuses), Article.audience.in_(audiences_for(role)))
        .order_by(Article.category, Article.title)
    ).all()


@bp.get("/")
@workspace_required
def index():
    session = get_session()
    role = current_role()
    articles = _visible_articles(role)
    table = health.health_table(session, articles)
    attention = sorted((h for h in table if h.score > 0),
                       key=lambda h: (-h.score, -h.not_helpful, -h.views, h.article.title))
    box = inbox.build(session, _user()) if can_write_articles(role) else None
    return render_template(
        "writer/index.html", attention=attention, table=table, reasons=REASONS, inbox=box,
        states=workflow.STATES, fmt=_fmt, due_date=review.due_date, author_name=author_name,
    ), 200, NO_STORE


def _library_path(path: str | None) -> str | None:
    """The article's file relative to the library folder (the server's layout is nobody's business)."""
    if not path:
        return None
    root = Path(current_app.config["KB_ARTICLES_DIR"])
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


def _find(slug: str) -> Article | None:
    return get_session().scalar(select(Article).where(Article.slug == slug))


def _writable(slug: str) -> Article:
    article = _find(slug)
    if article is None:
        abort(404, description="文章不存在。")
    return article


@bp.get("/articles/<path:slug>")
@workspace_required
def article(slug: str):
    session = get_session()
    article = _find(slug)
    role = current_role()
    if not can_view(article, role):
        abort(404)
    h = health.health_for(session, article)
    tasks = health.fix_tasks(session, article)
    task_feedback = {t.id: health.task_feedback(session, t) for t in tasks[:5]}
    writer = can_write_articles(role)
    newest = workflow.head(session, article) if writer else None
    ticket = session.get(Ticket, article.source_ticket_id) if writer and article.source_ticket_id else None
    return render_template(
        "writer/article.html",
        article=article,
        h=h,
        reasons=REASONS,
        entries=health.not_helpful_entries(session, article),
        tickets=health.escalated_tickets(session, article),
        tasks=tasks,
        task_feedback=task_feedback,
        can_open_tickets=current_user.role in ("agent", "admin"),
        source_file=_library_path(article.source_path),
        statuses=STATUS_SHORT,
        fmt=_fmt,
        writer=writer,
        state=workflow.working_state(article),
        states=workflow.STATES,
        newest=newest,
        may_approve=writer and newest is not None and can_approve(_user(), newest.author_id),
        review_required=workflow.review_required(),
        link_problems=links.check(session, article.body, article.audience, own_slug=article.slug) if writer else [],
        due=review.due_date(article),
        overdue=review.is_overdue(article),
        next_due=review.next_due_date(),
        kcs_ticket=ticket,
        events=workflow.events(session, article, limit=10) if writer else [],
        event_labels=workflow.EVENT_LABELS,
        author_name=author_name,
    ), 200, NO_STORE


# --- the editor ----------------------------------------------------------------------------


def _categories(role: str) -> list[str]:
    """The library's categories and those of the articles ``role`` may see (names can be secret)."""
    known = list(CATEGORY_FOLDERS)
    query = select(Article.category).distinct().where(Article.audience.in_(audiences_for(role)))
    if not can_see_drafts(role):
        query = query.where(Article.status == "published")
    used = get_session().scalars(query).all()
    return known + sorted(c for c in set(used) if c not in CATEGORY_FOLDERS)


def _values(content: Content, *, review_by=None, slug: str = "", note: str = "") -> dict:
    return {
        "title": content.title, "category": content.category, "tags": ", ".join(content.tags),
        "error_codes": ", ".join(content.error_codes), "audience": content.audience, "body": content.body,
        "review_by": review_by.isoformat() if review_by else "", "slug": slug, "note": note,
    }


def _typed(values: dict) -> dict:
    """Values a ContentError kept, as form strings."""
    out = dict(values)
    for name in ("tags", "error_codes"):
        if isinstance(out.get(name), (list, tuple)):
            out[name] = ", ".join(out[name])
    return {k: ("" if v is None else v) for k, v in out.items()}


def _render_editor(*, article: Article | None, values: dict, errors: dict | None = None, conflict=None,
                   base_revision: int | None = None, ticket: Ticket | None = None, status: int = 200):
    session = get_session()
    key = autosave.key_for(article, ticket.id if ticket is not None else None)
    buffer = autosave.get(session, _user(), key)
    restoring = request.args.get("autosave") == "1" and buffer is not None and request.method == "GET"
    if restoring:
        values = {**values, **{k: v for k, v in (buffer.data or {}).items() if k in autosave.FIELDS}}
        base_revision = buffer.base_revision if article is not None else base_revision
    content = Content(title=values.get("title", ""), category=values.get("category", ""), body=values.get("body", ""),
                      audience=values.get("audience", "public") if values.get("audience") in AUDIENCES else "public")
    existing_kcs = []
    if ticket is not None and article is None:
        existing_kcs = session.scalars(select(Article).where(Article.source_ticket_id == ticket.id)).all()
    return render_template(
        "writer/edit.html",
        article=article,
        values=values,
        errors=errors or {},
        conflict=conflict,
        base_revision=base_revision,
        ticket=ticket,
        existing_kcs=existing_kcs,
        autosave_key=key,
        autosave_buffer=buffer if (buffer is not None and not restoring and autosave.differs(buffer, values)) else None,
        restoring=restoring,
        rendered=render_markdown(content.body),
        warnings=lint(session, content, slug=article.slug if article else None, role=current_role()),
        categories=_categories(current_role()),
        audiences=AUDIENCES,
        state=workflow.working_state(article) if article is not None else "draft",
        states=workflow.STATES,
        due=review.due_date(article) if article is not None else review.next_due_date(),
        fmt=_fmt,
        writer=can_write_articles(current_role()),
        direct_publish=can_publish_directly(current_role(), workflow.review_required()),
    ), status, NO_STORE


def _ticket_from_args(number: str | None) -> Ticket | None:
    if not number:
        return None
    ticket = find_ticket(get_session(), number.strip())
    if not can_draft_from_ticket(ticket, current_user):     # the same 404 as no such ticket
        abort(404, description="工单不存在。")
    return ticket


@bp.get("/articles/new")
@drafting_required
def new():
    ticket = _ticket_from_args(request.args.get("from_ticket"))
    if ticket is None and not can_write_articles(current_role()):
        abort(403, description="服务台坐席只能从工单创建文章草稿：请在工单页面点击“从这个工单创建文章”。")
    if ticket is not None:
        draft = kcs.draft_from_ticket(get_session(), ticket)
        values = _values(draft.content)
    else:
        # ?title= prefills the title (the reports' 「为此写一篇文章」 on a content gap)
        title = " ".join(request.args.get("title", "").split())[:300]
        values = _values(Content(title=title, category="", body=public_body()))
    return _render_editor(article=None, values=values, ticket=ticket)


@bp.post("/articles/new")
@drafting_required
def create():
    session = get_session()
    ticket = _ticket_from_args(request.form.get("from_ticket"))
    if ticket is None and not can_write_articles(current_role()):
        abort(403)
    try:
        sub = validate(request.form, new=True)
        article = workflow.create(session, sub, user=_user(), origin="kcs" if ticket else "web",
                                  source_ticket_id=ticket.id if ticket else None)
    except ContentError as exc:
        return _render_editor(article=None, values=_typed(exc.values), errors=exc.errors, ticket=ticket, status=400)
    except workflow.WorkflowError as exc:
        session.rollback()
        return _render_editor(article=None, values=_typed(request.form.to_dict()), errors={"slug": exc.message},
                              ticket=ticket, status=exc.status)
    autosave.discard(session, _user(), autosave.key_for(None, ticket.id if ticket else None))
    session.commit()
    if not can_write_articles(current_role()):  # an agent's KCS draft: back to the ticket
        flash(f"已根据工单创建文章草稿《{article.title}》，写作者会在收件箱中看到并完善后发布。", "info")
        return redirect(f"/agent/tickets/{ticket.number}", 303)
    flash(f"已创建草稿《{article.title}》（第 1 版）。{_link_note(article)}", "info")
    return redirect(url_for("writer.edit", slug=article.slug), 303)


def _link_note(article: Article) -> str:
    broken = [p for p in links.check(get_session(), article.body, article.audience, own_slug=article.slug) if p.broken]
    if not broken:
        return ""
    return f"注意：有 {len(broken)} 个失效链接——" + "；".join(p.message for p in broken[:3])


@bp.get("/articles/<path:slug>/edit")
@writer_required
def edit(slug: str):
    session = get_session()
    article = _writable(slug)
    newest = workflow.head(session, article)
    content = of_revision(newest) if newest is not None else workflow.head_content(session, article)
    return _render_editor(article=article, values=_values(content, review_by=article.review_by),
                          base_revision=article.revision)


@bp.post("/articles/<path:slug>/edit")
@writer_required
def save(slug: str):
    session = get_session()
    article = _writable(slug)
    form = request.form
    base = parse_id(form.get("base_revision", ""))
    base = -1 if base is None else base
    try:
        sub = validate(form)
    except ContentError as exc:
        return _render_editor(article=article, values=_typed(exc.values), errors=exc.errors,
                              base_revision=base, status=400)
    merged_note = ""
    try:
        row = workflow.save(session, article, sub, base_revision=base, user=_user(), origin="web")
    except workflow.Conflict as exc:
        session.rollback()
        theirs = of_revision(exc.current)
        if theirs == sub.content:  # they saved exactly what you typed
            flash(f"您的内容与第 {exc.current.number} 版（{author_name(exc.current.author)} 保存）完全相同，不需要再保存。", "info")
            return redirect(url_for("writer.edit", slug=article.slug), 303)
        started = workflow.revision(session, article, base)
        result = merge.merge(of_revision(started), sub.content, theirs) if started is not None else None
        if result is None or not result.saves_alone:
            return _conflict_page(article, sub, exc, result)
        if result.content == theirs:  # everything you changed is in their revision already
            flash(f"第 {exc.current.number} 版（{author_name(exc.current.author)} 保存）已经包含了您的全部修改，"
                  "不需要再保存。", "info")
            return redirect(url_for("writer.edit", slug=article.slug), 303)
        try:
            row = workflow.save(session, article, dataclasses.replace(sub, content=result.content),
                                base_revision=exc.current.number, user=_user(), origin="web")
        except workflow.Conflict as again:   # a third save in between: show it, merge nothing more
            session.rollback()
            return _conflict_page(article, sub, again, None)
        merged_note = (f"{author_name(exc.current.author)} 在您编辑期间保存了第 {exc.current.number} 版"
                       f"（改了{'、'.join(result.theirs_changed)}），和您改的不是同一处，两边的修改都已保留"
                       f"（可在历史版本中比较第 {exc.current.number} 版和新版本）。")
    autosave.discard(session, _user(), autosave.key_for(article))
    session.commit()
    if row is None:
        flash("内容没有变化，没有创建新版本。", "info")
    else:
        live = "；读者仍看到已发布的版本，发布后才会更新" if article.status == "published" else ""
        flash(f"{merged_note}已保存为第 {row.number} 版{live}。{_link_note(article) if article.status != 'published' else ''}", "info")
        if article.status == "published":
            problems = [p for p in links.check(session, row.body, row.audience, own_slug=article.slug) if p.broken]
            if problems:
                flash("注意：" + "；".join(p.message for p in problems[:3]), "warning")
    return redirect(url_for("writer.edit", slug=article.slug), 303)


def _conflict_page(article: Article, sub, exc: workflow.Conflict, result: merge.Merge | None):
    """The editor again (409) after a save from an older revision that could not be merged alone.

    With a merge (``result``) the form holds it: the colleague's changes wherever the writer
    changed nothing, the writer's text wherever both changed the same lines; the tables show
    what saving it would change in their revision. Without one, the writer's text as typed.
    """
    theirs = of_revision(exc.current)
    proposed = result.content if result is not None else sub.content
    conflict = {
        "other": exc.current,
        "author": author_name(exc.current.author),
        "fields": field_changes(theirs, proposed),
        "rows": side_by_side(theirs.body, proposed.body),
        "message": exc.message,
        "merge": result,
        "took_theirs": result is not None and result.content != sub.content,  # the form is not just mine
        "audience": AUDIENCES.get(proposed.audience, proposed.audience),
    }
    values = _typed({**_values(proposed, review_by=sub.review_by), "note": sub.note})
    return _render_editor(article=article, values=values, conflict=conflict,
                          base_revision=exc.current.number, status=409)


# --- workflow actions ------------------------------------------------------------------------


def _number(name: str = "revision") -> int | None:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


def _comment(limit: int = 2000) -> str:
    return request.form.get("comment", "")[:limit]


def _publish(session, article) -> str:
    if workflow.publish(session, article, user=_user(), number=_number(), comment=_comment()) == "in_review":
        return "已提交审核：另一位写作者或管理员批准后发布，在此之前读者看到的仍是原来的版本。"
    return f"已发布第 {article.published_revision} 版，读者现在可以看到并搜索到它。"


def _submit(session, article) -> str:
    workflow.submit(session, article, user=_user(), comment=_comment())
    return "已提交审核。"


def _approve(session, article) -> str:
    workflow.approve(session, article, user=_user(), number=_number(), comment=_comment())
    return f"审核通过，已发布第 {article.published_revision} 版。"


def _return(session, article) -> str:
    workflow.send_back(session, article, user=_user(), comment=_comment())
    return "已退回修改，作者会在文章页面看到您的意见。"


def _unpublish(session, article) -> str:
    workflow.unpublish(session, article, user=_user())
    return "已撤下：读者和搜索都看不到这篇文章了，它回到草稿状态。"


def _archive(session, article) -> str:
    workflow.archive(session, article, user=_user(), comment=_comment())
    return "已归档：读者和搜索都看不到这篇文章了；链接到它的文章会出现在“失效链接”里。"


def _verify(session, article) -> str:
    from ..writer.content import parse_date

    try:
        next_date = parse_date(request.form.get("next_review", ""))
    except ValueError:
        raise workflow.WorkflowError("bad_date", "下次复核日期应为 YYYY-MM-DD。", 400) from None
    workflow.verify(session, article, user=_user(), next_date=next_date, comment=_comment(500))
    return f"已记录复核，下次复核日期 {article.review_by.isoformat()}。"


ACTIONS = {"publish": _publish, "submit": _submit, "approve": _approve, "return": _return,
           "unpublish": _unpublish, "archive": _archive, "verify": _verify}


@bp.post("/articles/<path:slug>/<any(publish, submit, approve, return, unpublish, archive, verify):action>")
@writer_required
def act(slug: str, action: str):
    """A workflow action from a form: flash its outcome, back to the article page."""
    session = get_session()
    article = _writable(slug)
    try:
        message = ACTIONS[action](session, article)
    except workflow.WorkflowError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("writer.article", slug=article.slug), 303)
    workflow.commit_and_index(session, article)
    flash(message, "info")
    return redirect(url_for("writer.article", slug=article.slug), 303)


# --- history -------------------------------------------------------------------------------


@bp.get("/articles/<path:slug>/history")
@writer_required
def history(slug: str):
    session = get_session()
    article = _writable(slug)
    return render_template(
        "writer/history.html", article=article, revisions=workflow.revisions(session, article),
        events=workflow.events(session, article), event_labels=workflow.EVENT_LABELS, origins=workflow.ORIGINS,
        state=workflow.working_state(article), states=workflow.STATES, fmt=_fmt, author_name=author_name,
    ), 200, NO_STORE


@bp.get("/articles/<path:slug>/diff")
@writer_required
def diff(slug: str):
    session = get_session()
    article = _writable(slug)
    try:
        new_no = int(request.args.get("to", article.revision))
        old_no = int(request.args.get("from", max(1, new_no - 1)))
    except ValueError:
        abort(400, description="版本号应为整数。")
    old, new = workflow.revision(session, article, old_no), workflow.revision(session, article, new_no)
    if old is None or new is None:
        abort(404, description="没有这个版本。")
    a, b = of_revision(old), of_revision(new)
    return render_template(
        "writer/diff.html", article=article, old=old, new=new, fields=field_changes(a, b),
        rows=side_by_side(a.body, b.body), fmt=_fmt, author_name=author_name, origins=workflow.ORIGINS,
    ), 200, NO_STORE


@bp.get("/articles/<path:slug>/revisions/<int:number>")
@writer_required
def show_revision(slug: str, number: int):
    session = get_session()
    article = _writable(slug)
    row = workflow.revision(session, article, number)
    if row is None:
        abort(404, description=f"没有第 {number} 版。")
    return render_template(
        "writer/revision.html", article=article, rev=row, rendered=render_markdown(row.body), fmt=_fmt,
        author_name=author_name, origins=workflow.ORIGINS, audiences=AUDIENCES,
    ), 200, NO_STORE


@bp.post("/articles/<path:slug>/restore/<int:number>")
@writer_required
def restore(slug: str, number: int):
    session = get_session()
    article = _writable(slug)
    try:
        row = workflow.restore(session, article, number, user=_user(), base_revision=_number("base_revision"))
    except workflow.WorkflowError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("writer.history", slug=article.slug), 303)
    session.commit()
    flash(f"已把第 {number} 版恢复为新的草稿第 {row.number} 版。检查后发布，读者才会看到。", "info")
    return redirect(url_for("writer.edit", slug=article.slug), 303)


@bp.get("/links")
@writer_required
def broken_links():
    found = links.broken_links(get_session(), ALL_AUDIENCES)
    return render_template("writer/links.html", broken=found), 200, NO_STORE


# --- editor services (JSON, called by static/writer-editor.js; CSRF token in X-CSRFToken) ----


@bp.post("/preview")
@drafting_required
def preview():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="bad_request", message="请求正文必须是一个 JSON 对象。"), 400
    try:
        sub = validate({**data, "title": data.get("title") or "预览", "category": data.get("category") or "预览",
                        "body": data.get("body") or " "})
    except ContentError as exc:
        return jsonify(error="validation_failed", message=exc.message, fields=exc.errors), 400
    slug = data.get("slug") if isinstance(data.get("slug"), str) else None
    rendered = render_markdown(sub.content.body)
    warnings = lint(get_session(), sub.content, slug=slug, role=current_role())
    return jsonify(html=rendered.html, toc=[{"level": e.level, "title": e.title, "anchor": e.anchor} for e in rendered.toc],
                   warnings=[w.as_json() for w in warnings]), 200, NO_STORE


@bp.put("/autosave")
@drafting_required
def autosave_put():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="bad_request", message="请求正文必须是一个 JSON 对象。"), 400
    base = data.get("base_revision")
    session = get_session()
    try:
        row = autosave.put(session, _user(), str(data.get("key") or ""), parse_id(base), data.get("fields"))
    except autosave.AutosaveError as exc:
        session.rollback()
        return jsonify(error="bad_request", message=str(exc)), 400
    session.commit()
    return jsonify(saved_at=when(row.saved_at)), 200, NO_STORE


@bp.post("/autosave/discard")
@drafting_required
def autosave_discard():
    session = get_session()
    key = request.form.get("key", "")
    if autosave.KEY_RE.match(key):
        autosave.discard(session, _user(), key)
        session.commit()
    flash("已丢弃自动保存的内容。", "info")
    target = request.form.get("back", "")
    return redirect(target if target.startswith("/writer/") and "//" not in target else url_for("writer.index"), 303)


@bp.post("/images")
@drafting_required
def upload_image():
    session = get_session()
    storage = request.files.get("image")
    if storage is None or not (storage.filename or "").strip():
        return jsonify(error="bad_image", message="请选择要上传的图片。"), 400
    article = _find(request.form.get("article", "")) if request.form.get("article") else None
    if article is not None and not can_write_articles(current_role()):
        article = None  # agents' images belong to no article until their KCS draft is saved
    try:
        image = images.store(session, storage, _user(), article)
    except images.ImageError as exc:
        return jsonify(error="bad_image", message=str(exc)), 400
    return jsonify(url=images.url(image), markdown=images.markdown(image), name=image.filename), 201, NO_STORE


@media_bp.get("/media/<name>")
def media(name: str):
    session = get_session()
    image = images.find(session, name)
    article = session.get(Article, image.article_id) if image is not None and image.article_id else None
    user_id = current_user.id if current_user.is_authenticated else None
    if image is None or not can_view_image(image, article, current_role(), user_id):
        abort(404)
    path = images.path_of(image)
    if not path.is_file():
        abort(404)
    public = article is not None and can_view(article, "anonymous") and image_in_readers_text(image, article)
    response = send_file(path, mimetype=image.content_type, conditional=True, max_age=86400 if public else 0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "public, max-age=86400" if public else "private, no-store"
    return response
