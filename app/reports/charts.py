"""Server-side SVG charts: trend lines, stacked bars, gauges. No script, nothing from outside.

Every chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` saying what it shows in words
(screen readers), a ``<title>`` on every mark (hover), a legend in text, and colours that differ
in lightness as well as hue; the page puts the same numbers in a table beside each chart.
"""

from __future__ import annotations

import itertools
from html import escape

from markupsafe import Markup

PALETTE = ("#1f5fa8", "#e07b00", "#2e8b57", "#b03060", "#6a5acd", "#8b6d00", "#008b8b", "#555555", "#c0392b")
_ids = itertools.count(1)


def _e(text) -> str:
    return escape(str(text), quote=True)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 2.5, 5, 10):
        magnitude = 10 ** (len(str(int(value))) - 1)
        if value <= step * magnitude:
            return step * magnitude
    return value


def _frame(width, height, title, desc, body, cid) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" xmlns="http://www.w3.org/2000/svg" data-chart="{cid}">'
        f'<title id="{cid}-t">{_e(title)}</title><desc id="{cid}-d">{_e(desc)}</desc>{body}</svg>'
    )


def _axes(x0, y0, w, h, top, ticks=4) -> str:
    out = []
    for i in range(ticks + 1):
        y = y0 - h * i / ticks
        value = top * i / ticks
        label = f"{value:g}" if value != int(value) else f"{int(value)}"
        out.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#444">{label}</text>')
    return "".join(out)


def _xlabels(labels, x0, step, y) -> str:
    every = max(1, len(labels) // 8)
    return "".join(
        f'<text x="{x0 + step * i + step / 2:.1f}" y="{y}" text-anchor="middle" font-size="11" fill="#444">'
        f'{_e(_short(lab))}</text>'
        for i, lab in enumerate(labels) if i % every == 0)


def _short(label: str) -> str:
    return label[5:] if len(label) == 10 and label[4] == "-" else label  # 2026-11-03 → 11-03


def _legend(names, x, y) -> str:
    out, cx = [], x
    for i, name in enumerate(names):
        out.append(f'<rect x="{cx}" y="{y - 9}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{cx + 14}" y="{y}" font-size="12" fill="#222">{_e(name)}</text>')
        cx += 24 + 13 * len(str(name))
    return "".join(out)


def line_chart(labels: list[str], series: list[tuple[str, list[float]]], title: str, unit: str = "") -> Markup:
    cid = f"c{next(_ids)}"
    width, height, x0, y0 = 640, 240, 44, 200
    w, h = width - x0 - 10, 170
    top = _nice_max(max([v for _, vals in series for v in vals if v is not None] or [0]))
    step = w / max(1, len(labels))
    body = [_axes(x0, y0, w, h, top), _xlabels(labels, x0, step, y0 + 16)]
    parts = []
    for i, (name, values) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        pts = [(x0 + step * j + step / 2, y0 - h * (v or 0) / top) for j, v in enumerate(values)]
        dash = ' stroke-dasharray="6 3"' if i % 2 else ""
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{_e(labels[j])} {_e(name)}：'
                    f'{_e(values[j])}{_e(unit)}</title></circle>' for j, (x, y) in enumerate(pts))
        parts.append(f"{name}合计 {sum(v or 0 for v in values):g}{unit}，最高 {max(values or [0]):g}{unit}")
    body.append(_legend([n for n, _ in series], x0, 232))
    desc = f"{labels[0] if labels else ''} 至 {labels[-1] if labels else ''} 的趋势：" + "；".join(parts) + "。"
    return _frame(width, height, title, desc, "".join(body), cid)


def stacked_bars(labels: list[str], series: list[tuple[str, list[float]]], title: str) -> Markup:
    cid = f"c{next(_ids)}"
    width, height, x0, y0 = 640, 250, 44, 200
    w, h = width - x0 - 10, 170
    totals = [sum(vals[j] or 0 for _, vals in series) for j in range(len(labels))]
    top = _nice_max(max(totals or [0]))
    step = w / max(1, len(labels))
    bar = max(2.0, step * 0.7)
    body = [_axes(x0, y0, w, h, top), _xlabels(labels, x0, step, y0 + 16)]
    for j, lab in enumerate(labels):
        y = y0
        for i, (name, values) in enumerate(series):
            v = values[j] or 0
            if not v:
                continue
            bh = h * v / top
            y -= bh
            body.append(f'<rect x="{x0 + step * j + (step - bar) / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                        f'height="{bh:.1f}" fill="{PALETTE[i % len(PALETTE)]}"><title>{_e(lab)} {_e(name)}：{_e(v)}'
                        f'</title></rect>')
    names = [n for n, _ in series]
    body.append(_legend(names[:6], x0, 232))
    if len(names) > 6:
        body.append(_legend_offset(names, 6, x0, 247))
    sums = {n: sum(v or 0 for v in vals) for n, vals in series}
    desc = "按日期堆叠：" + "，".join(f"{n} {s:g}" for n, s in sums.items()) + f"；合计 {sum(sums.values()):g}。"
    return _frame(width, height, title, desc, "".join(body), cid)


def _legend_offset(names, start, x, y) -> str:
    out, cx = [], x
    for i in range(start, len(names)):
        out.append(f'<rect x="{cx}" y="{y - 9}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{cx + 14}" y="{y}" font-size="12" fill="#222">{_e(names[i])}</text>')
        cx += 24 + 13 * len(str(names[i]))
    return "".join(out)


def gauge(percent: float | None, title: str, target: float | None = None) -> Markup:
    """A half-circle dial from 0 to 100 %; the needle at ``percent``; a tick at ``target``."""
    import math

    cid = f"c{next(_ids)}"
    cx, cy, r = 110, 110, 90

    def point(p, radius=r):
        angle = math.pi * (1 - p / 100)
        return cx + radius * math.cos(angle), cy - radius * math.sin(angle)

    def arc(a, b, colour):
        (x1, y1), (x2, y2) = point(a), point(b)
        return (f'<path d="M {x1:.1f} {y1:.1f} A {r} {r} 0 0 1 {x2:.1f} {y2:.1f}" fill="none" '
                f'stroke="{colour}" stroke-width="18"/>')

    body = [arc(0, 100, "#e6e6e6")]
    if percent is not None:
        body.append(arc(0, max(0.01, min(100, percent)), "#2e8b57" if target is None or percent >= target else "#c0392b"))
    if target is not None:
        (x1, y1), (x2, y2) = point(target, r - 12), point(target, r + 12)
        body.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#222" stroke-width="2">'
                    f'<title>目标 {target:g}%</title></line>')
    text = "—" if percent is None else f"{percent:g}%"
    body.append(f'<text x="{cx}" y="{cy - 8}" text-anchor="middle" font-size="26" font-weight="bold" fill="#222">'
                f'{text}</text><text x="{cx}" y="{cy + 14}" text-anchor="middle" font-size="12" fill="#444">'
                f'{_e(title)}</text>')
    desc = f"{title}：{'没有数据' if percent is None else text}" + (f"，目标 {target:g}%" if target is not None else "") + "。"
    return _frame(220, 130, title, desc, "".join(body), cid)
