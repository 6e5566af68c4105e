"""Find in Project (Ctrl+Shift+F): a docked panel with one row per occurrence.

The panel docks beside the binder, so the page stays in view while the author
walks the hits. Each row is one place a term occurs (``storage.search.SearchMatch``),
its own words highlighted in their context; opening a row opens the document
and selects exactly that occurrence (the spans are ``str`` indexes;
``editor.go_to_offset`` converts them through ``ui/text_positions``, so emoji
before a hit do not shift it). The query runs on the database worker after a
save, so the search sees what was just typed; an answer to an older query is
dropped.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

SEARCH_DELAY_MS = 250
HTML_ROLE = Qt.ItemDataRole.UserRole + 1
MATCH_STYLE = "background-color: #f2c94c; color: #1a1a1a; font-weight: bold;"


def match_html(match: Any) -> str:
    """The row: the document's title, then the context with this occurrence highlighted."""
    return (f"<small><b>{html.escape(match.title)}</b></small><br>"
            f"{html.escape(match.before)}<span style='{MATCH_STYLE}'>{html.escape(match.matched)}</span>"
            f"{html.escape(match.after)}")


class _RichTextDelegate(QStyledItemDelegate):
    """Paints each row's HTML (a QLabel per row would make a thousand widgets)."""

    def _document(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QTextDocument:
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setHtml(index.data(HTML_ROLE) or "")
        document.setTextWidth(max(80, option.rect.width() - 4))
        return document

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        document = self._document(option, index)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(role))
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(QRectF(0, 0, option.rect.width(), option.rect.height()))
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt override
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        document = self._document(option, index)
        return QSize(int(document.idealWidth()), int(document.size().height()) + 4)


class ProjectSearchPanel(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("projectSearch")
        self.window_ = window
        self.matches: list[Any] = []
        self.dock: QDockWidget | None = None  # set by search_dock
        self.query_field = QLineEdit(self)
        self.query_field.setObjectName("projectSearchField")
        self.query_field.setPlaceholderText("Words to find in this project")
        self.query_field.setClearButtonEnabled(True)
        self.info = QLabel(self)
        self.info.setObjectName("projectSearchInfo")
        self.info.setWordWrap(True)
        self.results = QListWidget(self)
        self.results.setObjectName("projectSearchResults")
        self.results.setItemDelegate(_RichTextDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setUniformItemSizes(False)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.query_field)
        layout.addWidget(self.info)
        layout.addWidget(self.results, 1)
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.query_field.textEdited.connect(lambda _t: self._timer.start())
        self.query_field.returnPressed.connect(self.run_search)
        self.results.itemActivated.connect(self.open_item)
        self.results.itemClicked.connect(self.open_item)
        window.projectOpened.connect(lambda _pid: self.run_search() if self.query_field.text().strip() else None)

    def run_search(self) -> None:
        self._timer.stop()
        query = self.query_field.text().strip()
        project_id = self.window_.current_project_id
        self._generation += 1
        generation = self._generation
        if not query or project_id is None:
            self.show_matches([])
            self.info.clear()
            return

        def show(matches: list[Any]) -> None:
            if generation == self._generation:
                self.show_matches(matches)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.results.clear()
                self.info.setText(str(exc))

        self.info.setText("Searching…")
        self.window_.autosave.save_now(then=lambda: self.window_.db.submit(
            lambda lib: lib.search_matches(project_id, query), show, failed))

    def show_matches(self, matches: list[Any]) -> None:
        self.matches = list(matches)
        self.results.clear()
        for match in self.matches:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.DisplayRole, f"{match.title}: {match.before}{match.matched}{match.after}")
            item.setData(HTML_ROLE, match_html(match))
            item.setToolTip(match.title)
            self.results.addItem(item)
        count = len(self.matches)
        documents = len({m.node_id for m in self.matches})
        if not count:
            self.info.setText("No matches." if self.query_field.text().strip() else "")
        else:
            self.info.setText(f"{count:,} match{'es' if count != 1 else ''} in "
                              f"{documents:,} document{'s' if documents != 1 else ''}.")

    def open_item(self, item: QListWidgetItem) -> None:
        row = self.results.row(item)
        if 0 <= row < len(self.matches):
            self.open_match(self.matches[row])

    def open_match(self, match: Any) -> None:
        window = self.window_

        def place() -> None:
            window.editor.go_to_offset(match.start, match.end - match.start)

        if window.current_node_id == match.node_id:
            window.autosave.save_now(then=place)
        else:
            window.open_document(match.node_id, then=place)


def search_dock(window: MainWindow) -> ProjectSearchPanel:
    """The panel in its dock, made on first use and kept (beside the binder, never over the page)."""
    panel = window.project_search
    if not isinstance(panel, ProjectSearchPanel):
        panel = ProjectSearchPanel(window)
        window.project_search = panel
        panel.dock = window.add_panel(panel, "Find in Project", Qt.DockWidgetArea.LeftDockWidgetArea)
        panel.dock.setObjectName("projectSearchDock")
        window.splitDockWidget(window.binder_dock, panel.dock, Qt.Orientation.Vertical)
        half = max(200, window.height() // 2)
        window.resizeDocks([window.binder_dock, panel.dock], [half, half], Qt.Orientation.Vertical)
    return panel


def open_project_search(window: MainWindow) -> ProjectSearchPanel:
    panel = search_dock(window)
    if panel.dock is not None:
        panel.dock.show()
        panel.dock.raise_()
    panel.query_field.setFocus()
    panel.query_field.selectAll()
    return panel
