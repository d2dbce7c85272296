"""/reports/, CSV exports, /api/reports/summary, kb report, the search log on the request path."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.db import session_scope
from app.models import SearchLog
from tests.conftest import login

from .conftest import SECRET_COMMENT, SECRET_SUBJECT

NOV = "from=2026-11-01&to=2026-11-30"
BREACHED = "全楼断网"  # the subject of the breached P1 ticket


def test_who_may_open_reports(app, client, month):
    assert client.get("/reports/").status_code == 302  # to the login page
    assert client.get("/api/reports/summary").status_code == 401
    login(client, app, "rq2", "requester")
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/tickets_daily.csv").status_code == 403
    assert client.get("/api/reports/summary").status_code == 403


def test_agent_sees_ticket_text_writer_does_not(app, client, month):
    login(client, app, "boss", "agent")
    page = client.get(f"/reports/?{NOV}").get_data(as_text=True)
    assert "<svg" in page and BREACHED in page and SECRET_COMMENT in page
    client.post("/logout")
    login(client, app, "wr", "writer")
    response = client.get(f"/reports/?{NOV}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert SECRET_SUBJECT not in page and SECRET_COMMENT not in page and BREACHED not in page
    assert "IT-TEST-0003" in page  # the breach is listed, by number only
    assert "vpn809" in page and "为此写一篇文章" in page  # the content gaps
    assert 'href="/writer/articles/new?title=vpn809"' in page
    assert client.get(f"/reports/csat_comments.csv?{NOV}").status_code == 404  # not a writer's table
    for name in ("breaches", "csat", "zero_results"):
        body = client.get(f"/reports/{name}.csv?{NOV}")
        text = body.get_data(as_text=True)
        assert body.status_code == 200 and SECRET_COMMENT not in text and BREACHED not in text
    api = client.get(f"/api/reports/summary?{NOV}").get_data(as_text=True)
    assert BREACHED not in json.loads(api).__repr__() and SECRET_COMMENT not in json.loads(api).__repr__()


def test_csv_and_api(app, client, month):
    login(client, app, "boss", "admin")
    response = client.get(f"/reports/tickets_daily.csv?{NOV}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "日期,新建,解决,日终积压" and lines[1] == "2026-11-01,0,0,1" and len(lines) == 31  # T5 (October) still open
    assert client.get(f"/reports/nothing.csv?{NOV}").status_code == 404
    body = client.get(f"/api/reports/summary?{NOV}").get_json()
    assert body["schema"] == 1 and body["from"] == "2026-11-01" and body["to"] == "2026-11-30"
    assert body["tickets"]["created"] == 6 and body["tickets"]["sla"]["response"]["met_pct"] == 60.0
    assert body["search"]["zero_results"][0]["norm"] == "vpn809"
    group = client.get(f"/api/reports/summary?{NOV}&group={month['group_b']}").get_json()
    assert group["tickets"]["created"] == 1 and group["group"]["name"] == "乙组"


def test_bad_input_is_a_clear_message(app, client, month):
    login(client, app, "boss", "agent")
    for query, words in (("from=2026-13-01&to=2026-11-30", "格式"), ("from=2026-11-30&to=2026-11-01", "晚于"),
                         ("range=yesterday", "未知的时间范围"), (f"{NOV}&group=999", "没有这个组"),
                         ("from=2020-01-01&to=2026-11-30", "最长")):
        page = client.get(f"/reports/?{query}")
        assert page.status_code == 400 and words in page.get_data(as_text=True), query
        api = client.get(f"/api/reports/summary?{query}")
        assert api.status_code == 400 and words in api.get_json()["message"]
    # the calendar's edges (found by a probe: 500 from an overflowing date)
    for query in ("from=9999-12-31&to=9999-12-31", "from=0001-01-01&to=0001-01-01", "from=1969-12-31&to=1970-01-02"):
        assert client.get(f"/reports/?{query}").status_code == 400, query
        api = client.get(f"/api/reports/summary?{query}")
        assert api.status_code == 400 and "日期应在 1970-01-01 到 9998-12-31 之间" in api.get_json()["message"], query
        assert client.get(f"/reports/tickets_daily.csv?{query}").status_code == 400, query
    # only an end date: the period is its month up to that day (it said 「开始日期晚于结束日期」)
    only_to = client.get("/api/reports/summary?to=2026-11-20").get_json()
    assert (only_to["from"], only_to["to"]) == ("2026-11-01", "2026-11-20")
    # the typed dates stay in the form
    assert 'value="2026-11-30"' in client.get("/reports/?from=2026-11-30&to=2026-11-01").get_data(as_text=True)


def test_searches_are_logged_and_clicks_counted(app, synced, client):
    client.get("/search?q=ＶＰＮ　809")
    client.get("/search?q=ＶＰＮ　809&page=2")  # later pages are the same search
    client.get("/api/search?q=zzqqxx")
    client.get("/api/suggest?q=vpn")  # typeahead: not logged
    with app.app_context(), session_scope() as s:
        rows = s.scalars(select(SearchLog).order_by(SearchLog.id)).all()
        assert [(r.query, r.norm, r.source, r.results > 0) for r in rows] == [
            ("ＶＰＮ 809", "vpn809", "page", True), ("zzqqxx", "zzqqxx", "api", False)]
        assert rows[0].clicks == 0 and rows[0].role == "anonymous"
    page = client.get("/search?q=VPN 809").get_data(as_text=True)
    import re

    slug = re.search(r'href="/articles/([^"?#]+)', page).group(1)
    client.get(f"/articles/{slug}")
    client.get(f"/articles/{slug}")  # a second view is not a second click
    with app.app_context(), session_scope() as s:
        last = s.scalars(select(SearchLog).order_by(SearchLog.id.desc())).first()
        assert last.clicks == 1 and last.session_key == rows[0].session_key


def test_an_api_client_gets_no_search_session_of_its_own(app, synced, client):
    """A script calling /api/search without the browser's session is logged without a session
    (each call would otherwise count as a new one) and gets no cookie; a browser that has
    searched on the portal keeps its session on the API too."""
    response = client.get("/api/search?q=vpn")
    assert "Set-Cookie" not in response.headers
    client.get("/search?q=打印机")
    client.get("/api/search?q=outlook")
    with app.app_context(), session_scope() as s:
        rows = s.scalars(select(SearchLog).order_by(SearchLog.id)).all()
        assert [(r.source, r.session_key is None) for r in rows] == [("api", True), ("page", False), ("api", False)]
        assert rows[1].session_key == rows[2].session_key


def test_definitions_page_explains_every_figure_to_the_same_people(app, client, month):
    assert client.get("/reports/definitions").status_code == 302  # to the login page
    login(client, app, "rq3", "requester")
    assert client.get("/reports/definitions").status_code == 403
    client.post("/logout")
    login(client, app, "wr2", "writer")
    report = client.get(f"/reports/?{NOV}").get_data(as_text=True)
    assert 'href="/reports/definitions"' in report and "README" not in report
    page = client.get("/reports/definitions").get_data(as_text=True)
    for figure in ("零结果比例", "有结果时的点击率", "自助服务指数", "健康分", "SLA 达成率", "一次解决率",
                   "重开率", "积压账龄", "满意度", "高频问题", "原始记录保留 400 天"):
        assert figure in page, figure


def test_definitions_page_with_a_bad_retention_setting_says_so(app, client, month):
    before = app.config.get("KB_SEARCH_LOG_DAYS")
    app.config["KB_SEARCH_LOG_DAYS"] = "forever"
    try:
        login(client, app, "wr3", "writer")
        page = client.get("/reports/definitions").get_data(as_text=True)
    finally:
        app.config["KB_SEARCH_LOG_DAYS"] = before
    assert "当前的设置无效" in page and "保留 forever" not in page


def test_writer_editor_takes_a_title(app, synced, client):
    login(client, app, "wr", "writer")
    page = client.get("/writer/articles/new?title=企业微信打卡").get_data(as_text=True)
    assert 'value="企业微信打卡"' in page


def test_kb_report_writes_one_document(app, runner, month, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(args=["kb", "report", "--month", "2026-11", "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") >= 5 and "<link" not in html and "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "2026 年 11 月" in html and BREACHED in html  # for the desk's own review (admin view)
    assert "/reports/definitions" in html and "README" not in html
    md = tmp_path / "r.md"
    assert runner.invoke(args=["kb", "report", "--month", "2026-11", "--format", "md", "-o", str(md)]).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert "| 日期 | 新建 | 解决 | 日终积压 |" in text and "data:image/svg+xml;base64," in text
    assert "/reports/definitions" in text and "README" not in text
    bad = runner.invoke(args=["kb", "report", "--month", "2026-13"])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output
    for edge in ("9999-12", "0001-01"):
        bad = runner.invoke(args=["kb", "report", "--month", edge])
        assert bad.exit_code != 0 and "日期应在" in bad.output and "Traceback" not in bad.output, edge


def test_recurring_problems_name_only_articles_the_reader_may_open(app, client, month):
    """Found by a probe: 「按对应文章」 named archived and draft articles to agents, who get 404 for them."""
    from app.models import Article, Ticket

    with app.app_context(), session_scope() as s:
        made = {}
        for slug, status, audience in (("rep/open", "published", "public"), ("rep/desk", "published", "internal"),
                                       ("rep/gone", "archived", "public"), ("rep/unreleased", "draft", "internal")):
            a = Article(slug=slug, title=f"标题 {slug}", category="VPN 与远程访问", status=status, audience=audience)
            s.add(a)
            s.flush()
            made[slug] = a.id
        tickets = s.scalars(select(Ticket).order_by(Ticket.id)).all()
        for t, slug in zip(tickets, made):
            t.resolution_article_id = made[slug]
    login(client, app, "boss", "agent")
    body = client.get(f"/api/reports/summary?{NOV}").get_json()
    named = {row["slug"] for row in body["tickets"]["recurring"]["by_article"]}
    assert named == {"rep/open", "rep/desk"}
    page = client.get(f"/reports/?{NOV}").get_data(as_text=True)
    csv = client.get(f"/reports/recurring_articles.csv?{NOV}").get_data(as_text=True)
    for text in (page, csv, json.dumps(body, ensure_ascii=False)):
        assert "rep/gone" not in text and "rep/unreleased" not in text
    client.post("/logout")
    login(client, app, "wr", "writer")
    named = {row["slug"] for row in client.get(f"/api/reports/summary?{NOV}").get_json()["tickets"]["recurring"]["by_article"]}
    assert "rep/unreleased" in named   # writers may open drafts
