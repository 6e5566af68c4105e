"""Rolling, verified backups of the library file.

A backup is taken with SQLite's online backup API (a consistent copy even
while the editor is writing), written under a temporary name, checked with
``PRAGMA integrity_check`` and only then renamed into place, so every file
named ``library-*.sqlite3`` in the backups folder is known good. The newest
``keep`` are kept. The UI calls :func:`backup_if_due` on start and from a
timer; it copies only when something changed since the last backup.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from writer_app.errors import UserError
from writer_app.storage.db import explain_sqlite_error

if TYPE_CHECKING:
    from writer_app.storage.library import Library

PREFIX = "library-"
SUFFIX = ".sqlite3"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: float  # time.time() of the copy
    size: int


def _integrity(path: Path) -> list[str]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]


def make_backup(db_path: str | Path, backups_dir: str | Path, keep: int = 10,
                source: sqlite3.Connection | None = None) -> Path:
    """Copy, verify, rename into place, prune; returns the new backup's path.

    ``source`` may be the library's own connection (``lib.connection``) so the
    copy is taken without opening a second connection.
    """
    db_path, backups_dir = Path(db_path), Path(backups_dir)
    if source is None and not db_path.exists():
        raise UserError(f"there is no library at {db_path} to back up")
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    final = backups_dir / f"{PREFIX}{stamp}{SUFFIX}"
    partial = backups_dir / f".{final.name}.partial"
    own = source is None
    try:
        src = sqlite3.connect(str(db_path)) if own else source
        try:
            dest = sqlite3.connect(str(partial))
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            if own:
                src.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise explain_sqlite_error(exc, "make a backup") from exc
    problems = _integrity(partial)
    if problems != ["ok"]:
        partial.unlink(missing_ok=True)
        raise UserError(f"the backup copy failed its integrity check ({problems[0]}); the library was not changed")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, final)
    prune_backups(backups_dir, keep)
    return final


def list_backups(backups_dir: str | Path) -> list[BackupInfo]:
    """Backups, newest first."""
    folder = Path(backups_dir)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
        stat = path.stat()
        found.append(BackupInfo(path=path, created_at=stat.st_mtime, size=stat.st_size))
    found.sort(key=lambda b: b.path.name, reverse=True)
    return found


def prune_backups(backups_dir: str | Path, keep: int) -> None:
    for old in list_backups(backups_dir)[max(1, keep):]:
        old.path.unlink(missing_ok=True)


def latest_good_backup(backups_dir: str | Path) -> Path | None:
    """The newest backup that still passes integrity_check."""
    for info in list_backups(backups_dir):
        if _integrity(info.path) == ["ok"]:
            return info.path
    return None


def restore_backup(backup_path: str | Path, db_path: str | Path) -> Path:
    """Replace the library with a backup; the current file is kept aside first.

    Close every ``Library`` on ``db_path`` before calling this. Returns the
    path of the set-aside copy of the replaced library.
    """
    backup_path, db_path = Path(backup_path), Path(db_path)
    problems = _integrity(backup_path)
    if problems != ["ok"]:
        raise UserError(f"{backup_path.name} is damaged ({problems[0]}); choose another backup")
    aside = db_path.with_name(f"{db_path.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        if db_path.exists():
            current = sqlite3.connect(str(db_path))
            try:
                keep = sqlite3.connect(str(aside))
                try:
                    current.backup(keep)
                finally:
                    keep.close()
            except sqlite3.DatabaseError:
                current.close()
                os.replace(db_path, aside)  # too damaged to copy: move the file itself aside
                for extra in ("-wal", "-shm"):
                    Path(f"{db_path}{extra}").unlink(missing_ok=True)
            else:
                current.close()
        src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
        dest = sqlite3.connect(str(db_path))
        try:
            src.backup(dest)
        finally:
            src.close()
            dest.close()
    except sqlite3.Error as exc:
        raise explain_sqlite_error(exc, "restore the backup") from exc
    return aside


def backup_if_due(lib: Library, backups_dir: str | Path, interval_minutes: float = 10, keep: int = 10) -> Path | None:
    """Back up when there is no backup yet, or the library changed and the
    newest backup is older than ``interval_minutes``. Returns the new path or None."""
    backups = list_backups(backups_dir)
    if backups:
        newest = backups[0].created_at
        changed = max(lib.last_write_at, _file_mtime(lib.path)) > newest
        if not changed or time.time() - newest < interval_minutes * 60:
            return None
    return lib.make_backup(backups_dir, keep)


def _file_mtime(db_path: Path) -> float:
    times = [p.stat().st_mtime for p in (db_path, Path(f"{db_path}-wal")) if p.exists()]
    return max(times, default=0.0)
