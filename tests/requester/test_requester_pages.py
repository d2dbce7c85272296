"""The requester's pages: 「我的请求」, one request with its public conversation, and every action
(reply, confirm + rating, not solved, withdraw, rate, follow-up) — and that nobody else can."""

from __future__ import annotations

import io

import pytest

from tests.conftest import login
from tests.requester.conftest import act, create, load, make_user, mine, outbox, requester_client, valid_data


def test_my_requests_lists_only_mine_open_and_closed_with_status_in_words(app, agent):
    a = mine(app, subject="打印机脱机")
    b = mine(app, subject="Outlook 一直要密码")
    other = mine(app, "lisi", subject="李四的私事：工资条打不开")
    act(app, b.number, "reply", by=agent, body="请问是哪台电脑？", status="pending")
    act(app, a.number, "withdraw", by="zhangsan")
    client = requester_client(app)
    html = client.get("/requests/mine").get_data(as_text=True)
    assert client.get("/requests/mine").headers["Cache-Control"] == "private, no-store"
    assert a.number in html and b.number in html and "打印机脱机" in html
    assert other.number not in html and "李四" not in html
    assert "等待您的回复" in html and "需要您处理" in html
    assert "已关闭（您已撤回）" in html
    assert html.index("进行中") < html.index(b.number) < html.index("已关闭（") < html.index(a.number)
    assert 'href="/requests/mine"' in html  # 「我的请求」 in the header


def test_my_requests_for_anonymous_visitors_points_to_login_and_link_recovery(client):
    html = client.get("/requests/mine").get_data(as_text=True)
    assert "登录" in html and "/requests/recover" in html
    assert 'href="/requests/mine"' not in html.split("<main")[0]  # the header link is for logged-in users


def test_the_page_shows_the_public_conversation_never_notes_nor_internal_article_links(app, agent):
    from app.db import session_scope
    from app.models import Article

    with app.app_context(), session_scope() as session:
        session.add(Article(slug="internal/ad-unlock", title="AD 账号解锁内部流程", category="账号与密码",
                            body="…", audience="internal", status="published"))
        session.add(Article(slug="vpn/error-809", title="VPN 错误 809", category="VPN 与远程访问",
                            body="…", audience="public", status="published"))
    t = mine(app)
    act(app, t.number, "reply", by=agent, body="内部：用户的 MFA 设备丢了", internal=True)
    act(app, t.number, "reply", by=agent, status="pending",
        body="请按 [AD 账号解锁内部流程](https://help.corp.example/articles/internal/ad-unlock) 操作，"
             "或参考 /articles/vpn/error-809 。另见 /articles/internal/ad-unlock")
    client = requester_client(app)
    html = client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert "请按" in html and "/articles/vpn/error-809" in html
    assert "MFA" not in html and "internal/ad-unlock" not in html and "AD 账号解锁内部流程" not in html
    assert html.count("内部资料，不对外提供") == 2
    assert "服务台 · Wanggong" in html and "等待您的回复" in html
    # …and not in the mail either.
    mail = outbox(app, "public_reply")[-1]
    assert "internal/ad-unlock" not in mail.body_text + mail.body_html and "MFA" not in mail.body_text
    assert "AD 账号解锁内部流程" not in mail.body_text + mail.body_html
    # the public article's address is a link: on the page, and absolute in the mail
    assert '<a href="/articles/vpn/error-809">/articles/vpn/error-809</a>' in html
    assert '/articles/vpn/error-809">/articles/vpn/error-809</a>' in mail.body_html
    assert 'href="http' in mail.body_html.split("/articles/vpn/error-809", 1)[0].rsplit("<a ", 1)[1]


