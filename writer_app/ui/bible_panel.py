"""The story bible: characters, places, objects and lore for the open project.

A searchable list beside a form; add, edit and delete go through the
database worker, then ``Change.BIBLE`` is announced and the list re-read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.ui.changes import Change

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

KINDS = ("character", "place", "object", "lore", "note")
KIND_LABELS = {"character": "Character", "place": "Place", "object": "Object", "lore": "Lore", "note": "Note"}


class StoryBiblePanel(QWidget):
    entriesChanged = Signal()

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storyBible")
        self.window_ = window
        self.entries: list[Any] = []
        self.current_id: int | None = None
        self.search_field = QLineEdit(self)
        self.search_field.setObjectName("bibleSearch")
        self.search_field.setPlaceholderText("Search characters, places, lore…")
        self.search_field.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setObjectName("bibleList")
        self.kind_box = QComboBox(self)
        for kind in KINDS:
            self.kind_box.addItem(KIND_LABELS[kind], kind)
        self.name_field = QLineEdit(self)
        self.aliases_field = QLineEdit(self)
        self.aliases_field.setPlaceholderText("Other names, separated by commas")
        self.description_field = QPlainTextEdit(self)
        self.description_field.setPlaceholderText("Who or what this is, as the assistant should know it")
        self.notes_field = QPlainTextEdit(self)
        self.notes_field.setPlaceholderText("Private notes")
        for field in (self.description_field, self.notes_field):
            field.setMaximumHeight(140)
        self.new_button = QPushButton("New", self)
        self.save_button = QPushButton("Save", self)
        self.delete_button = QPushButton("Delete", self)
        form = QFormLayout()
        form.addRow("Kind", self.kind_box)
        form.addRow("Name", self.name_field)
        form.addRow("Also called", self.aliases_field)
        form.addRow("Description", self.description_field)
        form.addRow("Notes", self.notes_field)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.save_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_field)
        layout.addWidget(self.list, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.reload)
        self.search_field.textChanged.connect(lambda _t: self._search_timer.start())
        self.list.currentItemChanged.connect(self._show_current)
        self.new_button.clicked.connect(self.clear_form)
        self.save_button.clicked.connect(self.save_entry)
        self.delete_button.clicked.connect(self.delete_entry)
        window.projectOpened.connect(lambda _pid: self.reload())
        window.changed.connect(self._on_changed)
        self.clear_form()

    def _on_changed(self, changes: frozenset[Change]) -> None:
        if Change.BIBLE in changes:
            self.reload()

    def reload(self) -> None:
        project_id = self.window_.current_project_id
        if project_id is None:
            return
        query = self.search_field.text().strip() or None
        self.window_.db.submit(lambda lib: lib.bible_entries(project_id, query=query), self._fill,
                               lambda exc: self.window_.show_error(f"Story bible: {exc}"))

    def _fill(self, entries: list[Any]) -> None:
        keep = self.current_id
        self.entries = list(entries)
        self.list.blockSignals(True)
        self.list.clear()
        for entry in self.entries:
            item = QListWidgetItem(f"{entry.name}  ·  {KIND_LABELS.get(entry.kind, entry.kind)}")
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            self.list.addItem(item)
            if entry.id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self.delete_button.setEnabled(self.current_id is not None)
        self.entriesChanged.emit()

    def _show_current(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        entry = next((e for e in self.entries if item and e.id == item.data(Qt.ItemDataRole.UserRole)), None)
        if entry is None:
            return
        self.current_id = entry.id
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(entry.kind)))
        self.name_field.setText(entry.name)
        self.aliases_field.setText(", ".join(entry.aliases))
        self.description_field.setPlainText(entry.description)
        self.notes_field.setPlainText(entry.notes)
        self.delete_button.setEnabled(True)

    def clear_form(self) -> None:
        self.current_id = None
        self.list.clearSelection()
        self.name_field.clear()
        self.aliases_field.clear()
        self.description_field.clear()
        self.notes_field.clear()
        self.delete_button.setEnabled(False)
        self.name_field.setFocus()

    def _form_fields(self) -> dict[str, Any]:
        aliases = tuple(a.strip() for a in self.aliases_field.text().split(",") if a.strip())
        return {"kind": self.kind_box.currentData(), "name": self.name_field.text().strip(),
                "aliases": aliases, "description": self.description_field.toPlainText(),
                "notes": self.notes_field.toPlainText()}

    def save_entry(self) -> None:
        fields = self._form_fields()
        project_id, entry_id = self.window_.current_project_id, self.current_id
        if not fields["name"] or project_id is None:
            self.window_.show_error("Give the entry a name first.")
            return

        def write(lib: Any) -> int:
            if entry_id is None:
                return lib.add_bible_entry(project_id, **fields).id
            lib.update_bible_entry(entry_id, **fields)
            return entry_id

        def done(new_id: int) -> None:
            self.current_id = new_id
            self.window_.announce(Change.BIBLE)  # this panel reloads, and whoever else shows entries

        self.window_.db.submit(write, done, lambda exc: self.window_.show_error(f"Story bible: {exc}"))

    def delete_entry(self) -> None:
        entry_id = self.current_id
        if entry_id is None:
            return
        self.window_.db.submit(lambda lib: lib.delete_bible_entry(entry_id),
                               lambda _r: (self.clear_form(), self.window_.announce(Change.BIBLE)),
                               lambda exc: self.window_.show_error(f"Story bible: {exc}"))
