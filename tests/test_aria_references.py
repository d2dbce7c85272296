"""Every ARIA reference on the pages points at something, and every search landmark has its own
name — found by an axe-core audit in Chromium (the editor's review-date hint, the request form's
error summary links to the radio groups, four unnamed role=search forms on one page)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.conftest import login
from tests.requests.conftest import form_data, open_form


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.refs, self.links, self.searches = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for name in ("aria-describedby", "aria-labelledby", "aria-controls"):
            self.refs += [(tag, name, ref) for ref in (a.get(name) or "").split()]
        if a.get("for"):
            self.refs.append((tag, "for", a["for"]))
        if tag == "a" and (a.get("href") or "").startswith("#") and len(a["href"]) > 1:
            self.links.append(a["href"][1:])
        if a.get("role") == "search":
            self.searches.append(a.get("aria-label") or a.get("aria-labelledby"))


def check(html: str) -> None:
    page = _Page()
    page.feed(html)
    missing = [ref for ref in page.refs if ref[2] not in page.ids]
    assert not missing, missing
    dangling = [target for target in page.links if target not in page.ids]
    assert not dangling, dangling
    assert all(page.searches) and len(set(page.searches)) == len(page.searches), page.searches


def test_the_request_form_and_its_error_summary(synced):
    client = synced.test_client()
    token, html = open_form(client)
    check(html)
    refused = client.post("/requests/new", data=form_data(token, subject="", impact=None, urgency=None,
                                                              contact_email="not-an-address"))
    assert refused.status_code == 400
    assert 'href="#f-impact"' in refused.text and 'href="#f-urgency"' in refused.text
    check(refused.text)


def test_the_writers_editor_with_and_without_errors(synced):
    client = synced.test_client()
    login(client, synced, "aria-writer", "writer")
    check(client.get("/writer/articles/new").text)
    check(client.post("/writer/articles/new", data={"title": "", "review_by": "明天", "body": "x"}).text)
    check(client.get("/writer/articles/vpn/error-809/edit").text)


def test_pages_with_several_search_forms(synced):
    client = synced.test_client()
    for path in ("/", "/search?q=VPN"):
        check(client.get(path).text)
    created = client.post("/api/tickets", json={
        "subject": "VPN 809", "description": "连不上", "category": "vpn", "impact": "person", "urgency": "stopped",
        "contact_name": "张三", "contact_email": "zhangsan@example.com"})
    assert created.status_code == 201, created.get_json()
    login(client, synced, "aria-admin", "admin")
    for path in ("/agent/", f"/agent/tickets/{created.get_json()['number']}", "/admin/", "/reports/"):
        response = client.get(path)
        assert response.status_code == 200, path
        check(response.text)
