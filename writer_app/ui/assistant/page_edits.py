"""What the features that change the page share: tracked spans and a revision first.

A :class:`TrackedRange` is two ``QTextCursor``s that follow the author's
edits, so a suggestion made for some words is applied to those words even if
text was typed elsewhere meanwhile (selection tasks, style suggestions).
:func:`snapshot_before_ai_edit` queues a "before-ai-edit" revision before an
AI edit reaches autosave, so every such edit has a way back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QTextCursor, QTextDocument

from writer_app.ui.assistant.context import run_db
from writer_app.ui.text_positions import selected_text, utf16_to_index

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow


class TrackedRange:
    """A span of the document that keeps pointing at the same words while the text changes."""

    def __init__(self, document: QTextDocument, start: int, end: int) -> None:
        self.start = QTextCursor(document)
        self.start.setPosition(start)
        self.end = QTextCursor(document)
        self.end.setPosition(end)
        self.end.setKeepPositionOnInsert(True)  # typing right after the span is not part of it

    def bounds(self) -> tuple[int, int]:
        return self.start.position(), max(self.start.position(), self.end.position())

    def cursor(self) -> QTextCursor:
        cursor = QTextCursor(self.start)
        start, end = self.bounds()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def text(self) -> str:
        return selected_text(self.cursor())

    def index_bounds(self, text: str) -> tuple[int, int]:
        """The span as ``str`` indexes into ``text`` (the document's text): ``text[start:end]``."""
        start, end = self.bounds()
        return utf16_to_index(text, start), utf16_to_index(text, end)


def snapshot_before_ai_edit(window: MainWindow) -> None:
    """Queue a revision of the stored text before an AI edit reaches autosave."""
    node_id = window.current_node_id
    if node_id is None:
        return
    window.autosave.save_now()  # queued first: the revision holds the author's very last words
    run_db(window, lambda library: library.snapshot(node_id, "before-ai-edit"), lambda _rev: None,
           lambda exc: window.statusBar().showMessage(f"Could not save a revision first: {exc}", 8000))
