"""Verified backups of the library, kept in generations, made only when due.

A backup is taken with SQLite's online backup API (a consistent copy even
while the editor is writing), written under a temporary ``.partial`` name,
switched to rollback-journal mode (so reading it later leaves no ``-wal`` or
``-shm`` beside it), checked with ``PRAGMA integrity_check`` and only then
renamed into place: every ``library-*.sqlite3`` in the folder is known good.
Its name carries the time it was taken (UTC), which is what retention goes by
(a copied folder keeps its history even when the copy resets the mtimes).

Retention, in the manner of restic's ``forget --keep-last --keep-daily
--keep-weekly`` (:func:`backups_to_keep`):

- the newest ``keep`` backups (the setting, 10 by default);
- the newest backup of each of the last 7 days that have backups;
- the newest backup of each of the last 8 weeks that have backups;
- and, whatever their age, the newest backup that holds *markedly more* than
  the newest one (a fifth fewer words or documents), plus the largest backup
  of all when it does too. So a library emptied or cut down by mistake and then
  backed up again and again cannot rotate the last good copies away; once the
  library has grown back, normal rotation resumes.

:func:`backup_if_due` (on start and from the editor's timer) copies only when
the newest backup is older than the interval *and* the library's content
differs from it (:func:`content_signature`), so starting the app ten times
makes no new backup at all. Leftovers (``.partial`` files from a crash, the
``-wal``/``-shm`` that older versions left beside each backup) are removed
when a backup is made.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from writer_app.atomic_write import fsync_folder
from writer_app.errors import UserError
from writer_app.storage.db import explain_sqlite_error, file_uri
from writer_app.storage.probe import SQLITE, probe_library


class BacksItselfUp(Protocol):
    """What :func:`backup_if_due` needs of a library (``storage.library.Library``, which imports
    this module: a Protocol keeps the two from importing each other)."""

    def content_signature(self) -> str: ...

    def make_backup(self, backups_dir: str | Path, keep: int = 10) -> Path: ...

PREFIX = "library-"
SUFFIX = ".sqlite3"
KEEP_DAILY = 7
KEEP_WEEKLY = 8
# A newer backup with less than this share of an older one's words or documents is "markedly smaller".
SHRINK_RATIO = 0.8
# A .partial this old is a crash's leftover, not a backup being written by another thread.
PARTIAL_GRACE_SECONDS = 600
_STAMP = re.compile(r"^library-(\d{8}-\d{6}-\d{6})\.sqlite3$")


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: float  # time.time() of the copy (from its name; the mtime for a renamed file)
    size: int


@dataclass(frozen=True)
class BackupStats:
    """What a library (or a backup of it) holds: compared before an older copy may go."""

    words: int
    documents: int
    projects: int

    def markedly_smaller_than(self, other: BackupStats) -> bool:
        return (self.words < other.words * SHRINK_RATIO) or (self.documents < other.documents * SHRINK_RATIO)


def _connect_backup(path: Path) -> sqlite3.Connection:
    # Backups never change once in place: immutable=1 reads them on read-only media too,
    # without locks and without creating -wal/-shm beside them.
    return sqlite3.connect(file_uri(path, mode="ro", immutable="1"), uri=True)


def _integrity(path: Path) -> list[str]:
    try:
        if probe_library(path) != SQLITE:
            return ["missing"]
    except UserError as exc:
        return [str(exc)]
    try:
        conn = _connect_backup(path)
        try:
            return [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]


def library_stats(conn: sqlite3.Connection) -> BackupStats:
    """Words and documents in every project, trash included (it is restorable from that copy)."""
    words, documents = conn.execute(
        "SELECT COALESCE(SUM(word_count), 0), COUNT(*) FROM nodes WHERE kind != 'folder'").fetchone()
    projects = conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0]
    return BackupStats(int(words), int(documents), int(projects))


def backup_stats(path: str | Path) -> BackupStats | None:
    """The counts of a backup file; None when it cannot be read (it is then never "larger")."""
    try:
        conn = _connect_backup(Path(path))
        try:
            return library_stats(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def content_signature(conn: sqlite3.Connection) -> str:
    """A digest that changes whenever the author's content does (without reading the texts).

    Every save, rename, move, trash, summary and bible edit stamps ``updated_at`` or a count;
    revisions and adapters are covered by their ids. Equal signatures mean "nothing to back up".
    """
    digest = hashlib.sha256()
    for sql in (
        "PRAGMA user_version",
        "SELECT id, parent_id, position, kind, title, word_count, char_count, trashed, updated_at"
        " FROM nodes ORDER BY id",
        "SELECT id, title, author, language, word_target, updated_at FROM projects ORDER BY id",
        "SELECT id, updated_at FROM bible_entries ORDER BY id",
        "SELECT COUNT(*), MAX(id) FROM revisions",
        "SELECT id, name, path, active, metadata FROM adapters ORDER BY id",
    ):
        for row in conn.execute(sql):
            digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
        digest.update(b"|")
    return digest.hexdigest()


def _backup_signature(path: Path) -> str | None:
    try:
        conn = _connect_backup(path)
        try:
            return content_signature(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def make_backup(db_path: str | Path, backups_dir: str | Path, keep: int = 10,
                source: sqlite3.Connection | None = None) -> Path:
    """Copy, verify, rename into place, prune; returns the new backup's path.

    ``source`` may be the library's own connection (``lib.connection``) so the
    copy is taken without opening a second connection. A library file that is
    empty or not SQLite is refused (LibraryDamagedError): it is never copied over
    good backups.
    """
    db_path, backups_dir = Path(db_path), Path(backups_dir)
    if source is None and probe_library(db_path) != SQLITE:
        raise UserError(f"there is no library at {db_path} to back up")
    backups_dir.mkdir(parents=True, exist_ok=True)
    clean_leftovers(backups_dir)  # first: a crashed copy's space may be needed for this one
    final = _new_name(backups_dir)
    partial = backups_dir / f".{final.name}.partial"
    own = source is None
    try:
        src = sqlite3.connect(str(db_path)) if own else source
        try:
            dest = sqlite3.connect(str(partial))
            try:
                src.backup(dest)
                # The copy inherits WAL mode in its header; rollback-journal mode means that
                # reading it later (a check, a restore) leaves no -wal/-shm in the folder.
                dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                dest.close()
        finally:
            if own:
                src.close()
    except sqlite3.Error as exc:
        _remove_partial(partial)
        raise explain_sqlite_error(exc, "make a backup") from exc
    problems = _integrity(partial)
    if problems != ["ok"]:
        _remove_partial(partial)
        raise UserError(f"the backup copy failed its integrity check ({problems[0]}); the library was not changed")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, final)
    fsync_folder(backups_dir)
    prune_backups(backups_dir, keep)
    return final


def _new_name(backups_dir: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    return backups_dir / f"{PREFIX}{stamp}{SUFFIX}"


def _remove_partial(partial: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)


def _created_at(path: Path) -> float:
    match = _STAMP.match(path.name)
    if match:
        try:
            return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S-%f").replace(tzinfo=UTC).timestamp()
        except ValueError:
            pass
    return path.stat().st_mtime


def list_backups(backups_dir: str | Path) -> list[BackupInfo]:
    """Backups, newest first."""
    folder = Path(backups_dir)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
        try:
            found.append(BackupInfo(path=path, created_at=_created_at(path), size=path.stat().st_size))
        except OSError:
            continue
    found.sort(key=lambda b: (b.created_at, b.path.name), reverse=True)
    return found


def backups_to_keep(backups: list[BackupInfo], keep: int, stats: dict[Path, BackupStats | None],
                    keep_daily: int = KEEP_DAILY, keep_weekly: int = KEEP_WEEKLY) -> set[Path]:
    """The generations to keep (see the module docstring); ``backups`` newest first."""
    kept = {b.path for b in backups[:max(1, keep)]}
    for bucket, limit in ((_day, keep_daily), (_week, keep_weekly)):
        seen: list[tuple] = []
        for info in backups:  # newest first: the first of each bucket is its newest
            key = bucket(info.created_at)
            if key not in seen:
                if len(seen) == limit:
                    break
                seen.append(key)
                kept.add(info.path)
    kept |= _protected(backups, stats)
    return kept


def _protected(backups: list[BackupInfo], stats: dict[Path, BackupStats | None]) -> set[Path]:
    """The last copy markedly larger than the newest backup, and the largest of all if it is too."""
    if not backups or stats.get(backups[0].path) is None:
        return set()
    newest = stats[backups[0].path]
    larger = [b for b in backups[1:] if stats.get(b.path) is not None and newest.markedly_smaller_than(stats[b.path])]
    if not larger:
        return set()
    largest = max(larger, key=lambda b: (stats[b.path].words, stats[b.path].documents, b.created_at))
    return {larger[0].path, largest.path}


def _day(timestamp: float) -> tuple:
    t = time.localtime(timestamp)
    return (t.tm_year, t.tm_yday)


def _week(timestamp: float) -> tuple:
    year, week, _ = datetime.fromtimestamp(timestamp).isocalendar()
    return (year, week)


def prune_backups(backups_dir: str | Path, keep: int) -> list[Path]:
    """Delete the backups outside the generations kept, and the folder's leftovers; returns the deleted."""
    backups = list_backups(backups_dir)
    stats = {b.path: backup_stats(b.path) for b in backups}
    kept = backups_to_keep(backups, keep, stats)
    removed = []
    for info in backups:
        if info.path not in kept:
            info.path.unlink(missing_ok=True)
            removed.append(info.path)
    clean_leftovers(backups_dir)
    return removed


