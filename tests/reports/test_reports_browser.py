"""Headless Chromium on /reports/ over a generated data set: change the range and see the charts
change, download a CSV; a writer sees the content gaps and no ticket text.

Its own portal (gunicorn) with `kb demo-data`, so the shared browser portal keeps its tickets.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.browser.conftest import BIN, _chromium_or_skip, _free_port, wait_until_serving
from tests.conftest import ARTICLES, ROOT, make_database_url

PASSWORD = "reports-Browser-1"


@pytest.fixture(scope="module")
def portal(tmp_path_factory, pg_available):
    import os

    _chromium_or_skip()
    tmp = tmp_path_factory.mktemp("reports-portal")
    database_url, drop = make_database_url(tmp, pg_available)
    env = {**os.environ, "KB_INSTANCE_DIR": str(tmp / "instance"), "KB_DATABASE_URL": database_url,
           "KB_ARTICLES_DIR": str(ARTICLES), "KB_SECRET_KEY": "reports-browser-secret"}

    def kb(*args):
        done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "kb", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    kb("init")
    kb("demo-data", "--tickets", "400", "--searches", "3000")
    for name, role in (("rb-agent", "agent"), ("rb-writer", "writer")):
        kb("user", "create", name, "--role", role, "--password", PASSWORD)
    port = _free_port()
    log = tmp / "gunicorn.log"
    process = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                "--worker-class", "gthread", "--threads", "4", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, process, log)
    yield url
    process.terminate()
    process.wait(timeout=15)
    drop()


@pytest.fixture(scope="module")
def browser(portal, chromium):
    return chromium


def _login(browser, url, username):
    context = browser.new_context(locale="zh-CN", base_url=url, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/login?next=/reports/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('main form button[type="submit"]')
    page.wait_for_url(re.compile(r"/reports/$"))
    return context, page


def test_change_range_charts_change_and_csv(browser, portal, tmp_path):
    context, page = _login(browser, portal, "rb-agent")
    try:
        this_month = page.locator("h1").inner_text()
        chart = page.locator("#tickets figure svg").first
        before = chart.inner_html()
        assert "<title" in before and chart.get_attribute("role") == "img"
        page.check('input[name="range"][value="last_month"]')
        page.click('#report-filters button[type="submit"]')
        page.wait_for_url(re.compile(r"range=last_month"))
        assert page.locator("h1").inner_text() != this_month
        after = page.locator("#tickets figure svg").first.inner_html()
        assert after != before
        assert int(page.locator('[data-kpi="created"]').inner_text()) > 50
        # a breached ticket's subject is on the agent's page (checked absent for writers below)
        breach_rows = page.locator('table[data-table="breaches"] tbody tr')
        assert breach_rows.count() > 0
        with page.expect_download() as info:
            page.locator('table[data-table="tickets_daily"] caption a.csv').click()
        path = tmp_path / "daily.csv"
        info.value.save_as(path)
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0] == "日期,新建,解决,日终积压" and len(lines) >= 29
        assert info.value.suggested_filename.startswith("tickets_daily_")
    finally:
        context.close()


def test_writer_sees_content_gaps_and_no_ticket_text(browser, portal):
    context, page = _login(browser, portal, "rb-agent")
    try:
        page.goto("/reports/?range=last_month")
        subjects = set(page.locator('table[data-table="breaches"] tbody tr td:last-child').all_inner_texts())
        assert subjects
    finally:
        context.close()
    context, page = _login(browser, portal, "rb-writer")
    try:
        page.goto("/reports/?range=last_month")
        gaps = page.locator("#content-gaps tbody tr")
        assert gaps.count() >= 3
        link = gaps.first.locator("a.write-gap")
        query = gaps.first.locator("td").first.inner_text().split("（")[0].strip()
        html = page.content()
        # article titles are not ticket text, and one may contain a subject's words
        # (「Teams 打不开、白屏、一直转圈：清除 Teams 缓存」 vs the ticket 「Teams 打不开」)
        for title in page.locator('table[data-table="articles"] tbody tr td:first-child').all_inner_texts():
            html = html.replace(title, "")
        for subject in subjects:
            assert subject not in html
        assert "等了比较久" not in html  # CSAT comments
        link.click()
        page.wait_for_url(re.compile(r"/writer/articles/new\?title="))
        assert page.locator("#f-title").input_value() == query
    finally:
        context.close()
