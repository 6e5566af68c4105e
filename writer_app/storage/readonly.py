"""Reading a library without writing to it: read-only media, backups, damaged files.

A library on a read-only USB stick or a backup disk must still list, check and
export. SQLite's ``mode=ro`` sees the WAL of a library the editor has open; on a
read-only folder it cannot create the WAL index, and then a file with no WAL
beside it is read with ``immutable=1`` (it holds everything). When a WAL *is*
there (the editor was killed before it could fold it in), or the file is an
older format that needs upgrading, we read a private temporary copy instead,
so the author's file is never touched. The copy goes when the library closes.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from writer_app.storage.db import (
    NeedsPrivateCopy,
    Store,
    connect,
    connect_readonly,
    explain_sqlite_error,
    retry_while_busy,
)
from writer_app.storage.schema import SCHEMA_VERSION, check_openable, migrate

FTS_CHECK = "INSERT INTO texts_fts(texts_fts, rank) VALUES ('integrity-check', 1)"


def open_readonly_store(path: Path) -> Store:
    """A :class:`Store` whose writes are refused, on ``path`` or on a private copy of it."""
    try:
        conn, _how = connect_readonly(path)
    except NeedsPrivateCopy:
        return _private_store(path, None)
    try:
        conn.row_factory = sqlite3.Row
        version = retry_while_busy(lambda: check_openable(conn, path), path, "open the library")
        if version < SCHEMA_VERSION:  # an older format: upgrade a copy, never the file
            return _private_store(path, conn)
    except sqlite3.Error as exc:
        conn.close()
        raise explain_sqlite_error(exc, f"open the library {path}") from exc
    except BaseException:
        conn.close()
        raise
    return Store(conn, path, readonly=True)


def _private_store(path: Path, source: sqlite3.Connection | None) -> Store:
    """Copy the library (through ``source``, or the file and its WAL) into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="writer-app-readonly-"))
    copy = folder / "library.sqlite3"
    try:
        if source is not None:
            target = sqlite3.connect(str(copy))
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            shutil.copyfile(path, copy)
            shutil.copyfile(f"{path}-wal", f"{copy}-wal")  # the copy replays it when opened
        conn = connect(copy)
        try:
            conn.row_factory = sqlite3.Row
            migrate(conn, copy)
        except BaseException:
            conn.close()
            raise
    except sqlite3.Error as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise explain_sqlite_error(exc, f"open the library {path}") from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    store = Store(conn, path, readonly=True, on_close=lambda: shutil.rmtree(folder, ignore_errors=True))
    store.private_copy = True
    return store


def fts_check(store: Store) -> None:
    """FTS5's own check (raises sqlite3.DatabaseError on a bad index).

    It is an INSERT: on the library it waits for the write lock like any writer (busy is
    retried, then reported as busy); on a read-only library it runs on a throwaway copy.
    """
    if not store.readonly or store.private_copy:
        retry_while_busy(lambda: store.conn.execute(FTS_CHECK), store.path, "check the search index")
        return
    with tempfile.TemporaryDirectory(prefix="writer-app-check-") as folder:
        copy = sqlite3.connect(str(Path(folder) / "check.sqlite3"))
        try:
            store.conn.backup(copy)
            copy.execute(FTS_CHECK)
        finally:
            copy.close()
