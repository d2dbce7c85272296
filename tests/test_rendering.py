"""Specification for app.articles.rendering: Markdown article body -> safe HTML + toc + text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from app.articles.rendering import RenderedArticle, TocEntry, excerpt, render_markdown, slugify


# ---------------------------------------------------------------------------
# A tiny DOM-ish view of the output, built with the stdlib parser
# ---------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_decl(self, decl):
        self.declarations.append(decl)

    def handle_pi(self, data):
        self.declarations.append(data)


def parse(fragment: str) -> _Collect:
    p = _Collect()
    p.feed(fragment)
    p.close()
    return p


def elements(fragment: str, tag: str | None = None) -> list[dict[str, str | None]]:
    return [attrs for t, attrs in parse(fragment).elements if tag is None or t == tag]


def render(source: str) -> RenderedArticle:
    return render_markdown(source)


# ---------------------------------------------------------------------------
# Markdown features
# ---------------------------------------------------------------------------


def test_returns_rendered_article():
    out = render("正文。\n")
    assert isinstance(out, RenderedArticle)
    assert isinstance(out.html, str) and isinstance(out.text, str)
    assert out.toc == [] and out.headings == []


def test_tables_render_with_alignment():
    out = render("| 系统 | 端口 |\n|:-----|-----:|\n| VPN | 443 |\n")
    tags = [t for t, _ in parse(out.html).elements]
    for tag in ("table", "thead", "tbody", "tr", "th", "td"):
        assert tag in tags
    cells = elements(out.html, "td")
    assert cells[0].get("align") == "left" and cells[1].get("align") == "right"
    assert "VPN" in out.text and "443" in out.text


def test_fenced_code_is_highlighted_and_escaped():
    src = '```python\ndef f():\n    return "<script>alert(1)</script>"\n```\n'
    out = render(src)
    divs = elements(out.html, "div")
    assert any(d.get("class") == "codehilite" for d in divs)
    span_classes = {s.get("class") for s in elements(out.html, "span")}
    assert "k" in span_classes  # pygments keyword token (`def`, `return`)
    assert "nf" in span_classes  # function name
    # the code is shown as text, never as markup
    assert not elements(out.html, "script")
    assert "&lt;script&gt;" in out.html
    assert '<script>alert(1)</script>' in out.text
    assert "style=" not in out.html  # classes, not inline styles


def test_fenced_code_without_language_is_not_guessed():
    out = render("```\nSELECT * FROM users;\n```\n")
    assert "codehilite" in out.html
    assert 'class="k"' not in out.html  # guess_lang=False: plain text lexer


def test_chinese_heading_anchors_and_toc():
    out = render("## 解决步骤\n\n重启。\n\n### VPN 错误 809\n\n内容\n")
    ids = {h.get("id") for h in elements(out.html, "h2") + elements(out.html, "h3")}
    assert "解决步骤" in ids and "vpn-错误-809" in ids
    assert out.toc == [
        TocEntry(level=2, title="解决步骤", anchor="解决步骤"),
        TocEntry(level=3, title="VPN 错误 809", anchor="vpn-错误-809"),
    ]
    assert out.toc[0].href == "#解决步骤"
    # every toc link points to an element that exists
    all_ids = {a.get("id") for a in elements(out.html) if a.get("id")}
    for entry in out.toc:
        assert entry.anchor in all_ids
    assert out.headings == ["解决步骤", "VPN 错误 809"]


def test_toc_only_h2_and_h3_but_headings_lists_all():
    out = render("## 二\n\n### 三\n\n#### 四\n")
    assert [e.level for e in out.toc] == [2, 3]
    assert out.headings == ["二", "三", "四"]


def test_toc_titles_are_plain_text():
    out = render("## 运行 `ipconfig /all` 和 **重启**\n")
    assert out.toc[0].title == "运行 ipconfig /all 和 重启"
    assert "<" not in out.toc[0].title


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("解决步骤", "解决步骤"),
        ("VPN 错误 809", "vpn-错误-809"),
        ("Outlook：无法连接（错误 0x800CCC0E）", "outlook-无法连接-错误-0x800ccc0e"),
        ("ＶＰＮ 设置", "vpn-设置"),  # full-width letters folded
        ("  --Wi-Fi--  ", "wi-fi"),
        ("!!!", "section"),
    ],
)
def test_slugify(text, slug):
    assert slugify(text, "-") == slug


def test_duplicate_headings_get_unique_anchors():
    out = render("## 常见问题\n\na\n\n## 常见问题\n\nb\n\n## 常见问题\n")
    anchors = [e.anchor for e in out.toc]
    assert len(anchors) == 3 and len(set(anchors)) == 3
    assert anchors[0] == "常见问题"
    ids = [h.get("id") for h in elements(out.html, "h2")]
    assert ids == anchors


def test_admonition_renders_with_title():
    out = render('!!! warning "注意"\n    修改注册表前请先备份。\n')
    divs = elements(out.html, "div")
    assert any(set((d.get("class") or "").split()) == {"admonition", "warning"} for d in divs)
    titles = [p for p in elements(out.html, "p") if p.get("class") == "admonition-title"]
    assert len(titles) == 1
    assert "注意" in out.html and "修改注册表前请先备份。" in out.html


def test_admonition_unknown_type_keeps_content_but_not_class():
    out = render('!!! x-evil "标题"\n    内容\n')
    assert "x-evil" not in out.html
    assert "标题" in out.text and "内容" in out.text


def test_images_kept_with_lazy_loading():
    src = (
        "![网络设置截图](/static/img/vpn.png)\n\n"
        '![远程](https://cdn.example.com/a.png "标题")\n\n'
        "![相对](images/b.png)\n"
    )
    imgs = elements(render(src).html, "img")
    assert [i.get("src") for i in imgs] == [
        "/static/img/vpn.png",
        "https://cdn.example.com/a.png",
        "images/b.png",
    ]
    assert all(i.get("loading") == "lazy" for i in imgs)
    assert imgs[0].get("alt") == "网络设置截图"
    assert imgs[1].get("title") == "标题"


def test_images_with_other_schemes_lose_src():
    for url in ("javascript:alert(1)", "data:image/png;base64,AAAA", "mailto:a@b.c", "ftp://x/y.png"):
        imgs = elements(render(f"![x]({url})\n").html, "img")
        assert all("src" not in i for i in imgs), url


def test_leading_h1_is_dropped():
    out = render("# 如何连接 VPN\n\n第一段。\n\n## 步骤\n")
    assert not elements(out.html, "h1")
    assert "如何连接 VPN" not in out.html
    assert "如何连接 VPN" not in out.text
    assert out.headings == ["步骤"]
    assert out.text.startswith("第一段。")


def test_leading_h1_does_not_steal_anchor():
    out = render("# 步骤\n\n## 步骤\n")
    assert out.toc == [TocEntry(2, "步骤", "步骤")]


def test_only_leading_h1_is_dropped():
    out = render("引言。\n\n# 附录\n")
    assert len(elements(out.html, "h1")) == 1
    assert "附录" in out.text


def test_links():
    out = render("[外部](https://example.com/a) [内部](/articles/12) [相对](../x) [邮件](mailto:it@example.com)\n")
    links = elements(out.html, "a")
    assert [a.get("href") for a in links] == [
        "https://example.com/a",
        "/articles/12",
        "../x",
        "mailto:it@example.com",
    ]
    assert set(links[0]["rel"].split()) >= {"noopener", "noreferrer"}


def test_sane_lists_and_start_number():
    out = render("3. 第三步\n4. 第四步\n\n- a\n- b\n")
    ols = elements(out.html, "ol")
    assert ols and ols[0].get("start") == "3"
    assert elements(out.html, "ul")


def test_attr_list_is_not_enabled():
    out = render('## 标题 {: onclick="alert(1)" }\n\n段落\n{: onmouseover=alert(1) style="color:red" }\n')
    for attrs in elements(out.html):
        assert not any(name.startswith("on") for name in attrs)
        assert "style" not in attrs


def test_md_in_html_is_off():
    out = render('<div markdown="1">\n**不应渲染**\n</div>\n')
    assert "<strong>" not in out.html


def test_normal_chinese_content_and_kbd_survive():
    src = (
        "# 重置密码\n\n"
        "请按 <kbd>Ctrl</kbd>+<kbd>Alt</kbd>+<kbd>Del</kbd>，然后选择“更改密码”。\n\n"
        "> 提示：新密码至少 **12 位**，包含*大小写字母*和数字。\n\n"
        "- 第一项\n- 第二项\n\n"
        "<details><summary>更多</summary>联系 IT 服务台（分机 8000）。</details>\n\n"
        "H<sub>2</sub>O x<sup>2</sup> <mark>重点</mark> ~~旧~~ <del>删除</del>\n"
    )
    out = render(src)
    assert out.html.count("<kbd>") == 3
    assert "<kbd>Ctrl</kbd>+<kbd>Alt</kbd>" in out.html
    for tag in ("blockquote", "strong", "em", "ul", "li", "details", "summary", "sub", "sup", "mark", "del"):
        assert elements(out.html, tag), tag
    assert "请按 Ctrl+Alt+Del，然后选择“更改密码”。" in out.text
    assert "联系 IT 服务台（分机 8000）。" in out.text


def test_text_has_no_markup():
    out = render("## 标题\n\n段落 **粗体** 与 [链接](https://e.com)。\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<" not in out.text and "*" not in out.text and "](" not in out.text
    assert "段落 粗体 与 链接。" in out.text


def test_empty_source():
    out = render("")
    assert out.html == "" and out.text == "" and out.toc == []


# ---------------------------------------------------------------------------
# XSS battery (OWASP filter evasion cheat sheet style)
# ---------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<img src=x onerror=alert(1)>",
    '<IMG SRC="javascript:alert(1);">',
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<IMG SRC=`javascript:alert(1)`>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    '<img src="x" onerror="alert(1)"//',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    '<IMG SRC="jav&#x0D;ascript:alert(1);">',
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="&#x20;javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](vbscript:msgbox(1))",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    '![x](https://ok.example/a.png" onerror="alert(1))',
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="https://evil.example/x.swf">',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    "<style>@import 'https://evil.example/x.css';</style>",
    '<STYLE>li {list-style-image: url("javascript:alert(1)");}</STYLE><UL><LI>XSS</br>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;img src=1 onerror=alert(1)&gt;">',
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<details open ontoggle=alert(1)>",
    '<form action="javascript:alert(1)"><input type="submit"></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="import" href="https://evil.example/x.html">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<a href="https://ok.example" style="position:fixed;top:0">x</a>',
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    '<td background="javascript:alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    '<audio src=x onerror=alert(1)>',
    '<input autofocus onfocus=alert(1)>',
    '<marquee onstart=alert(1)>x</marquee>',
    '<isindex type=image src=1 onerror=alert(1)>',
    '<template><script>alert(1)</script></template>',
    '<xmp><script>alert(1)</script></xmp>',
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    '<div id="x" class="admonition" onmouseover="alert(1)">x</div>',
    '<span class="k evil" style="x">x</span>',
    '<h2 id="x" onclick="alert(1)">标题</h2>',
    '<img src="/static/a.png" srcset="javascript:alert(1) 1x">',
    '<a href="https://ok.example" target="_blank">x</a>',
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    '<IMG DYNSRC="javascript:alert(1)"> <IMG LOWSRC="javascript:alert(1)">',
    '<BGSOUND SRC="javascript:alert(1);">',
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<x onclick=alert(1)>click",
    "\x00<script>alert(1)</script>",
    "```\n</code></pre><script>alert(1)</script>\n```",
    '!!! warning "<script>alert(1)</script>"\n    x',
    '## <img src=x onerror=alert(1)>',
]

FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "style", "form", "input", "button", "textarea", "select", "base", "meta", "link",
    "template", "noscript", "xmp", "video", "audio", "source", "bgsound", "marquee",
    "isindex", "body", "html", "head", "title",
}  # fmt: skip
BAD_SCHEMES = {"javascript", "data", "vbscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "srcset", "data", "xlink:href", "dynsrc", "lowsrc", "poster"}

# What the article allow-list may emit, per tag.
ALLOWED_OUTPUT_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title", "loading"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "details": {"open"},
    "div": {"class"},
    "span": {"class"},
    "p": {"class"},
    "pre": {"class", "tabindex"},   # tabindex="0", ours (a wide code block scrolls by keyboard)
    "code": {"class"},
    **{f"h{i}": {"id"} for i in range(1, 7)},
}


def url_scheme(value: str) -> str | None:
    # html.parser already decoded entities; decode again for double-encoded
    # input, drop whitespace/control characters that browsers ignore.
    value = html.unescape(value)
    value = re.sub(r"[\x00-\x20\x7f-\x9f]+", "", value).lower()
    m = re.match(r"([a-z][a-z0-9+.\-]*):", value)
    return m.group(1) if m else None


def assert_safe(fragment: str) -> None:
    parsed = parse(fragment)
    assert not parsed.comments, parsed.comments
    assert not parsed.declarations, parsed.declarations
    for tag, attrs in parsed.elements:
        assert tag not in FORBIDDEN_TAGS, (tag, fragment)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, fragment)
            assert name != "style", (tag, fragment)
            assert name in ALLOWED_OUTPUT_ATTRIBUTES.get(tag, set()), (tag, name, fragment)
            if name in URL_ATTRIBUTES and value is not None:
                assert url_scheme(value) not in BAD_SCHEMES, (tag, name, value, fragment)
            if name == "tabindex":
                assert value == "0", (tag, value, fragment)
    # Defence in depth: no executable scheme inside any attribute value at all.
    for _, attrs in parsed.elements:
        for value in attrs.values():
            if value:
                squashed = re.sub(r"[\x00-\x20]+", "", html.unescape(value)).lower()
                assert "javascript:" not in squashed and "vbscript:" not in squashed, fragment


def test_battery_is_big_enough():
    assert len(XSS_PAYLOADS) >= 25


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
@pytest.mark.parametrize("where", ["alone", "in_article"])
def test_xss_payload_is_neutralised(payload, where):
    if where == "alone":
        body = payload
    else:
        body = f"# 标题\n\n## 解决步骤\n\n正常段落。\n\n{payload}\n\n- 列表\n- <kbd>Ctrl</kbd>\n\n结尾。\n"
    out = render(body)
    assert_safe(out.html)
    for entry in out.toc:
        assert "<" not in entry.title and "<" not in entry.anchor
        assert re.fullmatch(r"[^\s\"'<>&]+", entry.anchor)
    if where == "in_article":
        # the surrounding article is not swallowed by the payload
        assert "正常段落。" in out.text
        assert out.toc and out.toc[0].anchor == "解决步骤"


def test_class_values_restricted_to_markdown_and_pygments():
    out = render('<div class="admonition evil modal">x</div><span class="k hack">y</span><p class="admonition-title x">z</p><code class="x">c</code>')
    for attrs in elements(out.html):
        classes = set((attrs.get("class") or "").split())
        assert not classes & {"evil", "modal", "hack", "x"}


def test_raw_heading_ids_are_restricted():
    out = render('<h2 id="a b">x</h2><h2 id="&quot;&gt;">y</h2><h2 id="ok-id">z</h2>')
    ids = [h.get("id") for h in elements(out.html, "h2")]
    assert ids == [None, None, "ok-id"]


# ---------------------------------------------------------------------------
# excerpt()
# ---------------------------------------------------------------------------


def test_excerpt_short_text_unchanged():
    assert excerpt("VPN 无法连接。") == "VPN 无法连接。"
    assert excerpt("  多余   空白\n换行 ") == "多余 空白 换行"
    assert excerpt("") == ""


def test_excerpt_cuts_at_sentence_boundary():
    text = "第一句话比较长一些，用来测试摘要。第二句话也很长，会被截断在某个位置而不是中间。"
    result = excerpt(text, 30)
    assert result == "第一句话比较长一些，用来测试摘要。…"


def test_excerpt_cuts_at_word_boundary_for_latin_text():
    text = "Reset your password from the self service portal before contacting the helpdesk team"
    result = excerpt(text, 40)
    assert result.endswith("…")
    body = result[:-1]
    assert text.startswith(body) and len(body) <= 40
    assert text[len(body)] == " "  # not in the middle of a word


def test_excerpt_hard_cut_for_chinese_without_punctuation():
    text = "中" * 200
    result = excerpt(text, 120)
    assert result == "中" * 120 + "…"


def test_excerpt_does_not_end_with_dangling_comma():
    text = "打开控制面板" + "，然后选择网络" * 30
    result = excerpt(text, 20)
    assert result.endswith("…")
    assert not result[:-1].endswith(("，", ",", " "))
    assert len(result) <= 21


def test_excerpt_of_rendered_article():
    out = render("# 标题\n\n" + "这是正文内容。" * 40)
    ex = excerpt(out.text)
    assert ex.startswith("这是正文内容。") and ex.endswith("…") and len(ex) <= 121
    assert "标题" not in ex


def test_a_code_block_can_be_scrolled_with_the_keyboard():
    """axe (scrollable-region-focusable): a wide code block scrolls sideways, so it takes focus;
    a writer's own tabindex is still removed and ours is the only one."""
    out = render("```powershell\nNew-ItemProperty -Path HKLM:\\SYSTEM -Name AssumeUDPEncapsulationContextOnSendRule\n```\n\n"
                 '<pre tabindex="5" onfocus="x()">raw</pre>\n\n    indented code\n')
    pres = [attrs for tag, attrs in parse(out.html).elements if tag == "pre"]
    assert len(pres) == 3 and all(attrs.get("tabindex") == "0" for attrs in pres)
    assert "onfocus" not in out.html and 'tabindex="5"' not in out.html
