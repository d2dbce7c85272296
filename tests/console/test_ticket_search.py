"""Ticket search reads a query as article search does: spellings, full width, Traditional words,
letters glued to an error number — every word still required (AND), synonyms not used."""

from __future__ import annotations

from tests.console.conftest import create, valid_data


def test_the_words_agents_type_find_the_tickets_written_otherwise(app, agent_client):
    wifi = create(app, valid_data(subject="三楼会议室 Wi-Fi 连不上", description="手机和笔记本都连不上")).number
    vpn = create(app, valid_data(subject="VPN 连接报错", description="在家连公司 VPN 提示错误 809")).number
    glued = create(app, valid_data(subject="远程办公", description="客户端弹出 VPN809，重启无效")).number
    printer = create(app, valid_data(subject="打印机脱机", description="财务部的打印机一直显示脱机")).number
    mail = create(app, valid_data(subject="Outlook 收不到邮件", description="从昨天开始收不到外部邮件")).number

    def found(q):
        response = agent_client.get("/api/tickets", query_string={"q": q})
        assert response.status_code == 200
        return {t["number"] for t in response.json["results"]}

    assert found("wifi") == found("WIFI") == found("Wi-Fi") == {wifi}      # was: nothing for wifi / WIFI
    assert found("ＷＩＦＩ 连不上") == {wifi}
    assert found("VPN809") == found("ＶＰＮ８０９") == {vpn, glued}        # was: nothing
    assert found("VPN 809") == {vpn, glued}
    assert found("印表機") == {printer}                                     # 印表機 → 打印机 (was: nothing)
    assert found("打印机一直脱机怎么办") == {printer}                       # filler (一直, 怎么办) is not required
    assert found("outlook") == {mail}                                       # not every mail ticket: no synonyms
    assert found("wifi 打印机") == set()                                    # every word still required
