"""The request form in a real browser: live suggestions while typing, the article panel,
「这解决了我的问题」, the ticket at the end, IME composition, phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "VPN连接提示错误809"
SUGGESTION = '#suggestion-list a[data-slug="vpn/error-809"]'


def _suggest_timings(page) -> list[float]:
    return page.evaluate("performance.getEntriesByName('kb-suggest').map(e => Math.round(e.duration))")


def _type_title(page):
    page.goto("/requests/new")
    page.click("#f-subject")
    page.keyboard.type(TITLE, delay=90)  # one character at a time, like a person
    page.wait_for_selector(SUGGESTION)


def test_type_see_suggestion_open_it_come_back_and_submit(page, portal, record_property):
    server_ms = []
    page.on("response", lambda r: server_ms.append(r.json()["took_ms"]) if r.url.endswith("/suggest") and r.ok else None)
    _type_title(page)
    for more in ("，怎么办", "，换了网络也不行"):  # keep typing after a pause: more measurements
        page.wait_for_timeout(400)
        page.keyboard.type(more, delay=90)
        page.wait_for_timeout(600)
    assert re.search(r"找到 \d 篇可能相关的文章", page.inner_text("#suggestions-live"))
    timings = _suggest_timings(page)
    record_property("suggest_latency_ms", timings)
    print(f"\nsuggestion latency after the last keystroke (ms): {timings}; search time on the server (ms): {server_ms}")

    page.click(SUGGESTION)
    page.wait_for_selector("#article-panel:not([hidden])")
    expect(page.locator("#panel-body")).to_contain_text("809")  # the article itself, fetched
    assert "809" in page.inner_text("#panel-title")
    # a modal dialog while open: the page it covers is inert, so Tab stays in the article (axe audit)
    inert = "document.getElementById('f-subject').closest('[inert]') !== null"
    assert page.evaluate(inert) and page.get_attribute("#article-panel", "aria-modal") == "true"
    page.click("#panel-close")
    page.wait_for_selector("#article-panel", state="hidden")
    assert not page.evaluate(inert)
    assert page.input_value("#f-subject") == TITLE + "，怎么办，换了网络也不行"

    page.fill("#f-description", "在家用笔记本连公司 VPN 提示错误 809，换了热点也一样。")
    page.select_option("#f-category", "vpn")
    page.check('input[name="impact"][value="person"]')
    page.check('input[name="urgency"][value="stopped"]')
    page.fill("#f-contact_name", "张三")
    page.fill("#f-contact_email", "zhangsan@example.com")
    page.fill("#f-contact_phone", "138 0000 0000")
    before = portal.scalar("select count(*) from tickets")
    page.click("#submit-request")
    page.wait_for_url(re.compile(r"/requests/new/submitted/IT-\d{8}-\d{4}"))
    text = page.inner_text("main")
    number = re.search(r"IT-\d{8}-\d{4}", text).group(0)
    assert "P2" in text and "预计响应时间" in text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)
    assert portal.scalar("select count(*) from tickets") == before + 1
    opened = portal.scalar("select opened_articles from tickets where number = :n", n=number)
    assert "vpn/error-809" in str(opened)


def test_solved_ends_the_visit_without_a_ticket(page, portal):
    before = portal.scalar("select count(*) from tickets")
    _type_title(page)
    token = page.get_attribute("#request-form", "data-visit")
    page.click(SUGGESTION)
    page.wait_for_selector("#article-panel:not([hidden])")
    page.click("#panel-solved button[type=submit]")
    page.wait_for_url(re.compile(r"/requests/new/thanks"))
    assert "问题已经解决" in page.inner_text("main")
    assert portal.scalar("select count(*) from tickets") == before
    assert portal.scalar("select solved_article from form_visits where token = :t", t=token) == "vpn/error-809"
    assert portal.scalar("select count(*) from tickets where visit_id = "
                         "(select id from form_visits where token = :t)", t=token) == 0


def test_nothing_is_sent_while_an_ime_is_composing(page):
    """Chromium's own IME path (CDP Input.imeSetComposition): compositionstart/update, then commit."""
    page.goto("/requests/new")
    page.click("#f-subject")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/suggest" in r.url else None)
    cdp = page.context.new_cdp_session(page)
    for pinyin in ("v", "vp", "vpn", "vpn c", "vpn cuowu"):
        cdp.send("Input.imeSetComposition", {"text": pinyin, "selectionStart": len(pinyin), "selectionEnd": len(pinyin)})
        page.wait_for_timeout(120)
    page.wait_for_timeout(800)  # far beyond the 250 ms pause
    assert sent == [], "no suggestion request while composing"
    with page.expect_request(lambda r: "/suggest" in r.url):
        cdp.send("Input.insertText", {"text": "VPN错误809"})  # commits: compositionend
    page.wait_for_selector(SUGGESTION)
    assert len(sent) == 1


def test_typed_text_survives_a_reload(page):
    page.goto("/requests/new")
    page.fill("#f-subject", "打印机脱机了")
    page.fill("#f-description", "三楼的打印机一直显示脱机。")
    page.reload()
    assert page.input_value("#f-subject") == "打印机脱机了"
    assert page.input_value("#f-description") == "三楼的打印机一直显示脱机。"


def test_keyboard_reaches_the_suggestions(page):
    _type_title(page)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.matches('#suggestion-list a.suggestion')")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "f-subject"


def test_phone_width_puts_suggestions_below_the_form(browser, portal):
    context = browser.new_context(base_url=portal.url, viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto("/requests/new")
    form_box = page.locator("#request-form").bounding_box()
    side_box = page.locator("#suggestions").bounding_box()
    assert side_box["y"] >= form_box["y"] + form_box["height"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
