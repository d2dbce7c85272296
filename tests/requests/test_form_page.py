"""The request form page: fields with labels, prefill from ?q= and ?article=, a visit per opening."""

from __future__ import annotations

import re

from tests.conftest import login

from .conftest import open_form, visit_count, visit_row

LABELS = ("标题", "问题描述", "类别", "影响范围", "紧急程度", "姓名", "邮箱", "电话", "附件")
CATEGORY_LABELS = ("账号与密码", "VPN 与远程访问", "网络与 Wi-Fi", "邮件与日历", "打印与外设",
                   "软件安装与授权", "电脑与系统", "信息安全", "协作与会议", "其他")


def test_every_field_has_a_label_and_every_choice_is_offered(form_client):
    _, html = open_form(form_client)
    for text in LABELS:
        assert re.search(rf"<(label|legend)[^>]*>\s*{text}", html), text
    for name in ("subject", "description", "category", "contact_name", "contact_email", "contact_phone", "attachments"):
        assert f'<label for="f-{name}"' in html and f'id="f-{name}"' in html, name
    for text in CATEGORY_LABELS + ("仅我本人", "部门", "全公司", "业务中断", "效率降低", "咨询"):
        assert text in html, text
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrf_token"' in html
    assert "request-form.js" in html
    assert 'aria-live="polite"' in html


def test_each_opening_is_a_new_visit_token_bound_to_the_session(form_client, synced):
    first, _ = open_form(form_client)
    second, _ = open_form(form_client)
    assert first != second and len(first) >= 32
    with form_client.session_transaction() as sess:
        assert {first, second} <= set(sess["kb_form_visits"])


def test_opening_the_form_records_no_visit_until_the_first_interaction(form_client, synced):
    """Issue 13 item 12: a crawl of /requests/new made 122 visits against ~10 real ones."""
    for _ in range(5):
        token, _ = open_form(form_client)
    assert visit_count(synced) == 0
    form_client.post(f"/api/visits/{token}/suggest", json={"subject": "VPN 809"})
    assert visit_count(synced) == 1
    assert visit_row(synced, token).queries == ["VPN 809"]


def test_known_bots_start_no_visit(synced):
    for agent in ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                  "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "curl/8.5.0",
                  "python-requests/2.32"):
        client = synced.test_client()
        client.environ_base["HTTP_USER_AGENT"] = agent
        token, _ = open_form(client)
        client.post(f"/api/visits/{token}/suggest", json={"subject": "VPN 809"})
        client.post(f"/api/visits/{token}/events", json={"type": "opened", "slug": "vpn/error-809"})
        client.get(f"/requests/new/open/{token}/vpn/error-809")
    assert visit_count(synced) == 0
    person = synced.test_client()
    person.environ_base["HTTP_USER_AGENT"] = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                                             "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")
    token, _ = open_form(person)
    person.get(f"/requests/new/open/{token}/vpn/error-809")
    assert visit_row(synced, token).opened == ["vpn/error-809"]


def test_q_fills_the_title_and_is_recorded_as_searched(form_client, synced):
    token, html = open_form(form_client, "?q=VPN 809 连不上")
    assert 'value="VPN 809 连不上"' in html
    form_client.post(f"/api/visits/{token}/events", json={"type": "opened", "slug": "vpn/error-809"})
    assert visit_row(synced, token).queries == ["VPN 809 连不上"]


def test_article_links_the_request_to_a_visible_article(form_client):
    _, html = open_form(form_client, "?article=vpn/error-809")
    assert 'name="article" value="vpn/error-809"' in html
    assert "VPN 连接提示“错误 809”" in html or "VPN 连接提示&#34;错误 809&#34;" in html or "错误 809" in html
    assert re.search(r'<option value="vpn" selected>', html)


def test_article_that_the_visitor_may_not_see_is_ignored_without_a_trace(form_client):
    _, html = open_form(form_client, "?article=internal/ad-unlock")
    assert "ad-unlock" not in html and "AD 账号解锁" not in html


def test_anonymous_visitors_must_leave_contact_details(form_client):
    _, html = open_form(form_client)
    assert re.search(r'id="f-contact_name"[^>]*required', html, re.S)
    assert "无法登录也可以提交" in html


def test_logged_in_contact_is_filled_in(form_client, synced):
    login(form_client, synced, "lisi", "requester")
    _, html = open_form(form_client)
    assert 'value="lisi@example.com"' in html
    assert 'value="lisi"' in html
    assert "已按您的账号填好" in html
