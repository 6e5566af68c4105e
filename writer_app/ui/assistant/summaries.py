"""Summaries of a chapter or of the whole book, stored per document.

A stored summary is what "the story so far" is made of when the model
continues a later chapter, and it is shown in the assistant panel. The book
is summarised one document at a time, each in its own worker request, so Esc
stops it between (and inside) documents and what was done is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

import writer_app.ui.assistant.jobs as jobs
from writer_app.ui.assistant.context import STORY_KINDS, run_db
from writer_app.ui.assistant.ports import AssistantPort, Stats
from writer_app.ui.changes import Change

if TYPE_CHECKING:
    from writer_app.storage.library import Library
    from writer_app.ui.assistant.assistant_panel import AssistantPanel
    from writer_app.ui.assistant.inference_worker import InferenceClient
    from writer_app.ui.main_window import MainWindow


class Summaries(QObject):
    """Summarise one document or the whole book, store each summary, show the open one's in ``panel``."""

    def __init__(self, host: AssistantPort, window: MainWindow, client: InferenceClient,
                 panel: AssistantPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.window = window
        self.client = client
        self.panel = panel
        self.request_id: int | None = None
        self._node: tuple[int, str] | None = None  # (node_id, title) being summarised
        self._queue: list[tuple[int, str]] = []
        client.finished.connect(self._on_finished)
        client.failed.connect(self._on_failed)
        window.documentOpened.connect(self._show_stored)

    def summarise_current(self) -> None:
        node_id = self.window.current_node_id
        if node_id is None:
            self.host.show_message("Open a chapter first.")
            return
        title = self._current_title() or "this document"
        self._queue = []
        self._summarise(node_id, title, self.window.editor.manuscript_text())

    def summarise_node(self, node_id: int, title: str) -> None:
        """Summarise one document picked in the binder (open or not) and store the summary."""
        self.stop()
        self.request_id = None  # the stopped request's "Cancelled." must not end this one
        self._queue = [(node_id, title or "this document")]
        self._next()

    def summarise_book(self) -> None:
        project_id = self.window.current_project_id
        if project_id is None:
            self.host.show_message("Open a project first.")
            return

        def documents(library: Library) -> list[tuple[int, str]]:
            return [(n.id, n.title) for n in library.nodes(project_id) if n.kind in STORY_KINDS]

        def start(found: list[tuple[int, str]]) -> None:
            self._queue = list(found)
            self._next()

        run_db(self.window, documents, start)

    def stop(self) -> None:
        self._queue = []
        if self.request_id is not None:
            self.client.cancel(self.request_id)

    def _next(self) -> None:
        if not self._queue:
            return
        node_id, title = self._queue.pop(0)
        if node_id == self.window.current_node_id:
            self._summarise(node_id, title, self.window.editor.manuscript_text())
        else:
            run_db(self.window, lambda library: library.get_text(node_id),
                   lambda text: self._summarise(node_id, title, text))

    def _summarise(self, node_id: int, title: str, text: str) -> None:
        if not text.strip():
            self._next()
            return
        left = f" ({len(self._queue)} more to go)" if self._queue else ""
        self.host.show_message(f"Summarising “{title}”…{left}")
        self._node = (node_id, title)
        settings = self.host.generation_settings()
        self.request_id = self.client.submit(jobs.summarise_job(text, settings), kind="call")

    def _on_finished(self, request_id: int, result: object, stats: Stats) -> None:
        if request_id != self.request_id or self._node is None:
            return
        self.request_id = None
        node_id, title = self._node
        summary = str(result or "").strip()
        if not summary:
            self._next()
            return

        def stored(_none: None) -> None:
            if node_id == self.window.current_node_id:
                self.panel.show_summary(title, summary)
            self.host.show_message(f"Summary of “{title}” saved.")
            self.window.announce(Change.SUMMARIES)  # the binder's tooltips show them
            self._next()

        run_db(self.window, lambda library: library.set_summary(node_id, summary), stored)

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self.request_id:
            self.request_id = None
            self._queue = []
            self.host.show_message(f"Summary stopped: {message}")

    def _current_title(self) -> str:
        node = self.window.current_node
        return node.title if node is not None else ""

    def _show_stored(self, node_id: int) -> None:
        title = self._current_title()
        run_db(self.window, lambda library: library.get_summary(node_id),
               lambda text: self.panel.show_summary(title, text or ""))
