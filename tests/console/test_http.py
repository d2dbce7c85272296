"""The console over HTTP: pages, API, search, and internal notes invisible to the requester on every path."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from app.db import session_scope
from app.models import OutboxMessage
from tests.conftest import login
from tests.console.conftest import create, get_ticket, make_group, make_user, valid_data

NOTE = "内部备注：怀疑是 MFA 策略 ZZSECRET"


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_internal_note_never_reaches_the_requester(app, agent_client):
    make_user(app, "zhang", "requester")
    requester = app.test_client()
    login(requester, app, "zhang", "requester")
    number = create(app, valid_data(subject="Outlook 提示密码"), username="zhang").number
    # The agent writes a note with an attachment and a public reply.
    r = agent_client.post(f"/agent/tickets/{number}/reply", data={
        "body": NOTE, "internal": "1", "attachments": (io.BytesIO(_png()), "secret-shot.png")},
        content_type="multipart/form-data")
    assert r.status_code == 302, r.data[:300]
    r = agent_client.post(f"/api/tickets/{number}/replies", json={"body": "请重新登录试试", "internal": False})
    assert r.status_code == 201 and r.json["public"] is True
    page = agent_client.get(f"/agent/tickets/{number}").get_data(as_text=True)
    assert "ZZSECRET" in page and "secret-shot.png" in page and "event-internal" in page
    with app.app_context(), session_scope() as session:
        t = get_ticket(session, number)
        note_file = [a for a in t.attachments if a.filename == "secret-shot.png"][0].id
    # Every requester path.
    html = requester.get(f"/requests/{number}").get_data(as_text=True)
    assert "请重新登录试试" in html and "ZZSECRET" not in html and "secret-shot.png" not in html
    assert requester.get(f"/requests/{number}/attachments/{note_file}").status_code == 404
    body = json.dumps(requester.get(f"/api/tickets/{number}").json, ensure_ascii=False)
    assert "请重新登录试试" in body and "ZZSECRET" not in body and "secret-shot" not in body
    listing = requester.get("/api/tickets?q=ZZSECRET").json
    assert listing["total"] == 0  # not even a count
    assert requester.get("/api/tickets?q=Outlook").json["total"] == 1
    assert requester.post(f"/api/tickets/{number}/replies", json={"body": "x", "internal": True}).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"/api/tickets/{number}").status_code == 404
    with app.app_context(), session_scope() as session:
        t = get_ticket(session, number)
        token = t.access_token
        mails = session.scalars(select(OutboxMessage)).all()
        assert mails and all("ZZSECRET" not in m.body_text and "ZZSECRET" not in (m.body_html or "") for m in mails)
    linked = anonymous.get(f"/requests/{number}?token={token}").get_data(as_text=True)
    assert "请重新登录试试" in linked and "ZZSECRET" not in linked
    assert anonymous.get(f"/requests/{number}/attachments/{note_file}?token={token}").status_code == 404
    # Agents find it by the note's words; article search never sees tickets.
    assert agent_client.get("/api/tickets?q=ZZSECRET").json["total"] == 1
    assert "Outlook 提示密码" not in agent_client.get("/api/search?q=Outlook 提示密码").get_data(as_text=True)


def test_ticket_search_number_requester_codes_traditional_fullwidth(app, agent_client):
    make_user(app, "lisi", "requester")
    a = create(app, valid_data(subject="更新失败", description="Windows 更新提示错误 0x80070005，权限不足"), username="lisi").number
    b = create(app, valid_data(subject="打印机脱机", description="三楼打印机一直显示脱机")).number
    c = create(app, valid_data(subject="VPN 连不上", description="提示 809")).number

    def found(q):
        return {t["number"] for t in agent_client.get("/api/tickets", query_string={"q": q}).json["results"]}

    assert found("80070005") == {a}
    assert found("0X80070005") == {a}
    assert found("印表機 脫機") == set() or found("打印機脫機") == {b}
    assert found("打印機") == {b}  # Traditional
    assert found("ＶＰＮ") == {c}  # full-width
    assert found("错误 809") == {c} or c in found("809")
    assert found(a) == {a}
    assert found(a.lower()) == {a}
    assert found("lisi") == {a}
    assert found("zhangsan@example.com") >= {b, c}
    assert found("完全不存在的词语组合") == set()
    # Hostile input is just text.
    for q in ("' OR 1=1 --", "%", "_", "[a TO z]", "x" * 500, "😀"):
        assert agent_client.get("/api/tickets", query_string={"q": q}).status_code == 200


def test_queue_views_counts_filters_and_bulk(app, agent_client):
    make_user(app, "li", "agent")
    make_group(app, "网络组", "vpn", 1, ["wang"])
    mine = create(app, valid_data(category="vpn")).number  # auto-assigned to wang
    free = create(app, valid_data(category="mail")).number
    html = agent_client.get("/agent/").get_data(as_text=True)
    assert mine in html and free in html and "我的和未分配" in html
    assert free not in agent_client.get("/agent/?view=mine").get_data(as_text=True)
    assert mine not in agent_client.get("/agent/?view=unassigned").get_data(as_text=True)
    assert mine in agent_client.get("/agent/?view=group").get_data(as_text=True)
    assert "无法识别的筛选值" in agent_client.get("/agent/?status=bogus").get_data(as_text=True)
    r = agent_client.post("/agent/bulk", data={"tickets": [mine, free], "action": "assign", "value_assign": "li"})
    assert r.status_code == 302
    assert agent_client.get("/api/tickets?assignee=li").json["total"] == 2
    r = agent_client.post("/agent/bulk", data={"tickets": [mine, free], "action": "status", "value_status": "closed"},
                          follow_redirects=True)
    assert "不能把工单从" in r.get_data(as_text=True)  # refused per ticket with the reason
    assert agent_client.get("/api/tickets?view=bogus").status_code == 400
    assert agent_client.get("/api/tickets?status=zzz").status_code == 400


def test_api_patch_resolve_escalate_and_conflicts(synced, agent_client):
    app = synced
    make_user(app, "expert", "agent")
    make_group(app, "二线", "vpn", 2, ["expert"])
    number = create(app).number
    t = agent_client.get(f"/api/tickets/{number}").json
    assert t["sla"]["state"] in ("ok", "at_risk", "breached") and t["tier"] == 1 and t["assignee"] is None
    r = agent_client.patch(f"/api/tickets/{number}", json={"assignee": "me", "version": t["version"]})
    assert r.status_code == 200 and r.json["assignee"] == "wang" and r.json["status"] == "open"
    stale = agent_client.patch(f"/api/tickets/{number}", json={"status": "pending", "version": t["version"]})
    assert stale.status_code == 409 and stale.json["error"] == "conflict" and stale.json["changes"]
    bad = agent_client.patch(f"/api/tickets/{number}", json={"status": "closed"})
    assert bad.status_code == 409 and bad.json["error"] == "invalid_transition"
    assert agent_client.patch(f"/api/tickets/{number}", json={"colour": "red"}).status_code == 400
    assert agent_client.post(f"/api/tickets/{number}/escalate", json={"reason": ""}).status_code == 400
    r = agent_client.post(f"/api/tickets/{number}/escalate", json={"reason": "需要服务端排查"})
    assert r.status_code == 200 and r.json["tier"] == 2 and r.json["group"] == "二线" and r.json["assignee"] == "expert"
    r = agent_client.post(f"/api/tickets/{number}/resolve", json={"body": "按文章处理", "article": "vpn/error-809"})
    assert r.status_code == 200 and r.json["status"] == "resolved" and r.json["resolved_at"]
    events = agent_client.get(f"/api/tickets/{number}").json["events"]
    assert events[-1]["kind"] == "resolved" and "/articles/vpn/error-809" in events[-1]["body"]
    with app.app_context(), session_scope() as session:
        from app.models import Article

        assert session.scalar(select(Article.reuse_count).where(Article.slug == "vpn/error-809")) == 1
    # Requesters and anonymous callers cannot use agent endpoints.
    anonymous = app.test_client()
    assert anonymous.patch(f"/api/tickets/{number}", json={"status": "open"}).status_code == 404
    assert anonymous.get("/api/tickets").status_code == 401


def test_agent_page_collision_keeps_typed_text(app, agent_client):
    number = create(app).number
    version = agent_client.get(f"/api/tickets/{number}").json["version"]
    make_user(app, "li", "agent")
    other = app.test_client()
    login(other, app, "li", "agent")
    assert other.post(f"/agent/tickets/{number}/reply", data={"body": "李工先回复", "internal": "0",
                                                              "version": version}).status_code == 302
    r = agent_client.post(f"/agent/tickets/{number}/reply", data={"body": "我写了很久的回复", "internal": "0",
                                                                   "version": version})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "有人在您之后修改了这个工单" in html and "李工先回复" in html
    assert "我写了很久的回复" in html  # nothing lost
    events = agent_client.get(f"/api/tickets/{number}").json["events"]
    assert [e["body"] for e in events if e["kind"] == "reply"] == ["李工先回复"]
    r = agent_client.post(f"/agent/tickets/{number}/status", data={"status": "closed", "version": version + 1})
    assert r.status_code == 409 and "不能把工单从" in r.get_data(as_text=True)
    r = agent_client.post(f"/agent/tickets/{number}/escalate", data={"reason": "", "version": version + 1})
    assert r.status_code == 400 and "请填写升级原因" in r.get_data(as_text=True)


def test_group_cli_and_admin_pages(app, runner):
    make_user(app, "wang", "agent")
    make_user(app, "reader", "requester")
    r = runner.invoke(args=["kb", "group", "create", "网络组", "--skills", "vpn,网络与 Wi-Fi", "--tier", "1"])
    assert r.exit_code == 0 and "已创建组" in r.output, r.output
    assert runner.invoke(args=["kb", "group", "create", "网络组"]).exit_code != 0
    bad = runner.invoke(args=["kb", "group", "create", "X", "--skills", "火星"])
    assert bad.exit_code != 0 and "未知的类别" in bad.output
    assert runner.invoke(args=["kb", "group", "add", "网络组", "wang"]).exit_code == 0
    no = runner.invoke(args=["kb", "group", "add", "网络组", "reader"])
    assert no.exit_code != 0 and "不是服务台工程师" in no.output
    assert "wang" in runner.invoke(args=["kb", "group", "list"]).output
    admin = app.test_client()
    login(admin, app, "boss", "admin")
    html = admin.get("/admin/console/").get_data(as_text=True)
    assert "网络组" in html
    r = admin.post("/admin/console/macros", data={"title": "请提供截图", "body": "{{requester}} 您好，{{number}} 请补充截图。",
                                                   "set_status": "pending"})
    assert r.status_code == 302
    r = admin.post("/admin/console/macros", data={"title": "坏的", "body": "{{nope}}"})
    assert r.status_code == 400 and "不认识的占位符" in r.get_data(as_text=True)
    agent = app.test_client()
    login(agent, app, "wang", "agent")
    assert agent.get("/admin/console/").status_code == 403
    number = create(app, valid_data(contact_name="赵六")).number
    html = agent.get(f"/agent/tickets/{number}").get_data(as_text=True)
    assert f"赵六 您好，{number} 请补充截图。" in html
    assert f'/writer/articles/new?from_ticket={number}' in html
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "创建服务台组" in audit and "创建快捷回复" in audit
