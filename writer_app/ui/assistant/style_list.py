"""The Style panel's widget: the suggestions listed by category, in their underline colours.

Only the view: what each row says, and the Check/Apply/Dismiss/Cancel buttons
as signals. :class:`~writer_app.ui.assistant.style_panel.StyleSuggestions`
decides what is listed and when; :class:`TrackedSuggestion` is the one piece
both share (a finding and the live span of the words it is about).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_app.text.suggestions import Suggestion
from writer_app.ui.assistant.page_edits import TrackedRange

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
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stylePanel")
        layout = QVBoxLayout(self)
        self.status = QLabel("Select a passage (or nothing, for the whole document) and press Check.")
        self.status.setObjectName("styleStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        reading = QHBoxLayout()
        self.reading_bar = QProgressBar()
        self.reading_bar.setObjectName("styleReading")
        self.reading_bar.setRange(0, 0)  # busy: the model gives no fraction
        self.reading_bar.setTextVisible(False)
        self.reading_bar.setMaximumHeight(10)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("styleCancel")
        self.cancel_button.setToolTip("Stop the assistant's critique; the rule findings stay (Esc)")
        self.cancel_button.clicked.connect(self.cancelRequested)
        reading.addWidget(self.reading_bar, 1)
        reading.addWidget(self.cancel_button)
        layout.addLayout(reading)
        self.set_reading(False)
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

    def set_reading(self, reading: bool) -> None:
        """Show (or hide) the busy bar and Cancel while the model's critique is on its way."""
        self.reading_bar.setVisible(reading)
        self.cancel_button.setVisible(reading)

    def show_suggestions(self, entries: list[TrackedSuggestion], selected: int | None = None) -> None:
        """One top-level row per category (in its underline colour), one child per suggestion.

        ``selected`` (an index into ``entries``) is selected again without moving the
        editor's caret, so that an item merged in while the author reads the list
        does not make the list jump.
        """
        self.tree.blockSignals(True)
        try:
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
                if index == selected:
                    self.tree.setCurrentItem(item)
            for category, group in groups.items():
                label = CATEGORY_LABELS.get(category, category.title())
                group.setText(0, f"{label} ({group.childCount()})")
                group.setExpanded(True)
        finally:
            self.tree.blockSignals(False)

    def selected_index(self) -> int | None:
        item = self.tree.currentItem()
        value = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return int(value) if value is not None else None

    def listed_count(self) -> int:
        """How many suggestions the list shows (the sum of its category counts)."""
        return sum(self.tree.topLevelItem(g).childCount() for g in range(self.tree.topLevelItemCount()))
