"""Projects: one novel (or collection) each, with its metadata and totals.

A deleted project goes to the trash (``projects.trashed_at``, schema v5) and
stays whole in the file until it is restored: list_projects and find_project
see only live projects, so the CLI, the binder's switcher and imports never
meet a trashed one. Duplicating copies the document tree (with its texts and
summaries, trashed documents included), the story bible and the goals; the
revisions and the words-per-day history stay with the original.
"""

from __future__ import annotations

import sqlite3

from writer_app.errors import UserError
from writer_app.storage.db import Store, utc_now
from writer_app.storage.models import Project, ProjectSummary
from writer_app.storage.textnorm import clean_line

_COLUMNS = "id, title, author, language, word_target, created_at, updated_at"
EDITABLE_FIELDS = ("title", "author", "language", "word_target")

# Live (not trashed) nodes of a project: a node is in the trash when it or any
# ancestor carries the trashed flag, so we walk down from the live roots.
LIVE_NODES_CTE = """
WITH RECURSIVE live(id) AS (
    SELECT id FROM nodes WHERE project_id = :project AND parent_id IS NULL AND trashed = 0
    UNION ALL
    SELECT n.id FROM nodes n JOIN live ON n.parent_id = live.id WHERE n.trashed = 0
)
"""


def _project(row: sqlite3.Row) -> Project:
    return Project(**{key: row[key] for key in row.keys()})


def _clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise UserError(f"unknown project field(s): {', '.join(sorted(unknown))}")
    cleaned = dict(fields)
    if "title" in cleaned:
        cleaned["title"] = clean_line(str(cleaned["title"]))
        if not cleaned["title"]:
            raise UserError("a project needs a title")
    for key in ("author", "language"):
        if key in cleaned:
            cleaned[key] = clean_line(str(cleaned[key] or ""))
    if "word_target" in cleaned:
        try:
            cleaned["word_target"] = max(0, int(cleaned["word_target"] or 0))
        except (TypeError, ValueError) as exc:
            raise UserError(f"the word target must be a whole number, not {cleaned['word_target']!r}") from exc
    return cleaned


def create_project(store: Store, title: str, author: str, language: str, word_target: int) -> Project:
    fields = _clean_fields({"title": title, "author": author, "language": language or "en", "word_target": word_target})
    now = utc_now()
    with store.write("create the project") as conn:
        cursor = conn.execute(
            "INSERT INTO projects (title, author, language, word_target, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (fields["title"], fields["author"], fields["language"], fields["word_target"], now, now),
        )
        project_id = cursor.lastrowid
    return get_project(store, project_id)


def get_project(store: Store, project_id: int) -> Project:
    row = store.one(f"SELECT {_COLUMNS} FROM projects WHERE id = ?", (project_id,))
    if row is None:
        raise UserError(f"there is no project with id {project_id}")
    return _project(row)


def find_project(store: Store, title: str) -> Project | None:
    """Exact title first, then ignoring case (titles are what authors type)."""
    rows = store.all(f"SELECT {_COLUMNS} FROM projects WHERE title = ? AND trashed_at IS NULL ORDER BY id", (title,))
    if not rows:
        wanted = title.strip().casefold()
        rows = [r for r in store.all(f"SELECT {_COLUMNS} FROM projects WHERE trashed_at IS NULL ORDER BY id")
                if r["title"].casefold() == wanted]
    return _project(rows[0]) if rows else None


def update_project(store: Store, project_id: int, fields: dict) -> Project:
    get_project(store, project_id)
    cleaned = _clean_fields(fields)
    if cleaned:
        assignments = ", ".join(f"{key} = :{key}" for key in cleaned)
        with store.write("update the project") as conn:
            conn.execute(
                f"UPDATE projects SET {assignments}, updated_at = :now WHERE id = :id",
                {**cleaned, "now": utc_now(), "id": project_id},
            )
    return get_project(store, project_id)


def project_word_count(store: Store, project_id: int) -> int:
    row = store.one(
        LIVE_NODES_CTE + "SELECT COALESCE(SUM(word_count), 0) FROM nodes WHERE id IN (SELECT id FROM live)",
        {"project": project_id},
    )
    return int(row[0])


