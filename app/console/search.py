"""Ticket search, Chinese-aware, in SQL: an inverted index of analysed terms per ticket.

The text of a ticket (number, subject, description, requester name and address, replies and
notes) goes through the same analysis as article search (``indexer.analysis.tokens``: NFKC,
Traditional→Simplified, lower case, jieba segmentation with the IT dictionary, error codes as one
token with their equivalent spellings). Each distinct term is one ``ticket_terms`` row, marked
``public`` unless it came from an internal note. A query is read as article search reads it
(``indexer.query.parse``: spellings, variants, the mainland word of a Traditional one, a glued
``vpn809`` as its halves; filler dropped; no synonyms); a ticket matches when it holds, for every
query word, the word or one of those alternatives (AND), looked up
through the ``(term, ticket_id)`` index. Requesters search public terms only, so an internal note
never makes a ticket match for them (not even in a count).

Nothing of a ticket ever enters the article index (``indexer/``): article search, suggestions
and their counts cannot see tickets.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, intersect, or_, select, union
from sqlalchemy.orm import Session

from ..models import Ticket, TicketTerm, User

TERM_MAX = 64
MAX_QUERY_WORDS = 12
_NUMBER = re.compile(r"^\s*(IT-?\d{8}-?\d{1,4}|IT-?\d{4,8})\s*$", re.IGNORECASE)
_KEEP_KINDS = ("word", "sub", "code", "variant", "part")


_GLUED = re.compile(r"^([a-z]{2,})(\d{2,})$|^(\d{2,})([a-z]{2,})$")


def analyse(text: str, *, subwords: bool = True) -> set[str]:
    """The distinct terms of ``text`` (index side: with sub-words, spellings and code parts; a
    word of letters glued to digits also as its halves — ``vpn809`` → ``vpn``, ``809`` — so
    「VPN 809」 finds a ticket that wrote 「VPN809」)."""
    from indexer.analysis import tokens

    if not text:
        return set()
    terms = {t.text[:TERM_MAX] for t in tokens(text, subwords=subwords) if t.kind in _KEEP_KINDS and t.text.strip()}
    for term in list(terms):
        m = _GLUED.match(term)
        if m:
            terms.update(part for part in m.groups() if part)
    return terms


#: alternatives of a query word that find a ticket too: the word, a code's spellings, English
#: spellings (wifi / wi-fi 0.9), colloquial variants (连不上 → 连接 0.9), the mainland word of a
#: Traditional one (印表機 → 打印机 0.7) — not synonyms (outlook → 邮件 0.5) or English
#: stand-ins (0.3): every word must match (AND), and a synonym would let 「outlook」 find every
#: mail ticket.
MIN_ALTERNATIVE_WEIGHT = 0.7


def query_groups(text: str) -> list[set[str]]:
    """One set of alternatives per query word, as article search reads the query (``indexer.query.
    parse``: full width, Traditional characters, spellings, variants, ``vpn809`` → ``vpn`` + ``809``,
    each half also matched by the glued word);
    filler (怎么办, 一直) is not required. Single-term alternatives only: the ticket index holds terms."""
    from indexer.analysis import tokens
    from indexer.query import parse

    code_spellings: dict[int, set[str]] = {}
    for t in tokens(text or ""):
        if t.kind in ("code", "variant"):
            code_spellings.setdefault(t.pos, set()).add(t.text[:TERM_MAX])
    groups: list[set[str]] = []
    for group in parse(text or "", _synonyms()):
        glued = {w[:TERM_MAX] for w in group.words} if group.split else set()
        for g in group.split or [group]:
            if g.filler:
                continue
            alts = {alt[0][:TERM_MAX] for alt, weight in g.alts
                    if len(alt) == 1 and weight >= MIN_ALTERNATIVE_WEIGHT and not alt[0].startswith("\x00")}
            alts.update(w[:TERM_MAX] for w in g.words if len(g.words) == 1)
            alts |= glued               # 「VPN809」: a ticket holding vpn809 whole, or vpn and 809
            for spellings in code_spellings.values():       # 0x80070005 / 80070005: one code
                if alts & spellings:
                    alts |= spellings
            if alts:
                groups.append(alts)
    return groups[:MAX_QUERY_WORDS]


def _synonyms():
    """The article engine's synonym table (built-in + the library's own file), if it is open."""
    try:
        from ..articles.search import engine

        return engine().synonyms
    except Exception:  # noqa: BLE001 - ticket search works without it (spellings and variants are built in)
        return None


def ticket_text(ticket: Ticket) -> tuple[str, str]:
    """(public text, internal text) of a ticket as indexed."""
    requester = ticket.requester
    public = [ticket.number, ticket.subject, ticket.description or "", ticket.contact_name or "",
              ticket.contact_email or "", ticket.search_text or ""]
    if requester is not None:
        public += [requester.username, requester.display_name or "", requester.email or ""]
    internal = []
    for event in ticket.events:
        if event.kind == "created" or not event.body:
            continue
        (public if event.public else internal).append(event.body)
    return "\n".join(public), "\n".join(internal)


def index_ticket(session: Session, ticket: Ticket) -> int:
    """Replace the ticket's terms (after creation or an edit of its text); rows written."""
    public, internal = ticket_text(ticket)
    rows = {(t, True) for t in analyse(public)} | {(t, False) for t in analyse(internal)}
    session.execute(delete(TicketTerm).where(TicketTerm.ticket_id == ticket.id))
    session.add_all(TicketTerm(ticket_id=ticket.id, term=t, public=p) for t, p in rows)
    session.flush()
    return len(rows)


