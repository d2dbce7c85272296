"""The requester's API: confirm (solved with a rating / not solved with a reason), withdraw,
rating, follow-up, public replies only, GET /api/tickets = their own; TICKET.csat; the events a
requester reads carry no internal note and no internal article link."""

from __future__ import annotations

from sqlalchemy import select

from app.db import session_scope
from app.models import Article, User
from tests.requester.conftest import act, create, load, mine, valid_data


def bearer(app, username: str) -> dict:
    from app.accounts import tokens

    with app.app_context(), session_scope() as session:
        user = session.scalar(select(User).where(User.username == username))
        _row, secret = tokens.create(session, user, "test")
    return {"Authorization": f"Bearer {secret}"}


def test_confirm_solved_with_rating_and_csat_in_ticket(app, agent):
    t = mine(app)
    act(app, t.number, "resolve", by=agent, body="已处理")
    client, auth = app.test_client(), bearer(app, "zhangsan")
    bad = client.post(f"/api/tickets/{t.number}/confirm", json={"solved": "yes"}, headers=auth)
    assert bad.status_code == 400 and bad.json["fields"]["solved"]
    bad = client.post(f"/api/tickets/{t.number}/confirm", json={"solved": True, "rating": 6}, headers=auth)
    assert bad.status_code == 400 and bad.json["error"] == "validation_failed"
    assert client.post(f"/api/tickets/{t.number}/confirm", data="solved", headers=auth).status_code == 415
    ok = client.post(f"/api/tickets/{t.number}/confirm", json={"solved": True, "rating": 4, "comment": "快"}, headers=auth)
    assert ok.status_code == 200 and ok.json["status"] == "closed"
    assert ok.json["csat"] == {"rating": 4, "comment": "快"} and ok.json["close_reason"] == "confirmed"
    again = client.post(f"/api/tickets/{t.number}/confirm", json={"solved": False, "reason": "x"}, headers=auth)
    assert again.status_code == 409 and again.json["error"] == "invalid_transition"
    got = client.get(f"/api/tickets/{t.number}", headers=auth).json
    assert got["csat"]["rating"] == 4


def test_not_solved_needs_a_reason_and_reopens(app, agent):
    t = mine(app)
    act(app, t.number, "resolve", by=agent, body="已处理")
    client, auth = app.test_client(), bearer(app, "zhangsan")
    missing = client.post(f"/api/tickets/{t.number}/confirm", json={"solved": False}, headers=auth)
    assert missing.status_code == 400 and "原因" in missing.json["message"]
    ok = client.post(f"/api/tickets/{t.number}/confirm", json={"solved": False, "comment": "还是 809"}, headers=auth)
    assert ok.status_code == 200 and ok.json["status"] == "open"


def test_the_link_holder_confirms_with_the_token(app, agent):
    t = create(app, valid_data())
    act(app, t.number, "resolve", by=agent, body="已处理")
    client = app.test_client()
    assert client.post(f"/api/tickets/{t.number}/confirm", json={"solved": True}).status_code == 404
    ok = client.post(f"/api/tickets/{t.number}/confirm?token={t.access_token}", json={"solved": True, "rating": 5})
    assert ok.status_code == 200 and ok.json["csat"]["rating"] == 5


def test_withdraw_rating_and_follow_up(app, agent):
    t = mine(app)
    client, auth = app.test_client(), bearer(app, "zhangsan")
    assert client.post(f"/api/tickets/{t.number}/rating", json={"rating": 3}, headers=auth).status_code == 409
    w = client.post(f"/api/tickets/{t.number}/withdraw", json={"reason": "好了"}, headers=auth)
    assert w.status_code == 200 and (w.json["status"], w.json["close_reason"]) == ("closed", "withdrawn")
    assert client.post(f"/api/tickets/{t.number}/withdraw", json={}, headers=auth).status_code == 409
    r = client.post(f"/api/tickets/{t.number}/rating", json={"rating": 3, "comment": "一般"}, headers=auth)
    assert r.status_code == 200 and r.json["csat"] == {"rating": 3, "comment": "一般"}
    assert client.post(f"/api/tickets/{t.number}/follow-up", json={"description": ""}, headers=auth).status_code == 400
    headers = {**auth, "Idempotency-Key": "k1"}
    f = client.post(f"/api/tickets/{t.number}/follow-up", json={"description": "又坏了"}, headers=headers)
    assert f.status_code == 201 and f.json["subject"].startswith("仍有问题：")
    f2 = client.post(f"/api/tickets/{t.number}/follow-up", json={"description": "又坏了"}, headers=headers)
    assert f2.status_code == 201 and f2.json["number"] == f.json["number"] and f2.headers["Idempotent-Replayed"] == "true"
    assert load(app, f.json["number"]).follow_up_of_id == load(app, t.number).id


