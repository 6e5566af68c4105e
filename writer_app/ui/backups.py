"""Backups while the author writes: made when due (checked every minute), and on demand.

``storage.backup.backup_if_due`` decides: a copy only when the newest backup is
older than the interval and the library's content differs from it, so neither
starting the app nor leaving it open idle adds copies. "Back Up Now" always
copies. Both run on the database worker, through the library's own connection,
so they never block the page and never race a save. Which copies are kept
(generations, and the last good copy before a library shrank) is the storage
layer's business.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from writer_app.ui.changes import Change

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

CHECK_EVERY_MS = 60_000


class BackupScheduler(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.last_backup: str | None = None
        self.interval_minutes = 10
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self.set_interval(window.settings.backup_interval_minutes)
        self._timer.start(CHECK_EVERY_MS)
        window.changed.connect(self._on_changed)

    def _on_changed(self, changes: frozenset[Change]) -> None:
        if Change.SETTINGS in changes:
            self.set_interval(self.window.settings.backup_interval_minutes)

    def set_interval(self, minutes: int) -> None:
        self.interval_minutes = max(1, int(minutes))

    def _tick(self) -> None:
        # Cheap when nothing is due (a folder listing; the content comparison only once the
        # interval has passed), and exact: no flag to lose a change between two saves.
        self.backup_if_due()

    def backup_if_due(self) -> None:
        """A copy if one is due (see the module docstring); quiet either way."""
        paths, keep, minutes = self.window.paths, self.window.settings.backup_keep, self.interval_minutes

        def run(lib: Any) -> object:
            from writer_app.storage.backup import backup_if_due

            return backup_if_due(lib, paths.backups, minutes, keep)

        self._submit(run, quiet=True)

    def backup_now(self, quiet: bool = False) -> None:
        paths, keep = self.window.paths, self.window.settings.backup_keep
        self._submit(lambda lib: lib.make_backup(paths.backups, keep), quiet=quiet)

    def _submit(self, run: Any, quiet: bool) -> None:
        def done(path: object) -> None:
            if path is None:  # not due: nothing changed since the newest backup, or too soon
                return
            self.last_backup = str(path)
            if not quiet:
                self.window.status.show_message(f"Backed up ({Path(str(path)).name})", 3000)

        def failed(exc: BaseException) -> None:
            log.warning("backup failed: %s", exc)
            self.window.status.show_message(f"Backup failed: {exc}", 8000)

        self.window.db.submit(run, done, failed)