def test_reply_to_a_pending_ticket_reopens_it_restarts_the_clock_and_tells_the_agent(app, agent):
    from tests.requester.conftest import MONDAY_10
    import datetime as dt

    t = mine(app)
    act(app, t.number, "assign", by=agent, assignee=None, group="keep")  # nothing: a no-op is fine
    from app.db import session_scope
    from app.models import Ticket, User
    from sqlalchemy import select

    with app.test_request_context(), session_scope() as session:  # the agent takes it
        from app.tickets import workflow

        ticket = session.scalar(select(Ticket).where(Ticket.number == t.number))
        workflow.assign(session, ticket, actor=None, assignee=session.scalar(select(User).where(User.username == agent)))
    act(app, t.number, "reply", by=agent, body="请发一张错误截图。", status="pending", now=MONDAY_10)
    before = load(app, t.number)
    assert before.status == "pending" and before.pending_since is not None and before.sla_due_at is None
    client = requester_client(app)
    response = client.post(f"/requests/{t.number}/reply", data={
        "body": "截图在附件里。", "attachments": (io.BytesIO(b"error 809 at 10:02\n"), "vpn.log"),
    }, content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/requests/{t.number}#conversation")
    after = load(app, t.number)
    assert after.status == "open" and after.pending_since is None and after.sla_due_at is not None
    assert after.paused_seconds > 0
    reply = after.events[-1]
    assert reply.kind == "reply" and reply.public and reply.changes == {"status": ["pending", "open"]}
    assert [a.filename for a in reply.attachments] == ["vpn.log"]
    html = client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert "截图在附件里。" in html and "vpn.log" in html and "处理中" in html
    told = outbox(app, "requester_replied")[-1]
    assert told.to_addr == "wanggong@example.com" and "重新回到“处理中”" in told.body_text
    assert dt  # (imported for readability of the times above)


def test_a_reply_to_a_ticket_already_being_worked_does_not_say_it_came_back(app, agent):
    t = mine(app)
    act(app, t.number, "reply", by=agent, body="我们正在查。")        # new → open
    assert load(app, t.number).status == "open"
    client = requester_client(app)
    client.post(f"/requests/{t.number}/reply", data={"body": "补充：换了网线也一样。"})
    told = outbox(app, "requester_replied")[-1]
    assert "换了网线也一样" in told.body_text
    assert "重新回到" not in told.body_text and "重新回到" not in (told.body_html or "")


def test_an_agent_who_takes_a_ticket_gets_no_mail_about_it_but_one_given_it_does(app, agent):
    from sqlalchemy import select

    from app.db import session_scope
    from app.models import Ticket, User
    from app.tickets import workflow

    make_user(app, "ligong", "agent")
    t = mine(app)
    with app.test_request_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == t.number))
        me = session.scalar(select(User).where(User.username == agent))
        workflow.assign(session, ticket, actor=me, assignee=me)                  # 「分配给我」
    assert not [m for m in outbox(app, "assigned") if m.to_addr == "wanggong@example.com"]
    with app.test_request_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == t.number))
        me = session.scalar(select(User).where(User.username == agent))
        workflow.assign(session, ticket, actor=me, assignee=session.scalar(select(User).where(User.username == "ligong")))
    assert [m.to_addr for m in outbox(app, "assigned")] == ["ligong@example.com"]