def test_replies_are_public_only_and_nobody_else_acts(app, agent):
    t = mine(app)
    mine(app, "lisi")
    client = app.test_client()
    own, other, staff = bearer(app, "zhangsan"), bearer(app, "lisi"), bearer(app, agent)
    note = client.post(f"/api/tickets/{t.number}/replies", json={"body": "偷偷写", "internal": True}, headers=own)
    assert note.status_code == 403
    ok = client.post(f"/api/tickets/{t.number}/replies", json={"body": "补充：是 Win11"}, headers=own)
    assert ok.status_code == 201 and ok.json["public"] is True
    for path, body in (("replies", {"body": "x"}), ("confirm", {"solved": True}), ("withdraw", {}),
                       ("rating", {"rating": 1}), ("follow-up", {"description": "x"})):
        assert client.post(f"/api/tickets/{t.number}/{path}", json=body, headers=other).status_code == 404
    for path, body in (("confirm", {"solved": True}), ("withdraw", {}), ("rating", {"rating": 1})):
        assert client.post(f"/api/tickets/{t.number}/{path}", json=body, headers=staff).status_code == 404


def test_requesters_list_their_own_and_read_no_note_and_no_internal_link(app, agent):
    with app.app_context(), session_scope() as session:
        session.add(Article(slug="internal/vpn-server", title="VPN 服务端排查（内部）", category="VPN 与远程访问",
                            body="…", audience="internal", status="published"))
    t = mine(app, subject="我的 VPN")
    other = mine(app, "lisi", subject="李四的打印机")
    act(app, t.number, "reply", by=agent, body="内部备注：服务器证书过期", internal=True)
    act(app, t.number, "reply", by=agent, body="参考 http://localhost/articles/internal/vpn-server 处理中")
    client, auth = app.test_client(), bearer(app, "zhangsan")
    listing = client.get("/api/tickets", headers=auth).json
    assert [r["number"] for r in listing["results"]] == [t.number] and listing["total"] == 1
    assert other.number not in str(listing)
    got = client.get(f"/api/tickets/{t.number}", headers=auth).json
    text = str(got)
    assert "证书过期" not in text and "internal/vpn-server" not in text and "内部资料" in text
    assert all(e["public"] for e in got["events"])
    assert client.get(f"/api/tickets/{other.number}", headers=auth).status_code == 404
    staff = client.get(f"/api/tickets/{t.number}", headers=bearer(app, agent)).json
    assert "证书过期" in str(staff) and "internal/vpn-server" in str(staff)


def test_the_requester_reads_what_they_submitted_in_the_api_too(app):
    t = mine(app, description="在家连公司 VPN 提示 809，换了网络也一样。")
    got = app.test_client().get(f"/api/tickets/{t.number}", headers=bearer(app, "zhangsan")).json
    assert got["description"] == "在家连公司 VPN 提示 809，换了网络也一样。"


def test_a_requesters_filters_do_not_tell_which_accounts_and_groups_exist(app, agent):
    """Found by a probe: ?assignee=admin gave 200 and ?assignee=nosuchuser 400 「没有用户名为…的账号」."""
    from tests.console.conftest import make_group

    make_group(app, "网络组", "network", 1, [agent])
    mine(app, subject="我的 VPN")
    client, auth = app.test_client(), bearer(app, "zhangsan")
    answers = [client.get(f"/api/tickets?{query}", headers=auth) for query in (
        f"assignee={agent}", "assignee=nosuchuser", "group=网络组", "group=没有这个组")]
    assert [r.status_code for r in answers] == [200] * 4
    assert len({r.get_data() for r in answers}) == 1          # the same empty page for all four
    staff = client.get("/api/tickets?assignee=nosuchuser", headers=bearer(app, agent))
    assert staff.status_code == 400                             # the desk still hears about its typo
