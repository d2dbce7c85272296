"""Helpers for the search engine tests: small hand-written articles (module name kept unique)."""
from __future__ import annotations

import contextlib
import datetime
import hashlib
from pathlib import Path

from indexer import IndexDocument

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus"

PUBLIC = frozenset({"public"})
STAFF = frozenset({"public", "internal"})


def make_doc(slug, title, body="", *, category="常见问题", tags=(), codes=(), audience="public",
             updated=datetime.date(2026, 1, 15)) -> IndexDocument:
    h = hashlib.sha256(f"{title}\0{body}\0{tags}\0{codes}\0{audience}\0{category}".encode()).hexdigest()
    return IndexDocument(slug=slug, title=title, category=category, tags=tuple(tags),
                         error_codes=tuple(codes), audience=audience, body=body,
                         updated=updated, content_hash=h)


def sample_docs() -> list[IndexDocument]:
    return [
        make_doc("vpn/error-809", "VPN 连接提示“错误 809”",
                 "# 现象\n连接公司 VPN 时提示 **错误 809**：无法建立计算机与 VPN 服务器之间的网络连接。\n\n"
                 "# 解决办法\n1. 检查家里的路由器是否放行 L2TP/IPsec。\n2. 改用 SSL VPN 客户端。",
                 category="VPN 与远程访问", tags=("VPN", "L2TP"), codes=("809",)),
        make_doc("vpn/error-691", "VPN 登录失败（error 691）",
                 "提示 error 691 表示用户名或密码不正确，请确认使用域账号登录。",
                 category="VPN 与远程访问", tags=("VPN", "域账号"), codes=("691",)),
        make_doc("vpn/client-install", "安装 VPN 客户端",
                 "从软件中心安装 VPN 客户端，安装后重启电脑。端口 8000 需要放行，2026 年起使用新版。",
                 category="VPN 与远程访问", tags=("VPN", "软件中心")),
        make_doc("mail/outlook-send", "Outlook 无法发送邮件",
                 "如果 Outlook 退信提示 554 5.2.2，说明收件人邮箱已满。\n\n"
                 "退信 5.7.1 表示没有发送权限。",
                 category="邮件", tags=("Outlook", "邮箱"), codes=("554 5.2.2", "5.7.1")),
        make_doc("mail/outlook-profile", "重建 Outlook 配置文件",
                 "Outlook 启动很慢或反复要求输入密码时，可以在控制面板的“邮件”中新建配置文件。",
                 category="邮件", tags=("Outlook",)),
        make_doc("account/password-reset", "忘记密码如何重置",
                 "在自助服务门户重置域账号密码。重置后请在所有设备上用新口令重新登录。",
                 category="账号与密码", tags=("密码", "域账号")),
        make_doc("account/mfa", "开启两步验证",
                 "为了账号安全，请在手机上安装 Authenticator 并开启两步验证。",
                 category="账号与密码", tags=("两步验证", "MFA")),
        make_doc("windows/update-0x80070005", "Windows 更新失败 0x80070005",
                 "Windows 更新报错 0x80070005（拒绝访问）。以管理员身份运行疑难解答，"
                 "或安装补丁 KB5034441 之前先扩展恢复分区。",
                 category="Windows", tags=("Windows 更新",), codes=("0x80070005", "KB5034441")),
        make_doc("browser/connection-reset", "浏览器提示 ERR_CONNECTION_RESET",
                 "Chrome 或 Edge 打开内网页面时显示 ERR_CONNECTION_RESET：连接已重置。请检查代理服务器设置。",
                 category="网络", tags=("浏览器",), codes=("ERR_CONNECTION_RESET",)),
        make_doc("office/activation-30068", "Office 安装错误 30068-39",
                 "安装 Office 时出现错误代码 30068-39，请先卸载旧版本再安装。",
                 category="软件", tags=("Office", "激活"), codes=("30068-39",)),
        make_doc("printer/paper-jam", "打印机卡纸怎么办",
                 "打开打印机前盖，取出卡住的纸张。不要用力拉扯。",
                 category="打印", tags=("打印机",)),
        make_doc("windows/bsod", "电脑蓝屏 0x0000007B",
                 "开机蓝屏，停止代码 0x0000007B（INACCESSIBLE_BOOT_DEVICE）。通常是硬盘模式改变导致。",
                 category="Windows", tags=("蓝屏",), codes=("0x0000007B",)),
        make_doc("network/wifi", "连接公司无线网络",
                 "笔记本连接 Wi-Fi 网络 CORP-WLAN，使用域账号认证。",
                 category="网络", tags=("Wi-Fi", "无线")),
        make_doc("share/drive", "映射共享盘",
                 "在文件资源管理器中映射网络驱动器 \\\\fs01\\share。",
                 category="文件共享", tags=("共享盘",)),
        # internal: a word that appears nowhere else, in title, tags and body
        make_doc("internal/zorbix-runbook", "Zorbix 集群维护手册",
                 "内部流程：重启 zorbix 节点前先通知值班。Outlook 服务器维护窗口在周六。",
                 category="内部运维", tags=("zorbix",), audience="internal"),
        make_doc("internal/vpn-backend", "VPN 网关证书更换（内部）",
                 "VPN 网关证书每年更换，值班工程师操作步骤见此。错误 809 也可能由证书过期导致。",
                 category="内部运维", tags=("VPN",), codes=("809",), audience="internal"),
    ]




def slugs(results) -> list[str]:
    return [h.slug for h in results.hits]


def whoosh_postings(lr, field, text):
    """Every posting of ``text`` through Whoosh's own matcher (deleted documents included)."""
    from indexer.segcache import _raw_leaf

    m = _raw_leaf(lr, field, text)
    m.reset()                                   # undo the deletion filter's first skip
    ids, weights, values = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        values.append(m.value())
        m.next()
    return ids, weights, values


@contextlib.contextmanager
def rank_index(engine):
    """``(searcher, RankIndex)`` of the engine's current snapshot, set up (leaves, lengths);
    the searcher is released on exit."""
    snap = engine._gen
    s = snap.acquire()
    try:
        rx = snap.rank
        rx._setup(s)
        yield s, rx
    finally:
        snap.release(s)