def list_projects(store: Store, trashed: bool = False) -> list[ProjectSummary]:
    """Live projects by title (``trashed=True``: the ones in the trash, most recently deleted first)."""
    summaries = []
    where = ("trashed_at IS NOT NULL ORDER BY trashed_at DESC, id DESC" if trashed
             else "trashed_at IS NULL ORDER BY title COLLATE NOCASE, id")
    for row in store.all(f"SELECT {_COLUMNS} FROM projects WHERE {where}"):
        totals = store.one(
            LIVE_NODES_CTE + "SELECT COALESCE(SUM(word_count), 0), COUNT(*) FROM nodes"
            " WHERE id IN (SELECT id FROM live) AND kind != 'folder'",
            {"project": row["id"]},
        )
        summaries.append(ProjectSummary(project=_project(row), word_count=int(totals[0]), document_count=int(totals[1])))
    return summaries


def touch_project(conn: sqlite3.Connection, project_id: int, now: str) -> None:
    conn.execute("UPDATE projects SET updated_at = ? WHERE id = ?", (now, project_id))


def trash_project(store: Store, project_id: int) -> None:
    """Into the trash, whole; refused for the last live project (the desk always has one open)."""
    project = get_project(store, project_id)
    with store.write("move the project to the trash") as conn:
        live = conn.execute("SELECT COUNT(*) FROM projects WHERE trashed_at IS NULL AND id != ?",
                            (project_id,)).fetchone()[0]
        if not live:
            raise UserError(f"“{project.title}” is your only project, so it stays; create another one first")
        conn.execute("UPDATE projects SET trashed_at = ? WHERE id = ? AND trashed_at IS NULL",
                     (utc_now(), project_id))


def restore_project(store: Store, project_id: int) -> None:
    get_project(store, project_id)
    with store.write("restore the project") as conn:
        conn.execute("UPDATE projects SET trashed_at = NULL WHERE id = ?", (project_id,))


_NODE_COPY = ("kind, title, position, word_count, char_count, trashed, created_at, updated_at, summary, summary_by, "
              "summary_edited, summary_approved")


def duplicate_project(store: Store, project_id: int, title: str | None = None) -> Project:
    """A full copy under a new title ("… (copy)" by default), in one transaction."""
    source = get_project(store, project_id)
    new_title = clean_line(title or "") or f"{source.title} (copy)"
    now = utc_now()
    with store.write("duplicate the project") as conn:
        new_id = conn.execute(
            "INSERT INTO projects (title, author, language, word_target, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (new_title, source.author, source.language, source.word_target, now, now),
        ).lastrowid
        pending = conn.execute(f"SELECT id, parent_id, {_NODE_COPY} FROM nodes WHERE project_id = ? ORDER BY id",
                               (project_id,)).fetchall()
        copies: dict[int, int] = {}
        while pending:  # parents first, whatever order moves left the ids in
            ready = [row for row in pending if row["parent_id"] is None or row["parent_id"] in copies]
            if not ready:
                raise UserError(f"the document tree of “{source.title}” is damaged; it was not copied")
            for row in ready:
                values = [row[key.strip()] for key in _NODE_COPY.split(",")]
                copies[row["id"]] = conn.execute(
                    f"INSERT INTO nodes (project_id, parent_id, {_NODE_COPY})"
                    f" VALUES (?, ?, {', '.join('?' * len(values))})",
                    (new_id, copies.get(row["parent_id"]), *values),
                ).lastrowid
            done = {row["id"] for row in ready}
            pending = [row for row in pending if row["id"] not in done]
        for old_id, copy_id in copies.items():
            conn.execute("INSERT INTO texts (node_id, body) SELECT ?, body FROM texts WHERE node_id = ?",
                         (copy_id, old_id))
        conn.execute(
            "INSERT INTO bible_entries (project_id, kind, name, aliases, description, notes, created_at, updated_at)"
            " SELECT ?, kind, name, aliases, description, notes, created_at, updated_at FROM bible_entries"
            " WHERE project_id = ? ORDER BY id", (new_id, project_id))
        conn.execute(
            "INSERT INTO project_goals (project_id, daily_words, session_words, deadline)"
            " SELECT ?, daily_words, session_words, deadline FROM project_goals WHERE project_id = ?",
            (new_id, project_id))
    return get_project(store, new_id)
