"""File ▸ Manage Projects…: create, rename, duplicate, trash and restore projects, and open one.

A table of the projects with their word counts, documents and when each was
last edited; "Show trash" lists the deleted ones with Restore. Every query and
change runs on ``window.db`` (the dialog fills in when the worker answers), and
after a change the window is told (``Change.PROJECTS``) so the binder's
switcher, the title and File ▸ Open Recent follow. Rename edits the title cell
in place (F2 or the button), so no second dialog opens over this one. The
project that is open cannot leave for the trash while it is the only one; when
it goes, the desk opens the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from writer_app.ui.changes import Change

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

ID_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Title", "Words", "Documents", "Last edited")
NEW_TITLE = "Untitled Project"


def last_edited(iso_utc: str) -> str:
    """The stored UTC time in the author's own time zone, e.g. "2 Dec 2026, 10:15"."""
    when = QDateTime.fromString(iso_utc, Qt.DateFormat.ISODateWithMs)
    if not when.isValid():
        return iso_utc
    return when.toLocalTime().toString("d MMM yyyy, HH:mm")


class ProjectManagerDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("projectManager")
        self.setWindowTitle("Projects")
        self.window_ = window
        self.summaries: list[Any] = []
        self.loaded = False
        self._filling = False
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("projectTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.SelectedClicked)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.show_trash = QCheckBox("Show trash", self)
        self.show_trash.setObjectName("projectShowTrash")
        self.info = QLabel(self)
        self.info.setObjectName("projectInfo")
        self.info.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for name, text, handler in (
            ("projectNewButton", "&New", self.new_project),
            ("projectOpenButton", "&Open", self.open_selected),
            ("projectRenameButton", "&Rename", self.rename_selected),
            ("projectDuplicateButton", "&Duplicate", self.duplicate_selected),
            ("projectTrashButton", "Move to &Trash", self.trash_selected),
            ("projectRestoreButton", "R&estore", self.restore_selected),
            ("projectCloseButton", "Close", self.reject),
        ):
            button = QPushButton(text, self)
            button.setObjectName(name)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, h=handler: h())
            self.buttons[name] = button
            if name == "projectCloseButton":
                row.addStretch(1)
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        trash_row = QHBoxLayout()
        trash_row.addWidget(self.show_trash)
        trash_row.addWidget(self.info, 1)
        layout.addLayout(trash_row)
        layout.addLayout(row)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.show_trash.toggled.connect(lambda _on: self.reload())
        self.resize(720, 420)
        self._update_buttons()
        self.reload()

    # -- the table ----------------------------------------------------------------------------
    def reload(self, select: int | None = None, then: Callable[[], None] | None = None) -> None:
        trashed = self.show_trash.isChecked()

        def done(summaries: list[Any]) -> None:
            if trashed == self.show_trash.isChecked():
                self._fill(summaries, select)
            if then is not None:
                then()

        # Save first, so the open document's words and time are in the table.
        self.window_.autosave.save_now(then=lambda: self.window_.db.submit(
            lambda lib: lib.list_projects(trashed=trashed), done, self._failed))

    def _fill(self, summaries: list[Any], select: int | None) -> None:
        selected = select if select is not None else self.selected_id()
        self.summaries = list(summaries)
        self._filling = True
        self.table.setRowCount(len(self.summaries))
        current = self.window_.current_project_id
        for row, summary in enumerate(self.summaries):
            project = summary.project
            cells = (project.title, f"{summary.word_count:,}", f"{summary.document_count:,}",
                     last_edited(project.updated_at))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, project.id)
                flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                if column == 0 and not self.show_trash.isChecked():
                    flags |= Qt.ItemFlag.ItemIsEditable
                else:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                                          if column else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                item.setFlags(flags)
                if project.id == current:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setToolTip("The project open now")
                self.table.setItem(row, column, item)
        self._filling = False
        rows = [r for r, s in enumerate(self.summaries) if s.project.id in (selected, current)]
        if rows:
            self.table.selectRow(rows[0] if selected is None else next(
                (r for r in rows if self.summaries[r].project.id == selected), rows[0]))
        if self.show_trash.isChecked():
            self.info.setText("The trash is empty." if not self.summaries else
                              "Deleted projects stay here, whole, until you restore them.")
        else:
            self.info.setText("")
        self.loaded = True
        self._update_buttons()

    def selected_id(self) -> int | None:
        items = self.table.selectedItems()
        return int(items[0].data(ID_ROLE)) if items else None

    def select_project(self, project_id: int) -> None:
        for row, summary in enumerate(self.summaries):
            if summary.project.id == project_id:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        chosen = self.selected_id() is not None
        trash = self.show_trash.isChecked()
        for name in ("projectOpenButton", "projectRenameButton", "projectDuplicateButton", "projectTrashButton"):
            self.buttons[name].setEnabled(chosen and not trash)
        self.buttons["projectNewButton"].setEnabled(not trash)
        self.buttons["projectRestoreButton"].setVisible(trash)
        self.buttons["projectRestoreButton"].setEnabled(chosen and trash)

    def _failed(self, exc: BaseException) -> None:
        self.info.setText(str(exc))

    def _change(self, action: Callable[[Any], Any], done: Callable[[Any], None] | None = None,
                select: Callable[[Any], int | None] = lambda _result: None) -> None:
        """Run ``action`` on the worker; then tell the window and show the table again."""
        def finished(result: Any) -> None:
            self.window_.announce(Change.PROJECTS)
            self.reload(select=select(result), then=(lambda: done(result)) if done is not None else None)

        def failed(exc: BaseException) -> None:
            self.reload(then=lambda: self._failed(exc))  # the table as stored, then the one sentence

        self.window_.db.submit(action, finished, failed)

    # -- the commands -------------------------------------------------------------------------
    def new_project(self) -> None:
        """A new project with a first chapter; its title cell opens for typing."""
        taken = {s.project.title for s in self.summaries}
        title = next(t for t in (NEW_TITLE, *(f"{NEW_TITLE} {n}" for n in range(2, 10_000))) if t not in taken)

        def create(lib: Any) -> int:
            with lib.batch("create the project"):
                project = lib.create_project(title)
                lib.create_node(project.id, "chapter", "Chapter 1")
            return project.id

        self._change(create, select=lambda project_id: project_id,
                     done=lambda project_id: (self.select_project(project_id), self.rename_selected()))

    def rename_selected(self, title: str | None = None) -> None:
        """With ``title``: rename now; without: edit the title cell in place (Enter renames)."""
        row = self.table.currentRow()
        project_id = self.selected_id()
        if project_id is None:
            return
        if title is None:
            self.table.setCurrentCell(row, 0)
            self.table.editItem(self.table.item(row, 0))
            return
        self._change(lambda lib: lib.update_project(project_id, title=title), select=lambda _p: project_id)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        project_id = int(item.data(ID_ROLE))
        old = next((s.project.title for s in self.summaries if s.project.id == project_id), None)
        if item.text().strip() and item.text() != old:
            self._change(lambda lib: lib.update_project(project_id, title=item.text()), select=lambda _p: project_id)
        elif not item.text().strip():
            self.reload()  # an empty title is not a rename

    def duplicate_selected(self) -> None:
        project_id = self.selected_id()
        if project_id is not None:
            self._change(lambda lib: lib.duplicate_project(project_id).id, select=lambda new_id: new_id)

    def trash_selected(self) -> None:
        project_id = self.selected_id()
        if project_id is None:
            return
        window = self.window_

        def trash(lib: Any) -> int | None:
            lib.trash_project(project_id)
            live = lib.list_projects()
            return live[0].project.id if live else None

        def moved(next_id: int | None) -> None:  # its place is kept: a restore comes back to it
            window.status.show_message("Moved to the trash. File ▸ Manage Projects ▸ Show trash brings it back.",
                                       8000)
            if project_id == window.current_project_id and next_id is not None:
                window.open_project(next_id)

        if project_id == window.current_project_id:  # its last words first
            window.autosave.save_now(then=lambda: self._change(trash, done=moved))
        else:
            self._change(trash, done=moved)

    def restore_selected(self) -> None:
        project_id = self.selected_id()
        if project_id is not None:
            self._change(lambda lib: lib.restore_project(project_id))

    def open_selected(self) -> None:
        project_id = self.selected_id()
        if project_id is None:
            return
        if project_id != self.window_.current_project_id:
            self.window_.open_project(project_id)
        self.accept()


def open_project_manager(window: MainWindow) -> ProjectManagerDialog:
    dialog = ProjectManagerDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
