"""Every table of a report, built from :func:`app.reports.summary.build`'s dict: the page shows
them beside the charts, ``/reports/<name>.csv`` exports each, ``kb report`` prints them.

A table is ``(title, headers, rows)``; cells are plain values. Ticket text columns exist only
when the report was built for ticket staff (``report["ticket_text"]``).
"""

from __future__ import annotations

import csv
import io

from ..tickets.choices import CATEGORIES

OUTCOMES = (("confirmed", "确认分流"), ("potential", "潜在分流"), ("none", "未分流"), ("pending", "待定"))
TARGETS = {"response": "首次响应", "resolve": "解决"}


def _pct(v):
    return "" if v is None else v


def _when(iso):
    return (iso or "")[:16].replace("T", " ")


def tables(report: dict) -> dict[str, tuple[str, list[str], list[list]]]:
    s, ss, a, t = report["search"], report["self_service"], report["articles"], report["tickets"]
    text = report["ticket_text"]
    out: dict[str, tuple[str, list[str], list[list]]] = {}

    def gaps(lines):
        return [[x["query"], x["count"], x["zero"], x["no_click"], _when(x["last_seen"]), x["norm"]] for x in lines]

    out["search_daily"] = ("每日搜索", ["日期", "搜索次数", "零结果"],
                           [[d["day"], d["searches"], d["zero_results"]] for d in s["daily"]])
    head = ["查询（最常见的写法）", "次数", "零结果", "有结果未点击", "最近一次", "归一化形式"]
    out["top_queries"] = ("热门搜索", head, gaps(s["top_queries"]))
    out["zero_results"] = ("零结果搜索（内容缺口）", head, gaps(s["zero_results"]))
    out["no_click"] = ("有结果但没有点击", head, gaps(s["no_click"]))
    out["deflection"] = ("请求表单分流趋势", ["日期", *(label for _, label in OUTCOMES)],
                         [[d["day"], *(d[k] for k, _ in OUTCOMES)] for d in ss["trend"]])
    out["articles_to_tickets"] = ("最常引出工单的文章", ["文章", "地址", "工单", "其中转人工", "其中提交前打开过"],
                                  [[x["title"], f"/articles/{x['slug']}", x["tickets"], x["escalated"],
                                    x["opened_before_ticket"]] for x in ss["articles_leading_to_tickets"]])
    since = a.get("views_counted_since")
    period_views = "期间浏览" if since is None or since <= report["from"] else f"期间浏览（{since} 起）"
    art_head = ["文章", "地址", "类别", "累计浏览", period_views, "当前版本浏览", "有帮助 %", "健康分（越高越需要关注）",
                "期间投票", "期间“没有帮助”", "期间转人工", "期间作为解决方案", "复核日期", "待复核"]
    out["articles"] = ("文章", art_head, [[x["title"], f"/articles/{x['slug']}", x["category"], x["views"],
                                         x["period_views"], x["version_views"], _pct(x["helpful_pct"]), x["health_score"], x["votes"],
                                         x["not_helpful"], x["escalations"], x["reuse"], x["review_by"],
                                         "是" if x["stale"] else ""] for x in a["table"]])
    out["stale_articles"] = ("待复核（已过复核日期）", ["文章", "地址", "复核日期", "累计浏览"],
                             [[x["title"], f"/articles/{x['slug']}", x["review_by"], x["views"]] for x in a["stale"]])
    out["tickets_daily"] = ("每日工单", ["日期", "新建", "解决", "日终积压"],
                            [[d["day"], d["created"], d["resolved"], d["backlog"]] for d in t["daily"]])
    out["category_daily"] = ("每日新建工单（按类别）", ["日期", *CATEGORIES.values()],
                             [[d["day"], *(d[k] for k in CATEGORIES)] for d in t["category_by_day"]])
    for key, title in (("by_category", "按类别"), ("by_priority", "按优先级"), ("by_source", "按来源"),
                       ("by_group", "按组")):
        out[f"tickets_{key}"] = (f"新建工单{title}", [title[1:], "工单数"], [[x["label"], x["count"]] for x in t[key]])
    fr, rs = t["first_response_hours"], t["resolution_hours"]
    out["durations"] = ("处理时长（SLA 时钟的小时数，不含等待用户的时间）", ["指标", "工单数", "中位数（小时）", "P90（小时）"],
                        [["首次响应", fr["count"], _pct(fr["median"]), _pct(fr["p90"])],
                         ["解决", rs["count"], _pct(rs["median"]), _pct(rs["p90"])]])
    sla = t["sla"]
    out["sla"] = ("SLA 达成", ["目标", "达成", "超时", "达成率 %"],
                  [["首次响应", sla["response"]["met"], sla["response"]["breached"], _pct(sla["response"]["met_pct"])],
                   ["解决", sla["resolution"]["met"], sla["resolution"]["breached"], _pct(sla["resolution"]["met_pct"])]])
    out["quality"] = ("一次解决与重新打开", ["指标", "工单数", "占已解决 %"],
                      [["一次解决（最多一次公开回复）", t["one_touch"], _pct(t["one_touch_pct"])],
                       ["重新打开过", t["reopened"], _pct(t["reopened_pct"])]])
    b_head = ["工单", "目标", "优先级", "类别", "组", "期限", "超出（SLA 时钟小时）"] + (["标题"] if text else [])
    out["breaches"] = ("SLA 超时明细", b_head,
                       [[b["number"], TARGETS[b["target"]], b["priority"], CATEGORIES.get(b["category"], b["category"]),
                         b["group"] or "", _when(b["due"]), b["late_hours"]] + ([b["subject"]] if text else [])
                        for b in t["breaches"]])
    out["backlog_age"] = ("积压工单的时长", ["已存在", "工单数"], [[x["label"], x["count"]] for x in t["backlog_age"]])
    out["csat"] = ("满意度评分分布", ["评分", "次数"], [[x["rating"], x["count"]] for x in t["csat"]["distribution"]])
    if text:
        out["csat_comments"] = ("满意度评价留言", ["工单", "评分", "留言", "时间"],
                                [[c["number"], c["rating"], c["comment"], _when(c["at"])] for c in t["csat"]["comments"]])
    rec = t["recurring"]
    out["recurring_categories"] = ("反复出现的问题：按类别（前 10）", ["类别", "工单数"],
                                   [[x["label"], x["count"]] for x in rec["by_category"]])
    out["recurring_articles"] = ("反复出现的问题：按对应文章（前 10）", ["文章", "地址", "工单数"],
                                 [[x["title"], f"/articles/{x['slug']}", x["count"]] for x in rec["by_article"]])
    out["recurring_codes"] = ("反复出现的问题：按错误代码（前 10）", ["错误代码", "工单数"],
                              [[x["code"], x["count"]] for x in rec["by_error_code"]])
    return out


def to_csv(table: tuple[str, list[str], list[list]]) -> str:
    """UTF-8 with BOM (Excel opens Chinese correctly); cells that a spreadsheet would run as a
    formula (= + - @ first) are prefixed with an apostrophe."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table[1])
    for row in table[2]:
        writer.writerow([_safe(c) for c in row])
    return "\ufeff" + buf.getvalue()


def _safe(cell):
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
