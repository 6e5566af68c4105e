"""Style suggestions: wavy underlines in the editor and a list by category.

The checks (deterministic rules plus the model's critique) run in the
inference worker. Each suggestion's span is tracked with QTextCursors, so it
stays on the same words while the author edits elsewhere, and applying one
changes only its own span. A suggestion whose words were edited in the
meantime is dropped rather than applied to the wrong text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import writer_app.ui.assistant.jobs as jobs
from writer_app.text.suggestions import Suggestion
from writer_app.ui.assistant.page_edits import TrackedRange, snapshot_before_ai_edit
from writer_app.ui.assistant.ports import AssistantPort, Stats
from writer_app.ui.text_positions import cursor_span, index_to_utf16

if TYPE_CHECKING:
    from writer_app.ui.assistant.inference_worker import InferenceClient
    from writer_app.ui.main_window import MainWindow

CATEGORY_COLOURS = {
    "repetition": "#d9480f",
    "adverb": "#1971c2",
    "filter-word": "#2f9e44",
    "passive": "#9c36b5",
    "long-sentence": "#e67700",
    "cliche": "#c2255c",
    "model": "#0c8599",
}
CATEGORY_LABELS = {
    "repetition": "Repetition",
    "adverb": "Adverbs",
    "filter-word": "Filter words",
    "passive": "Passive voice",
    "long-sentence": "Long sentences",
    "cliche": "Clichés",
    "model": "Model critique",
}


def category_colour(category: str) -> QColor:
    return QColor(CATEGORY_COLOURS.get(category, "#868e96"))


def describe(entry: TrackedSuggestion) -> tuple[str, str]:
    """The list's two columns: what is wrong (naming the words), and the fix when there is one."""
    words = entry.original.strip()
    problem = entry.suggestion.problem
    text = problem if f"“{words}”" in problem or f'"{words}"' in problem else f"“{words}”: {problem}"
    fix = entry.suggestion.replacement
    if fix is None:
        return text, ""
    return text, f"→ “{fix.strip()}”" if fix.strip() else "→ remove"


@dataclass
class TrackedSuggestion:
    suggestion: Suggestion
    span: TrackedRange
    original: str

    def still_valid(self) -> bool:
        start, end = self.span.bounds()
        return end > start and self.span.text() == self.original


class StylePanel(QWidget):
    applyRequested = Signal()
    dismissRequested = Signal()
    checkRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stylePanel")
        layout = QVBoxLayout(self)
        self.status = QLabel("Select a passage (or nothing, for the whole document) and press Check.")
        self.status.setObjectName("styleStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.tree = QTreeWidget()
        self.tree.setObjectName("styleSuggestionList")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.tree, 1)
        row = QHBoxLayout()
        for text, name, signal in (("Check", "styleCheck", self.checkRequested),
                                   ("Apply", "styleApply", self.applyRequested),
                                   ("Dismiss", "styleDismiss", self.dismissRequested)):
            button = QPushButton(text)
            button.setObjectName(name)
            button.clicked.connect(signal)
            row.addWidget(button)
            setattr(self, f"{text.lower()}_button", button)
        layout.addLayout(row)

    def show_suggestions(self, entries: list[TrackedSuggestion]) -> None:
        """One top-level row per category (in its underline colour), one child per suggestion."""
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for index, entry in enumerate(entries):
            category = entry.suggestion.category
            group = groups.get(category)
            if group is None:
                group = QTreeWidgetItem(self.tree)
                group.setForeground(0, QBrush(category_colour(category)))
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                groups[category] = group
            item = QTreeWidgetItem(group)
            item.setData(0, Qt.ItemDataRole.UserRole, index)
            text, fix = describe(entry)
            item.setText(0, text)
            item.setText(1, fix)
            item.setToolTip(0, text)
        for category, group in groups.items():
            label = CATEGORY_LABELS.get(category, category.title())
            group.setText(0, f"{label} ({group.childCount()})")
            group.setExpanded(True)

    def selected_index(self) -> int | None:
        item = self.tree.currentItem()
        value = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return int(value) if value is not None else None


