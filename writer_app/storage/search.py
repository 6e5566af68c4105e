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
"""

from __future__ import annotations

import re
import sqlite3

from writer_app.storage.models import SearchHit
from writer_app.storage.projects import LIVE_NODES_CTE
from writer_app.storage.textnorm import clean_text

SNIPPET_TOKENS = 48
_TERM = re.compile(r'"([^"]+)"|(\S+)')


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
