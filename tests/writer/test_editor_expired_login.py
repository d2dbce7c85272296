"""The writer's editor posted after the login ended: still refused, and the page says the text is in
the autosave buffer (offered on the edit page after logging in again) and shows what was typed."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from app.db import session_scope
from app.models import Article
from tests.conftest import csrf_token_in as _token
from tests.tickets.conftest import make_user




def _writer(app):
    make_user(app, "wendy", "writer")
    client = app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": "wendy", "password": "pw-123456", "csrf_token": token}).status_code == 302
    return client


def _typed(html: str) -> dict[str, str]:
    found = re.findall(r'<label for="(typed-\d+)">([^<]*)</label>\s*<textarea id="\1"[^>]*readonly>([^<]*)</textarea>',
                       html)
    return {unescape(label): unescape(text) for _, label, text in found}


def test_editor_save_after_logout_points_to_autosave_and_shows_the_text(csrf_app):
    app = csrf_app
    writer = _writer(app)
    token = _token(writer.get("/writer/articles/new").get_data(as_text=True))
    assert writer.post("/logout", data={"csrf_token": token}).status_code == 302   # in another tab
    body = "## 症状\n\n打印机显示 <脱机>。\n"
    r = writer.post("/writer/articles/new", data={"csrf_token": token, "title": "打印机脱机", "category": "打印与外设",
                                                  "body": body, "slug": "", "tags": ""},
                    headers={"Referer": "http://localhost/writer/articles/new"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 0   # nothing saved
    assert 'id="writer-autosave-note"' in html and "恢复自动保存的内容" in html and "重新登录" in html
    assert _typed(html) == {"标题": "打印机脱机", "类别": "打印与外设", "正文（Markdown）": body}
    assert "&lt;脱机&gt;" in html


def test_other_writer_forms_do_not_promise_autosave(csrf_app):
    app = csrf_app
    writer = _writer(app)
    token = _token(writer.get("/writer/").get_data(as_text=True))
    assert writer.post("/logout", data={"csrf_token": token}).status_code == 302
    r = writer.post("/writer/articles/x/return", data={"csrf_token": token, "comment": "第二步的截图过时了"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "writer-autosave-note" not in html
    assert _typed(html) == {"说明或意见": "第二步的截图过时了"}
