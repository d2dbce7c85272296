"""Every route of the portal, as each kind of caller, with values nobody should send: never a 500.

The hand-picked strange inputs of ``test_audit_visibility.py`` cover the pages people use; this
sweep walks ``app.url_map`` so that a route added later is covered without anyone listing it.
Regressions it found (2026-12-04):

* a number past what an id column holds in an ``<int:…>`` path part (``/writer/articles/<slug>/
  revisions/99999999999999999999``, attachments, groups, macros, restore) reached the database
  and failed there — ``OverflowError`` on SQLite, ``NumericValueOutOfRange`` on PostgreSQL;
* a lone surrogate in a JSON string (``"\\ud800"``, valid JSON) in a ticket's assignee or group,
  an escalation's group or a resolution's article reached a query and failed in the driver;
* on PostgreSQL only: a NUL in a query parameter (``/agent/?assignee=%00``, ``/api/tickets?group=%00``,
  ``/writer/articles/new?from_ticket=%00``), ``?page=99999999999999999999`` with a search (an
  offset past 64 bits), ``/writer/articles/<slug>/diff?from=2147483648`` and a reply's
  ``macro_id=2147483648`` (past the 32-bit INTEGER column).
"""

from __future__ import annotations

import json
import re

import pytest

from app.models import MAX_INTEGER, parse_id
from tests.conftest import login

INT_VALUES = ("0", str(MAX_INTEGER + 1), "99999999999999999999")
TEXT_VALUES = ("0", "-1", "99999999999999999999", "漢字", "a" * 300, "%E0%A4%A", "x.y", "..", "IT-0-0")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: every key a JSON endpoint of ours reads (request bodies of INTERFACES.md and the views)
JSON_FIELDS = ("subject", "description", "category", "impact", "urgency", "contact_name", "contact_email",
               "contact_phone", "shown_articles", "opened_articles", "status", "assignee", "group",
               "version", "body", "internal", "reason", "article", "solved", "rating", "comment",
               "helpful", "query", "title", "tags", "error_codes", "audience", "slug", "base_revision",
               "search_text", "type", "fields", "action", "note", "review_by", "escalate", "key")
#: …and what each may hold: lone surrogates, numbers past a 32-bit column (PostgreSQL's INTEGER)
#: and past 64 bits, wrong types
ODD_JSON = ("\ud800", "a\udfffb", ["\udc00"], {"\ud800": 1}, "\x00", "a\x00b", "²", 2 ** 31, 2 ** 63, 10 ** 30,
            -1, 1e308, None, True, [], {})


#: query parameters the views read (each tried alone on every page, and all of them at once)
QUERY_ARGS = ("q", "page", "per_page", "limit", "from", "to", "assignee", "group", "status", "priority",
              "category", "view", "from_ticket", "month", "format", "article", "next", "sort", "kind")
ODD_QUERY = ("a\x00b", str(2 ** 31), "99999999999999999999", "-2147483649", "漢字")


def _client(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        login(client, app, f"sweep-{role}", role)
    return client


def _ticket(app) -> str:
    response = app.test_client().post("/api/tickets", json={
        "subject": "VPN 809", "description": "连不上", "category": "VPN 与远程访问", "impact": "person",
        "urgency": "stopped", "contact_name": "张三", "contact_email": "zhang@example.com"})
    assert response.status_code == 201, response.data
    return response.json["number"]


def _rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    return sorted(rules, key=lambda r: ("logout" in r.rule, r.rule))     # stay signed in until the end


def _paths(rule, real: dict[str, str]):
    """The rule with real values, then with each argument in turn given every odd value."""
    def build(values):
        return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: values[m.group(1)], rule.rule)

    base = {a: real.get(a, "x") for a in rule.arguments}
    yield build(base)
    for arg in rule.arguments:
        odd = INT_VALUES if type(rule._converters[arg]).__name__.endswith(("IdConverter", "IntegerConverter")) \
            else TEXT_VALUES
        for value in odd:
            yield build({**base, arg: value})


def _check(response, *where):
    assert response.status_code < 500, (*where, response.status_code, response.get_data(as_text=True)[:300])
    assert "Traceback" not in response.get_data(as_text=True), where


@pytest.mark.parametrize("role", ("anonymous", "requester", "agent", "writer", "admin"))
def test_every_route_answers_odd_path_values_without_a_500(synced, role):
    real = {"number": _ticket(synced), "slug": "vpn/error-809", "id": "1", "user_id": "1"}
    client = _client(synced, role)
    for rule in _rules(synced):
        for path in _paths(rule, real):
            for method in METHODS:
                if method in rule.methods:
                    kwargs = {} if method == "GET" else {"json": {}}
                    _check(client.open(path, method=method, **kwargs), role, method, path[:120])


