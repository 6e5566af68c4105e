"""Help ▸ Keyboard Shortcuts: a sheet read from the window's own menus, so it cannot go stale.

Each row is one menu entry: where it lives, its shortcut(s) as the platform
writes them, and its Alt-key path through the menu bar ("Alt+D, L"). The rows
come from walking ``window.menuBar()`` at the moment the sheet opens, so an
action added, renamed or rebound anywhere shows up here without anyone editing
a table. A filter box narrows the list as the author types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_app.ui.mnemonics import mnemonic

# Keys a keyboard has (with or without modifiers); Qt also binds some actions to dedicated media
# keys ("Undo", "Find", "Copy" keys of some keyboards), which would only puzzle the reader here.
_KEY = re.compile(r"(.+\+.+|F\d+|Esc|Del|Ins|Home|End|PgUp|PgDown|Return|Enter|Backspace|Tab|Space)")


@dataclass(frozen=True)
class ShortcutRow:
    menu: str  # "Document" or "View ▸ Panels"
    command: str  # the entry's text, without its & marks
    shortcuts: str  # "Ctrl+Shift+K" ("" when none)
    keys: str  # the Alt-key path, "Alt+D, L" ("" when a letter is missing on the way)
    action: QAction


def plain(text: str) -> str:
    """A menu text as the author reads it ("Sp&lit…" → "Split…", "&&" → "&")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def shortcut_rows(window: QMainWindow) -> list[ShortcutRow]:
    """Every visible menu entry of the window's menu bar, in menu order."""
    rows: list[ShortcutRow] = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if menu is not None and top.isVisible():
            letter = mnemonic(top.text())
            _walk(menu, plain(top.text()), [f"Alt+{letter.upper()}"] if letter else None, rows)
    return rows


def _walk(menu: QMenu, where: str, path: list[str] | None, rows: list[ShortcutRow]) -> None:
    for action in menu.actions():
        if action.isSeparator() or not action.isVisible() or not action.text():
            continue
        letter = mnemonic(action.text())
        here = [*path, letter.upper()] if path is not None and letter else None
        if action.menu() is not None:
            _walk(action.menu(), f"{where} ▸ {plain(action.text())}", here, rows)
            continue
        shortcuts = ", ".join(key_names(action))
        rows.append(ShortcutRow(where, plain(action.text()), shortcuts, ", ".join(here) if here else "", action))


def key_names(action: QAction) -> list[str]:
    """The action's shortcuts as the platform writes them, without dedicated media keys."""
    names = []
    for key in action.shortcuts():
        if _KEY.fullmatch(key.toString(QKeySequence.SequenceFormat.PortableText)):
            names.append(key.toString(QKeySequence.SequenceFormat.NativeText))
    return names


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("shortcutsSheet")
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(640, 600)
        self.rows = shortcut_rows(window)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("shortcutsFilter")
        self.filter.setPlaceholderText("Filter: type a command or a key…")
        self.filter.setClearButtonEnabled(True)
        self.table = QTableWidget(len(self.rows), 4, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Menu", "Command", "Shortcut", "Menu keys"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for index, row in enumerate(self.rows):
            for column, value in enumerate((row.menu, row.command, row.shortcuts, row.keys)):
                item = QTableWidgetItem(value)
                item.setToolTip(row.action.toolTip() if column == 1 else value)
                self.table.setItem(index, column, item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self.apply_filter)
        self.filter.setFocus()

    def apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for index, row in enumerate(self.rows):
            haystack = f"{row.menu} {row.command} {row.shortcuts}".lower()
            self.table.setRowHidden(index, bool(needle) and needle not in haystack)


def open_shortcuts(window: QMainWindow) -> ShortcutsDialog:
    """Show the sheet, built from the menus as they are now (non-blocking)."""
    dialog = ShortcutsDialog(window)
    dialog.setModal(False)
    dialog.show()
    return dialog
