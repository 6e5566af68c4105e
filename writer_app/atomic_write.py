"""Replace a file so that readers see the old contents or the new, never half.

Settings, exports, the trainer's job and dataset files all need this: write
to a temporary file beside the target, flush it to disk, then rename it over
the target (a rename within one folder is atomic). A crash or a full disk
part way leaves the previous file untouched and no stray temporary; one
that a killed process left behind is removed by the next write of the same
file.

The new file gets the permissions of a file the user creates (``0666`` less
the umask, so usually ``0644``), or those of the file it replaces; a rename
never lands on a device node, a pipe, a socket or a folder, and with
``replace=False`` never on a file that appeared while the data was written.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but is not ours to signal
    return True


def _sweep_stale(target: Path) -> None:
    """Remove temporaries that a killed writer of ``target`` left (their process is gone).

    POSIX only: elsewhere ``os.kill(pid, 0)`` is no harmless probe.
    """
    if os.name != "posix":
        return
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[0-9a-f]{{8}}\.partial")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and int(match.group(1)) != os.getpid() and entry.is_file(follow_symlinks=False) \
                and not _alive(int(match.group(1))):
            with suppress(OSError):
                os.unlink(entry.path)


def _create_temporary(target: Path) -> tuple[int, Path]:
    """A new file beside ``target``; the kernel applies the umask to its 0666 (mkstemp's 0600 would not).

    The name carries this process's id so that a later write can tell a leftover from a kill.
    """
    _sweep_stale(target)
    for _ in range(100):
        temp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
        try:
            return os.open(temp, _FLAGS, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not find a free temporary name", str(target.parent))


def _copy_permissions(fd: int, temp: Path, old: os.stat_result) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(old.st_mode))
        with suppress(OSError):  # only root may give a file away; a group may not be ours
            os.fchown(fd, old.st_uid, old.st_gid)
    else:
        os.chmod(temp, stat.S_IMODE(old.st_mode))


def _not_regular(target: Path) -> bool:
    """True when ``target`` is something a rename must not replace (a link is replaced, not followed)."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISLNK(mode))


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename (or a new file) in ``folder`` survive a power cut: POSIX keeps a folder's
    entries in the folder itself, so the rename is durable only once the folder is fsynced.
    Best effort: some file systems refuse to open or fsync a folder, and that is not an error."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _commit(temp: Path, target: Path, replace: bool) -> None:
    if _not_regular(target):
        raise OSError(errno.EINVAL, "it is not a regular file", str(target))
    if replace:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # atomic "create only if absent"
    except FileExistsError:
        raise
    except OSError:
        # Some file systems (FAT, some network shares) have no hard links: check, then rename.
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "it already exists", str(target)) from None
        os.replace(temp, target)
        return
    os.unlink(temp)


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8",
                 newline: str | None = None, replace: bool = True) -> Iterator[IO[Any]]:
    """Yield a handle on a temporary file that becomes ``path`` when the block ends cleanly.

    The folder must exist; ``mode`` is ``"w"`` (text) or ``"wb"`` (bytes).
    ``replace=False`` raises ``FileExistsError`` instead of replacing a file
    that exists when the block ends (and leaves that file alone).
    """
    target = Path(path)
    fd, temp = _create_temporary(target)
    try:
        try:
            old = os.stat(target)
        except OSError:
            old = None
        if old is not None and stat.S_ISREG(old.st_mode):
            # Replacing a file keeps its permissions (and, where allowed, its owner).
            _copy_permissions(fd, temp, old)
        text = "b" not in mode
        with os.fdopen(fd, mode, encoding=encoding if text else None, newline=newline if text else None) as handle:
            fd = -1
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _commit(temp, target, replace)
        fsync_folder(target.parent)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with suppress(OSError):
            temp.unlink()
        raise
