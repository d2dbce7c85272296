"""A refused action on the agent ticket page (a stale version: 409; a refused change: 400/409) gives
back exactly what was sent, in the form it was sent from and in no other: the reply, 解决说明,
状态, 分类, 分配 and 升级 forms each keep their own fields."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.conftest import login
from tests.console.conftest import create, make_group, make_user

RESOLVE_TEXT = "已重置 VPN 证书，请重新连接一次 <b>确认</b>"


class _Forms(HTMLParser):
    """Each ``<form id=…>``'s fields as the browser would submit them (selected/checked values),
    plus the read-only text of ``#typed-orphans``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict[str, list[str]]] = {}
        self.orphans: list[str] = []
        self._form = None
        self._textarea = None
        self._select = None
        self._option = None
        self._first_option = {}
        self._in_orphans = 0

    def _add(self, name, value):
        if self._form is not None and name:
            self.forms[self._form].setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "typed-orphans":
            self._in_orphans = 1
        if tag == "form":
            self._form = a.get("id") or f"form-{len(self.forms)}"
            self.forms[self._form] = {}
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self._add(a.get("name"), a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                self._add(a.get("name"), a.get("value", ""))
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]
        elif tag == "select":
            self._select = [a.get("name"), None]
            self._first_option = None
        elif tag == "option" and self._select is not None:
            value = a.get("value")
            self._option = value
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._select[1] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            if self._in_orphans:
                self.orphans.append(self._textarea[1])
            self._add(self._textarea[0], self._textarea[1])
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, value = self._select
            self._add(name, value if value is not None else self._first_option)
            self._select = None
        elif tag == "form":
            self._form = None
        elif tag == "section" and self._in_orphans:
            self._in_orphans = 0