def clean_leftovers(backups_dir: str | Path, now: float | None = None) -> list[Path]:
    """Remove ``.partial`` copies a crash left behind and ``-wal``/``-shm`` files beside backups.

    A backup is never written after it is renamed into place, so a side file is either empty
    or belongs to a backup that is gone; a non-empty ``-wal`` beside an existing backup is left
    (someone wrote into that copy). ``.partial`` files younger than PARTIAL_GRACE_SECONDS may
    be a backup being made right now and are left too.
    """
    folder = Path(backups_dir)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for path in folder.iterdir():
        name = path.name
        try:
            if name.startswith(f".{PREFIX}") and ".partial" in name:
                if now - path.stat().st_mtime > PARTIAL_GRACE_SECONDS:
                    path.unlink()
                    removed.append(path)
            elif name.startswith(PREFIX) and name.endswith(("-wal", "-shm", "-journal")):
                main = folder / name.rsplit("-", 1)[0]
                if name.endswith("-wal") and main.exists() and path.stat().st_size > 0:
                    continue
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def latest_good_backup(backups_dir: str | Path) -> Path | None:
    """The newest backup that still passes integrity_check."""
    for info in list_backups(backups_dir):
        if _integrity(info.path) == ["ok"]:
            return info.path
    return None


def describe_backup(path: str | Path) -> str:
    """``library-….sqlite3 (2025-03-01 14:20, 81,200 words in 43 documents)`` for messages."""
    path = Path(path)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(_created_at(path)))
    stats = backup_stats(path)
    held = (f", {stats.words:,} word{'s' if stats.words != 1 else ''} in {stats.documents} "
            f"document{'s' if stats.documents != 1 else ''}") if stats else ""
    return f"{path.name} ({when}{held})"


