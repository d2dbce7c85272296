"""KCS: a draft from a resolved ticket has its codes and the desk's solution, and none of the
requester's (or the agents') personal data."""

from __future__ import annotations

from sqlalchemy import select

from app.db import session_scope
from app.models import Article, Ticket, TicketEvent, User
from app.writer.kcs import find_codes, redact, steps
from tests.tickets.conftest import create as create_ticket
from tests.tickets.conftest import make_user, valid_data
from tests.writer.conftest import client_as

PERSONAL = ("王小明", "wangxm", "wang.xiaoming@corp-mail.cn", "13912345678", "139 1234 5678", "0755-86001234",
            "分机 6021", "李雷", "lilei", "320106199001011234", "PC-WANGXM-07")
DESCRIPTION = """您好，
我是财务部王小明（工号 wangxm），手机 13912345678，座机 0755-86001234，分机 6021。
在家用公司电脑 PC-WANGXM-07 连 VPN 一直提示“错误 809”，Outlook 也报 0x800CCC0E。
邮箱 wang.xiaoming@corp-mail.cn，身份证 320106199001011234（报销系统要）。
谢谢！"""
REPLY = """王小明您好：
1. 打开 **设置 > 网络和 Internet > VPN**，把 VPN 类型改成 IKEv2。
2. 以管理员身份运行：
```powershell
Set-VpnConnection -Name "公司 VPN" -TunnelType Ikev2
```
3. 重新连接，仍然 809 就换手机热点测试。
有问题打 139 1234 5678 找我，或者服务台分机 8000。
—— 李雷"""
NOTE = "内部备注：这位用户的路由器是运营商锁定的型号 Secretnotex。"


def resolved_ticket(app) -> Ticket:
    make_user(app, "wangxm", "requester")
    make_user(app, "lilei", "agent")
    with app.app_context(), session_scope() as session:
        for username, name, email in (("wangxm", "王小明", "wang.xiaoming@corp-mail.cn"), ("lilei", "李雷", "lilei@example.com")):
            user = session.scalar(select(User).where(User.username == username))
            user.display_name, user.email = name, email
    ticket = create_ticket(app, valid_data(subject="王小明：VPN 错误 809，Outlook 0x800CCC0E", description=DESCRIPTION,
                                           contact_name="王小明", contact_email="wang.xiaoming@corp-mail.cn",
                                           contact_phone="139 1234 5678"), username="wangxm")
    with app.app_context(), session_scope() as session:
        agent = session.scalar(select(User).where(User.username == "lilei"))
        requester = session.scalar(select(User).where(User.username == "wangxm"))
        row = session.scalar(select(Ticket).where(Ticket.number == ticket.number))
        session.add_all([
            TicketEvent(ticket_id=row.id, kind="reply", body=REPLY, public=True, author_id=agent.id),
            TicketEvent(ticket_id=row.id, kind="note", body=NOTE, public=False, author_id=agent.id),
            TicketEvent(ticket_id=row.id, kind="reply", body="好的我试试 Requesterreply", public=True, author_id=requester.id),
        ])
        row.status = "resolved"
    return ticket


def test_the_draft_has_the_codes_and_the_solution_and_no_personal_data(synced):
    ticket = resolved_ticket(synced)
    agent = client_as(synced, "agent", "lilei")
    page = agent.get("/writer/articles/new", query_string={"from_ticket": ticket.number})
    assert page.status_code == 200
    html = page.get_data(as_text=True).split('<main id="main"')[1].split("</main>")[0]  # not the header's "who"
    for code in ("809", "0x800CCC0E"):
        assert code in html
    assert "Set-VpnConnection" in html and "IKEv2" in html and "分机 8000" in html
    for word in PERSONAL:
        assert word not in html, word
    assert "Secretnotex" not in html and "Requesterreply" not in html  # internal notes, the requester's replies

    # the agent saves it: a draft linked to the ticket, in the writers' inbox
    textarea = html.split('name="body"')[1].split(">", 1)[1].split("</textarea>")[0]
    import html as htmlmod

    body = htmlmod.unescape(textarea)
    assert "## 解决步骤\n\n1. 打开 **设置 > 网络和 Internet > VPN**" in body
    assert "    ```powershell" in body  # the code block stays inside its step
    response = agent.post("/writer/articles/new", data={
        "from_ticket": ticket.number, "title": "VPN 错误 809", "category": "VPN 与远程访问", "audience": "public",
        "tags": "", "error_codes": "809, 0x800CCC0E", "review_by": "", "body": body, "note": ""})
    assert response.status_code == 303 and response.headers["Location"] == f"/agent/tickets/{ticket.number}"
    with synced.app_context(), session_scope() as session:
        article = session.scalar(select(Article).where(Article.source_ticket_id.is_not(None)))
        assert article.status == "draft" and article.error_codes == ["809", "0x800CCC0E"]
        source = session.get(Ticket, article.source_ticket_id)
        assert source.number == ticket.number
        assert article.revision == 1
    inbox = client_as(synced, "writer").get("/writer/").get_data(as_text=True)
    assert "来自工单的草稿" in inbox and ticket.number in inbox and "VPN 错误 809" in inbox
    assert "王小明" not in inbox


def test_agents_may_only_start_from_a_ticket(synced):
    ticket = resolved_ticket(synced)
    agent = client_as(synced, "agent")
    assert agent.get("/writer/articles/new").status_code == 403
    assert agent.get("/writer/articles/new", query_string={"from_ticket": "IT-19990101-0001"}).status_code == 404
    assert client_as(synced, "requester").get("/writer/articles/new", query_string={"from_ticket": ticket.number}).status_code == 403
    anonymous = synced.test_client().get("/writer/articles/new", query_string={"from_ticket": ticket.number})
    assert anonymous.status_code == 302
    # a writer is not ticket staff: no ticket's text through the editor either (the same 404 as no
    # such ticket; numbers are easy to guess), for the page and for saving
    writer = client_as(synced, "writer")
    for response in (writer.get("/writer/articles/new", query_string={"from_ticket": ticket.number}),
                     writer.post("/writer/articles/new", data={"from_ticket": ticket.number, "title": "t",
                                                               "category": "VPN 与远程访问", "body": "x"})):
        assert response.status_code == 404
        assert ticket.subject not in response.get_data(as_text=True)
    assert client_as(synced, "admin").get("/writer/articles/new", query_string={"from_ticket": ticket.number}).status_code == 200


def test_redact_names_contacts_and_greetings():
    text = redact("您好，张三：\n请联系 zhangsan@corp.cn 或 +86 138-0013-8000，身份证 11010519491231002X。\n谢谢！\n—— 李四",
                  ["张三", "zhangsan", "李四"])
    assert text == "请联系 【邮箱】 或 【电话】，身份证 【证件号】。"


def test_codes_are_found_as_written_and_prose_numbers_are_not():
    assert find_codes("VPN 提示错误 809，0x800CCC0E，KB5034441，ERR_CONNECTION_RESET，554 5.2.2") == \
        ["809", "0x800CCC0E", "KB5034441", "ERR_CONNECTION_RESET", "554 5.2.2"]
    assert find_codes("2026 年买的电脑，500 MB 内存，版本 10.0.19041") == []


def test_steps_number_replies_and_keep_code_in_the_step():
    assert steps(["先重启\n- 再登录", "```\ncmd\n```"]) == "1. 先重启\n2. 再登录\n\n    ```\n    cmd\n    ```\n"
