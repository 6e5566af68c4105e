"""The ordered document tree of a project: folders, chapters, scenes, notes.

Invariant: the live (not trashed) children of every parent have positions
0..n-1 in order. Trashing sets a flag on one node (its subtree goes with it)
and closes the gap; the node keeps its parent and old position so a restore
puts it back where it was (or at the end of the top level when its old parent
is gone or itself in the trash). Emptying the trash deletes the flagged nodes;
foreign keys cascade to their subtrees, texts, FTS entries and revisions.
"""

from __future__ import annotations

import sqlite3

from writer_app.errors import UserError
from writer_app.storage.db import Store, utc_now
from writer_app.storage.documents import counts_for
from writer_app.storage.models import NODE_KINDS, Node
from writer_app.storage.projects import get_project, touch_project
from writer_app.storage.textnorm import clean_line

NODE_COLUMNS = (
    "id, project_id, parent_id, kind, title, position, word_count, char_count, trashed, summary, updated_at, "
    "summary_by, summary_edited, summary_approved"
)


def node_from_row(row: sqlite3.Row, trashed: bool | None = None) -> Node:
    values = {key: row[key] for key in row.keys() if key in Node.__dataclass_fields__}
    values["trashed"] = bool(row["trashed"]) if trashed is None else trashed
    for flag in ("summary_edited", "summary_approved"):
        if flag in values:
            values[flag] = bool(values[flag])
    return Node(**values)


def _is_in_trash(conn: sqlite3.Connection, node_id: int) -> bool:
    row = conn.execute(
        """WITH RECURSIVE up(id, parent_id, trashed) AS (
               SELECT id, parent_id, trashed FROM nodes WHERE id = ?
               UNION ALL
               SELECT n.id, n.parent_id, n.trashed FROM nodes n JOIN up ON n.id = up.parent_id)
           SELECT MAX(trashed) FROM up""",
        (node_id,),
    ).fetchone()
    return bool(row[0])


def _row(conn: sqlite3.Connection, node_id: int) -> sqlite3.Row:
    row = conn.execute(f"SELECT {NODE_COLUMNS} FROM nodes WHERE id = ?", (node_id,)).fetchone()
    if row is None:
        raise UserError(f"there is no document or folder with id {node_id}")
    return row


def get_node(store: Store, node_id: int) -> Node:
    with store.lock:
        row = _row(store.conn, node_id)
        return node_from_row(row, _is_in_trash(store.conn, node_id))


def _live_children(conn: sqlite3.Connection, project_id: int, parent_id: int | None) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM nodes WHERE project_id = ? AND parent_id IS ? AND trashed = 0 ORDER BY position, id",
        (project_id, parent_id),
    ).fetchall()
    return [r[0] for r in rows]


def _renumber(conn: sqlite3.Connection, ordered_ids: list[int]) -> None:
    for position, node_id in enumerate(ordered_ids):
        conn.execute("UPDATE nodes SET position = ? WHERE id = ? AND position != ?", (position, node_id, position))


