"""``/admin/console/``'s groups: who is in a group and which button removes whom."""

from __future__ import annotations

from tests.conftest import login
from tests.console.conftest import make_group, make_user


def test_each_member_has_their_own_remove_button_and_only_others_can_be_added(app):
    make_user(app, "wang", "agent")
    make_user(app, "li", "agent")
    make_group(app, "网络组", members=("wang",))
    admin = app.test_client()
    login(admin, app, "boss", "admin")
    html = admin.get("/admin/console/").get_data(as_text=True)
    group = html.split('<h3>网络组', 1)[1].split('class="admin-group"', 1)[0]
    members = group.split('<ul class="group-members">', 1)[1].split("</ul>", 1)[0]
    assert members.count("<li>") == 1 and 'aria-label="把 Wang 移出网络组"' in members
    offered = group.split('name="username"', 1)[1].split("</select>", 1)[0]
    assert 'value="li"' in offered and 'value="wang"' not in offered
    assert ' style="' not in html                        # the page's CSP allows no inline style
