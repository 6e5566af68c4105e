"""Reading the files an author asks us to import, and only those.

A path handed to the importer can be anything: a named pipe (opening it
blocks until someone writes), ``/dev/zero`` behind a ``chapter.txt`` link
(reads forever), a link loop, a 50 MB log. So a source is stat'ed through its
links first and must be a regular file; it is opened with ``O_NONBLOCK`` (a
FIFO swapped in after the stat cannot block the open), the opened descriptor
is checked again with ``fstat``, and at most ``cap + 1`` bytes are ever read,
whatever the size the file claims. Every refusal is one sentence naming the
file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from writer_app.errors import UserError

READ_CHUNK = 1 << 20
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def shown(path: str | os.PathLike[str]) -> str:
    """A path as the author can read it: undecodable bytes in its name become U+FFFD.

    Linux file names are bytes; Python keeps the ones that are not UTF-8 as lone
    surrogates, which cannot be printed or stored. Messages and titles use this.
    """
    return os.fsencode(path).decode("utf-8", errors="replace")


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words ("a named pipe (FIFO)")."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def os_error_reason(path: Path, exc: OSError) -> str:
    """Why a stat or open failed, as the end of a sentence ("is a symbolic link loop...")."""
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop (its links point back to each other), not a file"
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            return f"is a link to {shown(os.readlink(path))}, which does not exist"
        return "does not exist"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    if exc.errno == errno.ENOTDIR:
        return "does not exist (a part of its path is not a folder)"
    return f"cannot be read ({exc.strerror or exc})"


def explain_os_error(path: Path, exc: OSError, label: str | None = None) -> UserError:
    """One sentence for a stat or open that failed (a loop is a loop, not "does not exist")."""
    return UserError(f"{label or shown(path)} {os_error_reason(path, exc)}")


def stat_source(path: Path, label: str | None = None) -> os.stat_result:
    """``os.stat`` through links, with the failure said in one sentence."""
    try:
        return os.stat(path)
    except OSError as exc:
        raise explain_os_error(path, exc, label) from exc
    except ValueError as exc:  # an embedded NUL in the name
        raise UserError(f"{label or shown(path)} is not a valid file name") from exc


def _too_big(name: str, size: int | None, cap: int) -> UserError:
    how_big = f"is {size / 2**20:.0f} MB" if size is not None else f"holds more than {cap / 2**20:.0f} MB"
    return UserError(f"{name} {how_big}; writer-app imports manuscripts up to "
                     f"{cap / 2**20:.0f} MB per file (split it into several files)")


def read_regular_file(path: Path, cap: int, label: str | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (links followed), never more than ``cap``.

    Refuses pipes, devices, sockets and folders before opening them, re-checks
    the opened descriptor, and stops reading at ``cap + 1`` bytes.
    """
    name = label or shown(path)
    info = stat_source(path, label)
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{name} is {kind_of(info.st_mode)}, not a regular file; "
                        "writer-app imports only regular files")
    if info.st_size > cap:
        raise _too_big(name, info.st_size, cap)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise explain_os_error(path, exc, label) from exc
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped for something else since the stat
            raise UserError(f"{name} is {kind_of(opened.st_mode)}, not a regular file; "
                            "writer-app imports only regular files")
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(READ_CHUNK, cap + 1 - total))
            except OSError as exc:
                raise UserError(f"could not read {name}: {exc.strerror or exc}") from exc
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:  # it grew, or it lied about its size
                raise _too_big(name, None, cap)
        return b"".join(chunks)
    finally:
        os.close(fd)
