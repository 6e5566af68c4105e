"""Full-text search across a project.

The index is FTS5 with the ``trigram`` tokenizer, chosen because it needs no
word segmentation: Chinese and Japanese (no spaces) are searchable exactly
like English, and any substring of three characters or more matches (a
search for "Bennet" also finds "Bennets"). Results are ranked with bm25 and
carry a snippet with the matches in ``[`` ``]``.

Trigrams cannot find a term shorter than three characters (most Chinese
names are two: 宝玉, 黛玉), so a query with such a term falls back to a plain
substring scan of the project's texts, ranked by how often the terms occur.
That scan reads one project's text (a few MB for a long novel); saves never
pay for it.

``offset`` is the ``str`` index of the earliest match in the document text,
computed in Python on the real text so the editor can jump straight to it.

:func:`search_matches` gives one result per occurrence (what Find in Project
lists): the documents come ranked as above, and inside each document every
place a term occurs is a :class:`SearchMatch` with its own ``str`` span and the
text on either side, so the panel highlights exactly that occurrence (a
snippet with ``[`` ``]`` marks cannot say which of two equal words is meant,
nor tell a mark from a bracket in the prose).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from writer_app.storage.models import SearchHit
from writer_app.storage.projects import LIVE_NODES_CTE
from writer_app.storage.textnorm import clean_text

SNIPPET_TOKENS = 48
_TERM = re.compile(r'"([^"]+)"|(\S+)')
CONTEXT_CHARS = 40  # of text shown on either side of a match
MATCH_LIMIT = 1000  # occurrences listed at most; a query this common needs more words
DOCUMENT_LIMIT = 500


@dataclass(frozen=True)
class SearchMatch:
    """One occurrence of a term: ``text[start:end]`` of document ``node_id`` is ``matched``."""

    node_id: int
    title: str
    start: int  # str index into the stored text (ui/text_positions converts for Qt)
    end: int
    before: str  # context, on one line, "…" where the document goes on
    matched: str
    after: str


def query_terms(query: str) -> list[str]:
    """Whitespace-separated terms; "double quotes" keep a phrase together."""
    terms = [(quoted or bare).strip() for quoted, bare in _TERM.findall(clean_text(query))]
    return list(dict.fromkeys(t for t in terms if t))


def first_match(text: str, terms: list[str]) -> int:
    starts = [m.start() for t in terms if (m := re.search(re.escape(t), text, re.IGNORECASE))]
    return min(starts) if starts else 0


def _python_snippet(text: str, start: int, terms: list[str], width: int = 60) -> str:
    left = max(0, start - width // 2)
    right = min(len(text), start + width)
    piece = text[left:right]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    piece = pattern.sub(lambda m: f"[{m.group(0)}]", piece)
    piece = " ".join(piece.split())
    return ("…" if left > 0 else "") + piece + ("…" if right < len(text) else "")


def search(conn: sqlite3.Connection, project_id: int, query: str, limit: int = 50) -> list[SearchHit]:
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    if all(len(t) >= 3 for t in terms):
        return _fts_search(conn, project_id, terms, limit)
    return _scan_search(conn, project_id, terms, limit)


def _fts_search(conn: sqlite3.Connection, project_id: int, terms: list[str], limit: int) -> list[SearchHit]:
    match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
    rows = conn.execute(
        LIVE_NODES_CTE
        + f"""SELECT f.rowid AS node_id, n.title, t.body,
                     snippet(texts_fts, 0, '[', ']', '…', {SNIPPET_TOKENS}) AS snippet,
                     bm25(texts_fts) AS rank
              FROM texts_fts f
              JOIN nodes n ON n.id = f.rowid
              JOIN texts t ON t.node_id = f.rowid
              WHERE texts_fts MATCH :match AND n.project_id = :project AND n.id IN (SELECT id FROM live)
              ORDER BY rank LIMIT :limit""",
        {"match": match, "project": project_id, "limit": limit},
    ).fetchall()
    return [
        SearchHit(node_id=r["node_id"], title=r["title"], snippet=" ".join(r["snippet"].split()),
                  rank=float(r["rank"]), offset=first_match(r["body"], terms))
        for r in rows
    ]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _scan_search(conn: sqlite3.Connection, project_id: int, terms: list[str], limit: int) -> list[SearchHit]:
    conditions = " AND ".join(f"t.body LIKE :t{i} ESCAPE '\\'" for i in range(len(terms)))
    params: dict = {"project": project_id, **{f"t{i}": _like(t) for i, t in enumerate(terms)}}
    rows = conn.execute(
        LIVE_NODES_CTE
        + f"""SELECT n.id AS node_id, n.title, t.body FROM texts t JOIN nodes n ON n.id = t.node_id
              WHERE n.project_id = :project AND n.id IN (SELECT id FROM live) AND {conditions}""",
        params,
    ).fetchall()
    hits = []
    for row in rows:
        body = row["body"]
        # LIKE folds ASCII case only; confirm each term with Unicode-aware matching.
        counts = [len(re.findall(re.escape(t), body, re.IGNORECASE)) for t in terms]
        if not all(counts):
            continue
        offset = first_match(body, terms)
        hits.append(SearchHit(node_id=row["node_id"], title=row["title"],
                              snippet=_python_snippet(body, offset, terms), rank=-float(sum(counts)),
                              offset=offset))
    hits.sort(key=lambda h: (h.rank, h.node_id))
    return hits[:limit]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _occurrences(body: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping spans of any term, longest term first where two start together."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(body) if m.end() > m.start()]


def search_matches(conn: sqlite3.Connection, project_id: int, query: str,
                   limit: int = MATCH_LIMIT) -> list[SearchMatch]:
    """Every occurrence, best documents first and in reading order inside each."""
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    matches: list[SearchMatch] = []
    for hit in search(conn, project_id, query, DOCUMENT_LIMIT):
        row = conn.execute("SELECT body FROM texts WHERE node_id = ?", (hit.node_id,)).fetchone()
        body = row[0] if row else ""
        for start, end in _occurrences(body, terms):
            left = max(0, start - CONTEXT_CHARS)
            right = min(len(body), end + CONTEXT_CHARS)
            # Cut the context at a space where there is one (prose with words), never inside a word.
            if left > 0 and (space := body.find(" ", left, start)) != -1 and space < start - 1:
                left = space + 1
            if right < len(body) and (space := body.rfind(" ", end + 1, right)) != -1:
                right = space
            before = ("…" if left > 0 else "") + _one_line(body[left:start] + "x")[:-1].lstrip()
            after = _one_line("x" + body[end:right])[1:].rstrip() + ("…" if right < len(body) else "")
            matches.append(SearchMatch(hit.node_id, hit.title, start, end, before, body[start:end], after))
            if len(matches) >= limit:
                return matches
    return matches
