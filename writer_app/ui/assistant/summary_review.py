"""The summary review, docked under the binder: the assistant's summary waits here for the author.

Nothing is stored until Accept; the text is editable first (an edited summary
is stored marked as edited); Discard stores nothing. Names the summary uses
that its source never does are shown as a warning above the text, and Accept
then reads "Accept anyway". While a chapter or the book is being summarised
the panel shows which part is being written (part k of n) and a Cancel button.

Pure widgets: :mod:`summaries` drives it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

WARNING_STYLE = "background:#fff4d6; color:#6b4a00; border:1px solid #e8c66a; border-radius:4px; padding:6px;"


@dataclass(frozen=True)
class PendingSummary:
    """A summary waiting for the author: new from the assistant, or stored earlier but never approved."""

    node_id: int
    title: str
    text: str
    missing_names: tuple[str, ...] = ()
    stored: bool = False  # already in the library, unapproved (a library older than the review)


class SummaryReview(QWidget):
    acceptRequested = Signal(str)  # the text as the author left it
    discardRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryReview")
        layout = QVBoxLayout(self)

        progress_row = QHBoxLayout()
        self.progress = QLabel()
        self.progress.setObjectName("summaryProgress")
        self.progress.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelSummary")
        self.cancel_button.setToolTip("Stop summarising (Esc); summaries already written stay here for review")
        self.cancel_button.clicked.connect(self.cancelRequested)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)

        self.title = QLabel()
        self.title.setObjectName("summaryReviewTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        layout.addWidget(self.title)

        self.warning = QLabel()
        self.warning.setObjectName("summaryWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout.addWidget(self.warning)

        self.text = QPlainTextEdit()
        self.text.setObjectName("summaryText")
        self.text.setPlaceholderText("The assistant's summary appears here for you to check, edit and accept.")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setMinimumHeight(90)
        layout.addWidget(self.text, 1)

        buttons = QHBoxLayout()
        self.accept_button = QPushButton("Accept")
        self.accept_button.setObjectName("acceptSummary")
        self.accept_button.setToolTip("Store this summary; the model is told approved summaries as the story so far")
        self.accept_button.clicked.connect(lambda: self.acceptRequested.emit(self.text.toPlainText()))
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("discardSummary")
        self.discard_button.clicked.connect(self.discardRequested)
        self.queue = QLabel()
        self.queue.setObjectName("summaryQueue")
        self.queue.setStyleSheet("color:#555;")
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        buttons.addWidget(self.queue)
        layout.addLayout(buttons)
        self.current: PendingSummary | None = None
        self.show_pending(None, 0)
        self.set_progress("")

    def show_pending(self, pending: PendingSummary | None, waiting: int) -> None:
        """Show ``pending`` (None: nothing to review); ``waiting`` more are queued behind it."""
        self.current = pending
        has = pending is not None
        for widget in (self.title, self.text, self.accept_button, self.discard_button):
            widget.setVisible(has)
        if pending is None:
            self.text.clear()
            self.warning.hide()
            self.queue.setText("")
            return
        origin = "stored earlier, never approved" if pending.stored else "by the assistant"
        self.title.setText(f"“{pending.title}”: summary {origin}")
        self.title.setToolTip("Check it, edit it if you like, then accept or discard it. Nothing is stored "
                              "before Accept; only approved summaries tell the model the story so far.")
        self.text.setPlainText(pending.text)
        names = ", ".join(pending.missing_names)
        self.warning.setText(f"⚠ Not in the text: {names}. Possibly invented; check before accepting."
                             if names else "")
        self.warning.setVisible(bool(names))
        self.accept_button.setText("Accept anyway" if names else "Accept")
        self.discard_button.setText("Discard (remove it)" if pending.stored else "Discard")
        self.queue.setText(f"{waiting} more waiting" if waiting else "")
        self.text.setFocus()

    def set_progress(self, text: str) -> None:
        """The running job's line ("part k of n"); empty when nothing runs."""
        self.progress.setText(text)
        self.progress.setVisible(bool(text))
        self.cancel_button.setVisible(bool(text))
