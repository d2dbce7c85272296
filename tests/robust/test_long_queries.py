"""Issue 13 item 11: a search URL longer than gunicorn's default request line (4,094 bytes —
about 450 Chinese characters pasted from an error log) reaches the app, which searches the
first MAX_QUERY_CHARS characters and says so, instead of gunicorn's raw English error page."""

from __future__ import annotations

import json
from urllib.parse import quote

from app.articles.search import MAX_QUERY_CHARS

LOG = ("连接VPN时提示错误809，无法建立计算机与VPN服务器之间的网络连接，因为远程服务器未响应。" * 20)[:600]


def test_long_search_url_gets_the_page_with_a_notice(server):
    url = "/search?q=" + quote(LOG)
    assert len(url) > 4094
    status, body = server.get(url)
    page = body.decode()
    assert status == 200, page[:500]
    assert f"搜索内容太长，只按前 {MAX_QUERY_CHARS} 个字搜索" in page
    assert "VPN" in page and "Request Line is too large" not in page


def test_long_api_query_is_truncated_and_flagged(server):
    status, body = server.get("/api/search?q=" + quote(LOG))
    assert status == 200
    data = json.loads(body)
    assert data["truncated"] is True and len(data["query"]) <= MAX_QUERY_CHARS
    assert data["total"] > 0
    status, body = server.get("/api/suggest?q=" + quote(LOG))
    assert status == 200 and json.loads(body)["truncated"] is True
    status, body = server.get("/api/search?q=vpn")
    assert "truncated" not in json.loads(body)
