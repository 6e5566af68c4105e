"""May an export be written at the path the author typed?

An export renames a new file over whatever the path names, so a careless
``-o`` could destroy the very library it was exported from, turn a link
into a file, or (as root) replace ``/dev/null``. :func:`check_target` says
no, in one sentence, to:

- the profile's own files and anything inside its folders (the library and
  its ``-wal``/``-shm``, backups, adapters, settings, the lock, the caches),
  compared by real path after resolving links and ``..``, and by inode
  identity, so a hard link, a symlinked folder or a bind mount is caught too;
- anything that is not a regular file: a symlink, a folder, a device node,
  a named pipe, a socket;
- an existing file, unless the author agreed to replace it
  (:class:`TargetExists`, which the CLI turns into "add --force" and the UI
  into a confirmation).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from writer_app.errors import UserError
from writer_app.paths import ProfilePaths

SIDECARS = ("-wal", "-shm", "-journal")


class TargetExists(UserError):
    """The export would replace an existing file the author has not agreed to replace."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists")
        self.path = path


@dataclass(frozen=True)
class Protected:
    """Files and folders an export must never write: (label, path) pairs."""

    files: tuple[tuple[str, Path], ...] = ()
    folders: tuple[tuple[str, Path], ...] = ()

    @classmethod
    def for_library(cls, database: str | os.PathLike[str]) -> Protected:
        """The library file and its journals (all a bare :class:`Library` knows about)."""
        database = Path(database)
        files = [("the library itself", database)]
        files += [(f"the library's {suffix[1:]} file", Path(f"{database}{suffix}")) for suffix in SIDECARS]
        return cls(files=tuple(files))

    @classmethod
    def for_profile(cls, paths: ProfilePaths) -> Protected:
        """Everything the profile owns: its library, settings, lock and every folder it uses."""
        base = cls.for_library(paths.database)
        files = (*base.files, ("the profile's settings", paths.settings_file), ("the profile's lock", paths.lock_file))
        folders = (("the profile's data folder", paths.data), ("the profile's settings folder", paths.config),
                   ("the profile's cache", paths.cache), ("the profile's logs folder", paths.logs),
                   ("the model cache", paths.model_cache))
        return cls(files=files, folders=folders)

    def __add__(self, other: Protected) -> Protected:
        return Protected(self.files + other.files, self.folders + other.folders)


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _protection(real: Path, folder_real: Path, st: os.stat_result | None, protected: Protected) -> str | None:
    """The label of what ``real`` would overwrite, or None if it is the author's own file."""
    for label, path in protected.files:
        if real in (_real(path), _real(path.parent) / path.name):
            return label
        if st is not None and _identity(path) == (st.st_dev, st.st_ino):
            return label  # a hard link (or another name) for the same file
    ancestors = [folder_real, *folder_real.parents]
    ancestor_ids = {_identity(a) for a in ancestors} - {None}
    for label, folder in protected.folders:
        folder_real_path = _real(folder)
        if real == folder_real_path or real.is_relative_to(folder_real_path):
            return f"inside {label} {folder}"
        if _identity(folder) in ancestor_ids:
            return f"inside {label} {folder}"  # the same folder reached another way (a bind mount)
    return None


def check_target(out: str | os.PathLike[str], protected: Protected, *, overwrite: bool) -> Path:
    """``out`` if an export may be written there; otherwise a one-sentence :class:`UserError`.

    ``overwrite`` is the author's consent to replace an existing regular file;
    without it an existing file raises :class:`TargetExists`.
    """
    out = Path(out).expanduser()
    if out.name in ("", ".", ".."):
        raise UserError(f"{out} names a folder, not a file; add a file name such as book.md")
    folder = out.parent
    try:
        folder_real = folder.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise UserError(f"the folder {folder} does not exist") from None
    except (OSError, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or "it cannot be reached"
        raise UserError(f"the folder {folder} cannot be used: {reason}") from None
    if not folder_real.is_dir():
        raise UserError(f"the folder {folder} does not exist")
    try:
        st: os.stat_result | None = os.lstat(out)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UserError(f"could not look at {out}: {exc.strerror or exc}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UserError(f"{out} is {_kind(st.st_mode)}, not a regular file; choose another name to export to")
    what = _protection(folder_real / out.name, folder_real, st, protected)
    if what is not None:
        raise UserError(f"{out} is {what}; export to a file outside the writer-app profile")
    if st is not None and not overwrite:
        raise TargetExists(out)
    return out
