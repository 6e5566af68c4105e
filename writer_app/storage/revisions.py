"""Revisions: full-text snapshots of one document.

Snapshots are taken on demand, before any AI edit (the caller says why),
on the first save of a session and before a restore. A snapshot identical to
the node's latest one is skipped (the latest is returned instead), so
repeated triggers do not fill the table with copies.
"""

from __future__ import annotations

import hashlib
import sqlite3

from writer_app.errors import UserError
from writer_app.storage.db import utc_now
from writer_app.storage.documents import read_text
from writer_app.storage.models import Revision
from writer_app.text.counts import count_words

_COLUMNS = "id, node_id, created_at, reason, word_count"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _revision(row: sqlite3.Row) -> Revision:
    return Revision(**{key: row[key] for key in row.keys() if key in Revision.__dataclass_fields__})


def snapshot(conn: sqlite3.Connection, node_id: int, reason: str, text: str | None = None) -> Revision:
    """Inside an open transaction: store ``text`` (default: the current text)."""
    reason = (reason or "manual").strip() or "manual"
    body = read_text(conn, node_id) if text is None else text
    body_digest = digest(body)
    latest = conn.execute(
        f"SELECT {_COLUMNS}, digest FROM revisions WHERE node_id = ? ORDER BY id DESC LIMIT 1", (node_id,)
    ).fetchone()
    if latest is not None and latest["digest"] == body_digest:
        return _revision(latest)
    cursor = conn.execute(
        "INSERT INTO revisions (node_id, created_at, reason, word_count, digest, body) VALUES (?, ?, ?, ?, ?, ?)",
        (node_id, utc_now(), reason, count_words(body), body_digest, body),
    )
    row = conn.execute(f"SELECT {_COLUMNS} FROM revisions WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return _revision(row)


def list_revisions(conn: sqlite3.Connection, node_id: int) -> list[Revision]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM revisions WHERE node_id = ? ORDER BY id DESC", (node_id,)).fetchall()
    return [_revision(r) for r in rows]


def revision_row(conn: sqlite3.Connection, revision_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT id, node_id, body FROM revisions WHERE id = ?", (revision_id,)).fetchone()
    if row is None:
        raise UserError(f"there is no revision with id {revision_id}")
    return row
