"""The assistant panel: a suggestion streams in beside the author's original.

Pure widgets; :mod:`selection_tasks` drives it. The generation settings the
author most often changes (temperature, length, variants) sit at the top so
that they are at hand while trying suggestions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from writer_app.settings import AppSettings
    from writer_app.ui.assistant.context import StoryContext

BANNER_STYLE = "background:#fde8e8; color:#8a1c1c; border:1px solid #f0b4b4; border-radius:4px; padding:6px;"
WARNING_STYLE = "background:#fff4e0; color:#7a4b00; border:1px solid #f0c27a; border-radius:4px; padding:6px;"


class GenerationValues(TypedDict):
    """The panel's overrides of the profile's generation settings (``GenerationSettings`` field names)."""

    temperature: float
    max_new_tokens: int
    variants: int


def _text_box(name: str, placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(name)
    box.setPlaceholderText(placeholder)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    return box


class AssistantPanel(QWidget):
    replaceRequested = Signal()
    insertAfterRequested = Signal()
    copyRequested = Signal()
    retryRequested = Signal()
    discardRequested = Signal()
    stopRequested = Signal()

    def __init__(self, app_settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assistantPanel")
        layout = QVBoxLayout(self)

        self.banner = QLabel()
        self.banner.setObjectName("assistantBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()
        layout.addWidget(self.banner)

        layout.addWidget(self._settings_box(app_settings))

        self.title = QLabel("Select text and right-click to rewrite, expand or summarise it.")
        self.title.setObjectName("assistantTaskTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        layout.addWidget(self.title)

        self.context_label = QLabel()
        self.context_label.setObjectName("assistantContextUsed")
        self.context_label.setWordWrap(True)
        self.context_label.setStyleSheet("color:#555;")
        layout.addWidget(self.context_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.original = _text_box("assistantOriginal", "The original text")
        self.original.setReadOnly(True)
        self.result = _text_box("assistantResult", "The suggestion appears here")
        splitter.addWidget(self._labelled("Original", self.original))
        splitter.addWidget(self._labelled("Suggestion", self.result))
        layout.addWidget(splitter, 1)

        # Shown when no candidate passed the hard checks (names, language, commentary): read it first.
        self.warning = QLabel()
        self.warning.setObjectName("assistantWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.hide()
        layout.addWidget(self.warning)

        buttons = QHBoxLayout()
        self.replace_button = self._button("Replace", "assistantReplace", self.replaceRequested, buttons)
        self.insert_button = self._button("Insert after", "assistantInsertAfter", self.insertAfterRequested, buttons)
        self.copy_button = self._button("Copy", "assistantCopy", self.copyRequested, buttons)
        self.retry_button = self._button("Retry", "assistantRetry", self.retryRequested, buttons)
        self.discard_button = self._button("Discard", "assistantDiscard", self.discardRequested, buttons)
        self.stop_button = self._button("Stop", "assistantStop", self.stopRequested, buttons)
        layout.addLayout(buttons)

        self.summary_box = QGroupBox("Summary of this document")
        summary_layout = QVBoxLayout(self.summary_box)
        self.summary = _text_box("assistantSummary",
                                 "No summary yet. Assistant ▸ Summarise with nothing selected writes one; "
                                 "summaries of earlier chapters tell the model the story so far.")
        self.summary.setReadOnly(True)
        self.summary.setMaximumHeight(110)
        summary_layout.addWidget(self.summary)
        layout.addWidget(self.summary_box)
        self.set_busy(False, has_result=False)

    # -- building blocks ------------------------------------------------------------------------
    def _settings_box(self, app_settings: AppSettings) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.temperature = QDoubleSpinBox()
        self.temperature.setObjectName("assistantTemperature")
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(float(app_settings.temperature))
        self.temperature.setToolTip("0 always picks the likeliest word; higher is bolder")
        self.length = QSpinBox()
        self.length.setObjectName("assistantLength")
        self.length.setRange(8, 2048)
        self.length.setSingleStep(20)
        self.length.setSuffix(" tokens")
        self.length.setValue(int(app_settings.max_new_tokens))
        self.variants = QSpinBox()
        self.variants.setObjectName("assistantVariants")
        self.variants.setRange(1, 6)
        self.variants.setValue(int(app_settings.variants))
        self.variants.setToolTip("How many continuations Ctrl+Enter prepares (browse with Alt+[ and Alt+])")
        for label, widget in (("Temperature", self.temperature), ("Length", self.length),
                              ("Variants", self.variants)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addStretch(1)
        form.addRow(row)
        return box

    @staticmethod
    def _labelled(title: str, widget: QWidget) -> QWidget:
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(title)
        label.setStyleSheet("color:#555;")
        layout.addWidget(label)
        layout.addWidget(widget)
        return holder

    @staticmethod
    def _button(text: str, name: str, signal: SignalInstance, row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(signal)
        row.addWidget(button)
        return button

    # -- state -------------------------------------------------------------------------------------
    def generation_values(self) -> GenerationValues:
        return {
            "temperature": self.temperature.value(),
            "max_new_tokens": self.length.value(),
            "variants": self.variants.value(),
        }

    def set_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def set_warning(self, text: str) -> None:
        """What the checks found wrong with the suggestion shown (``llm.guards``); empty hides it."""
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def start(self, title: str, original: str) -> None:
        self.set_warning("")
        self.title.setText(title)
        self.original.setPlainText(original)
        self.result.clear()
        self.set_busy(True, has_result=False)

    def append(self, piece: str) -> None:
        cursor = self.result.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(piece)

    def set_result(self, text: str) -> None:
        if text != self.result.toPlainText():
            self.result.setPlainText(text)

    def set_busy(self, busy: bool, has_result: bool = True) -> None:
        self.stop_button.setEnabled(busy)
        for button in (self.replace_button, self.insert_button, self.copy_button):
            button.setEnabled(not busy and has_result)
        self.retry_button.setEnabled(not busy and bool(self.original.toPlainText()))
        self.discard_button.setEnabled(bool(self.original.toPlainText()) or has_result)

    def clear(self) -> None:
        self.set_warning("")
        self.title.setText("Select text and right-click to rewrite, expand or summarise it.")
        self.original.clear()
        self.result.clear()
        self.context_label.clear()
        self.set_busy(False, has_result=False)

    def show_context(self, context: StoryContext) -> None:
        names = context.bible_names
        used = ", ".join(names) if names else "none"
        story = " · story so far included" if context.story_so_far else ""
        self.context_label.setText(f"Story bible used: {used}{story}")

    def show_summary(self, title: str, text: str) -> None:
        self.summary_box.setTitle(f"Summary of “{title}”" if title else "Summary of this document")
        self.summary.setPlainText(text)