def test_an_empty_reply_or_a_bad_file_keeps_the_text(app):
    t = mine(app)
    client = requester_client(app)
    response = client.post(f"/requests/{t.number}/reply", data={"body": "   "})
    assert response.status_code == 400 and "请填写回复内容" in response.get_data(as_text=True)
    response = client.post(f"/requests/{t.number}/reply", data={
        "body": "这是我的补充说明", "attachments": (io.BytesIO(b"MZ\x90\x00 program"), "setup.exe"),
    }, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "这是我的补充说明" in html and "请重新选择附件" in html
    assert len(load(app, t.number).events) == 1


def test_confirm_with_a_rating_closes_it_and_the_agent_sees_the_rating(app, agent):
    t = mine(app)
    act(app, t.number, "resolve", by=agent, body="已重置 VPN 证书。")
    client = requester_client(app)
    page = client.get(f"/requests/{t.number}?action=confirm").get_data(as_text=True)
    assert "问题已解决" in page and "没有解决" in page and "3 个工作日" in page
    response = client.post(f"/requests/{t.number}/confirm", data={"rating": "4", "comment": "很快，谢谢"})
    assert response.status_code == 303
    t2 = load(app, t.number)
    assert (t2.status, t2.close_reason, t2.csat_rating, t2.csat_comment) == ("closed", "confirmed", 4, "很快，谢谢")
    closed = outbox(app, "closed")[-1]
    assert "4 分" in closed.body_text
    html = client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert "您的评分：<strong>4 分</strong>" in html and "仍有问题" in html
    assert "用户确认" not in html and "评分：4 分" in html      # their own action, not in the desk's third person
    agent_client = app.test_client()
    login(agent_client, app, agent, "agent")
    assert "评分 4" in agent_client.get(f"/agent/tickets/{t.number}").get_data(as_text=True)
    # Confirming again is refused in words, not with a 500.
    again = client.post(f"/requests/{t.number}/confirm", data={"rating": "5"})
    assert again.status_code == 409 and "只有「已解决」的工单可以确认" in again.get_data(as_text=True)


def test_not_solved_needs_a_reason_and_reopens(app, agent):
    t = mine(app)
    act(app, t.number, "resolve", by=agent, body="请重启电脑。")
    client = requester_client(app)
    response = client.post(f"/requests/{t.number}/reopen", data={"reason": ""})
    assert response.status_code == 400 and "请填写没有解决的原因" in response.get_data(as_text=True)
    assert load(app, t.number).status == "resolved"
    response = client.post(f"/requests/{t.number}/reopen", data={"reason": "重启了还是 809"})
    assert response.status_code == 303
    t2 = load(app, t.number)
    assert t2.status == "open" and t2.resolved_at is None and "重启了还是 809" in t2.events[-1].body
    html = client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert "问题没有解决：重启了还是 809" in html and "用户反馈" not in html
    assert outbox(app, "requester_replied")


def test_bad_rating_keeps_the_comment(app, agent):
    t = mine(app)
    act(app, t.number, "resolve", by=agent, body="好了")
    client = requester_client(app)
    response = client.post(f"/requests/{t.number}/confirm", data={"rating": "9", "comment": "留言还在"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "评分是 1 到 5 之间的整数" in html and "留言还在" in html


def test_withdraw_closes_it_as_withdrawn(app):
    t = mine(app)
    client = requester_client(app)
    response = client.post(f"/requests/{t.number}/withdraw", data={"withdraw_reason": "重启后好了"})
    assert response.status_code == 303
    t2 = load(app, t.number)
    assert (t2.status, t2.close_reason) == ("closed", "withdrawn")
    assert "用户撤回：重启后好了" in t2.events[-1].body
    assert "您撤回了这个请求" in outbox(app, "closed")[-1].body_text
    html = client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert "撤回请求" not in html and "发送回复" not in html and "请求已关闭（您已撤回）" in html


def test_a_closed_ticket_cannot_be_reopened_but_a_follow_up_links_to_it(app, agent):
    t = mine(app)
    from app.db import session_scope
    from app.models import Ticket, User
    from sqlalchemy import select

    with app.test_request_context(), session_scope() as session:
        from app.tickets import workflow

        ticket = session.scalar(select(Ticket).where(Ticket.number == t.number))
        workflow.assign(session, ticket, actor=None, assignee=session.scalar(select(User).where(User.username == agent)))
    act(app, t.number, "resolve", by=agent, body="证书已更新")
    act(app, t.number, "confirm", by="zhangsan", solved=True, rating=5)
    client = requester_client(app)
    assert client.post(f"/requests/{t.number}/reply", data={"body": "又不行了"}).status_code == 409
    assert client.post(f"/requests/{t.number}/reopen", data={"reason": "又不行了"}).status_code == 409
    response = client.post(f"/requests/{t.number}/follow-up", data={"description": "今天又出现 809 了", "idem": "1"})
    assert response.status_code == 303
    new_number = response.headers["Location"].rsplit("/", 1)[-1]
    new = load(app, new_number)
    old = load(app, t.number)
    assert new.follow_up_of_id == old.id and new.subject == "仍有问题：VPN 连不上，提示错误 809"
    assert new.requester_id == old.requester_id and new.category == old.category
    assert new.assignee is not None and new.assignee.username == agent  # back to who handled it
    assert old.status == "closed" and old.events[-1].kind == "follow_up" and new_number in old.events[-1].body
    # A double submit of the same form makes one follow-up.
    again = client.post(f"/requests/{t.number}/follow-up", data={"description": "今天又出现 809 了", "idem": "1"})
    assert again.headers["Location"].endswith(new_number)
    html = client.get(f"/requests/{new_number}").get_data(as_text=True)
    assert f"{t.number}</a> 的后续请求" in html
    assert new_number in client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert any(m.to_addr == "wanggong@example.com" for m in outbox(app, "assigned"))
    empty = client.post(f"/requests/{t.number}/follow-up", data={"description": " "})
    assert empty.status_code == 400 and "请写下现在的情况" in empty.get_data(as_text=True)


def test_the_secret_link_works_for_anonymous_requesters(app, agent):
    t = create(app, valid_data())
    act(app, t.number, "resolve", by=agent, body="已处理")
    client = app.test_client()
    page = client.get(f"/requests/{t.number}?token={t.access_token}").get_data(as_text=True)
    assert f'name="token" value="{t.access_token}"' in page and "找回我的请求链接" in page
    response = client.post(f"/requests/{t.number}/confirm", data={"token": t.access_token, "rating": "5"})
    assert response.status_code == 303 and f"token={t.access_token}" in response.headers["Location"]
    assert load(app, t.number).csat_rating == 5


@pytest.mark.parametrize("action,data", [
    ("reply", {"body": "我来捣乱"}), ("confirm", {"rating": "1"}), ("reopen", {"reason": "x"}),
    ("withdraw", {}), ("rate", {"rating": "1"}), ("follow-up", {"description": "x"}),
])
def test_nobody_else_can_act_on_a_ticket(app, agent, action, data):
    t = mine(app)
    act(app, t.number, "resolve", by=agent, body="好了")
    other = requester_client(app, "lisi")
    assert other.get(f"/requests/{t.number}").status_code == 404
    assert other.post(f"/requests/{t.number}/{action}", data=data).status_code == 404
    assert other.post(f"/requests/{t.number}/{action}?token=wrong", data={**data, "token": "wrong"}).status_code == 404
    anonymous = app.test_client()
    assert anonymous.post(f"/requests/{t.number}/{action}", data=data).status_code == 404
    staff = app.test_client()
    login(staff, app, agent, "agent")
    assert staff.post(f"/requests/{t.number}/{action}", data=data).status_code == 404  # agents use the console
    assert load(app, t.number).status == "resolved" and len(load(app, t.number).events) == 2


def test_a_resolved_ticket_shows_confirm_not_reply_and_a_new_one_offers_withdraw(app, agent):
    t = mine(app)
    client = requester_client(app)
    html = client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert "发送回复" in html and "撤回请求" in html and "问题已解决" not in html
    make_user(app, "x")


def test_the_summary_says_what_happened_not_what_was_promised(app, agent):
    t = mine(app)
    client = requester_client(app)
    page = client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert "预计响应时间" in page and "预计解决时间" in page
    act(app, t.number, "reply", by=agent, body="请发一张截图。", status="pending")
    page = client.get(f"/requests/{t.number}").get_data(as_text=True)
    assert "已于" in page and "响应" in page and "预计响应时间" not in page
    assert "等待您的回复，期间暂停计时" in page
    act(app, t.number, "resolve", by=agent, body="已重置证书。")
    page = client.get(f"/requests/{t.number}").get_data(as_text=True)
    facts = page.split('class="ticket-facts"', 1)[1].split("</dl>", 1)[0]
    assert "解决时间" in facts and "预计" not in facts and "之前" not in facts


def test_my_requests_have_labels_for_a_narrow_screen(app):
    mine(app, subject="打印机脱机")
    html = requester_client(app).get("/requests/mine").get_data(as_text=True)
    assert 'data-label="状态"' in html and 'class="req-subject"' in html


def test_an_escalated_articles_note_reads_as_the_requesters_own(app):
    from app.requests.requester import own_description

    note = ("重启后仍然连不上\n\n——\n来自文章反馈：《VPN 错误 809》（/articles/vpn/error-809，第 3 版）\n"
            "原因：没有解决我的问题\n用户搜索的内容：vpn 809\n对文章的意见：第 2 步找不到")
    assert own_description(note) == ("重启后仍然连不上\n\n——\n来自文章反馈：《VPN 错误 809》\n"
                                      "原因：没有解决我的问题\n您搜索的内容：vpn 809\n您对文章的意见：第 2 步找不到")