def _check_parent(conn: sqlite3.Connection, project_id: int, parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent = _row(conn, parent_id)
    if parent["project_id"] != project_id:
        raise UserError("a document can only be placed inside a folder of the same project")
    if _is_in_trash(conn, parent_id):
        raise UserError(f"“{parent['title']}” is in the trash; restore it first")


def create_node(
    store: Store, project_id: int, kind: str, title: str, parent_id: int | None, position: int | None, text: str
) -> int:
    if kind not in NODE_KINDS:
        raise UserError(f"unknown kind {kind!r}; use one of {', '.join(NODE_KINDS)}")
    title = clean_line(title) or "Untitled"
    get_project(store, project_id)
    body, words, chars = counts_for(text)
    now = utc_now()
    with store.write("create the document") as conn:
        _check_parent(conn, project_id, parent_id)
        siblings = _live_children(conn, project_id, parent_id)
        index = len(siblings) if position is None else max(0, min(int(position), len(siblings)))
        cursor = conn.execute(
            "INSERT INTO nodes (project_id, parent_id, kind, title, position, word_count, char_count,"
            " trashed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (project_id, parent_id, kind, title, index, words, chars, now, now),
        )
        node_id = int(cursor.lastrowid)
        conn.execute("INSERT INTO texts (node_id, body) VALUES (?, ?)", (node_id, body))
        siblings.insert(index, node_id)
        _renumber(conn, siblings)
        touch_project(conn, project_id, now)
    return node_id


def list_nodes(store: Store, project_id: int, include_trashed: bool) -> list[Node]:
    """Depth-first in order; with ``include_trashed`` trashed nodes follow live siblings."""
    with store.lock:
        get_project(store, project_id)
        rows = store.conn.execute(f"SELECT {NODE_COLUMNS} FROM nodes WHERE project_id = ?", (project_id,)).fetchall()
    children: dict[int | None, list[sqlite3.Row]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row)
    for group in children.values():
        group.sort(key=lambda r: (r["trashed"], r["position"], r["id"]))
    result: list[Node] = []
    stack: list[tuple[sqlite3.Row, bool]] = [(r, bool(r["trashed"])) for r in reversed(children.get(None, []))]
    while stack:
        row, in_trash = stack.pop()
        if in_trash and not include_trashed:
            continue
        result.append(node_from_row(row, in_trash))
        for child in reversed(children.get(row["id"], [])):
            stack.append((child, in_trash or bool(child["trashed"])))
    return result


def rename_node(store: Store, node_id: int, title: str) -> None:
    title = clean_line(title)
    if not title:
        raise UserError("a title cannot be empty")
    with store.write("rename") as conn:
        row = _row(conn, node_id)
        now = utc_now()
        conn.execute("UPDATE nodes SET title = ?, updated_at = ? WHERE id = ?", (title, now, node_id))
        touch_project(conn, row["project_id"], now)


def _descendant_ids(conn: sqlite3.Connection, node_id: int) -> set[int]:
    rows = conn.execute(
        """WITH RECURSIVE down(id) AS (
               SELECT id FROM nodes WHERE parent_id = ?
               UNION ALL SELECT n.id FROM nodes n JOIN down ON n.parent_id = down.id)
           SELECT id FROM down""",
        (node_id,),
    ).fetchall()
    return {r[0] for r in rows}


def move_node(store: Store, node_id: int, parent_id: int | None, index: int) -> None:
    with store.write("move") as conn:
        row = _row(conn, node_id)
        project_id = row["project_id"]
        if _is_in_trash(conn, node_id):
            raise UserError(f"“{row['title']}” is in the trash; restore it before moving it")
        if parent_id is not None and (parent_id == node_id or parent_id in _descendant_ids(conn, node_id)):
            raise UserError("a folder cannot be moved inside itself")
        _check_parent(conn, project_id, parent_id)
        old = [i for i in _live_children(conn, project_id, row["parent_id"]) if i != node_id]
        _renumber(conn, old)
        new = old if parent_id == row["parent_id"] else _live_children(conn, project_id, parent_id)
        index = max(0, min(int(index), len(new)))
        new.insert(index, node_id)
        now = utc_now()
        conn.execute("UPDATE nodes SET parent_id = ?, updated_at = ? WHERE id = ?", (parent_id, now, node_id))
        _renumber(conn, new)
        touch_project(conn, project_id, now)


def trash_node(store: Store, node_id: int) -> None:
    with store.write("move to the trash") as conn:
        row = _row(conn, node_id)
        if _is_in_trash(conn, node_id):
            return
        now = utc_now()
        conn.execute("UPDATE nodes SET trashed = 1, updated_at = ? WHERE id = ?", (now, node_id))
        _renumber(conn, _live_children(conn, row["project_id"], row["parent_id"]))
        touch_project(conn, row["project_id"], now)


def restore_node(store: Store, node_id: int) -> None:
    with store.write("restore from the trash") as conn:
        row = _row(conn, node_id)
        if not row["trashed"]:
            if _is_in_trash(conn, node_id):
                raise UserError(f"“{row['title']}” is inside a trashed folder; restore that folder instead")
            return
        project_id, parent_id = row["project_id"], row["parent_id"]
        if parent_id is not None and _is_in_trash(conn, parent_id):
            parent_id = None  # its old home is gone: put it back at the top level
        siblings = _live_children(conn, project_id, parent_id)
        index = len(siblings) if parent_id != row["parent_id"] else min(row["position"], len(siblings))
        siblings.insert(index, node_id)
        now = utc_now()
        conn.execute(
            "UPDATE nodes SET trashed = 0, parent_id = ?, updated_at = ? WHERE id = ?", (parent_id, now, node_id)
        )
        _renumber(conn, siblings)
        touch_project(conn, project_id, now)


def trashed_nodes(store: Store, project_id: int) -> list[Node]:
    """The nodes that were put in the trash (their contents go with them), newest first."""
    rows = store.all(
        f"SELECT {NODE_COLUMNS} FROM nodes WHERE project_id = ? AND trashed = 1 ORDER BY updated_at DESC, id DESC",
        (project_id,),
    )
    return [node_from_row(r, True) for r in rows]


def empty_trash(store: Store, project_id: int) -> int:
    """Deletes trashed nodes for good; returns how many trashed items went."""
    with store.write("empty the trash") as conn:
        cursor = conn.execute("DELETE FROM nodes WHERE project_id = ? AND trashed = 1", (project_id,))
        return cursor.rowcount
