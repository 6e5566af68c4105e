"""Split, merge, duplicate and move scenes as single steps that can be taken back.

Each step runs in one transaction, takes a revision of every text it rewrites
first (``storage.revisions``: "before split", "before merge"), and returns a
:class:`Restructure`: how the nodes it touched were before, and which nodes it
made. :func:`undo` puts those nodes back exactly (title, place, text) and
removes the nodes the step made; a made node whose text the author has changed
since goes to the trash instead of away, so an undo can never lose words.

Merging never deletes the scenes merged away: they go to the trash (their texts
live on there and in the merged scene), and their revisions stay with them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from writer_app.errors import UserError
from writer_app.storage import revisions
from writer_app.storage.db import Store, utc_now
from writer_app.storage.documents import counts_for, read_text, write_text
from writer_app.storage.projects import touch_project
from writer_app.storage.tree import _check_parent, _is_in_trash, _live_children, _renumber, _row, create_node

TEXT_KINDS = ("chapter", "scene", "note")
SCENE_JOIN = "\n\n"


@dataclass(frozen=True)
class NodeState:
    """One node as it was before a step."""

    id: int
    parent_id: int | None
    position: int
    trashed: bool
    title: str
    body: str


@dataclass(frozen=True)
class Restructure:
    """What one step did: enough to undo it, and which document to show after it / after undoing it."""

    label: str
    project_id: int
    before: tuple[NodeState, ...]
    created: tuple[tuple[int, str], ...]  # (node id, its text right after the step)
    focus: int
    undo_focus: int


def _state(conn: sqlite3.Connection, node_id: int) -> NodeState:
    row = _row(conn, node_id)
    return NodeState(node_id, row["parent_id"], row["position"], bool(row["trashed"]), row["title"],
                     read_text(conn, node_id))


def _live_text_node(conn: sqlite3.Connection, node_id: int, what: str) -> sqlite3.Row:
    row = _row(conn, node_id)
    if _is_in_trash(conn, node_id):
        raise UserError(f"“{row['title']}” is in the trash; restore it before you {what} it")
    if row["kind"] not in TEXT_KINDS:
        done = {"split": "split", "merge": "merged", "duplicate": "duplicated"}.get(what, what)
        raise UserError(f"“{row['title']}” is a folder; only chapters, scenes and notes can be {done}")
    return row


def _set_text(conn: sqlite3.Connection, node_id: int, text: str) -> None:
    body, words, chars = counts_for(text)
    write_text(conn, node_id, body, words, chars)


def split_node(store: Store, node_id: int, offset: int, new_title: str | None = None) -> Restructure:
    """Cut the document at ``offset`` (a ``str`` index into its stored text): the rest becomes a new
    scene right after it, in the same chapter."""
    with store.write("split the scene") as conn:
        row = _live_text_node(conn, node_id, "split")
        before = _state(conn, node_id)
        body = before.body
        if not 0 < offset < len(body) or not body[:offset].strip() or not body[offset:].strip():
            raise UserError("put the cursor inside the text, with words before and after it, to split there")
        revisions.snapshot(conn, node_id, "before split", body)
        head, tail = body[:offset].rstrip(), body[offset:].strip("\n").lstrip()
        _set_text(conn, node_id, head)
        title = new_title or f"{row['title']} (2)"
        kind = "scene" if row["kind"] == "chapter" else row["kind"]
        new_id = create_node(store, row["project_id"], kind, title, row["parent_id"], row["position"] + 1, tail)
        stored_tail = read_text(conn, new_id)
    return Restructure("Split Scene", row["project_id"], (before,), ((new_id, stored_tail),), new_id, node_id)


def merge_nodes(store: Store, node_ids: list[int]) -> Restructure:
    """Join the documents into the first (in binder order), a blank line between each; the others
    go to the trash."""
    if len(set(node_ids)) < 2:
        raise UserError("select two or more scenes to merge")
    with store.write("merge the scenes") as conn:
        rows = [_live_text_node(conn, node_id, "merge") for node_id in dict.fromkeys(node_ids)]
        if len({r["project_id"] for r in rows}) != 1:
            raise UserError("only scenes of the same project can be merged")
        order = {node_id: index for index, node_id in enumerate(_binder_order(conn, rows[0]["project_id"]))}
        rows.sort(key=lambda r: order.get(r["id"], 0))
        states = tuple(_state(conn, r["id"]) for r in rows)
        for row in rows[1:]:  # a merged-away chapter would take its scenes to the trash with it
            if _live_children(conn, row["project_id"], row["id"]):
                raise UserError(f"“{row['title']}” has scenes inside it; merge those into it first, or move them out")
        first = states[0]
        revisions.snapshot(conn, first.id, "before merge", first.body)
        joined = SCENE_JOIN.join(s.body.strip("\n") for s in states if s.body.strip())
        _set_text(conn, first.id, joined)
        now = utc_now()
        for state in states[1:]:
            conn.execute("UPDATE nodes SET trashed = 1, updated_at = ? WHERE id = ?", (now, state.id))
        for parent in {s.parent_id for s in states}:
            _renumber(conn, _live_children(conn, rows[0]["project_id"], parent))
        touch_project(conn, rows[0]["project_id"], now)
    return Restructure("Merge Scenes", rows[0]["project_id"], states, (), first.id, first.id)


def _binder_order(conn: sqlite3.Connection, project_id: int) -> list[int]:
    rows = conn.execute("SELECT id, parent_id, position FROM nodes WHERE project_id = ? AND trashed = 0",
                        (project_id,)).fetchall()
    children: dict[int | None, list[sqlite3.Row]] = {}
    for r in rows:
        children.setdefault(r["parent_id"], []).append(r)
    ordered: list[int] = []
    stack = sorted(children.get(None, []), key=lambda r: (r["position"], r["id"]), reverse=True)
    while stack:
        r = stack.pop()
        ordered.append(r["id"])
        stack.extend(sorted(children.get(r["id"], []), key=lambda c: (c["position"], c["id"]), reverse=True))
    return ordered


def duplicate_node(store: Store, node_id: int) -> Restructure:
    """A copy of the document (title "… (copy)") right after it."""
    with store.write("duplicate the scene") as conn:
        row = _live_text_node(conn, node_id, "duplicate")
        body = read_text(conn, node_id)
        new_id = create_node(store, row["project_id"], row["kind"], f"{row['title']} (copy)", row["parent_id"],
                             row["position"] + 1, body)
        stored = read_text(conn, new_id)
    return Restructure("Duplicate", row["project_id"], (), ((new_id, stored),), new_id, node_id)


def move_to_parent(store: Store, node_id: int, parent_id: int | None) -> Restructure:
    """Move the document to the end of another chapter or folder (``None``: the top level)."""
    with store.write("move the scene") as conn:
        row = _row(conn, node_id)
        if _is_in_trash(conn, node_id):
            raise UserError(f"“{row['title']}” is in the trash; restore it before moving it")
        if parent_id == node_id:
            raise UserError("a document cannot be moved inside itself")
        _check_parent(conn, row["project_id"], parent_id)
        if parent_id is not None and _row(conn, parent_id)["kind"] not in ("chapter", "folder"):
            raise UserError("a scene can only be moved into a chapter or a folder")
        before = _state(conn, node_id)
        old = [i for i in _live_children(conn, row["project_id"], row["parent_id"]) if i != node_id]
        _renumber(conn, old)
        new = _live_children(conn, row["project_id"], parent_id) if parent_id != row["parent_id"] else old
        new.append(node_id)
        now = utc_now()
        conn.execute("UPDATE nodes SET parent_id = ?, updated_at = ? WHERE id = ?", (parent_id, now, node_id))
        _renumber(conn, new)
        touch_project(conn, row["project_id"], now)
    return Restructure("Move Scene", row["project_id"], (before,), (), node_id, node_id)


def undo(store: Store, step: Restructure) -> int:
    """Put back what ``step`` changed; returns the document to show. Texts are snapshotted first."""
    with store.write(f"undo “{step.label}”") as conn:
        now = utc_now()
        for node_id, text_then in step.created:
            if conn.execute("SELECT 1 FROM nodes WHERE id = ?", (node_id,)).fetchone() is None:
                continue
            if read_text(conn, node_id) == text_then:
                conn.execute("DELETE FROM nodes WHERE id = ?", (node_id,))
            else:  # the author wrote there since: keep those words in the trash
                conn.execute("UPDATE nodes SET trashed = 1, updated_at = ? WHERE id = ?", (now, node_id))
        parents: set[int | None] = set()
        for state in step.before:
            row = _row(conn, state.id)
            parents.update((row["parent_id"], state.parent_id))
            current = read_text(conn, state.id)
            if current != state.body:
                revisions.snapshot(conn, state.id, f"before undo {step.label.lower()}", current)
                _set_text(conn, state.id, state.body)
            conn.execute("UPDATE nodes SET parent_id = ?, position = ?, trashed = ?, title = ?, updated_at = ? "
                         "WHERE id = ?", (state.parent_id, state.position, int(state.trashed), state.title,
                                          now, state.id))
        for parent in parents:
            ids = _live_children(conn, step.project_id, parent)
            placed = {s.id: s.position for s in step.before if s.parent_id == parent}
            others = [i for i in ids if i not in placed]
            for node_id, position in sorted(placed.items(), key=lambda item: item[1]):
                if node_id in ids:
                    others.insert(min(position, len(others)), node_id)
            _renumber(conn, others)
        touch_project(conn, step.project_id, now)
    return step.undo_focus
