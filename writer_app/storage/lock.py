"""One writer-app window per profile.

Two windows writing one library would each believe their autosave is the
truth. An exclusive ``fcntl.flock`` on the profile's lock file makes the
second instance stop with a clear message; the kernel drops the lock when the
process dies (even by kill -9), so a crash never leaves a stale lock behind.

Writing our pid into the lock file is the first write a command makes, so a
full disk or a read-only drive shows up here first: every failure is one
UserError that names the file and the reason, and leaves no handle open.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from writer_app.errors import UserError, os_error_reason
from writer_app.paths import display_path


class ProfileLock:
    """``acquire()`` or use as a context manager; ``release()`` is idempotent."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> ProfileLock:
        if self._handle is not None:
            return self
        where = display_path(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while locked
        except OSError as exc:
            raise UserError(f"could not open the lock file {where}: {os_error_reason(exc)}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            handle.close()
            raise UserError(f"this library is already open in another writer-app window (pid {pid})") from None
        except OSError as exc:
            handle.close()
            raise UserError(f"could not lock {where}: {os_error_reason(exc)}") from exc
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except OSError as exc:
            _close_quietly(handle)  # also drops the lock
            raise UserError(f"could not write the lock file {where}: {os_error_reason(exc)}") from exc
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        try:
            handle.seek(0)
            handle.truncate()
        except OSError:
            pass  # a stale pid in the file is harmless: only the flock counts, and closing drops it
        finally:
            _close_quietly(handle)

    def __enter__(self) -> ProfileLock:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _close_quietly(handle: IO[str]) -> None:
    """Close ``handle``; a write still buffered in it may fail on a full disk and must not mask the real error."""
    try:
        handle.close()
    except OSError:
        pass
