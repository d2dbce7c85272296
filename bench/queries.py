"""The fixed query list: what people type into the portal's search box and the request form.

Every run uses exactly these queries in this order, so figures from different runs compare.
Kinds: code (error codes in several spellings), question (natural Chinese), keyword,
prefix (text as typed, one character at a time), traditional, mixed (Chinese + English),
typo, long.
"""
from __future__ import annotations


def typed(text: str) -> list[str]:
    """Every prefix of ``text`` as it appears while being typed (``V``, ``VP``, ``VPN`` …)."""
    return [text[:i] for i in range(1, len(text) + 1)]


_CODES = [
    "809", "错误 809", "错误809", "error 809", "VPN 809",
    "691", "错误代码 691",
    "0x80070005", "80070005", "0X80070005", "0x8007 0005",
    "0x800F081F", "0x80070643", "0xC004F074", "c004f074",
    "0x0000011b", "0x00000709",
    "ERR_CONNECTION_RESET", "err connection reset", "ERR_NAME_NOT_RESOLVED",
    "550 5.1.1", "5.7.1", "0x800CCC0E",
    "CRITICAL_PROCESS_DIED", "IRQL_NOT_LESS_OR_EQUAL", "0x0000007B",
    "KB5034441", "MSI 1603", "13801",
]

_QUESTIONS = [
    "忘记密码了怎么自己重置",
    "账号被锁定了怎么解锁",
    "打印机脱机怎么办",
    "电脑开机很慢怎么办",
    "C盘空间不足怎么清理",
    "怎么连接公司 Wi-Fi",
    "邮箱满了收不到邮件",
    "手机丢了怎么办",
    "如何识别钓鱼邮件",
    "电脑蓝屏了怎么处理",
    "投影仪没有信号",
    "远程桌面连接不上",
    "DNS 解析失败",
    "共享文件夹没有权限访问",
]

_KEYWORDS = [
    "VPN", "密码", "打印机", "Outlook", "蓝屏", "激活", "BitLocker 恢复密钥", "DHCP 作用域",
    "组策略", "证书",
]

_TRADITIONAL = [
    "忘記密碼怎麼重設", "帳號一直被鎖定", "印表機無法列印", "網路連線失敗",
    "電子郵件無法傳送", "密碼過期 如何變更", "遠端桌面 連線",
]

_MIXED = [
    "Teams 会议没有声音", "OneDrive 同步失败", "Excel 打开很慢", "Outlook 一直提示输入密码",
    "Windows 更新失败", "Office 激活失败", "iPhone 配置邮箱", "Mac 连接 VPN",
    "Wi-Fi 连上了但是不能上网", "SharePoint 403",
]

_TYPOS = ["Outlok 收不到邮件", "windwos 更新", "macbok vpn 配置"]

_LONG = [
    "改完密码以后账号每天早上都被锁，好像是手机邮箱还在用旧密码，怎么彻底解决",
    "在家用 VPN 办公，连上以后打不开内网网站和共享盘，但是外网正常",
]

_PREFIXES = typed("VPN 连接提示错误809") + typed("打印机脱机") + typed("outlook")

QUERIES: list[tuple[str, str]] = (
    [(q, "code") for q in _CODES]
    + [(q, "question") for q in _QUESTIONS]
    + [(q, "keyword") for q in _KEYWORDS]
    + [(q, "prefix") for q in _PREFIXES]
    + [(q, "traditional") for q in _TRADITIONAL]
    + [(q, "mixed") for q in _MIXED]
    + [(q, "typo") for q in _TYPOS]
    + [(q, "long") for q in _LONG]
)

#: only the query strings, in order
TEXTS: list[str] = [q for q, _ in QUERIES]
