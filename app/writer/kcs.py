"""KCS: a new article drafted from a ticket the service desk solved.

``draft_from_ticket`` fills the library's template from a ticket: the subject as the title,
the description as 症状, the error codes found in the text (``indexer.codes``, the same
recognition search uses), and the service desk's **public** replies as 解决步骤 — never
internal notes, never the requester's own messages. Personal data is left out: the
requester's and the agents' names and user names, e-mail addresses, phone and extension
numbers, ID-card numbers, greeting and sign-off lines (``redact``). What cannot be recognised
(a stranger's name typed in the text) is caught by the editor's privacy warnings and the
writer's review — a draft is never published without a writer.

Who may start one: ``app/visibility.py: can_draft_from_ticket`` — someone who may read the ticket
(agents, admins); a writer is not ticket staff and takes such a draft over from the inbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.codes import code_matches, interpret
from indexer.text import fold

from ..models import STAFF_ROLES, Ticket, User
from ..tickets.choices import CATEGORIES
from .content import Content, split_list
from .template import ESCALATE, public_body

NAME = "【姓名】"
EMAIL = "【邮箱】"
PHONE = "【电话】"
ID_NUMBER = "【证件号】"
SERVICE_DESK_EXTENSION = "8000"  # the desk's own number stays (articles/README.md)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(?:\(?0\d{2,3}\)?[ -]?)\d{7,8}(?:[ -]?(?:转|ext\.?|x)[ -]?\d{2,6})?(?!\d)", re.I)
_EXTENSION = re.compile(r"(分机号?|内线|座机|电话|手机|ext\.?)[：: ]*(\d{3,6})(?!\d)", re.I)
# "您好，张三：", "张三您好！", "Hi Wang," — a short line that only greets
_GREETING = re.compile(r"^(?:.{0,12}(?:您好|你好)(?=[!！,，：:。\s]|$).{0,16}|(?:hi|hello|dear)\b.{0,30}|尊敬的.{0,20})$", re.I)
_SIGN_OFF = re.compile(r"^(?:[—–-]{1,3}.{0,30}|(?:谢谢|感谢|祝好|此致|敬礼|best regards|regards|thanks)[!！。.,，\s]*.{0,20})$", re.I)
_STEP_MARKER = re.compile(r"^(?:\d{1,3}[.)、．]|[-*•·])\s*")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class KcsDraft:
    content: Content
    ticket: Ticket
    codes: list[str]


def _people(session: Session, ticket: Ticket) -> list[str]:
    """Names, user names and e-mail local parts of the requester and of everyone on the ticket."""
    ids = {e.author_id for e in ticket.events if e.author_id is not None}
    if ticket.requester_id is not None:
        ids.add(ticket.requester_id)
    users = session.scalars(select(User).where(User.id.in_(ids))).all() if ids else []
    words = [ticket.contact_name, ticket.contact_email, ticket.contact_phone]
    for user in users:
        words += [user.display_name, user.username, user.email]
    names: set[str] = set()
    for word in words:
        word = (word or "").strip()
        if not word:
            continue
        if "@" in word:
            word = word.split("@", 1)[0]
        names.add(word)
        names.update(part for part in re.split(r"[\s._-]+", word) if len(part) >= 3 or not part.isascii())
    return sorted((n for n in names if len(n) >= 2 and n != SERVICE_DESK_EXTENSION), key=len, reverse=True)


def redact(text: str, names: list[str]) -> str:
    """``text`` without personal data (see the module docstring)."""
    lines = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped and (_GREETING.match(stripped) or _SIGN_OFF.match(stripped)):
            continue
        line = _EMAIL.sub(EMAIL, line)
        line = _ID.sub(ID_NUMBER, line)
        line = _MOBILE.sub(PHONE, line)
        line = _LANDLINE.sub(PHONE, line)
        line = _EXTENSION.sub(lambda m: m.group(0) if m.group(2) == SERVICE_DESK_EXTENSION else f"{m.group(1)} {PHONE}", line)
        for name in names:
            if name.isascii():
                line = re.sub(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", NAME, line, flags=re.I)
            else:
                line = line.replace(name, NAME)
        lines.append(line)
    return "\n".join(lines).strip()


def find_codes(text: str) -> list[str]:
    """Error codes in ``text`` as written (strong codes only: not years, sizes or versions)."""
    folded = fold(text or "")
    low = folded.lower()
    out: list[str] = []
    for m in code_matches(low):
        code = interpret(m, folded)
        if not code.strong:
            continue
        group = m.lastgroup
        # a code glued to a keyword ("错误 809") is the number; any other match is the code itself
        start, end = (m.start(group), m.end(group)) if group in ("kwnum", "numkw") else (m.start(), m.end())
        written = folded[start:end]
        if written.lower() not in (c.lower() for c in out):
            out.append(written)
    return out


def _solution_texts(session: Session, ticket: Ticket) -> list[str]:
    """The service desk's public replies, oldest first."""
    ids = {e.author_id for e in ticket.events if e.author_id is not None}
    roles = dict(session.execute(select(User.id, User.role).where(User.id.in_(ids))).all()) if ids else {}
    return [e.body for e in ticket.events
            if e.public and e.kind != "created" and (e.body or "").strip() and roles.get(e.author_id) in STAFF_ROLES]


def steps(texts: list[str]) -> str:
    """Replies → a numbered list; code blocks stay inside their step (indented 4 spaces)."""
    out: list[str] = []
    number = 0
    in_fence = False
    for text in texts:
        for raw in text.split("\n"):
            line = raw.rstrip()
            if _FENCE.match(line):
                if not in_fence:
                    out.append("")
                out.append("    " + line.strip())
                in_fence = not in_fence
                if not in_fence:
                    out.append("")
                continue
            if in_fence:
                out.append("    " + line)
                continue
            item = _STEP_MARKER.sub("", line.strip())
            if item:
                number += 1
                out.append(f"{number}. {item}")
    if in_fence:
        out.append("    ```")
    return "\n".join(out)


def draft_from_ticket(session: Session, ticket: Ticket) -> KcsDraft:
    names = _people(session, ticket)
    subject = redact(ticket.subject, names) or "（请填写标题）"
    description = redact(ticket.description, names)
    solutions = [s for s in (redact(t, names) for t in _solution_texts(session, ticket)) if s]
    codes = find_codes("\n".join([subject, description, *solutions]))
    symptom = description or "（待补充：读者遇到了什么。）"
    if codes:
        symptom += "\n\n出现的错误代码：" + "、".join(f"`{c}`" for c in codes)
    body = public_body(
        intro=f"本文根据服务台处理过的工单整理：{subject}。",
        symptom=symptom,
        cause="（待补充：根据处理过程说明原因。）",
        steps=steps(solutions) or "1. （待补充：写下解决问题的具体步骤。）",
    )
    content = Content(
        title=subject[:300],
        category=CATEGORIES.get(ticket.category, ticket.category or "未分类"),
        body=body,
        tags=tuple(split_list([CATEGORIES.get(ticket.category, "")]) if ticket.category in CATEGORIES and ticket.category != "other" else ()),
        error_codes=tuple(codes[:30]),
        audience="public",
    )
    return KcsDraft(content=content, ticket=ticket, codes=codes)


__all__ = ["ESCALATE", "KcsDraft", "draft_from_ticket", "find_codes", "redact", "steps"]
