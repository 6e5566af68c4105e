"""Keeps the status bar's goals current: the goals when a project opens, today's words after each save.

Both are small queries on ``window.db`` (the save's own worker, so they run
after the save that changed the count); the GUI thread never waits on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow


class GoalsTracker(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        window.projectOpened.connect(lambda _project_id: self.refresh())
        window.autosave.saved.connect(self._on_saved)

    def refresh(self) -> None:
        """Fetch the open project's goals and today's words again (after the goals dialog saved)."""
        project_id = self.window_.current_project_id
        if project_id is None:
            return

        def load(lib: Any) -> tuple:
            return lib.goals(project_id), lib.words_by_day(project_id, days=1)[0].words

        def show(result: tuple) -> None:
            goals, today = result
            if project_id == self.window_.current_project_id:
                self.window_.status.set_goals(goals.daily_words, goals.session_words, goals.deadline)
                self.window_.status.set_today_words(today)

        self.window_.db.submit(load, show)

    def _on_saved(self, _node_id: int, result: Any) -> None:
        project_id = self.window_.current_project_id
        if project_id is None or not result.changed:
            return
        self.window_.db.submit(lambda lib: lib.words_by_day(project_id, days=1)[0].words,
                               lambda words: self.window_.status.set_today_words(words)
                               if project_id == self.window_.current_project_id else None)


def install_goals_tracker(window: MainWindow) -> GoalsTracker:
    tracker = GoalsTracker(window)
    window.goals_tracker = tracker  # type: ignore[attr-defined]
    return tracker
