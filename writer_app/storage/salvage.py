"""Reading what is left of a damaged library: what a backup lacks, and a salvage copy.

A restore must never silently roll newer work back, so before the author agrees
:func:`backup_gap` reads the damaged file as far as it can still be read and
names the documents that changed after the backup. :func:`salvage_library`
copies every row that can still be read (row by row, so one bad page costs
only the rows on it) into a fresh library the author can open or export from.
Both open the damaged file read-only; it is never written.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from writer_app.errors import UserError
from writer_app.storage.db import file_uri, utc_now
from writer_app.storage.documents import counts_for
from writer_app.storage.probe import SQLITE, probe_library

MAX_PROBED_IDS = 200_000


@dataclass(frozen=True)
class DocumentRow:
    id: int
    project_id: int
    parent_id: int | None
    kind: str
    title: str
    position: int
    words: int
    updated_at: str


@dataclass
class SalvageReport:
    projects: int = 0
    documents: int = 0
    words: int = 0
    unreadable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lost = f"; could not read {len(self.unreadable)} item(s): {', '.join(self.unreadable[:5])}" \
            if self.unreadable else ""
        return f"{self.projects} project(s), {self.documents} document(s), {self.words:,} words{lost}"


def _open_damaged(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to a possibly damaged file (None when SQLite cannot read it at all)."""
    try:
        if probe_library(path) != SQLITE:
            return None
    except UserError:
        return None
    for params in ({"mode": "ro"}, {"mode": "ro", "immutable": "1"}):
        try:
            conn = sqlite3.connect(file_uri(path, **params), uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.DatabaseError:
            continue
    return None


def _rows_by_id(conn: sqlite3.Connection, table: str, columns: str, key: str = "id") -> tuple[list[tuple], bool]:
    """All readable rows of ``table``; complete is False when some could not be read."""
    try:
        return conn.execute(f"SELECT {columns} FROM {table} ORDER BY {key}").fetchall(), True
    except sqlite3.DatabaseError:
        pass
    highest = 0
    for source in (f"SELECT MAX({key}) FROM {table}", "SELECT MAX(id) FROM nodes", "SELECT MAX(node_id) FROM texts"):
        try:
            highest = max(highest, int(conn.execute(source).fetchone()[0] or 0))
        except (sqlite3.DatabaseError, TypeError, ValueError):
            continue
    rows = []
    for row_id in range(1, min(highest, MAX_PROBED_IDS) + 1):
        try:
            row = conn.execute(f"SELECT {columns} FROM {table} WHERE {key} = ?", (row_id,)).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None:
            rows.append(row)
    return rows, False


def read_documents(path: str | Path) -> tuple[list[DocumentRow], bool]:
    """The document rows that can still be read (no text), and whether that was all of them."""
    conn = _open_damaged(Path(path))
    if conn is None:
        return [], False
    try:
        rows, complete = _rows_by_id(conn, "nodes",
                                     "id, project_id, parent_id, kind, title, position, word_count, updated_at")
    finally:
        conn.close()
    return [DocumentRow(*row) for row in rows], complete


def backup_gap(current: str | Path, backup: str | Path) -> str:
    """One or two sentences: which documents in ``current`` are newer than in ``backup``."""
    now_docs, complete = read_documents(current)
    then_docs, _ = read_documents(backup)
    if not now_docs:
        if not complete:
            return ("Nothing can be read from the current file any more, so it cannot tell what is newer than "
                    "the backup; it is kept aside either way.")
        return "The current file holds no documents, so the backup lacks nothing."
    then = {d.id: d for d in then_docs}
    newer = [d for d in now_docs if d.kind != "folder"
             and (d.id not in then or d.updated_at > then[d.id].updated_at)]
    partly = "" if complete else " (as far as the damaged file can still be read)"
    if not newer:
        return f"The current file holds nothing newer than the backup{partly}."
    shown = ", ".join(f"“{d.title}” ({d.words:,} words)" for d in newer[:5])
    more = f" and {len(newer) - 5} more" if len(newer) > 5 else ""
    noun = "document" if len(newer) == 1 else "documents"
    return f"The backup lacks {len(newer)} {noun} changed after it{partly}: {shown}{more}."


def salvage_library(damaged: str | Path, dest: str | Path) -> SalvageReport:
    """Copy everything readable from ``damaged`` into a new library at ``dest`` (which must not exist)."""
    from writer_app.storage.library import Library

    damaged, dest = Path(damaged), Path(dest)
    if dest.exists():
        raise UserError(f"{dest} already exists; choose a new folder for the salvaged library")
    conn = _open_damaged(damaged)
    if conn is None:
        raise UserError(f"nothing can be read from {damaged} (it is empty or not an SQLite database)")
    report = SalvageReport()
    try:
        projects, ok = _rows_by_id(conn, "projects", "id, title, author, language, word_target, created_at, updated_at")
        if not ok:
            report.unreadable.append("some projects")
        nodes, ok = _rows_by_id(conn, "nodes", "id, project_id, parent_id, kind, title, position, word_count, "
                                               "char_count, trashed, created_at, updated_at, summary")
        if not ok:
            report.unreadable.append("some document titles")
        bible, _ = _rows_by_id(conn, "bible_entries", "id, project_id, kind, name, aliases, description, notes, "
                                                      "created_at, updated_at")
        with Library.open(dest) as out, out.batch("save the salvaged library") as _:
            write = out.connection
            project_ids = set()
            for row in projects:
                write.execute("INSERT INTO projects (id, title, author, language, word_target, created_at, updated_at)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)", row)
                project_ids.add(row[0])
            node_ids = {row[0] for row in nodes if row[1] in project_ids}
            for row in nodes:
                if row[1] not in project_ids:
                    report.unreadable.append(f"“{row[4]}” (its project is unreadable)")
                    continue
                parent = row[2] if row[2] in node_ids else None
                write.execute("INSERT INTO nodes (id, project_id, parent_id, kind, title, position, word_count, "
                              "char_count, trashed, created_at, updated_at, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                              (*row[:2], parent, *row[3:]))
            for node_id, title in ((row[0], row[4]) for row in nodes if row[0] in node_ids):
                try:
                    found = conn.execute("SELECT body FROM texts WHERE node_id = ?", (node_id,)).fetchone()
                    body = found[0] if found else ""
                    if not isinstance(body, str):
                        raise sqlite3.DatabaseError("not text")
                except sqlite3.DatabaseError:
                    report.unreadable.append(f"the text of “{title}”")
                    write.execute("UPDATE nodes SET word_count = 0, char_count = 0 WHERE id = ?", (node_id,))
                    continue
                body, words, chars = counts_for(body)
                write.execute("INSERT INTO texts (node_id, body) VALUES (?, ?)", (node_id, body))
                write.execute("UPDATE nodes SET word_count = ?, char_count = ? WHERE id = ?", (words, chars, node_id))
            _renumber_positions(write)
            _copy_summary_states(conn, write, node_ids)
            for row in bible:
                if row[1] in project_ids:
                    write.execute("INSERT INTO bible_entries (id, project_id, kind, name, aliases, description, notes,"
                                  " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", row)
            write.execute("UPDATE projects SET updated_at = ?", (utc_now(),))
            report.projects = len(project_ids)
            report.documents = sum(1 for row in nodes if row[0] in node_ids and row[3] != "folder")
            report.words = int(write.execute("SELECT COALESCE(SUM(word_count), 0) FROM nodes").fetchone()[0])
    finally:
        conn.close()
    return report


def _copy_summary_states(damaged: sqlite3.Connection, write: sqlite3.Connection, node_ids: set[int]) -> None:
    """Who wrote each summary and whether it was approved; a file too old (or too damaged) to say
    leaves its summaries unapproved, so none reaches the model unreviewed."""
    try:
        columns = {row[1] for row in damaged.execute("PRAGMA table_info(nodes)")}
    except sqlite3.DatabaseError:
        return
    if not {"summary_by", "summary_edited", "summary_approved"} <= columns:
        return
    states, _ = _rows_by_id(damaged, "nodes", "id, summary_by, summary_edited, summary_approved")
    for node_id, by, edited, approved in states:
        if node_id in node_ids and by in ("assistant", "author"):
            write.execute("UPDATE nodes SET summary_by = ?, summary_edited = ?, summary_approved = ? WHERE id = ?",
                          (by, int(bool(edited)), int(bool(approved)), node_id))


def _renumber_positions(conn: sqlite3.Connection) -> None:
    """Rows lost to damage leave gaps; the tree wants dense positions per parent, in the old order."""
    siblings: dict[tuple, list[tuple[int, int]]] = {}
    for node_id, project_id, parent_id, position in conn.execute(
            "SELECT id, project_id, parent_id, position FROM nodes"):
        siblings.setdefault((project_id, parent_id), []).append((position, node_id))
    for group in siblings.values():
        for index, (_, node_id) in enumerate(sorted(group)):
            conn.execute("UPDATE nodes SET position = ? WHERE id = ?", (index, node_id))