class StyleSuggestions(QObject):
    """Runs the checks, keeps the spans, draws the underlines, applies or dismisses.

    ``underlinesChanged`` asks whoever draws the editor's extra selections (the
    controller, which also draws the ghost text's) to fetch :meth:`underlines` again.
    """

    underlinesChanged = Signal()

    def __init__(self, host: AssistantPort, window: MainWindow, client: InferenceClient,
                 panel: StylePanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.window = window
        self.client = client
        self.editor = window.editor
        self.panel = panel
        self.entries: list[TrackedSuggestion] = []
        self.request_id: int | None = None
        self._base = 0
        self._checked = ""
        self._snapshotted = False
        panel.checkRequested.connect(lambda: self.run())
        panel.applyRequested.connect(self.apply_selected)
        panel.dismissRequested.connect(self.dismiss_selected)
        panel.tree.currentItemChanged.connect(lambda *_: self._reveal_selected())
        client.finished.connect(self._on_finished)
        client.failed.connect(self._on_failed)
        self.editor.document().contentsChange.connect(lambda *_: self._drop_stale())
        window.documentOpened.connect(lambda _node: self.clear())

    def run(self, cursor: QTextCursor | None = None) -> None:
        self.host.discard_continuation()
        self.stop()
        cursor = cursor if cursor is not None and cursor.hasSelection() else self.editor.textCursor()
        text = self.editor.manuscript_text()
        if cursor.hasSelection():
            start, end = cursor_span(cursor, text)
        else:
            start, end = 0, len(text)
        self._base, self._checked = start, text[start:end]
        if not self._checked.strip():
            self.panel.status.setText("Nothing to check: the document is empty.")
            return
        self.clear()
        scope = "the selection" if cursor.hasSelection() else "the whole document"
        self.panel.status.setText(f"Checking {scope}…")
        self._raise_panel()
        settings = self.host.generation_settings()
        project = self.window.current_project
        language = (project.language if project is not None else "") or "en"
        self.request_id = self.client.submit(
            jobs.suggest_style_job(self._checked, settings, language), kind="call")

    def stop(self) -> None:
        if self.request_id is not None:
            self.client.cancel(self.request_id)

    def clear(self) -> None:
        self.entries = []
        self._snapshotted = False
        self._refresh()

    def _on_finished(self, request_id: int, result: object, stats: Stats) -> None:
        if request_id != self.request_id:
            return
        self.request_id = None
        full = self.editor.manuscript_text()
        if full[self._base : self._base + len(self._checked)] != self._checked:
            self.panel.status.setText("The text changed while it was being checked; press Check again.")
            return
        document = self.editor.document()
        entries = []
        for suggestion in result if isinstance(result, list) else []:
            if not suggestion.applies_to(self._checked) or suggestion.end <= suggestion.start:
                continue
            start = index_to_utf16(full, self._base + suggestion.start)
            end = index_to_utf16(full, self._base + suggestion.end)
            entries.append(TrackedSuggestion(suggestion, TrackedRange(document, start, end),
                                             self._checked[suggestion.start : suggestion.end]))
        self.entries = entries
        self.panel.status.setText(f"{len(entries)} suggestion(s). Select one to see it; Apply or Dismiss."
                                  if entries else "No suggestions: nothing to flag here.")
        self._refresh()

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self.request_id:
            self.request_id = None
            self.panel.status.setText(f"The check did not finish: {message}")

    # -- apply / dismiss -----------------------------------------------------------------------------
    def apply(self, index: int) -> bool:
        entry = self.entries[index]
        replacement = entry.suggestion.replacement
        if replacement is None:
            self.panel.status.setText("This one has no ready replacement; edit the words yourself.")
            return False
        if not entry.still_valid():
            self.dismiss(index)
            self.panel.status.setText("Those words changed since the check; the suggestion was dropped.")
            return False
        self.host.discard_continuation()
        if not self._snapshotted:
            snapshot_before_ai_edit(self.window)
            self._snapshotted = True
        cursor = entry.span.cursor()
        self.entries.pop(index)
        cursor.beginEditBlock()
        cursor.insertText(replacement)
        cursor.endEditBlock()
        self._refresh()
        return True

    def dismiss(self, index: int) -> None:
        self.entries.pop(index)
        self._refresh()

    def apply_selected(self) -> None:
        index = self.panel.selected_index()
        if index is not None:
            self.apply(index)

    def dismiss_selected(self) -> None:
        index = self.panel.selected_index()
        if index is not None:
            self.dismiss(index)

    # -- drawing --------------------------------------------------------------------------------------
    def _drop_stale(self) -> None:
        if self.entries and any(not entry.still_valid() for entry in self.entries):
            self.entries = [entry for entry in self.entries if entry.still_valid()]
            self._refresh()

    def underlines(self) -> list[QTextEdit.ExtraSelection]:
        selections = []
        for entry in self.entries:
            selection = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(category_colour(entry.suggestion.category))
            selection.format = fmt
            selection.cursor = entry.span.cursor()
            selections.append(selection)
        return selections

    def _refresh(self) -> None:
        self.underlinesChanged.emit()
        self.panel.show_suggestions(self.entries)

    def _reveal_selected(self) -> None:
        index = self.panel.selected_index()
        if index is not None and index < len(self.entries):
            self.editor.setTextCursor(self.entries[index].span.cursor())
            self.editor.ensureCursorVisible()

    def _raise_panel(self) -> None:
        dock = self.panel.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()
