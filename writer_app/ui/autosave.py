"""Autosave: the author's words reach the database a second after they stop typing.

Edits restart a debounce timer (``settings.autosave_interval_ms``), and a
second timer that edits do not restart caps the wait during continuous
typing (an author who never pauses still loses at most a second or two to a
crash). When either fires, a snapshot of :meth:`ManuscriptEditor.manuscript_text` (never the
assistant's ghost text) is handed to the database worker. The editor keeps
an edit *generation* counter, so a save that finishes after more typing
does not claim the document is saved. A failed save (disk full, a locked
file) keeps the text in the editor, reports it once, and retries later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from writer_app.ui.background import DatabaseWorker
from writer_app.ui.editor import ManuscriptEditor

log = logging.getLogger(__name__)

RETRY_MS = 5000


class AutosaveController(QObject):
    """Owns the "is the text in the database yet?" question for the open document."""

    # "saved", "unsaved", "saving" or "error"
    stateChanged = Signal(str)
    saved = Signal(int, object)  # node_id, SaveResult
    saveFailed = Signal(str)

    def __init__(self, editor: ManuscriptEditor, worker: DatabaseWorker, interval_ms: int) -> None:
        super().__init__(editor)
        self.editor = editor
        self.worker = worker
        self.node_id: int | None = None
        self.state = "saved"
        self.last_error = ""
        self.saves_completed = 0
        self._generation = 0
        self._saved_generation = 0
        self._suspended = False
        # QTextDocument.revision() moves on real edits (typing, undo, paste, ghost text) but not
        # when the highlighter or a font change re-lays the text out, which also emits textChanged.
        self._seen_revision = editor.document().revision()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save_now)
        # Not restarted by edits: saves at least this often while the author keeps typing.
        self._max_wait = QTimer(self)
        self._max_wait.setSingleShot(True)
        self._max_wait.timeout.connect(self.save_now)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self.save_now)
        self.set_interval(interval_ms)
        editor.textChanged.connect(self._on_edit)
        editor.focusLost.connect(self.save_now)

    def set_interval(self, interval_ms: int) -> None:
        interval = max(100, int(interval_ms))
        self._timer.setInterval(interval)
        self._max_wait.setInterval(interval)

    @property
    def dirty(self) -> bool:
        return self._generation != self._saved_generation

    def set_document(self, node_id: int | None, text: str) -> None:
        """Show ``text`` as the saved state of ``node_id`` (call after saving the previous one)."""
        self._timer.stop()
        self._max_wait.stop()
        self._retry.stop()
        self._suspended = True
        try:
            self.editor.load_text(text)
        finally:
            self._suspended = False
        self._seen_revision = self.editor.document().revision()
        self.node_id = node_id
        self._generation = self._saved_generation = 0
        self._set_state("saved")

    def _on_edit(self) -> None:
        if self._suspended or self.node_id is None:
            return
        revision = self.editor.document().revision()
        if revision == self._seen_revision or self.editor.reformatting:
            self._seen_revision = revision
            return
        self._seen_revision = revision
        self._generation += 1
        self._set_state("unsaved" if self.state != "error" else "error")
        self._timer.start()
        if not self._max_wait.isActive() and self.state != "error":
            self._max_wait.start()

    def save_now(self, then: Callable[[], None] | None = None) -> None:
        """Save at once if anything changed; ``then`` runs (GUI thread) after the save finished."""
        self._timer.stop()
        self._max_wait.stop()
        self._retry.stop()
        if self.node_id is not None and self.dirty:
            node_id, generation = self.node_id, self._generation
            text = self.editor.manuscript_text()
            self._set_state("saving" if self.state != "error" else "error")
            self.worker.submit(
                lambda lib: lib.save_text(node_id, text),
                lambda result: self._on_saved(node_id, generation, result),
                lambda exc: self._on_failed(node_id, exc),
            )
        if then is not None:
            # Ordered after the save on the single worker thread.
            self.worker.submit(lambda _lib: None, lambda _none: then())

    def _on_saved(self, node_id: int, generation: int, result: Any) -> None:
        self.saves_completed += 1
        if node_id == self.node_id:
            self._saved_generation = max(self._saved_generation, generation)
            self.last_error = ""
            self._set_state("saved" if not self.dirty else "unsaved")
            if self.dirty and not self._timer.isActive():
                self._timer.start()
        self.saved.emit(node_id, result)

    def _on_failed(self, node_id: int, exc: BaseException) -> None:
        message = f"Could not save your text: {exc}. It is still here in the editor; retrying shortly."
        log.warning("save of node %s failed: %s", node_id, exc)
        first = self.state != "error"
        self.last_error = str(exc)
        if node_id == self.node_id:
            self._set_state("error")
            self._retry.start(RETRY_MS)
        if first:
            self.saveFailed.emit(message)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)
