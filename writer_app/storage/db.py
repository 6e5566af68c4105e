"""The SQLite connection: pragmas, transactions and error translation.

Every autosave is a commit that must survive a power cut, so the database runs
in WAL mode with ``synchronous=FULL`` (the WAL is fsynced on each commit).
Writes go through :meth:`Store.write`, which opens ``BEGIN IMMEDIATE`` at the
outermost level and SAVEPOINTs inside, so a batch (an import) is one
transaction and a failure anywhere rolls all of it back. SQLite's low-level
errors (disk full, I/O error, locked) become one-line :class:`UserError`s, and
a write after the file was moved or deleted under the open connection is
refused rather than left to land in a file the app will never open again.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from writer_app.errors import UserError

BUSY_TIMEOUT_MS = 5000

# Extended result codes fold to these primary codes with ``& 0xFF``.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


def utc_now() -> str:
    """Timestamps are ISO 8601 in UTC with milliseconds, so they sort as text."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def explain_sqlite_error(exc: sqlite3.Error, action: str) -> UserError:
    """One sentence for the author about what went wrong while doing ``action``."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == _SQLITE_FULL:
        reason = "disk full (free some space and try again; the previous text is intact)"
    elif code == _SQLITE_IOERR:
        # str(exc) is SQLite's generic "disk I/O error" again; the cause keeps the extended code.
        reason = ("disk I/O error (check that the drive is still connected and writable, then try again; "
                  "the previous text is intact)")
    elif code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        reason = "the library is busy in another program; try again in a moment"
    elif code == _SQLITE_READONLY:
        reason = "the library file is read-only"
    elif code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        reason = "the library file is damaged (run `writer-app check` and restore a backup)"
    elif code == _SQLITE_CANTOPEN:
        reason = "the library file cannot be opened (check the folder exists and is writable)"
    else:
        reason = str(exc)
    error = UserError(f"could not {action}: {reason}")
    error.__cause__ = exc
    return error


def connect(path: Path) -> sqlite3.Connection:
    """A raw connection in autocommit mode (we issue BEGIN ourselves)."""
    try:
        conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Touch the file header so a non-database fails here, not later.
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        raise explain_sqlite_error(exc, f"open {path}") from exc
    return conn


def enable_durability(conn: sqlite3.Connection) -> None:
    """WAL + synchronous=FULL: each commit is on disk when save returns."""
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise UserError(f"could not open the library: the file system refused WAL mode ({mode})")
    conn.execute("PRAGMA synchronous = FULL")


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class Store:
    """A connection, its sqlite-utils view, and the lock every caller holds."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0
        self.last_write_at = 0.0
        # SQLite keeps writing through its open handle after the file is deleted, renamed
        # or replaced (in WAL mode it never checks), so such saves would vanish silently.
        self._abspath = os.path.abspath(path)
        self._identity = _file_identity(self._abspath)

    def _check_still_there(self, action: str) -> None:
        if self._identity is not None and _file_identity(self._abspath) != self._identity:
            raise UserError(
                f"could not {action}: the library file {self.path} was moved, replaced or deleted while "
                "writer-app had it open (put it back, or copy the unsaved text elsewhere and restart)"
            )

    @contextmanager
    def write(self, action: str = "save") -> Iterator[sqlite3.Connection]:
        """One atomic unit of change; nested calls become savepoints."""
        with self.lock:
            depth = self._depth
            if depth == 0:
                self._check_still_there(action)
            try:
                self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
            except sqlite3.Error as exc:
                raise explain_sqlite_error(exc, action) from exc
            self._depth += 1
            try:
                yield self.conn
            except BaseException as exc:
                self._depth -= 1
                self._undo(depth)
                if isinstance(exc, sqlite3.Error):
                    raise explain_sqlite_error(exc, action) from exc
                raise
            self._depth -= 1
            try:
                self.conn.execute("COMMIT" if depth == 0 else f"RELEASE sp{depth}")
            except sqlite3.Error as exc:
                self._undo(depth)
                raise explain_sqlite_error(exc, action) from exc
            if depth == 0:
                self.last_write_at = time.time()

    def _undo(self, depth: int) -> None:
        try:
            if depth == 0:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO sp{depth}")
                self.conn.execute(f"RELEASE sp{depth}")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. after SQLITE_FULL); nothing more to undo

    def one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self.lock:
            self.conn.close()
