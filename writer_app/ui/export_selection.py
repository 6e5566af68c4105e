"""Choose the documents to export: the binder's tree with a checkbox on every row.

A novelist sends an agent "the first three chapters", or a scene to a writing
group: a few documents, not the whole project and not only the open one. The
binder stays single-selection (its drag and drop moves one row, and a stray
Shift-click must not turn a move into a mass move), so the choice is made
here: the rows start checked for the binder's current document, checking a
chapter or folder checks everything inside it, and a partly checked chapter
exports only the scenes checked in it. What is exported is
``export_documents(chosen_ids())``: each checked row with everything under it,
in binder order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from writer_app.ui.binder import count_unit

NODE_ROLE = Qt.ItemDataRole.UserRole


class ExportSelectionDialog(QDialog):
    """Checkboxes over the project's tree; ``accepted`` with at least one document checked."""

    def __init__(self, nodes: list[Any], checked: Iterable[int], language: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportSelection")
        self.setWindowTitle("Export Selected Documents")
        self._unit = count_unit(language).lower()
        self._words = {node.id: node.word_count for node in nodes}
        self._folders = {node.id for node in nodes if node.kind == "folder"}
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("exportSelectionTree")
        self.tree.setHeaderLabels(["Document", count_unit(language)])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        self.tree.setUniformRowHeights(True)
        self.items: dict[int, QTreeWidgetItem] = {}
        wanted = set(checked)
        totals = dict(self._words)  # rolled up as in the binder: a chapter shows what is in it
        for node in reversed(nodes):
            if node.parent_id in totals:
                totals[node.parent_id] += totals[node.id]
        for node in nodes:
            parent_item = self.items.get(node.parent_id) if node.parent_id is not None else None
            item = QTreeWidgetItem(parent_item) if parent_item is not None else QTreeWidgetItem(self.tree)
            item.setText(0, node.title)
            item.setText(1, f"{totals[node.id]:,}")
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(0, NODE_ROLE, node.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate)
            item.setCheckState(0, Qt.CheckState.Unchecked)
            self.items[node.id] = item
        for node_id in wanted:  # after the tree is built, so checking a chapter checks its scenes
            if node_id in self.items:
                self.items[node_id].setCheckState(0, Qt.CheckState.Checked)
        self.tree.expandAll()
        self.summary = QLabel(self)
        self.summary.setObjectName("exportSelectionSummary")
        all_button = QPushButton("Check All", self)
        all_button.clicked.connect(lambda: self._check_all(Qt.CheckState.Checked))
        none_button = QPushButton("Check None", self)
        none_button.clicked.connect(lambda: self._check_all(Qt.CheckState.Unchecked))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportSelectionExport")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(all_button)
        row.addWidget(none_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Check the documents to export (a chapter with everything in it):", self))
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(460, 520)
        self.tree.itemChanged.connect(lambda *_: self._update())
        self._update()

    def _check_all(self, state: Qt.CheckState) -> None:
        for index in range(self.tree.topLevelItemCount()):
            self.tree.topLevelItem(index).setCheckState(0, state)

    def checked_ids(self) -> list[int]:
        """Every fully checked row, in binder order."""
        found = []
        iterator = QTreeWidgetItemIterator(self.tree)
        while iterator.value() is not None:
            item = iterator.value()
            if item.checkState(0) == Qt.CheckState.Checked:
                found.append(int(item.data(0, NODE_ROLE)))
            iterator += 1
        return found

    def chosen_ids(self) -> list[int]:
        """The topmost checked rows (each stands for itself and everything under it), in binder order."""
        chosen = []
        for node_id in self.checked_ids():
            parent = self.items[node_id].parent()
            if parent is None or parent.checkState(0) != Qt.CheckState.Checked:
                chosen.append(node_id)
        return chosen

    def _update(self) -> None:
        checked = [node_id for node_id in self.checked_ids() if node_id not in self._folders]
        words = sum(self._words.get(node_id, 0) for node_id in checked)
        self.summary.setText(f"{len(checked):,} document{'s' if len(checked) != 1 else ''}, "
                             f"{words:,} {self._unit}" if checked else "Nothing checked")
        self.export_button.setEnabled(bool(self.checked_ids()))
