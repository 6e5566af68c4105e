"""Rolling backups: one at start, then every N minutes while the author is writing.

``storage.backup.make_backup`` runs on the database worker (it reads the same
database the saves write), so it never blocks the page and never races a save.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class BackupScheduler(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.last_backup: str | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self.set_interval(window.settings.backup_interval_minutes)

    def set_interval(self, minutes: int) -> None:
        self._timer.start(max(1, int(minutes)) * 60_000)

    def _tick(self) -> None:
        if self.window.changes_since_backup:
            self.backup_now(quiet=True)

    def backup_now(self, quiet: bool = False) -> None:
        paths, keep = self.window.paths, self.window.settings.backup_keep
        self.window.changes_since_backup = False

        def done(path: object) -> None:
            self.last_backup = str(path)
            if not quiet:
                self.window.status.show_message(f"Backed up ({Path(str(path)).name})", 3000)

        def failed(exc: BaseException) -> None:
            self.window.changes_since_backup = True
            log.warning("backup failed: %s", exc)
            self.window.status.show_message(f"Backup failed: {exc}", 8000)

        def run(_lib: object) -> object:
            from writer_app.storage.backup import make_backup

            return make_backup(paths.database, paths.backups, keep)

        self.window.db.submit(run, done, failed)
