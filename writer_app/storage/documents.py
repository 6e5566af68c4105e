"""Document text: the autosave fast path.

A save is one small transaction that rewrites one ``texts`` row (the FTS
triggers re-index just that row) and that node's counts; nothing in it scales
with the size of the library. Counts come from :mod:`writer_app.text.counts`
so CJK text is counted per character.
"""

from __future__ import annotations

import sqlite3

from writer_app.errors import UserError
from writer_app.storage.db import Store, utc_now
from writer_app.storage.projects import touch_project
from writer_app.storage.textnorm import clean_text
from writer_app.text.counts import count_characters, count_words


def counts_for(text: str) -> tuple[str, int, int]:
    """(stored text, words, characters without spaces)."""
    body = clean_text(text)
    return body, count_words(body), count_characters(body)


def read_text(conn: sqlite3.Connection, node_id: int) -> str:
    row = conn.execute("SELECT body FROM texts WHERE node_id = ?", (node_id,)).fetchone()
    if row is None:
        if conn.execute("SELECT 1 FROM nodes WHERE id = ?", (node_id,)).fetchone() is None:
            raise UserError(f"there is no document with id {node_id}")
        return ""
    return row[0]


def get_text(store: Store, node_id: int) -> str:
    with store.lock:
        return read_text(store.conn, node_id)


def write_text(conn: sqlite3.Connection, node_id: int, body: str, words: int, chars: int) -> None:
    """Inside an open transaction: the row, its counts and the project's clock."""
    now = utc_now()
    cursor = conn.execute(
        "UPDATE nodes SET word_count = ?, char_count = ?, updated_at = ? WHERE id = ? RETURNING project_id",
        (words, chars, now, node_id),
    )
    row = cursor.fetchone()
    if row is None:
        raise UserError(f"there is no document with id {node_id}")
    conn.execute(
        "INSERT INTO texts (node_id, body) VALUES (?, ?) ON CONFLICT(node_id) DO UPDATE SET body = excluded.body",
        (node_id, body),
    )
    touch_project(conn, row[0], now)
