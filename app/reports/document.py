"""``kb report``: the monthly review as one self-contained document (HTML or Markdown).

HTML: one file with its style inline and the charts as inline SVG — nothing to fetch, fine to
mail or archive. Markdown: the same tables, the charts as ``data:image/svg+xml`` images.
"""

from __future__ import annotations

import base64
from pathlib import Path

from flask import render_template

from .tables import tables

CSS = Path(__file__).resolve().parents[1] / "static" / "reports.css"


def render_html(report: dict, charts: dict) -> str:
    return render_template("reports/document.html", report=report, tables=tables(report), charts=charts,
                           definitions=DEFINITIONS,
                           css=CSS.read_text(encoding="utf-8"))


def _md_cell(value) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def md_table(table) -> str:
    title, head, rows = table
    out = [f"**{title}**", "", "| " + " | ".join(_md_cell(h) for h in head) + " |",
           "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    if not rows:
        out.append("| " + " | ".join(["—"] * len(head)) + " |")
    return "\n".join(out) + "\n"


def _img(svg, alt: str) -> str:
    data = base64.b64encode(str(svg).encode("utf-8")).decode("ascii")
    return f"![{alt}](data:image/svg+xml;base64,{data})\n"


SECTIONS = (
    ("搜索与内容缺口", [("search", "每日搜索与零结果搜索")],
     ["search_daily", "zero_results", "no_click", "top_queries"]),
    ("自助服务", [("deflection", "请求表单访问的分流结果")], ["deflection", "articles_to_tickets"]),
    ("文章", [], ["articles", "stale_articles"]),
    ("工单", [("tickets", "每日新建、解决与积压工单"), ("categories", "每日新建工单（按类别）"),
            ("sla_response", "首次响应 SLA 达成率"), ("sla_resolution", "解决 SLA 达成率"), ("one_touch", "一次解决率")],
     ["tickets_daily", "tickets_by_category", "tickets_by_priority", "tickets_by_source", "tickets_by_group",
      "durations", "sla", "quality", "backlog_age", "csat", "csat_comments", "breaches",
      "recurring_categories", "recurring_articles", "recurring_codes"]),
)


#: where the portal explains every figure (a path, not a link: the document stays self-contained)
DEFINITIONS = "各项指标的算法见门户报表页上的「报表口径说明」（/reports/definitions）。"


def render_markdown(report: dict, charts: dict) -> str:
    all_tables = tables(report)
    lines = [f"# IT 服务台月度回顾：{report['label']}", "",
             f"{report['from']} 至 {report['to']}（{report['timezone']}），生成于 {report['generated_at'][:16]}。"
             + DEFINITIONS, ""]
    for title, chart_keys, names in SECTIONS:
        lines += [f"## {title}", ""]
        for key, alt in chart_keys:
            lines.append(_img(charts[key], alt))
        for name in names:
            if name in all_tables:
                lines.append(md_table(all_tables[name]))
    return "\n".join(lines)
