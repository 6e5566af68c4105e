"""Find in Project (Ctrl+Shift+F): full-text search with snippets; a click opens the hit.

The query runs on the database worker (FTS5), and results typed while a
query is running are dropped in favour of the newest one.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

SEARCH_DELAY_MS = 250
WORD = re.compile(r"\w+", re.UNICODE)


def highlight_snippet(snippet: str) -> str:
    """Storage marks matches as [word]; show them in bold, everything else as plain text."""
    parts = re.split(r"\[([^\[\]]*)\]", snippet)
    return "".join(f"<b>{html.escape(p)}</b>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


class ProjectSearchDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("projectSearch")
        self.setWindowTitle("Find in Project")
        self.window_ = window
        self.hits: list[Any] = []
        self.query_field = QLineEdit(self)
        self.query_field.setObjectName("projectSearchField")
        self.query_field.setPlaceholderText("Words to find in every document of this project")
        self.results = QListWidget(self)
        self.results.setObjectName("projectSearchResults")
        self.results.setWordWrap(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.info = QLabel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.query_field)
        layout.addWidget(self.info)
        layout.addWidget(self.results, 1)
        self.resize(620, 520)
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.query_field.textEdited.connect(lambda _t: self._timer.start())
        self.query_field.returnPressed.connect(self.run_search)
        self.results.itemActivated.connect(self.open_item)
        self.results.itemClicked.connect(self.open_item)

    def run_search(self) -> None:
        self._timer.stop()
        query = self.query_field.text().strip()
        project_id = self.window_.current_project_id
        self._generation += 1
        generation = self._generation
        if not query or project_id is None:
            self.results.clear()
            self.info.clear()
            return

        def show(hits: list[Any]) -> None:
            if generation == self._generation:
                self.show_hits(hits)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.results.clear()
                self.info.setText(str(exc))

        # Save first so the search sees what the author just typed.
        self.window_.autosave.save_now(then=lambda: self.window_.db.submit(
            lambda lib: lib.search(project_id, query), show, failed))

    def show_hits(self, hits: list[Any]) -> None:
        self.hits = list(hits)
        self.results.clear()
        for hit in self.hits:
            snippet = re.sub(r"\s+", " ", hit.snippet).strip()
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{hit.title}: {snippet}")
            item.setData(Qt.ItemDataRole.UserRole, f"{hit.title}\n{snippet}")
            label = QLabel(f"<b>{html.escape(hit.title)}</b><br>{highlight_snippet(snippet)}")
            label.setWordWrap(True)
            label.setContentsMargins(6, 4, 6, 4)
            self.results.addItem(item)
            width = max(200, self.results.viewport().width() - 8)
            item.setSizeHint(QSize(width, label.heightForWidth(width) + 2))
            self.results.setItemWidget(item, label)
        count = len(self.hits)
        self.info.setText("No matches." if not count else f"{count} document{'s' if count != 1 else ''} match.")

    def open_item(self, item: QListWidgetItem) -> None:
        row = self.results.row(item)
        if 0 <= row < len(self.hits):
            self.open_hit(self.hits[row])

    def open_hit(self, hit: Any) -> None:
        words = WORD.findall(self.query_field.text())
        length = len(words[0]) if words else 0
        window = self.window_

        def place() -> None:
            window.editor.go_to_offset(hit.offset, length)

        if window.current_node_id == hit.node_id:
            window.autosave.save_now(then=place)
        else:
            window.open_document(hit.node_id, then=place)


def open_project_search(window: MainWindow) -> ProjectSearchDialog:
    dialog = window.project_search
    if not isinstance(dialog, ProjectSearchDialog):
        dialog = ProjectSearchDialog(window)
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        window.project_search = dialog
    dialog.show()
    dialog.raise_()
    dialog.query_field.setFocus()
    dialog.query_field.selectAll()
    return dialog