def restore_backup(backup_path: str | Path, db_path: str | Path) -> Path | None:
    """Replace the library with a backup; the current file is kept aside first.

    Close every ``Library`` on ``db_path`` before calling this. Returns the
    path of the set-aside copy of the replaced library (None when there was none).
    The restored file is built beside the library and renamed over it, so a crash
    at any point leaves either the old library or the restored one in place, and
    the set-aside copy holds the old file together with its WAL (its newest saves).
    """
    backup_path, db_path = Path(backup_path), Path(db_path)
    problems = _integrity(backup_path)
    if problems != ["ok"]:
        raise UserError(f"{backup_path.name} is damaged ({problems[0]}); choose another backup")
    incoming = db_path.with_name(f".{db_path.name}.restoring")
    _remove_partial(incoming)
    try:
        src = _connect_backup(backup_path)
        dest = sqlite3.connect(str(incoming))
        try:
            src.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # Library.open switches it to WAL
        finally:
            src.close()
            dest.close()
        with open(incoming, "rb") as handle:
            os.fsync(handle.fileno())
    except sqlite3.Error as exc:
        _remove_partial(incoming)
        raise explain_sqlite_error(exc, "restore the backup") from exc
    aside = keep_aside(db_path, "before-restore") if db_path.exists() else None
    for suffix in ("-wal", "-shm", "-journal"):  # the aside copy has them; they must not meet the restored file
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    os.replace(incoming, db_path)
    fsync_folder(db_path.parent)
    return aside


def keep_aside(db_path: Path, label: str) -> Path:
    """A copy of the library file and its -wal under ``NAME.LABEL-STAMP`` (the original stays).

    A hard link where the file system has them (instant, no space), else a byte copy.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.{label}-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = db_path.with_name(f"{db_path.name}.{label}-{stamp}-{number}")
    for suffix in ("", "-wal"):
        source = Path(f"{db_path}{suffix}")
        if source.exists() and (suffix == "" or source.stat().st_size > 0):
            _link_or_copy(source, Path(f"{aside}{suffix}"))
    fsync_folder(db_path.parent)
    return aside


def _link_or_copy(source: Path, target: Path) -> None:
    import shutil

    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def backup_if_due(lib: BacksItselfUp, backups_dir: str | Path, interval_minutes: float = 10, keep: int = 10) -> Path | None:
    """Back up when there is no backup yet, or when the newest one is older than
    ``interval_minutes`` and the library's content differs from it. Returns the new path or None."""
    backups = list_backups(backups_dir)
    if backups:
        newest = backups[0]
        if time.time() - newest.created_at < interval_minutes * 60:
            return None
        if lib.content_signature() == _backup_signature(newest.path):
            return None
    return lib.make_backup(backups_dir, keep)
