"""「找回我的请求链接」: the links go to the address the tickets were submitted with; the answer is
the same whether or not it has tickets; rate limited."""

from __future__ import annotations

from tests.requester.conftest import create, mine, outbox, valid_data


def test_links_are_mailed_to_the_address_and_the_answer_never_tells(app):
    a = create(app, valid_data(contact_email="Wang.Wu@Corp.example", subject="显示器闪烁"))
    b = create(app, valid_data(contact_email="wang.wu@corp.example", subject="键盘失灵"))
    logged_in = mine(app, "zhaoliu", subject="赵六的请求")
    create(app, valid_data(contact_email="someone.else@corp.example", subject="别人的请求"))
    client = app.test_client()
    form = client.get("/requests/recover").get_data(as_text=True)
    assert "邮箱地址" in form
    known = client.post("/requests/recover", data={"email": " wang.wu@corp.example "})
    unknown = client.post("/requests/recover", data={"email": "nobody@corp.example"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: r.get_data(as_text=True).replace("wang.wu@corp.example", "X").replace("nobody@corp.example", "X")  # noqa: E731
    assert strip(known) == strip(unknown)
    mails = outbox(app, "request_links")
    assert [m.to_addr for m in mails] == ["wang.wu@corp.example", "nobody@corp.example"]
    found, none = mails
    for t in (a, b):
        assert f"/requests/{t.number}?token={t.access_token}" in found.body_text
        assert t.access_token in found.body_html
    assert "别人的请求" not in found.body_text and logged_in.number not in found.body_text
    assert "没有找到" in none.body_text and "token=" not in none.body_text
    assert found.ticket_id is None


def test_a_logged_in_requesters_ticket_is_listed_without_its_secret(app):
    t = mine(app, "zhaoliu")
    app.test_client().post("/requests/recover", data={"email": "zhaoliu@example.com"})
    mail = outbox(app, "request_links")[-1]
    assert f"/requests/{t.number}" in mail.body_text and t.access_token not in mail.body_text
    assert "请先登录" in mail.body_text


def test_bad_address_is_explained(client):
    response = client.post("/requests/recover", data={"email": "不是邮箱"})
    assert response.status_code == 400 and "请填写提交请求时用的邮箱地址" in response.get_data(as_text=True)


def test_recovery_is_rate_limited_per_address(app):
    app.config["RATELIMIT_ENABLED"] = True
    client = app.test_client()
    codes = [client.post("/requests/recover", data={"email": "wang.wu@corp.example"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(outbox(app, "request_links")) == 3
    assert client.post("/requests/recover", data={"email": "other@corp.example"}).status_code == 200
