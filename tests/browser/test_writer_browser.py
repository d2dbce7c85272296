"""The writers' workspace in a real browser (issue 11, "Done when"):

a writer creates an article from the template and sees the preview follow their typing, saves,
publishes — and a *second* app process (another gunicorn on the same database and index) finds
it with /api/search as soon as the publish has answered; the writer edits it, another writer's
stale save is refused with a diff; the history shows both revisions and restores the first.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import BIN, _free_port
from tests.browser.test_feedback_browser import _writer
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "printing/zebrafoo-jam"
WORD = "Zebrafoo"


@pytest.fixture(scope="module")
def second_process(portal):
    """Another app process serving the same database and search index."""
    port = _free_port()
    log = open(portal.log.with_name("gunicorn-second.log"), "wb")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
         "--threads", "2", "wsgi:app"], cwd=ROOT, env=portal.env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "/api/suggest?q=VPN", timeout=60).read()  # opens the index (cold start)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the second app process did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=15)
    log.close()


def _search(base: str, q: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/api/search?q={urllib.request.quote(q)}", timeout=10) as response:
        return [hit["slug"] for hit in json.load(response)["results"]]


def _login(browser, portal, username, password):
    context = browser.new_context(locale="zh-CN", base_url=portal.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login?next=/writer/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('main form button[type="submit"]')
    page.wait_for_url(re.compile(r"/writer/$"))
    return context, page


def test_write_preview_publish_conflict_history_restore(browser, portal, second_process):
    assert _search(second_process, WORD) == []
    wendy, wendy_page = _login(browser, portal, *_writer(portal, "bw-wendy"))
    walter, walter_page = _login(browser, portal, *_writer(portal, "bw-walter"))
    try:
        page = wendy_page
        # --- create from the template, with the preview following the typing ---------------
        page.click("text=新建文章")
        page.wait_for_url(re.compile(r"/writer/articles/new$"))
        body = page.locator("#f-body")
        template = body.input_value()
        assert "## 症状" in template and "## 仍未解决？" in template and "/requests/new" in template
        expect(page.locator("#preview h2#症状")).to_be_visible()
        page.fill("#f-title", f"打印机 {WORD} 卡纸怎么办")
        page.fill("#f-slug", SLUG)
        page.fill("#f-category", "打印与外设")
        page.fill("#f-codes", "0x00000709")
        text = template.replace("（读者遇到了什么：界面上提示的原文、错误代码、在什么情况下出现。）",
                                f"打印机面板提示 {WORD} 卡纸，指示灯闪烁。")
        # every stand-in of the template replaced: publishing refuses an article that still has one
        text = text.replace("一两句话：这篇文章适合谁、解决什么问题。", "适用于办公室的激光打印机。")
        text = text.replace("（为什么会这样，用读者能懂的话说明。）", "纸张受潮或放得太多。")
        steps = text[text.index("## 解决步骤") + len("## 解决步骤"):text.index("## 仍未解决？")]
        text = text.replace(steps, "\n\n1. 打开前盖，取出卡住的纸。\n2. 把纸理平后重新放入纸盒。\n\n")
        body.fill(text)
        expect(page.locator("#preview")).to_contain_text(f"打印机面板提示 {WORD} 卡纸")
        body.press("End")
        body.type("\n\n## 补充说明\n\n双面打印时更容易卡纸。")
        expect(page.locator("#preview h2#补充说明")).to_be_visible()
        expect(page.locator("#preview-title")).to_have_text(f"打印机 {WORD} 卡纸怎么办")
        expect(page.locator(".autosave-status")).to_contain_text("已自动保存")
        page.fill("#f-note", "初稿")
        page.click("#save")
        page.wait_for_url(re.compile(re.escape(f"/writer/articles/{SLUG}/edit")))
        expect(page.locator(".flash")).to_contain_text("已创建草稿")
        assert _search(second_process, WORD) == []  # a draft is not searchable

        # --- publish; the other process finds it as soon as the publish has answered --------
        page.click("#publish")
        page.wait_for_url(re.compile(re.escape(f"/writer/articles/{SLUG}") + "$"))
        answered = time.monotonic()
        expect(page.locator(".flash")).to_contain_text("已发布第 1 版")
        found = _search(second_process, WORD)
        print(f"\nsearchable in the second process {(time.monotonic() - answered) * 1000:.0f} ms after the publish page loaded")
        assert found == [SLUG]

        # --- both writers open the editor at revision 1; wendy saves first -------------------
        page.goto(f"/writer/articles/{SLUG}/edit")
        walter_page.goto(f"/writer/articles/{SLUG}/edit")
        page.locator("#f-body").fill(page.locator("#f-body").input_value().replace("指示灯闪烁", "指示灯橙色闪烁"))
        page.fill("#f-note", "补充指示灯颜色")
        page.click("#save")
        expect(page.locator(".flash")).to_contain_text("已保存为第 2 版")
        # walter changes the line wendy changed (a conflict) and another one (merged in the form)
        walter_text = (walter_page.locator("#f-body").input_value().replace("双面打印时更容易卡纸。", "纸张受潮时更容易卡纸。")
                       .replace("指示灯闪烁", "指示灯红色闪烁"))
        walter_page.locator("#f-body").fill(walter_text)
        walter_page.click("#save")
        conflict = walter_page.locator("#conflict")
        expect(conflict).to_contain_text("保存被拒绝")
        expect(conflict).to_contain_text("第 2 版")
        expect(conflict).to_contain_text("和您改了同一处：正文")
        expect(conflict.locator("table.diff ins").first).to_be_visible()
        expect(conflict.locator("table.diff")).to_contain_text("纸张受潮")
        assert walter_page.locator("#f-body").input_value() == walter_text.replace("\r\n", "\n")  # nothing lost
        # on a phone the two sides are stacked (the colleague's line above, this writer's below)
        walter_page.set_viewport_size({"width": 390, "height": 844})
        theirs_line = conflict.locator("tr.diff-change td.old").first.bounding_box()
        mine_line = conflict.locator("tr.diff-change td.new").first.bounding_box()
        assert mine_line["y"] >= theirs_line["y"] + theirs_line["height"] - 1 and mine_line["width"] > 250
        walter_page.set_viewport_size({"width": 1280, "height": 900})
        assert portal.scalar("select count(*) from article_revisions r join articles a on a.id = r.article_id "
                             "where a.slug = :s", s=SLUG) == 2  # nothing overwritten

        # --- history shows both revisions; restore the first -------------------------------
        page.goto(f"/writer/articles/{SLUG}/history")
        rows = page.locator("table.history tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("第 2 版")
        expect(rows.nth(0)).to_contain_text("补充指示灯颜色")
        expect(rows.nth(1)).to_contain_text("第 1 版")
        page.click("text=比较选中的两个版本")
        expect(page.locator("table.diff ins")).to_contain_text("橙色")
        page.go_back()
        rows.nth(1).locator("button:has-text('恢复此版本')").click()
        page.wait_for_url(re.compile(re.escape(f"/writer/articles/{SLUG}/edit")))
        expect(page.locator(".flash")).to_contain_text("已把第 1 版恢复为新的草稿第 3 版")
        restored = page.locator("#f-body").input_value()
        assert "指示灯闪烁" in restored and "橙色" not in restored
    finally:
        wendy.close()
        walter.close()
