"""The ``Library`` facade over one profile's SQLite database.

A ``Library`` instance is a *session*: the first save of each document in a
session snapshots the text it replaces, so "what I had when I sat down" is
always one click away. Every public method holds the store's lock, so one
instance may be shared with a database worker thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from writer_app.errors import UserError
from writer_app.storage import adapters as adapter_store
from writer_app.storage import bible, projects, restructure, revisions, search, tree
from writer_app.storage import goals as goal_store
from writer_app.storage.db import (
    Store,
    busy_error,
    connect,
    enable_durability,
    explain_sqlite_error,
    is_busy,
    retry_while_busy,
    utc_now,
)
from writer_app.storage.documents import counts_for, get_text, read_text, write_text
from writer_app.storage.models import (
    Adapter,
    BibleEntry,
    Node,
    Project,
    ProjectSummary,
    Revision,
    SaveResult,
    SearchHit,
    Summary,
)
from writer_app.storage.probe import MISSING, probe_library
from writer_app.storage.readonly import fts_check, open_readonly_store
from writer_app.storage.schema import check_openable, migrate
from writer_app.storage.search import MATCH_LIMIT, SearchMatch, search_matches
from writer_app.storage.textnorm import clean_text


class Library:
    """Projects, their document trees, text, revisions, bible, search and adapters."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._snapshotted: set[int] = set()

    # -- lifecycle ---------------------------------------------------------
    @classmethod
    def open(cls, db_path: str | Path, readonly: bool = False) -> Library:
        """Create (only when the file is missing) or migrate the database.

        Raises :class:`LibraryDamagedError` for a file that is there but is not a sound library
        (0 bytes, not SQLite, malformed), :class:`LibraryBusyError` when another program keeps it
        locked past ``db.BUSY_RETRY_SECONDS``, UserError for a newer or foreign database; none of
        them writes a byte. ``readonly=True`` opens for reading on read-only media too (and never
        creates or migrates anything; an older library is upgraded in a private copy).
        """
        path = Path(db_path)
        state = probe_library(path)
        if readonly:
            if state == MISSING:
                raise UserError(f"there is no library at {path}")
            return cls(open_readonly_store(path))
        if state == MISSING:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"could not create the library folder {path.parent}: {exc.strerror}") from exc
        conn = connect(path)

        def prepare() -> None:
            check_openable(conn, path)
            enable_durability(conn)
            migrate(conn, path)

        try:
            conn.row_factory = sqlite3.Row
            retry_while_busy(prepare, path, "open the library")
        except sqlite3.Error as exc:
            conn.close()
            raise explain_sqlite_error(exc, f"open the library {path}") from exc
        except BaseException:
            conn.close()
            raise
        return cls(Store(conn, path))

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for backups and diagnostics; hold no transaction on it."""
        return self._store.conn

    @property
    def last_write_at(self) -> float:
        """``time.time()`` of the last commit in this session (0 when none)."""
        return self._store.last_write_at

    @contextmanager
    def batch(self, action: str = "import") -> Iterator[Library]:
        """Everything inside is one transaction: all of it lands, or none."""
        with self._store.write(action):
            yield self

    # -- projects ----------------------------------------------------------
    def create_project(self, title: str, author: str = "", language: str = "en", word_target: int = 0) -> Project:
        return projects.create_project(self._store, title, author, language, word_target)

    def list_projects(self, trashed: bool = False) -> list[ProjectSummary]:
        return projects.list_projects(self._store, trashed)

    def trash_project(self, project_id: int) -> None:
        projects.trash_project(self._store, project_id)

    def restore_project(self, project_id: int) -> None:
        projects.restore_project(self._store, project_id)

    def duplicate_project(self, project_id: int, title: str | None = None) -> Project:
        return projects.duplicate_project(self._store, project_id, title)

    def get_project(self, project_id: int) -> Project:
        return projects.get_project(self._store, project_id)

    def find_project(self, title: str) -> Project | None:
        return projects.find_project(self._store, title)

    def update_project(self, project_id: int, **fields: Any) -> Project:
        return projects.update_project(self._store, project_id, fields)

    def project_word_count(self, project_id: int) -> int:
        return projects.project_word_count(self._store, project_id)

    # -- tree --------------------------------------------------------------
    def create_node(self, project_id: int, kind: str, title: str, parent_id: int | None = None,
                    position: int | None = None, text: str = "") -> Node:
        node_id = tree.create_node(self._store, project_id, kind, title, parent_id, position, text)
        return self.get_node(node_id)

    def get_node(self, node_id: int) -> Node:
        return tree.get_node(self._store, node_id)

    def nodes(self, project_id: int, include_trashed: bool = False) -> list[Node]:
        return tree.list_nodes(self._store, project_id, include_trashed)

    def rename_node(self, node_id: int, title: str) -> None:
        tree.rename_node(self._store, node_id, title)

    def move_node(self, node_id: int, parent_id: int | None, index: int) -> None:
        tree.move_node(self._store, node_id, parent_id, index)

    def trash_node(self, node_id: int) -> None:
        tree.trash_node(self._store, node_id)

    def restore_node(self, node_id: int) -> None:
        tree.restore_node(self._store, node_id)

    def trashed_nodes(self, project_id: int) -> list[Node]:
        return tree.trashed_nodes(self._store, project_id)

    def empty_trash(self, project_id: int) -> int:
        return tree.empty_trash(self._store, project_id)

    # -- restructuring (each step undoable: storage/restructure.py) -------
    def split_node(self, node_id: int, offset: int, new_title: str | None = None) -> restructure.Restructure:
        return restructure.split_node(self._store, node_id, offset, new_title)

    def merge_nodes(self, node_ids: list[int]) -> restructure.Restructure:
        return restructure.merge_nodes(self._store, node_ids)

    def duplicate_node(self, node_id: int) -> restructure.Restructure:
        return restructure.duplicate_node(self._store, node_id)

    def move_to_parent(self, node_id: int, parent_id: int | None) -> restructure.Restructure:
        return restructure.move_to_parent(self._store, node_id, parent_id)

    def undo_restructure(self, step: restructure.Restructure) -> int:
        return restructure.undo(self._store, step)

    # -- text --------------------------------------------------------------
    def get_text(self, node_id: int) -> str:
        return get_text(self._store, node_id)

    def save_text(self, node_id: int, text: str) -> SaveResult:
        """The autosave path: one small transaction, snapshot on the session's first save."""
        body, words, chars = counts_for(text)
        normalized = body != text
        revision_id = None
        with self._store.write("save") as conn:
            old = read_text(conn, node_id)
            if old == body:
                return SaveResult(words, chars, changed=False, revision_id=None, normalized=normalized)
            if node_id not in self._snapshotted and old:
                revision_id = revisions.snapshot(conn, node_id, "session-start", old).id
            old_words, project_id = conn.execute(
                "SELECT word_count, project_id FROM nodes WHERE id = ?", (node_id,)).fetchone()
            write_text(conn, node_id, body, words, chars)
            goal_store.record_words(conn, project_id, words - old_words, goal_store.local_day())
        self._snapshotted.add(node_id)
        return SaveResult(words, chars, changed=True, revision_id=revision_id, normalized=normalized)

    # -- goals (storage/goals.py) ------------------------------------------
    def goals(self, project_id: int) -> goal_store.Goals:
        return goal_store.get_goals(self._store, project_id)

    def set_goals(self, project_id: int, daily_words: int = 0, session_words: int = 0,
                  deadline: str | None = None) -> goal_store.Goals:
        return goal_store.set_goals(self._store, project_id, daily_words, session_words, deadline)

    def words_by_day(self, project_id: int, days: int = goal_store.HISTORY_DAYS,
                     today: str | None = None) -> list[goal_store.DayWords]:
        """Net words saved per local day, oldest first, the quiet days as 0."""
        return goal_store.history(self._store, project_id, days, today)

    # -- revisions ---------------------------------------------------------
    def snapshot(self, node_id: int, reason: str = "manual") -> Revision:
        with self._store.write("take a snapshot") as conn:
            return revisions.snapshot(conn, node_id, reason)

    def revisions(self, node_id: int) -> list[Revision]:
        with self._store.lock:
            tree.get_node(self._store, node_id)
            return revisions.list_revisions(self._store.conn, node_id)

    def revision_text(self, revision_id: int) -> str:
        with self._store.lock:
            return revisions.revision_row(self._store.conn, revision_id)["body"]

    def restore_revision(self, revision_id: int) -> SaveResult:
        """Puts an old text back, after snapshotting the current one."""
        with self._store.write("restore the revision") as conn:
            row = revisions.revision_row(conn, revision_id)
            node_id, body = row["node_id"], row["body"]
            before = revisions.snapshot(conn, node_id, "before-restore")
            _, words, chars = counts_for(body)
            changed = read_text(conn, node_id) != body
            if changed:
                write_text(conn, node_id, body, words, chars)
        self._snapshotted.add(node_id)
        return SaveResult(words, chars, changed=changed, revision_id=before.id)

    # -- summaries ---------------------------------------------------------
    # A summary is the assistant's until the author approves it; only approved summaries become
    # "the story so far" (one invented name would otherwise reach every later prompt).
    def set_summary(self, node_id: int, text: str, *, approved: bool = False, edited: bool = False,
                    by: str = "assistant") -> Summary:
        """Store ``text`` as the node's summary with its review state (empty text removes it)."""
        if by not in ("assistant", "author"):
            raise UserError(f"a summary is written by the assistant or the author, not “{by}”")
        text = clean_text(text).strip()
        with self._store.write("save the summary") as conn:
            tree.get_node(self._store, node_id)
            approved = approved and bool(text)
            conn.execute("UPDATE nodes SET summary = ?, summary_by = ?, summary_edited = ?, summary_approved = ?, "
                         "updated_at = ? WHERE id = ?",
                         (text, by, int(edited and bool(text)), int(approved), utc_now(), node_id))
        return self.summary(node_id)

    def approve_summary(self, node_id: int, text: str | None = None) -> Summary:
        """Approve the stored summary; ``text`` that differs from it is stored instead, marked edited."""
        current = self.summary(node_id)
        if text is None:
            text = current.text
        text = clean_text(text).strip()
        if not text:
            raise UserError("there is no summary to approve; write one or summarise the document first")
        edited = current.edited or (current.by == "assistant" and text != current.text)
        return self.set_summary(node_id, text, approved=True, edited=edited, by=current.by)

    def clear_summary(self, node_id: int) -> None:
        self.set_summary(node_id, "")

    def summary(self, node_id: int) -> Summary:
        node = tree.get_node(self._store, node_id)
        return Summary(node.id, node.summary, node.summary_by, node.summary_edited, node.summary_approved)

    def get_summary(self, node_id: int) -> str:
        return tree.get_node(self._store, node_id).summary

    # -- story bible -------------------------------------------------------
    def add_bible_entry(self, project_id: int, kind: str, name: str, aliases: Iterable[str] = (),
                        description: str = "", notes: str = "") -> BibleEntry:
        self.get_project(project_id)
        with self._store.write("add the story bible entry") as conn:
            entry_id = bible.add(conn, project_id, kind, name, aliases, description, notes)
            return bible.get(conn, entry_id)

    def update_bible_entry(self, entry_id: int, **fields: Any) -> BibleEntry:
        with self._store.write("update the story bible entry") as conn:
            bible.update(conn, entry_id, fields)
            return bible.get(conn, entry_id)

    def delete_bible_entry(self, entry_id: int) -> None:
        with self._store.write("delete the story bible entry") as conn:
            bible.delete(conn, entry_id)

    def bible_entries(self, project_id: int, query: str | None = None) -> list[BibleEntry]:
        with self._store.lock:
            return bible.entries(self._store.conn, project_id, query)

    def bible_entries_mentioned(self, project_id: int, text: str) -> list[BibleEntry]:
        with self._store.lock:
            return bible.mentioned(self._store.conn, project_id, text)

    # -- search ------------------------------------------------------------
    def search(self, project_id: int, query: str, limit: int = 50) -> list[SearchHit]:
        with self._store.lock:
            return search.search(self._store.conn, project_id, query, limit)

    def search_matches(self, project_id: int, query: str,
                       limit: int = MATCH_LIMIT) -> list[SearchMatch]:
        """One result per occurrence (Find in Project), best documents first."""
        with self._store.lock:
            return search_matches(self._store.conn, project_id, query, limit)

    # -- adapters ----------------------------------------------------------
    def register_adapter(self, name: str, path: str | Path, base_model: str, project_id: int | None,
                         metadata: dict[str, Any] | None = None) -> Adapter:
        with self._store.write("register the adapter") as conn:
            return adapter_store.get(conn, adapter_store.register(conn, name, str(path), base_model,
                                                                  project_id, metadata))

    def adapters(self, project_id: int | None = None) -> list[Adapter]:
        with self._store.lock:
            return adapter_store.listing(self._store.conn, project_id)

    def get_adapter_by_name(self, name: str) -> Adapter | None:
        with self._store.lock:
            return adapter_store.by_name(self._store.conn, name)

    def rename_adapter(self, adapter_id: int, name: str) -> None:
        with self._store.write("rename the adapter") as conn:
            adapter_store.rename(conn, adapter_id, name)

    def delete_adapter(self, adapter_id: int) -> None:
        with self._store.write("delete the adapter") as conn:
            adapter_store.delete(conn, adapter_id)

    def set_active_adapter(self, adapter_id: int | None) -> None:
        with self._store.write("choose the adapter") as conn:
            adapter_store.set_active(conn, adapter_id)

    def active_adapter(self) -> Adapter | None:
        with self._store.lock:
            return adapter_store.active(self._store.conn)

    # -- health ------------------------------------------------------------
    def make_backup(self, backups_dir: str | Path, keep: int = 10) -> Path:
        """A verified copy of this library taken through its own connection."""
        from writer_app.storage.backup import make_backup

        with self._store.lock:
            return make_backup(self.path, backups_dir, keep, source=self._store.conn)

    def content_signature(self) -> str:
        """Changes whenever the author's content does; equal to a backup's when nothing is new."""
        from writer_app.storage.backup import content_signature

        with self._store.lock:
            return content_signature(self._store.conn)

    @property
    def readonly(self) -> bool:
        return self._store.readonly

    def quick_check(self) -> list[str]:
        """``PRAGMA quick_check``: ``["ok"]`` when the file's structure is sound (reads every page
        once, needs no write lock). Read-only commands refuse a library that fails it; writers
        check with :meth:`integrity_check`."""
        with self._store.lock:
            try:
                return [row[0] for row in self._store.conn.execute("PRAGMA quick_check")]
            except sqlite3.DatabaseError as exc:
                if is_busy(exc):
                    raise busy_error(self.path, "check the library") from exc
                return [f"database: {exc}"]

    def integrity_check(self) -> list[str]:
        """``["ok"]`` when the file and the full-text index are sound.

        The full-text check is an INSERT, so it needs the write lock: while another program
        holds it we wait (``db.retry_while_busy``) and then raise :class:`LibraryBusyError`
        rather than report the lock as damage. On a read-only library it runs on a private
        copy.
        """
        with self._store.lock:
            try:
                problems = [row[0] for row in self._store.conn.execute("PRAGMA integrity_check")]
            except sqlite3.DatabaseError as exc:
                if is_busy(exc):
                    raise busy_error(self.path, "check the library") from exc
                return [f"database: {exc}"]
            try:
                fts_check(self._store)
            except sqlite3.DatabaseError as exc:
                problems = [p for p in problems if p != "ok"] + [f"full-text index: {exc}"]
            return problems
