"""The fixed vocabularies of a service request: categories, impact, urgency, statuses.

One module so the request form, the API, the ticket pages and the agents' console all show
the same labels. Keys are stored and used in the API; labels are what people read.
"""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "account": "账号与密码",
    "vpn": "VPN 与远程访问",
    "network": "网络与 Wi-Fi",
    "mail": "邮件与日历",
    "printing": "打印与外设",
    "software": "软件安装与授权",
    "computer": "电脑与系统",
    "security": "信息安全",
    "collaboration": "协作与会议",
    "other": "其他",
}

IMPACTS: dict[str, str] = {
    "person": "仅我本人",
    "department": "部门",
    "company": "全公司",
}

URGENCIES: dict[str, str] = {
    "stopped": "业务中断",
    "degraded": "效率降低",
    "question": "咨询",
}

# A sentence for each choice, for forms that want to help people pick honestly.
IMPACT_HINTS: dict[str, str] = {
    "person": "只有我一个人受影响",
    "department": "我所在部门或团队的多人受影响",
    "company": "全公司或多个部门都受影响",
}
URGENCY_HINTS: dict[str, str] = {
    "stopped": "无法继续工作，没有替代办法",
    "degraded": "还能工作，但明显变慢或要绕路",
    "question": "想咨询或申请，不影响当前工作",
}

PRIORITY_NAMES: dict[str, str] = {"P1": "紧急", "P2": "高", "P3": "中", "P4": "低"}

STATUSES: dict[str, str] = {
    "new": "已提交，等待处理",
    "open": "处理中",
    "pending": "等待您的回复",
    "resolved": "已解决",
    "closed": "已关闭",
}
STATUS_SHORT: dict[str, str] = {
    "new": "新建",
    "open": "处理中",
    "pending": "待回复",
    "resolved": "已解决",
    "closed": "已关闭",
}

SOURCES: dict[str, str] = {
    "portal": "门户表单",
    "api": "API",
    "article_feedback": "文章反馈",
}

EVENT_KINDS: dict[str, str] = {
    "created": "已提交",
    "reply": "回复",
    "note": "内部备注",
    "status": "状态变更",
    "assigned": "分配",
    "group_changed": "改组",
    "escalated": "升级到二线",
    "classified": "重新分类",
    "resolved": "已解决",
    "reopened": "重新打开",
    "closed": "已关闭",
    "confirmed": "用户确认解决",
    "withdrawn": "用户撤回",
    "auto_closed": "自动关闭",
    "rated": "评价",
    "sla_breached": "SLA 超时",
}
CLOSE_REASONS: dict[str, str] = {
    "confirmed": "用户确认解决",
    "auto": "自动关闭",
    "withdrawn": "用户撤回",
    "agent": "服务台关闭",
}
TIERS: dict[int, str] = {1: "一线", 2: "二线"}


def normalize_choice(value, choices: dict[str, str]) -> str | None:
    """The key for ``value`` given as a key or as its Chinese label (case/space-insensitive keys)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text.lower() in choices:
        return text.lower()
    for key, label in choices.items():
        if text == label or text.replace(" ", "") == label.replace(" ", ""):
            return key
    return None


def label(choices: dict[str, str], key: str | None) -> str:
    """The label of ``key`` (the key itself when unknown, so nothing disappears)."""
    if key is None:
        return ""
    return choices.get(key, key)