@pytest.mark.parametrize("role", ("requester", "admin"))
def test_odd_query_parameters_on_every_page_never_make_a_500(synced, role):
    real = {"number": _ticket(synced), "slug": "vpn/error-809"}
    client = _client(synced, role)
    for rule in _rules(synced):
        if "GET" not in rule.methods or "logout" in rule.rule:
            continue
        path = next(_paths(rule, real))
        for value in ODD_QUERY:
            _check(client.get(path, query_string={arg: value for arg in QUERY_ARGS}), role, path, value)
            for arg in QUERY_ARGS:
                query = {arg: value} if arg == "q" else {arg: value, "q": "vpn"}   # with q: the search paths
                _check(client.get(path, query_string=query), role, path, arg, value)


#: form fields the pages post (each tried alone where it is an id or a number, and all at once)
FORM_FIELDS = ("body", "title", "subject", "description", "category", "impact", "urgency", "status",
               "assignee", "group", "internal", "macro_id", "version", "revision", "base_revision", "tier",
               "rating", "comment", "article", "article_slug", "from_ticket", "reason", "name", "username",
               "email", "role", "skills", "set_status", "active", "tags", "error_codes", "audience", "slug",
               "next_review", "key", "value", "action", "step", "confirm")
NUMBER_FIELDS = ("macro_id", "version", "revision", "base_revision", "tier", "rating", "group", "assignee",
                 "article", "from_ticket")
ODD_NUMBERS = (str(2 ** 31), "99999999999999999999", "²")
ODD_FORM = ("a\x00b", "漢字", *ODD_NUMBERS)


def test_odd_form_values_on_every_form_never_make_a_500(synced):
    real = {"number": _ticket(synced), "slug": "vpn/error-809"}
    for rule in _rules(synced):
        if "POST" not in rule.methods or rule.rule.startswith("/api/") or "logout" in rule.rule:
            continue
        client = _client(synced, "admin")            # again for each form: one may end the session
        path = next(_paths(rule, real))
        for value in ODD_FORM:
            _check(client.post(path, data={field: value for field in FORM_FIELDS}), path, value)
            if value in ODD_NUMBERS:
                for field in NUMBER_FIELDS:
                    _check(client.post(path, data={"body": "好的", field: value}), path, field, value)


def test_a_big_number_in_an_id_path_is_not_found(synced):
    client = _client(synced, "admin")
    for path in (f"/writer/articles/vpn/error-809/revisions/{MAX_INTEGER + 1}",
                 f"/api/articles/vpn/error-809/revisions/{MAX_INTEGER + 1}",
                 f"/requests/{_ticket(synced)}/attachments/99999999999999999999"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/writer/articles/vpn/error-809/revisions/{MAX_INTEGER}").status_code == 404


def test_odd_values_in_any_json_field_never_reach_the_database(synced):
    number = _ticket(synced)
    client = _client(synced, "admin")
    json_rules = [r for r in _rules(synced) if r.rule.startswith("/api/")
                  and r.methods & {"POST", "PUT", "PATCH"} and "logout" not in r.rule]
    real = {"number": number, "slug": "vpn/error-809"}
    for rule in json_rules:
        path = next(_paths(rule, real))
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            for field in JSON_FIELDS:
                for value in ODD_JSON:
                    body = json.dumps({field: value})          # ensure_ascii: "\ud800" as an escape
                    response = client.open(path, method=method, data=body, content_type="application/json")
                    _check(response, method, path, field, repr(value))


def test_a_lone_surrogate_is_kept_as_a_question_mark(synced):
    body = ('{"subject": "VPN \\ud800 809", "description": "\\udfff连不上", "category": "VPN 与远程访问", '
            '"impact": "person", "urgency": "stopped", "contact_name": "张\\ud800三", '
            '"contact_email": "zhang@example.com"}')
    client = synced.test_client()
    created = client.post("/api/tickets", data=body, content_type="application/json")
    assert created.status_code == 201, created.data
    agent = _client(synced, "agent")
    ticket = agent.get(f"/api/tickets/{created.json['number']}").json
    page = agent.get(f"/agent/tickets/{created.json['number']}").get_data(as_text=True)
    assert "VPN ? 809" in page and "张?三" in page
    assert ticket["number"] == created.json["number"]
    # a valid pair (an emoji written as two escapes) is one character, not two question marks
    emoji = client.post("/api/tickets", data=body.replace("\\ud800 809", "\\ud83d\\ude00 809"),
                        content_type="application/json")
    assert emoji.status_code == 201
    assert "VPN 😀 809" in agent.get(f"/agent/tickets/{emoji.json['number']}").get_data(as_text=True)


def test_an_id_from_outside_is_a_number_a_column_holds_or_none():
    assert [parse_id(v) for v in ("1", " 7 ", "٣", str(MAX_INTEGER), 42)] == [1, 7, 3, MAX_INTEGER, 42]
    for odd in ("", "0", "-1", "²", "1.5", "1e3", str(MAX_INTEGER + 1), "9" * 5000, 0, -3, 2 ** 40, True,
                None, 1.0, [], "x"):
        assert parse_id(odd) is None, odd
