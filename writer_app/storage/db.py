"""The SQLite connection: pragmas, transactions and error translation.

Every autosave is a commit that must survive a power cut, so the database runs
in WAL mode with ``synchronous=FULL`` (the WAL is fsynced on each commit).
Writes go through :meth:`Store.write`, which opens ``BEGIN IMMEDIATE`` at the
outermost level and SAVEPOINTs inside, so a batch (an import) is one
transaction and a failure anywhere rolls all of it back. SQLite's low-level
errors (disk full, I/O error, locked) become one-line :class:`UserError`s, and
a write after the file was moved or deleted under the open connection is
refused rather than left to land in a file the app will never open again.

"Busy" and "damaged" are different errors (:class:`LibraryBusyError`,
:class:`LibraryDamagedError`) because they call for opposite answers: a lock
held by another program is waited out (:func:`retry_while_busy`) and then
reported as busy, while only real damage may lead to offering a backup.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import sqlite_utils

from writer_app.errors import UserError

BUSY_TIMEOUT_MS = 5000
# How long opening or checking the library keeps retrying a lock held by another program
# before it says "busy" (each try already waits BUSY_TIMEOUT_MS inside SQLite).
BUSY_RETRY_SECONDS = 20.0

# Extended result codes fold to these primary codes with ``& 0xFF``.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

T = TypeVar("T")


class LibraryBusyError(UserError):
    """Another program holds the library's lock: wait or close it; nothing is wrong with the file."""


class LibraryDamagedError(UserError):
    """The file is not a sound library: empty, not SQLite, or failing SQLite's checks.

    ``kind`` is ``"empty"``, ``"not-sqlite"``, ``"not-a-file"``, ``"unreadable"`` or
    ``"corrupt"``; ``problems`` holds what the check found (one short line each) and ``summary``
    the finding without advice (``storage.health.damaged_library_message`` adds the backup).
    Only this error may lead to offering a backup.
    """

    def __init__(self, message: str, *, path: Path | None = None, kind: str = "corrupt",
                 problems: list[str] | None = None, summary: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind
        self.problems = problems or [message]
        self.summary = summary or message


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: someone else holds a lock; the file itself is fine."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    return code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in str(exc)


def is_damage(exc: BaseException) -> bool:
    """SQLITE_CORRUPT / SQLITE_NOTADB: the bytes on disk are not a sound database."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    text = str(exc)
    return isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text)


def busy_error(path: Path | str, action: str) -> LibraryBusyError:
    return LibraryBusyError(
        f"could not {action}: another program is using the library {path} and kept it locked for more than "
        f"{BUSY_RETRY_SECONDS:.0f} seconds (wait until it finishes, or close it, and try again; the library "
        "itself is fine)")


def retry_while_busy(operation: Callable[[], T], path: Path | str, action: str,
                     seconds: float | None = None) -> T:
    """Run ``operation`` again while the library is busy; after ``seconds``, LibraryBusyError.

    SQLite's own busy timeout covers short waits; this covers a longer import or a
    transaction another program forgot to close, so that such a wait ends in a clear
    "busy" and never in a reading that looks like damage.
    """
    deadline = time.monotonic() + (BUSY_RETRY_SECONDS if seconds is None else seconds)
    while True:
        try:
            return operation()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                raise busy_error(path, action) from exc
            time.sleep(0.05)


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
    elif code in (_SQLITE_BUSY, _SQLITE_LOCKED) or is_busy(exc):
        error: UserError = LibraryBusyError(
            f"could not {action}: another program is using the library; try again in a moment")
        error.__cause__ = exc
        return error
    elif code == _SQLITE_READONLY:
        reason = "the library file is read-only"
    elif is_damage(exc):
        error = LibraryDamagedError(
            f"could not {action}: the library file is damaged ({exc}; run `writer-app check`)",
            problems=[str(exc)])
        error.__cause__ = exc
        return error
    elif code == _SQLITE_CANTOPEN:
        reason = "the library file cannot be opened (check the folder exists and is writable)"
    else:
        reason = str(exc)
    error = UserError(f"could not {action}: {reason}")
    error.__cause__ = exc
    return error


def connect(path: Path) -> sqlite3.Connection:
    """A raw connection in autocommit mode (we issue BEGIN ourselves)."""
    return _connect(str(path), uri=False, path=path)


def _connect(target: str, *, uri: bool, path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(target, uri=uri, check_same_thread=False, isolation_level=None,
                               timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise explain_sqlite_error(exc, f"open {path}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Touch the file header (and, in WAL mode, the WAL) so a non-database fails here, not later.
        retry_while_busy(lambda: conn.execute("SELECT count(*) FROM sqlite_master").fetchone(), path, "open it")
    except sqlite3.Error as exc:
        conn.close()
        raise explain_sqlite_error(exc, f"open {path}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def file_uri(path: Path, **params: str) -> str:
    """``file:`` URI for ``path`` (names with ``?``, ``#`` or ``%`` are escaped)."""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"file:{quote(str(Path(path).absolute()))}" + (f"?{query}" if query else "")


def connect_readonly(path: Path) -> tuple[sqlite3.Connection, str]:
    """A connection that cannot write, for a library on read-only media; returns (conn, how).

    ``how`` is ``"ro"`` (SQLite's ``mode=ro``: it still sees the WAL of a library another
    program has open) or ``"immutable"``. On a read-only folder ``mode=ro`` cannot create the
    WAL index a WAL-mode file needs, so it fails; when no WAL file is there the file holds
    everything and ``immutable=1`` reads it without any locking or side file. A read-only folder
    that does hold a WAL (the editor was killed) needs a private copy: the caller makes one
    (``"needs-copy"`` raised as :class:`NeedsPrivateCopy`).
    """
    try:
        return _connect(file_uri(path, mode="ro"), uri=True, path=path), "ro"
    except LibraryBusyError:
        raise
    except UserError as exc:
        cause = exc.__cause__
        code = (getattr(cause, "sqlite_errorcode", None) or 0) & 0xFF
        if code not in (_SQLITE_CANTOPEN, _SQLITE_READONLY) and "unable to open" not in str(cause):
            raise
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise NeedsPrivateCopy(path)
    return _connect(file_uri(path, mode="ro", immutable="1"), uri=True, path=path), "immutable"


class NeedsPrivateCopy(Exception):
    """Read-only media with a WAL beside the library: read a private copy of both instead."""


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

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool = False,
                 on_close: Callable[[], None] | None = None) -> None:
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.path = path
        self.readonly = readonly
        # A read-only library that is really a private temporary copy (read-only media with a WAL,
        # or an older format upgraded in the copy): the copy itself may be written to for checks.
        self.private_copy = False
        self._on_close = on_close
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
            if self.readonly:
                raise UserError(f"could not {action}: the library {self.path} was opened read-only")
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
            if self._on_close is not None:
                self._on_close()
                self._on_close = None
