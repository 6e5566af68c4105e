"""Is this file a library, is it sound, and what to tell the author when it is not.

Only a *missing* file means "start a new library". A file that is there but
empty (0 bytes), not a regular file, or does not begin with SQLite's header is
never replaced by a fresh one: ``storage.probe.probe_library`` names what was
found and the caller offers the newest good backup. The same goes for a file that fails
SQLite's own checks. :func:`damaged_library_message` is the one sentence the
CLI and the editor both show for all of these, so the two cannot drift.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from writer_app.storage.db import LibraryDamagedError
from writer_app.storage.probe import failed_check

if TYPE_CHECKING:
    from writer_app.storage.library import Library


def damaged_library_message(error: LibraryDamagedError, backups_dir: str | os.PathLike[str]) -> str:
    """One line for the author: what was found, that nothing was written, and the newest good backup.

    The CLI prints it as it is; the editor shows it above its "Restore?" question.
    """
    from writer_app.storage.backup import describe_backup, latest_good_backup

    summary = error.summary or str(error)
    good = latest_good_backup(backups_dir)
    if good is None:
        tail = f"there is no good backup in {backups_dir}"
    else:
        tail = f"the newest good backup is {describe_backup(good)}"
    return f"{_capital(summary)}{_UNCHANGED}{tail}."


_UNCHANGED = "; it was not changed, and "


def split_damaged_message(message: str) -> tuple[str, str]:
    """(what the check found, what was done and which backup is good) from
    :func:`damaged_library_message`, so the editor can show SQLite's findings as details."""
    finding, joined, advice = message.partition(_UNCHANGED)
    if not joined:
        return "", message
    return finding + ".", f"It was not changed, and {advice}"


def with_advice(error: LibraryDamagedError, backups_dir: str | os.PathLike[str]) -> LibraryDamagedError:
    """The same finding, its message now :func:`damaged_library_message` (what the author sees)."""
    advised = LibraryDamagedError(damaged_library_message(error, backups_dir), path=error.path, kind=error.kind,
                                  problems=error.problems, summary=error.summary)
    advised.__cause__ = error.__cause__ or error
    return advised


def open_for_writing(db_path: str | os.PathLike[str],
                     backups_dir: str | os.PathLike[str]) -> tuple[Library, list[str]]:
    """The library, opened for writing only when it passes its check; and notices for the author.

    Everything that writes opens the library through here, the editor and the CLI alike, with
    the same check (``PRAGMA integrity_check``, a superset of ``quick_check`` that costs little
    more next to FTS5's check of the search index, which it includes), so they refuse the same
    files with the same message. A damaged,
    empty or unrecognisable file raises :class:`LibraryDamagedError` carrying
    :func:`damaged_library_message`; busy raises ``LibraryBusyError``. The one exception: an
    *empty* file when there is no backup at all holds nothing that could be lost or restored, so
    it is set aside (renamed, never deleted) and a new library is started, with a notice saying so.
    """
    from writer_app.storage.backup import latest_good_backup
    from writer_app.storage.library import Library

    path = Path(db_path)
    try:
        library = Library.open(path)
    except LibraryDamagedError as exc:
        if exc.kind == "empty" and not _has_wal(path) and latest_good_backup(backups_dir) is None:
            aside = set_aside(path, "empty")
            notice = (f"{_capital(exc.summary)} and there is no backup to restore, so it was set aside as "
                      f"{aside.name} and a new library was started.")
            return Library.open(path), [notice]
        raise with_advice(exc, backups_dir) from exc
    try:
        problems = library.integrity_check()
    except BaseException:
        library.close()
        raise
    if problems != ["ok"]:
        library.close()
        raise with_advice(failed_check(path, problems), backups_dir)
    return library, []


def _has_wal(path: Path) -> bool:
    """A non-empty WAL beside an empty file may hold real changes (SQLite itself would ignore it)."""
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def set_aside(path: Path, label: str) -> Path:
    """Rename the library (and its -wal/-shm, which belong to it) to ``NAME.LABEL-STAMP``.

    Used for an empty file when there is no backup to offer: it holds nothing, but a file
    the author did not delete is never deleted for them either.
    """
    aside = path.with_name(f"{path.name}.{label}-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("-wal", "-shm"):
        extra = Path(f"{path}{suffix}")
        if extra.exists():
            os.replace(extra, Path(f"{aside}{suffix}"))
    os.replace(path, aside)
    return aside


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
