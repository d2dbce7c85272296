"""The engine's deferred work runs after the response has gone out (``app.articles.search``):
a search that finds the index pages it mapped past the budget leaves the unmapping to then."""
from __future__ import annotations


def _engine(app):
    app.test_client().get("/api/search", query_string={"q": "VPN"})   # the engine opened
    return app.extensions["kb.search"]


def test_housekeeping_runs_when_the_response_is_closed_not_before(synced):
    eng = _engine(synced)
    ran = []
    original = eng.housekeeping
    eng.housekeeping = lambda: ran.append(eng._segments.trim_due) or original()
    eng._segments.trim_due = True                 # as a search past the budget leaves it
    client = synced.test_client()
    r = client.get("/api/search", query_string={"q": "VPN 809"}, buffered=False)
    assert r.status_code == 200 and ran == []     # the body not sent yet: nothing ran
    assert r.get_json()["results"]
    r.close()                                     # the server closes the response
    assert ran == [True] and not eng.housekeeping_due()


def test_no_housekeeping_is_scheduled_when_none_is_due(synced):
    eng = _engine(synced)
    ran = []
    eng.housekeeping = lambda: ran.append(1)
    eng._segments.trim_due = False
    for url in ("/api/search?q=打印机", "/api/suggest?q=打印", "/"):
        synced.test_client().get(url)
    assert ran == []


def test_pages_without_an_engine_open_do_not_open_one(app):
    assert app.test_client().get("/").status_code == 200
    assert app.extensions["kb.search"] is None