def forms(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


def field(page: _Forms, form: str, name: str) -> str | None:
    values = page.forms.get(form, {}).get(name)
    return values[0] if values else None


@pytest.fixture
def two_agents(app, agent_client):
    """(number, version both saw, wang's client, li's client): li changes the ticket first."""
    number = create(app).number
    version = agent_client.get(f"/api/tickets/{number}").json["version"]
    make_user(app, "li", "agent")
    li = app.test_client()
    login(li, app, "li", "agent")
    return number, version, agent_client, li


def _note_first(client, number, version):
    r = client.post(f"/agent/tickets/{number}/reply", data={"body": "李工先加了备注", "internal": "1", "version": version})
    assert r.status_code == 302


def test_resolve_conflict_keeps_the_resolution_in_the_resolve_box_only(two_agents):
    number, version, wang, li = two_agents
    _note_first(li, number, version)
    r = wang.post(f"/agent/tickets/{number}/resolve", data={"body": RESOLVE_TEXT, "version": version})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "有人在您之后修改了这个工单" in html
    page = forms(html)
    assert field(page, "resolve-form", "body") == RESOLVE_TEXT
    assert field(page, "reply-form", "body") == ""          # not copied into the reply box
    assert field(page, "reply-form", "internal") == "0"     # untouched default
    assert "「标记为已解决」" in html
    # resubmitting the refilled form resolves the ticket (and sends no public reply)
    version = wang.get(f"/api/tickets/{number}").json["version"]
    assert wang.post(f"/agent/tickets/{number}/resolve", data={"body": field(page, "resolve-form", "body"),
                                                               "version": version}).status_code == 302
    ticket = wang.get(f"/api/tickets/{number}").json
    assert ticket["status"] == "resolved"
    assert [e["body"] for e in ticket["events"] if e["kind"] == "reply"] == []


def test_resolve_with_article_conflict_keeps_text_and_the_article(synced, two_agents):
    number, version, wang, li = two_agents
    _note_first(li, number, version)
    slug = "vpn/error-809"
    r = wang.post(f"/agent/tickets/{number}/resolve", data={"body": RESOLVE_TEXT, "article": slug, "version": version})
    assert r.status_code == 409
    page = forms(r.get_data(as_text=True))
    assert field(page, "resolve-form", "body") == RESOLVE_TEXT
    assert field(page, "resolve-form", "article") == slug   # 「同时附上文章」, checked
    assert field(page, "reply-form", "body") == ""


def test_reply_conflict_keeps_note_kind_status_and_macro(two_agents):
    number, version, wang, li = two_agents
    _note_first(li, number, version)
    r = wang.post(f"/agent/tickets/{number}/reply", data={"body": "内部：先查 GPO", "internal": "1",
                                                          "status": "pending", "macro_id": "7", "version": version})
    assert r.status_code == 409
    page = forms(r.get_data(as_text=True))
    assert field(page, "reply-form", "body") == "内部：先查 GPO"
    assert field(page, "reply-form", "internal") == "1"
    assert field(page, "reply-form", "status") == "pending"
    assert field(page, "reply-form", "macro_id") == "7"     # the macro's use is still counted on resubmit
    assert field(page, "resolve-form", "body") == ""
    assert field(page, "status-form", "reason") == ""


def test_status_conflict_keeps_the_chosen_status_and_its_reason(two_agents):
    number, version, wang, li = two_agents
    _note_first(li, number, version)
    r = wang.post(f"/agent/tickets/{number}/status", data={"status": "pending", "reason": "等用户回到工位",
                                                           "version": version})
    assert r.status_code == 409
    page = forms(r.get_data(as_text=True))
    assert field(page, "status-form", "status") == "pending"
    assert field(page, "status-form", "reason") == "等用户回到工位"
    assert field(page, "reply-form", "status") == ""        # the reply form's status is not the status form's
    assert field(page, "classify-form", "reason") == ""


def test_classify_conflict_keeps_every_choice(two_agents):
    number, version, wang, li = two_agents
    saved = wang.get(f"/api/tickets/{number}").json
    _note_first(li, number, version)
    chosen = {"category": "printing", "impact": "department", "urgency": "degraded"}
    assert all(saved[k] != v for k, v in chosen.items())
    r = wang.post(f"/agent/tickets/{number}/classify", data={**chosen, "reason": "整个部门都连不上", "version": version})
    assert r.status_code == 409
    page = forms(r.get_data(as_text=True))
    for name, value in chosen.items():
        assert field(page, "classify-form", name) == value
    assert field(page, "classify-form", "reason") == "整个部门都连不上"
    assert field(page, "escalate-form", "reason") == ""
    assert field(page, "status-form", "reason") == ""


def test_escalate_conflict_keeps_reason_and_group_only_in_the_escalate_form(app, two_agents):
    number, version, wang, li = two_agents
    make_group(app, "二线网络", tier=2)
    _note_first(li, number, version)
    r = wang.post(f"/agent/tickets/{number}/escalate", data={"group": "二线网络", "reason": "已重装客户端，仍报 809",
                                                             "version": version})
    assert r.status_code == 409
    page = forms(r.get_data(as_text=True))
    assert field(page, "escalate-form", "reason") == "已重装客户端，仍报 809"
    assert field(page, "escalate-form", "group") == "二线网络"
    assert field(page, "classify-form", "reason") == ""     # both forms have a 原因: only one was posted
    assert field(page, "assign-form", "group") == "none"


def test_assign_conflict_keeps_the_chosen_agent_and_group(app, two_agents):
    number, version, wang, li = two_agents
    make_group(app, "桌面组", members=("li",))
    _note_first(li, number, version)
    r = wang.post(f"/agent/tickets/{number}/assign", data={"assignee": "li", "group": "桌面组", "version": version})
    assert r.status_code == 409
    page = forms(r.get_data(as_text=True))
    assert field(page, "assign-form", "assignee") == "li"
    assert field(page, "assign-form", "group") == "桌面组"


def test_refused_change_keeps_the_typed_fields_too(two_agents):
    number, version, wang, _li = two_agents
    # new → closed is not allowed: refused (409, not a conflict), the status form keeps its reason
    r = wang.post(f"/agent/tickets/{number}/status", data={"status": "closed", "reason": "用户说不用了",
                                                           "version": version})
    assert r.status_code == 409 and "不能把工单从" in r.get_data(as_text=True)
    page = forms(r.get_data(as_text=True))
    assert field(page, "status-form", "reason") == "用户说不用了"
    assert field(page, "classify-form", "reason") == ""


def test_text_of_a_form_no_longer_on_the_page_is_shown_to_copy(two_agents):
    number, version, wang, li = two_agents
    assert li.post(f"/agent/tickets/{number}/resolve", data={"body": "李工解决了", "version": version}).status_code == 302
    # the ticket is resolved now: the resolve form is gone from the page, the text is not
    r = wang.post(f"/agent/tickets/{number}/resolve", data={"body": RESOLVE_TEXT, "version": version})
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    page = forms(html)
    assert "resolve-form" not in page.forms
    assert page.orphans == [RESOLVE_TEXT]
    assert field(page, "reply-form", "body") == ""
    assert "&lt;b&gt;确认&lt;/b&gt;" in html and "<b>确认</b>" not in html    # escaped
