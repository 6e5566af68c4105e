"""Is this file a library at all, and what SQLite's check found: the facts, without advice.

Only a *missing* file means "start a new library". A file that is there but
empty (0 bytes), not a regular file, or does not begin with SQLite's header is
never replaced by a fresh one: :func:`probe_library` names what was found. The
library, backups and salvage use it to refuse such files; ``storage.health``
adds what the author is told (the newest good backup) on top.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from writer_app.storage.db import LibraryDamagedError

SQLITE_HEADER = b"SQLite format 3\x00"

MISSING, SQLITE = "missing", "sqlite"


def probe_library(path: str | os.PathLike[str]) -> str:
    """``"missing"`` or ``"sqlite"``; anything else raises :class:`LibraryDamagedError`.

    Reads at most one page and never creates, opens for writing or follows a FIFO.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        raise LibraryDamagedError(f"the library file {path} cannot be read ({exc.strerror})", path=path,
                                  kind="unreadable") from exc
    if not stat.S_ISREG(info.st_mode):
        raise _damaged(path, "not-a-file", f"the library {path} is not a regular file")
    if info.st_size == 0:
        raise _damaged(path, "empty", f"the library file {path} is empty (0 bytes)")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise LibraryDamagedError(f"the library file {path} cannot be read ({exc.strerror})", path=path,
                                  kind="unreadable") from exc
    if not head.startswith(SQLITE_HEADER):
        if not head.strip(b"\x00"):
            what = "its first bytes are all zero"
        else:
            what = f"it begins with {head[:12]!r}"
        raise _damaged(path, "not-sqlite",
                       f"the library file {path} ({_size(info.st_size)}) is not an SQLite database ({what})")
    return SQLITE


def _damaged(path: Path, kind: str, summary: str) -> LibraryDamagedError:
    return LibraryDamagedError(f"{summary}; it was not changed", path=path, kind=kind, problems=[summary],
                               summary=summary)


def failed_check(path: Path, problems: list[str]) -> LibraryDamagedError:
    """The error for a file that SQLite opens but whose check found ``problems``."""
    shown = "; ".join(clean_problem(p) for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    summary = f"the library file {path} failed its integrity check: {shown}{more}"
    return LibraryDamagedError(f"{summary}; it was not changed", path=path, kind="corrupt",
                               problems=[clean_problem(p) for p in problems], summary=summary)


def clean_problem(problem: str) -> str:
    """SQLite's report on one line, without its ``*** in database main ***`` banner."""
    lines = [line.strip() for line in str(problem).splitlines()]
    return " ".join(line for line in lines if line and not line.startswith("***"))[:300]


def _size(nbytes: int) -> str:
    if nbytes < 1024:
        return f"{nbytes} bytes"
    if nbytes < 1024 * 1024:
        return f"{nbytes / 1024:.0f} KB"
    return f"{nbytes / 1024 / 1024:.1f} MB"