def add_terms(session: Session, ticket: Ticket, text: str, *, public: bool) -> int:
    """Add the terms of a new reply or note (those the ticket does not hold yet)."""
    terms = analyse(text)
    if not terms:
        return 0
    have = set(session.scalars(select(TicketTerm.term).where(
        TicketTerm.ticket_id == ticket.id, TicketTerm.public.is_(public), TicketTerm.term.in_(terms))))
    new = terms - have
    session.add_all(TicketTerm(ticket_id=ticket.id, term=t, public=public) for t in new)
    session.flush()
    return len(new)


def normalise_number(text: str) -> str | None:
    """``it-20261201-0007`` / ``IT202612010007`` → ``IT-20261201-0007``; None if not a number."""
    m = _NUMBER.match(text or "")
    if not m:
        return None
    digits = re.sub(r"\D", "", m.group(1))
    if len(digits) == 12:
        return f"IT-{digits[:8]}-{digits[8:]}"
    if len(digits) > 8:
        return f"IT-{digits[:8]}-{int(digits[8:]):04d}"
    return None


def search_clause(query_text: str, *, public_only: bool):
    """A WHERE clause on Ticket for ``query_text`` (None when the text holds nothing searchable):
    ``tickets.id IN (one compound SELECT of ids)`` — the number, the requester, and the
    intersection over the query words of the ``(term, ticket_id)`` index — so the database
    builds the matching id set from indexes once and reads only those tickets (an OR of
    subqueries made it probe every candidate row several times)."""
    text = (query_text or "").strip()
    if not text:
        return None
    parts = []
    number = normalise_number(text)
    if number:
        parts.append(select(Ticket.id).where(Ticket.number == number))
    if len(text) <= 254 and ("@" in text or re.fullmatch(r"[\w.\-]{2,80}", text)):
        low = text.lower()
        users = select(User.id).where(or_(User.username == low, User.email == low, User.username == text))
        parts.append(select(Ticket.id).where(Ticket.requester_id.in_(users)))
        parts.append(select(Ticket.id).where(Ticket.contact_email == low))
    groups = query_groups(text)
    if groups:
        per_word = []
        for alternatives in groups:
            sub = select(TicketTerm.ticket_id).where(TicketTerm.term.in_(sorted(alternatives)))
            if public_only:
                sub = sub.where(TicketTerm.public.is_(True))
            per_word.append(sub)
        if len(per_word) == 1:
            parts.append(per_word[0])
        else:  # SQLite allows no parenthesised compound inside a compound: wrap it
            both = intersect(*per_word).subquery()
            parts.append(select(both.c.ticket_id))
    if not parts:
        return Ticket.id.is_(None)
    # The matching ids are computed first, once (a MATERIALIZED CTE, SQLite and PostgreSQL), then
    # the view orders and counts them. Inlined, PostgreSQL's planner believed the LIMIT of a page
    # would stop early and walked all 50,000 tickets in queue order probing ticket_terms for each:
    # 「554 5.2.2」 1.15 s instead of 51 ms (bench/tickets.py --database-url …).
    ids = (parts[0] if len(parts) == 1 else union(*parts)).cte("ticket_matches").prefix_with("MATERIALIZED")
    return Ticket.id.in_(select(ids.c[0]))


def tickets_without_terms(session: Session) -> list[int]:
    """Ids of tickets with no search terms at all (created before the console's migration, or
    written by something that bypassed the workflow). Every indexed ticket holds at least its number."""
    has_terms = select(TicketTerm.ticket_id).where(TicketTerm.ticket_id == Ticket.id).exists()
    return list(session.scalars(select(Ticket.id).where(~has_terms).order_by(Ticket.id)))


def reindex(session: Session, *, everything: bool = False, batch: int = 200, progress=None) -> int:
    """(Re)build the search terms of the tickets that have none (``everything``: of every ticket,
    e.g. after the dictionary changed). Commits every ``batch`` tickets; returns how many."""
    from sqlalchemy.orm import selectinload

    ids = list(session.scalars(select(Ticket.id).order_by(Ticket.id))) if everything else tickets_without_terms(session)
    done = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        tickets = session.scalars(select(Ticket).where(Ticket.id.in_(chunk))
                                  .options(selectinload(Ticket.events), selectinload(Ticket.requester))).all()
        for ticket in tickets:
            index_ticket(session, ticket)
        session.commit()
        done += len(tickets)
        if progress is not None:
            progress(done, len(ids))
    if done >= ANALYZE_AFTER:
        refresh_statistics(session)
    return done


# After this many tickets indexed in one go the planner's statistics are refreshed at once instead
# of waiting for autovacuum: with none, PostgreSQL probed ticket_terms by ticket for each of 50,000
# tickets (a code search 560 ms instead of 27 ms at 50,000 tickets, bench/tickets.py).
ANALYZE_AFTER = 1000


def refresh_statistics(session: Session) -> None:
    """``ANALYZE`` the ticket search tables (both databases accept it inside a transaction)."""
    from sqlalchemy import text

    for table in ("tickets", "ticket_terms"):
        session.execute(text(f"ANALYZE {table}"))
    session.commit()
