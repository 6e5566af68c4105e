"""The author's adapters: metrics, activate one (or none), rename, delete, and compare.

Every library call goes through the window's database worker; the side-by-side
comparison runs ``python -m writer_app.training.compare`` as a QProcess, so
neither blocks the GUI thread. The active adapter lives only in the library
(``adapters.active``); after any change here the table announces
``Change.ADAPTERS`` on ``window.changed`` and the assistant decides whether
its loaded adapter is still the right one. A rename changes only the label:
the folder stays where it is and no path is made from the new name.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QProcess, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_app.ui.changes import Change

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow


def _ppl(metrics: dict[str, Any]) -> str:
    base, adapter = metrics.get("base_perplexity"), metrics.get("adapter_perplexity")
    if base is None or adapter is None:
        return "–"
    return f"{base:.1f} → {adapter:.1f}"


class AdapterList(QGroupBox):
    """A table of adapters; the active one is marked; a compare view under it."""

    adaptersChanged = Signal()

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__("My style adapters", parent)
        self.window = window
        self.adapters: list[Any] = []
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("adapterList")
        self.table.setHorizontalHeaderLabels(["Name", "Perplexity base → adapter", "Steps", "Active"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(90)
        self.table.setMaximumHeight(150)
        buttons = QHBoxLayout()
        self.activate_button = QPushButton("Use for the assistant")
        self.none_button = QPushButton("Use none")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        for button in (self.activate_button, self.none_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        self.activate_button.clicked.connect(self.activate_selected)
        self.none_button.clicked.connect(lambda: self._set_active(None))
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)

        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("comparePrompt")
        self.prompt.setPlaceholderText("A prompt to continue with and without the adapter…")
        self.prompt.setMaximumHeight(60)
        self.compare_button = QPushButton("Compare side by side")
        self.compare_button.setObjectName("compareButton")
        self.compare_button.clicked.connect(self.compare_selected)
        self.tokens = QSpinBox()
        self.tokens.setRange(8, 400)
        self.tokens.setValue(60)
        self.tokens.setSuffix(" tokens")
        self.base_text = QPlainTextEdit()
        self.adapter_text = QPlainTextEdit()
        for label, view in (("Base model", self.base_text), ("With the adapter", self.adapter_text)):
            view.setReadOnly(True)
            view.setPlaceholderText(label)
            view.setMinimumHeight(90)
            view.setMaximumHeight(170)
        self.base_text.setObjectName("compareBase")
        self.adapter_text.setObjectName("compareAdapter")
        self.compare_status = QLabel("")
        row = QHBoxLayout()
        row.addWidget(self.compare_button)
        row.addWidget(self.tokens)
        row.addWidget(self.compare_status, 1)
        sides = QHBoxLayout()
        sides.addWidget(self.base_text)
        sides.addWidget(self.adapter_text)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.prompt)
        layout.addLayout(row)
        layout.addLayout(sides)
        self._compare: QProcess | None = None

    # -- listing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        self.window.db.submit(lambda lib: lib.adapters(), self._show)

    def _show(self, adapters: list[Any]) -> None:
        self.adapters = list(adapters)
        self.table.setRowCount(len(self.adapters))
        for row, adapter in enumerate(self.adapters):
            metrics = (adapter.metadata or {}).get("metrics", {})
            cells = [adapter.name, _ppl(metrics), str(metrics.get("steps", "–")), "✓" if adapter.active else ""]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setToolTip(f"{adapter.path}\nbase model: {adapter.base_model}\n{adapter.created_at}")
                if col == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        if self.adapters and not self.table.selectedItems():
            self.table.selectRow(0)
        self.adaptersChanged.emit()

    def selected(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        return self.adapters[rows[0].row()] if rows else None

    # -- actions ----------------------------------------------------------------------------
    def activate_selected(self) -> None:
        adapter = self.selected()
        if adapter is not None:
            self._set_active(adapter)

    def _changed(self, _result: Any = None) -> None:
        """After a change in the library: redraw, and tell whoever cares (the assistant reloads if needed)."""
        self.refresh()
        self.window.announce(Change.ADAPTERS)

    def _set_active(self, adapter: Any | None) -> None:
        self.window.db.submit(lambda lib: lib.set_active_adapter(adapter.id if adapter else None), self._changed)

    def rename_selected(self) -> None:
        adapter = self.selected()
        if adapter is None:
            return
        name, ok = QInputDialog.getText(self, "Rename adapter", "New name:", text=adapter.name)
        if ok and name.strip() and name.strip() != adapter.name:
            self.rename(adapter, name)

    def rename(self, adapter: Any, name: str) -> None:
        """Only the label changes (any text; the library cleans it and refuses a name in use)."""
        self.window.db.submit(lambda lib: lib.rename_adapter(adapter.id, name), self._changed)

    def delete_selected(self) -> None:
        adapter = self.selected()
        if adapter is None:
            return
        answer = QMessageBox.question(self, "Delete adapter",
                                      f"Delete the adapter {adapter.name!r} and its files? Your manuscript is "
                                      "not touched.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.delete(adapter)

    def delete(self, adapter: Any) -> None:
        """Forget the adapter; its folder goes too when it is one of this profile's adapter folders."""
        from writer_app.training.runs import inside_adapters

        paths = self.window.paths

        def forget(lib: Any) -> Path | None:
            if adapter.active:
                lib.set_active_adapter(None)
            lib.delete_adapter(adapter.id)
            folder = Path(adapter.path)
            return folder if folder.is_dir() and not folder.is_symlink() and inside_adapters(paths, folder) else None

        def remove_files(folder: Path | None) -> None:
            self._changed()
            if folder is not None:  # once the library no longer knows it; files are not the library's work
                self.window.background.run(lambda _task: shutil.rmtree(folder, ignore_errors=True))

        self.window.db.submit(forget, remove_files)

    # -- side by side -----------------------------------------------------------------------
    def compare_selected(self) -> None:
        adapter = self.selected()
        prompt = self.prompt.toPlainText().strip() or self.window.editor.toPlainText()[-1500:].strip()
        if adapter is None or not prompt or self._compare is not None:
            self.compare_status.setText("Pick an adapter and write a prompt first." if not prompt or
                                        adapter is None else "")
            return
        base = (adapter.metadata or {}).get("base_model_path", "")
        self.compare_status.setText("Generating with both models…")
        self.base_text.clear()
        self.adapter_text.clear()
        process = QProcess(self)
        process.finished.connect(lambda code, _s: self._compared(process, code))
        self._compare = process
        process.start(sys.executable, ["-m", "writer_app.training.compare", "--base", base,
                                       "--adapter", adapter.path, "--tokens", str(self.tokens.value())])
        process.write(prompt.encode("utf-8"))
        process.closeWriteChannel()

    def _compared(self, process: QProcess, code: int) -> None:
        self._compare = None
        try:
            result = json.loads(bytes(process.readAllStandardOutput().data()).decode("utf-8"))
        except ValueError:
            result = {"error": f"the comparison stopped (exit code {code})"}
        if "error" in result:
            self.compare_status.setText(result["error"])
            return
        self.base_text.setPlainText(result["base"])
        self.adapter_text.setPlainText(result["adapter"])
        self.compare_status.setText("Same prompt, same seed.")
