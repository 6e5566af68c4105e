"""Summaries of a chapter or of the whole book, reviewed by the author before they are stored.

A stored, approved summary is what "the story so far" is made of when the
model continues a later chapter, so nothing the assistant writes is stored
unseen: each summary waits in the review (:mod:`summary_review`, under the
binder) until the author accepts it (perhaps edited) or discards it. Names it
uses that its source never does are shown as a warning there.

One document is summarised by a :class:`~writer_app.ui.assistant.summary_job.SummaryJob`
(part k of n; Cancel or Esc stops it at once); the book is summarised one
document after another, each into the review queue.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from writer_app.llm import summary as llm_summary
from writer_app.ui.assistant.context import STORY_KINDS, run_db
from writer_app.ui.assistant.ports import AssistantPort, Stats
from writer_app.ui.assistant.summary_job import SummaryJob
from writer_app.ui.assistant.summary_review import PendingSummary, SummaryReview
from writer_app.ui.changes import Change

if TYPE_CHECKING:
    from writer_app.storage.library import Library
    from writer_app.storage.models import Summary
    from writer_app.ui.assistant.assistant_panel import AssistantPanel
    from writer_app.ui.assistant.inference_worker import InferenceClient
    from writer_app.ui.main_window import MainWindow


class Summaries(QObject):
    """Summarise one document or the whole book into the review; store what the author accepts."""

    progressed = Signal(str)  # the progress line ("" when nothing runs)
    jobStarted = Signal(object)  # the SummaryJob of the next document

    def __init__(self, host: AssistantPort, window: MainWindow, client: InferenceClient,
                 panel: AssistantPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.window = window
        self.client = client
        self.panel = panel
        self.job: SummaryJob | None = None
        self.chunk_tokens: int | None = None  # None: the llm layer's piece size
        self._node: tuple[int, str, str] | None = None  # (node_id, title, text) being summarised
        self._queue: list[tuple[int, str]] = []
        self._documents = (0, 0)  # (this document's number, how many) in a book summary
        self._epoch = 0  # bumped by stop(): a database answer for an older run starts nothing
        self.pending: deque[PendingSummary] = deque()
        self.review = SummaryReview()
        self.review.acceptRequested.connect(self.accept)
        self.review.discardRequested.connect(self.discard)
        self.review.cancelRequested.connect(self.stop)
        self.review_dock = window.add_panel(self.review, "Summary review", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.review_dock.hide()
        client.finished.connect(self._on_finished)
        client.failed.connect(self._on_failed)
        window.documentOpened.connect(self._show_stored)

    # -- starting ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job is not None and self.job.state == "running"

    def summarise_current(self) -> None:
        node_id = self.window.current_node_id
        if node_id is None:
            self.host.show_message("Open a chapter first.")
            return
        self.stop(quiet=True)
        title = self._current_title() or "this document"
        self._documents = (1, 1)
        self._summarise(node_id, title, self.window.editor.manuscript_text())

    def summarise_node(self, node_id: int, title: str) -> None:
        """Summarise one document picked in the binder (open or not) into the review."""
        self.stop(quiet=True)
        self._queue = [(node_id, title or "this document")]
        self._documents = (0, 1)
        self._next()

    def summarise_book(self) -> None:
        project_id = self.window.current_project_id
        if project_id is None:
            self.host.show_message("Open a project first.")
            return
        self.stop(quiet=True)

        def documents(library: Library) -> list[tuple[int, str]]:
            return [(n.id, n.title) for n in library.nodes(project_id) if n.kind in STORY_KINDS]

        epoch = self._epoch

        def start(found: list[tuple[int, str]]) -> None:
            if epoch != self._epoch:
                return
            self._queue = list(found)
            self._documents = (0, len(found))
            self._next()

        run_db(self.window, documents, start)

    def review_stored(self, node_id: int, title: str) -> None:
        """Put a stored, unapproved summary (from a library older than the review) up for approval."""

        def load(library: Library) -> tuple[str, str, bool]:
            found = library.summary(node_id)
            return found.text, library.get_text(node_id), found.approved

        def show(result: tuple[str, str, bool]) -> None:
            text, source, approved = result
            if not text.strip():
                self.host.show_message(f"“{title}” has no summary to review.")
                return
            names = tuple(llm_summary.names_missing_from_source(text, source))
            self.pending = deque(p for p in self.pending if p.node_id != node_id)
            self.pending.appendleft(PendingSummary(node_id, title, text, names, stored=True))
            self._show_review()
            if approved:
                self.host.show_message(f"The summary of “{title}” is already approved; you can edit it here.")

        run_db(self.window, load, show)

    def stop(self, quiet: bool = False) -> None:
        """Cancel: the running piece stops in the host, no further piece or document starts."""
        self._queue = []
        self._epoch += 1
        # Between two documents of the book no job runs, but the progress line says work is under way.
        job, was_running = self.job, self.running or bool(self.review.progress.text())
        if job is not None:
            job.cancel()
        if was_running:
            self._set_progress("")
            if not quiet:
                waiting = f" {len(self.pending)} waiting for review." if self.pending else ""
                self.host.show_message(f"Summary cancelled.{waiting}")

    # -- one document at a time -------------------------------------------------------------
    def _next(self) -> None:
        if not self._queue:
            return
        node_id, title = self._queue.pop(0)
        self._documents = (self._documents[0] + 1, self._documents[1])
        if node_id == self.window.current_node_id:
            self._summarise(node_id, title, self.window.editor.manuscript_text())
        else:
            epoch = self._epoch
            run_db(self.window, lambda library: library.get_text(node_id),
                   lambda text: self._summarise(node_id, title, text) if epoch == self._epoch else None)

    def _summarise(self, node_id: int, title: str, text: str) -> None:
        if not text.strip():
            self._next()
            return
        project = self.window.current_project
        language = llm_summary.summary_language(text, project.language if project is not None else "")
        self._node = (node_id, title, text)
        # No Qt parent: the previous document's job is freed when this one replaces it.
        job = SummaryJob(self.client, text, language, self.host.generation_settings(), self.chunk_tokens)
        job.chunkStarted.connect(self._on_chunk)
        job.done.connect(self._on_done)
        job.failed.connect(self._on_job_failed)
        self.job = job
        self._set_progress(f"Summarising “{title}”{self._of_documents()}…")
        self.jobStarted.emit(job)
        job.start()

    def _of_documents(self) -> str:
        number, total = self._documents
        return f" (document {number} of {total})" if total > 1 else ""

    def _on_chunk(self, k: int, n: int, level: int) -> None:
        if self._node is None:
            return
        stage = "combining the parts, " if level else ""
        self._set_progress(f"Summarising “{self._node[1]}”{self._of_documents()}: {stage}part {k} of {n}…")

    def _on_done(self, text: str) -> None:
        assert self._node is not None
        node_id, title, source = self._node
        self._node = None
        if text.strip():
            names = tuple(llm_summary.names_missing_from_source(text, source))
            self.pending.append(PendingSummary(node_id, title, text.strip(), names))
            self._show_review()
        if self._queue:
            self._next()
            return
        self._set_progress("")
        if self.pending:
            self.host.show_message(f"Summary of “{title}” ready for review: accept, edit or discard it."
                                   if len(self.pending) == 1 else
                                   f"{len(self.pending)} summaries are waiting for your review.")

    def _on_job_failed(self, message: str) -> None:
        self._queue = []
        self._node = None
        self._set_progress("")
        self.host.show_message(f"Summary stopped: {message}")

    def _on_finished(self, request_id: int, result: object, stats: Stats) -> None:
        if self.job is not None:
            self.job.on_finished(request_id, result, stats)

    def _on_failed(self, request_id: int, message: str) -> None:
        if self.job is not None:
            self.job.on_failed(request_id, message)

    def _set_progress(self, text: str) -> None:
        self.review.set_progress(text)
        if text:
            self._show_dock()
            self.host.show_message(text)
        elif not self.pending:
            self.review_dock.hide()
        self.progressed.emit(text)

    # -- the review ------------------------------------------------------------------------
    def _show_dock(self) -> None:
        if self.review_dock.isHidden():
            self.review_dock.show()
            binder = self.window.binder_dock
            total = binder.height() + self.review_dock.height()
            self.window.resizeDocks([binder, self.review_dock], [total // 2, total - total // 2],
                                    Qt.Orientation.Vertical)
        self.review_dock.raise_()

    def _show_review(self) -> None:
        current = self.pending[0] if self.pending else None
        if self.review.current != current:
            self.review.show_pending(current, max(0, len(self.pending) - 1))
        else:
            self.review.queue.setText(f"{len(self.pending) - 1} more waiting" if len(self.pending) > 1 else "")
        if current is not None:
            self._show_dock()
        elif not self.running:
            self.review_dock.hide()

    def accept(self, text: str) -> None:
        """Store the reviewed summary, approved (marked edited when the author changed it)."""
        pending = self.review.current
        if pending is None:
            return
        text = text.strip()
        if not text:
            self.host.show_message("The summary is empty: write one, or press Discard.")
            return
        node_id, title = pending.node_id, pending.title

        def store(library: Library) -> None:
            if pending.stored:
                library.approve_summary(node_id, text)
            else:
                library.set_summary(node_id, text, approved=True, edited=text != pending.text)

        def stored(_none: None) -> None:
            if node_id == self.window.current_node_id:
                self.panel.show_summary(title, text)
            self.host.show_message(f"Summary of “{title}” approved and saved.")
            self.window.announce(Change.SUMMARIES)  # the binder's tooltips show them

        self._drop(pending)
        run_db(self.window, store, stored)

    def discard(self) -> None:
        """Throw the summary away; one stored earlier (never approved) is removed from the library."""
        pending = self.review.current
        if pending is None:
            return
        self._drop(pending)
        if not pending.stored:
            self.host.show_message(f"Summary of “{pending.title}” discarded; nothing was saved.")
            return

        def removed(_none: None) -> None:
            if pending.node_id == self.window.current_node_id:
                self.panel.show_summary(pending.title, "")
            self.host.show_message(f"The unapproved summary of “{pending.title}” was removed.")
            self.window.announce(Change.SUMMARIES)

        run_db(self.window, lambda library: library.clear_summary(pending.node_id), removed)

    def _drop(self, pending: PendingSummary) -> None:
        if self.pending and self.pending[0] == pending:
            self.pending.popleft()
        self._show_review()

    # -- the open document's summary in the assistant panel ---------------------------------
    def _current_title(self) -> str:
        node = self.window.current_node
        return node.title if node is not None else ""

    def _show_stored(self, node_id: int) -> None:
        title = self._current_title()
        def show(found: Summary) -> None:
            text = found.text
            if found.pending:
                text = f"(Not approved yet, so the model is not told it: right-click the document in the binder ▸ " \
                       f"Review summary…)\n\n{text}"
            self.panel.show_summary(title, text)

        run_db(self.window, lambda library: library.summary(node_id), show)
