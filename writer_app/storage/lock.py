"""One writer-app window per profile.

Two windows writing one library would each believe their autosave is the
truth. An exclusive ``fcntl.flock`` on the profile's lock file makes the
second instance stop with a clear message; the kernel drops the lock when the
process dies (even by kill -9), so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from writer_app.errors import UserError


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
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while locked
        except OSError as exc:
            raise UserError(f"could not create the lock file {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            handle.close()
            raise UserError(f"this library is already open in another writer-app window (pid {pid})") from None
        except OSError as exc:
            handle.close()
            raise UserError(f"could not lock {self.path}: {exc.strerror}") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        finally:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ProfileLock:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()
