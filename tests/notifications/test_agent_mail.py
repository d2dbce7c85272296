"""Agent mail goes to the right people: nobody is mailed about their own change, and a change that
puts a person on the ticket (an escalation's automatic pick) tells that person 「分配给您」. Found
by a browser walk."""

from __future__ import annotations

from sqlalchemy import select

from app.db import session_scope
from app.models import AgentGroup, OutboxMessage, Ticket, User
from app.tickets import workflow
from tests.console.conftest import make_group
from tests.notifications.conftest import create, make_user, valid_data


def _agent_mail(app, creation: bool = False) -> list[tuple[str, str]]:
    """(kind, to) of every queued mail except the requester's 「已收到」 and, unless ``creation``,
    the desk's 「有新工单」 for a ticket no group covers (these tests are about later changes)."""
    skipped = {"ticket_received"} | (set() if creation else {"new_unrouted"})
    with app.app_context(), session_scope() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind.not_in(skipped))
                               .order_by(OutboxMessage.id))
        return [(m.kind, m.to_addr) for m in rows]


def _act(app, number, change) -> None:
    with app.test_request_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))

        def user(name):
            return session.scalar(select(User).where(User.username == name))

        def group(name):
            return session.scalar(select(AgentGroup).where(AgentGroup.name == name))

        change(session, ticket, user, group)


def test_the_agent_who_sets_the_group_is_not_mailed_about_it(app):
    for name in ("li", "zhao"):
        make_user(app, name, "agent")
    make_group(app, "一线服务台", "", 1, ["li", "zhao"])
    number = create(app, valid_data(category="other")).number  # no group covers 其他: unassigned
    _act(app, number, lambda s, t, user, group: workflow.assign(s, t, actor=user("li"), group=group("一线服务台")))
    assert _agent_mail(app) == [("new_in_group", "zhao@example.com")]


def test_an_escalation_that_picks_an_agent_sends_them_assigned_and_the_others_the_group_mail(app):
    for name in ("li", "wang", "zhao"):
        make_user(app, name, "agent")
    make_group(app, "二线网络组", "vpn", 2, ["wang", "zhao"])
    number = create(app, valid_data(category="vpn")).number
    _act(app, number, lambda s, t, user, group: workflow.escalate(s, t, actor=user("li"), reason="证书问题，需要二线"))
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(Ticket).where(Ticket.number == number)).assignee.username == "wang"
    mails = _agent_mail(app)
    assert sorted(mails) == [("assigned", "wang@example.com"), ("new_in_group", "zhao@example.com")]
    with app.app_context(), session_scope() as session:
        [assigned] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "assigned")).all()
        assert "分配给您" in assigned.subject


def test_an_agent_who_escalates_to_themselves_gets_no_mail_but_the_group_does(app):
    for name in ("wang", "zhao"):
        make_user(app, name, "agent")
    make_group(app, "二线网络组", "vpn", 2, ["wang", "zhao"])
    number = create(app, valid_data(category="vpn")).number
    _act(app, number, lambda s, t, user, group: workflow.escalate(s, t, actor=user("wang"), reason="需要服务端排查"))
    # wang (alphabetically first, no load) is picked: he made the change, so only zhao hears of it.
    assert _agent_mail(app) == [("new_in_group", "zhao@example.com")]


def test_a_requester_reply_still_reaches_the_assignee_and_assigning_someone_else_still_mails_them(app):
    for name in ("li", "wang"):
        make_user(app, name, "agent")
    number = create(app, valid_data(category="other")).number
    _act(app, number, lambda s, t, user, group: workflow.assign(s, t, actor=user("li"), assignee=user("wang")))
    _act(app, number, lambda s, t, user, group: workflow.reply(s, t, actor=None, body="补充：换了网线也一样。"))
    assert _agent_mail(app) == [("assigned", "wang@example.com"), ("requester_replied", "wang@example.com")]


def test_a_new_ticket_no_group_covers_tells_every_agent_and_admin_but_not_its_requester(app):
    for name, role in (("li", "agent"), ("zhao", "agent"), ("boss", "admin"), ("amy", "requester")):
        make_user(app, name, role)
    make_user(app, "gone", "agent")
    with app.app_context(), session_scope() as session:
        session.scalar(select(User).where(User.username == "gone")).active = False
    make_group(app, "一线服务台", "vpn", 1, ["li"])  # covers vpn only
    create(app, valid_data(category="other", contact_email="zhao@example.com"), username="zhao")  # an agent's own
    assert _agent_mail(app, creation=True) == [("new_unrouted", "boss@example.com"), ("new_unrouted", "li@example.com")]
    with app.app_context(), session_scope() as session:
        mail = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "new_unrouted"))
        assert "有新工单（没有负责的组）" in mail.subject and "「其他」类别" in mail.body_text


def test_a_new_ticket_a_group_covers_goes_to_the_group_only(app):
    for name in ("li", "zhao"):
        make_user(app, name, "agent")
    make_group(app, "一线服务台", "vpn", 1, ["li"])
    create(app, valid_data(category="vpn"))
    assert _agent_mail(app, creation=True) == [("assigned", "li@example.com")]


def test_the_desk_is_told_when_the_group_for_the_category_has_nobody_to_tell(app):
    """Found by a probe: a group whose only member had become a requester swallowed the notice."""
    make_user(app, "li", "agent")
    make_user(app, "gone", "requester")   # once an agent, still in the group
    make_group(app, "网络组", "network", 1, [])
    with app.app_context(), session_scope() as session:
        from app.models import AgentGroupMember

        group = session.scalar(select(AgentGroup).where(AgentGroup.name == "网络组"))
        session.add(AgentGroupMember(group_id=group.id, user_id=session.scalar(select(User.id).where(User.username == "gone"))))
    create(app, valid_data(category="network"))
    assert _agent_mail(app, creation=True) == [("new_unrouted", "li@example.com")]
    with app.app_context(), session_scope() as session:
        mail = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "new_unrouted"))
        assert "负责这个类别的「网络组」里没有可以通知的同事" in mail.body_text


def test_an_agents_own_ticket_does_not_mail_them_even_with_another_contact_address(app):
    for name in ("li", "zhao"):
        make_user(app, name, "agent")
    create(app, valid_data(category="other", contact_email="home@example.net"), username="zhao")
    assert _agent_mail(app, creation=True) == [("new_unrouted", "li@example.com")]
