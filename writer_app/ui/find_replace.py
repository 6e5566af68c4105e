"""Find and replace in the open document (Ctrl+F / Ctrl+H), as a bar under the text.

A bar rather than a dialog so the text stays visible and the author can keep
typing; it searches the QTextDocument directly (fast on long chapters) and
replaces through one edit block so Undo takes a whole "replace all" back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from writer_app.ui.editor import ManuscriptEditor


class FindReplaceBar(QWidget):
    def __init__(self, editor: ManuscriptEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findReplaceBar")
        self.editor = editor
        self.find_field = QLineEdit(self)
        self.find_field.setObjectName("findField")
        self.find_field.setPlaceholderText("Find")
        self.replace_field = QLineEdit(self)
        self.replace_field.setObjectName("replaceField")
        self.replace_field.setPlaceholderText("Replace with")
        self.case_box = QCheckBox("Match case", self)
        self.words_box = QCheckBox("Whole words", self)
        self.status = QLabel(self)
        previous = QPushButton("Previous", self)
        following = QPushButton("Next", self)
        self.replace_button = QPushButton("Replace", self)
        self.replace_all_button = QPushButton("Replace All", self)
        close = QPushButton("✕", self)
        close.setFlat(True)
        close.setToolTip("Close (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        for widget in (self.find_field, previous, following, self.replace_field, self.replace_button,
                       self.replace_all_button, self.case_box, self.words_box, self.status):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(close)
        self.find_field.returnPressed.connect(self.find_next)
        self.find_field.textEdited.connect(lambda _t: self.find_next(from_start_of_selection=True))
        self.replace_field.returnPressed.connect(self.replace_one)
        previous.clicked.connect(self.find_previous)
        following.clicked.connect(lambda: self.find_next())
        self.replace_button.clicked.connect(self.replace_one)
        self.replace_all_button.clicked.connect(self.replace_all)
        close.clicked.connect(self.close_bar)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close_bar,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.hide()

    def open_find(self, replace: bool = False) -> None:
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_field.setText(selected)
        for widget in (self.replace_field, self.replace_button, self.replace_all_button):
            widget.setVisible(replace)
        self.show()
        self.find_field.setFocus()
        self.find_field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()

    def _flags(self, backward: bool = False) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if self.case_box.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if self.words_box.isChecked():
            flags |= QTextDocument.FindFlag.FindWholeWords
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        return flags

    def _find(self, backward: bool, start: QTextCursor) -> bool:
        needle = self.find_field.text()
        if not needle:
            self.status.clear()
            return False
        document = self.editor.document()
        found = document.find(needle, start, self._flags(backward))
        if found.isNull():  # wrap around
            wrap = QTextCursor(document)
            if backward:
                wrap.movePosition(QTextCursor.MoveOperation.End)
            found = document.find(needle, wrap, self._flags(backward))
        if found.isNull():
            self.status.setText("Not found")
            return False
        self.status.setText("")
        self.editor.setTextCursor(found)
        self.editor.ensureCursorVisible()
        return True

    def find_next(self, from_start_of_selection: bool = False) -> bool:
        cursor = self.editor.textCursor()
        if from_start_of_selection:
            cursor.setPosition(cursor.selectionStart())
        return self._find(False, cursor)

    def find_previous(self) -> bool:
        cursor = self.editor.textCursor()
        cursor.setPosition(cursor.selectionStart())
        return self._find(True, cursor)

    def _selection_matches(self) -> bool:
        selected = self.editor.textCursor().selectedText()
        needle = self.find_field.text()
        if self.case_box.isChecked():
            return selected == needle
        return selected.casefold() == needle.casefold()

    def replace_one(self) -> None:
        if self._selection_matches() and self.find_field.text():
            self.editor.textCursor().insertText(self.replace_field.text())
        self.find_next()

    def replace_all(self) -> int:
        needle = self.find_field.text()
        if not needle:
            return 0
        document = self.editor.document()
        cursor = QTextCursor(document)
        edit = QTextCursor(document)
        edit.beginEditBlock()
        count = 0
        while True:
            cursor = document.find(needle, cursor, self._flags())
            if cursor.isNull():
                break
            cursor.insertText(self.replace_field.text())
            count += 1
        edit.endEditBlock()
        self.status.setText(f"Replaced {count}")
        return count
