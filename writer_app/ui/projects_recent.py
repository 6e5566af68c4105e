"""File ▸ Open Recent: the projects opened most recently, newest first (``window.places`` keeps the order).

The live projects' titles are fetched on ``window.db`` when a project opens
and after the project manager changed something, so the menu never shows a
trashed project or an old title, and showing it never waits on the library.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from writer_app.ui.changes import Change


class RecentProjectsMenu(QMenu):
    def __init__(self, window: Any) -> None:
        super().__init__("Open &Recent", window)
        self.setObjectName("menuOpenRecent")
        self.window_ = window
        self.titles: dict[int, str] = {}
        window.projectOpened.connect(lambda _project_id: self.refresh())
        window.changed.connect(lambda changes: self.refresh() if Change.PROJECTS in changes else None)
        self.rebuild()

    def refresh(self) -> None:
        def shown(summaries: list[Any]) -> None:
            self.titles = {s.project.id: s.project.title for s in summaries}
            self.rebuild()

        self.rebuild()  # the new order at once, with the titles known so far
        self.window_.db.submit(lambda lib: lib.list_projects(), shown)

    def rebuild(self) -> None:
        self.clear()
        current = self.window_.current_project_id
        recent = [pid for pid in self.window_.places.recent() if pid in self.titles]
        for number, project_id in enumerate(recent, start=1):
            title = self.titles[project_id].replace("&", "&&")
            action = QAction(f"&{number} {title}" if number < 10 else title, self)
            action.setObjectName(f"actionRecentProject{number}")
            action.setData(project_id)
            action.setCheckable(True)
            action.setChecked(project_id == current)
            action.triggered.connect(lambda _checked=False, pid=project_id: self._open(pid))
            self.addAction(action)
        self.setEnabled(bool(recent))

    def _open(self, project_id: int) -> None:
        if project_id != self.window_.current_project_id:
            self.window_.open_project(project_id)
        else:
            self.rebuild()  # keep the tick on the open project
