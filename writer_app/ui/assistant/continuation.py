"""Continue: the model writes on from the cursor, shown as ghost text.

Ctrl+Enter asks; the words stream in grey at the cursor; Tab keeps them (one
undo step), Esc or typing throws them away. Ctrl+Enter again while a ghost is
shown asks for another variant; Alt+[ and Alt+] browse the variants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

import writer_app.ui.assistant.jobs as jobs
from writer_app.llm import guards
from writer_app.llm.tasks import TaskResult
from writer_app.ui.assistant.context import StoryContext, gather_context, near_cursor, run_db
from writer_app.ui.assistant.ghost_text import GhostText
from writer_app.ui.assistant.ports import AssistantPort, Stats
from writer_app.ui.text_positions import utf16_to_index

if TYPE_CHECKING:
    from writer_app.ui.assistant.inference_worker import InferenceClient
    from writer_app.ui.main_window import MainWindow

HINT = "Tab keeps it · Esc discards · Ctrl+Enter another · Alt+[ / Alt+] browse"


class Continuation(QObject):
    """One continuation session at a time, with its variants.

    It reports to the author through ``message``; of the assistant it asks only the
    generation settings and where to note a finished stream's speed (``host``).
    """

    contextUsed = Signal(object)  # StoryContext
    message = Signal(str)  # one line for the status bar

    def __init__(self, host: AssistantPort, window: MainWindow, client: InferenceClient,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.window = window
        self.client = client
        self.editor = window.editor
        self.ghost = GhostText(self.editor)
        self.variants: list[str] = []
        self.index = 0
        self.request_id: int | None = None
        self._streaming_into_ghost = False
        self._wanted = 1
        self._context = StoryContext()
        self._before = ""
        self._after = ""
        self.ghost.acceptRequested.connect(self.accept)
        self.ghost.browseRequested.connect(self.browse)
        self.ghost.dismissed.connect(self._on_dismissed)
        client.tokenProduced.connect(self._on_token)
        client.finished.connect(self._on_finished)
        client.failed.connect(self._on_failed)

    @property
    def generating(self) -> bool:
        return self.request_id is not None

    # -- actions --------------------------------------------------------------------------
    def start(self) -> None:
        """Ctrl+Enter: a new continuation, or another variant of the one shown."""
        if self.generating:
            return
        if self.ghost.active:
            self._request_variant(into_ghost=True)
            return
        window = self.window
        position = self.editor.textCursor().position()  # UTF-16 units: for the ghost's cursor
        text = self.editor.manuscript_text()
        index = utf16_to_index(text, position)  # the same place as a str index
        self._before, self._after = text[:index], text[index:]
        self.variants, self.index = [], 0
        self._wanted = max(1, self.host.generation_settings().variants)
        self.ghost.begin(position)
        self.message.emit("Writing on…")
        nearby = near_cursor(text, index)
        run_db(
            window,
            gather_context(window.current_project_id, window.current_node_id, nearby),
            self._with_context,
            lambda exc: self._with_context(StoryContext()),
        )

    def _with_context(self, context: StoryContext) -> None:
        if not self.ghost.active:  # the author moved on while we looked things up
            return
        self._context = context
        self.contextUsed.emit(context)
        self._request_variant(into_ghost=True)

    def _request_variant(self, into_ghost: bool) -> None:
        settings = self.host.generation_settings()
        settings = settings.for_variant(len(self.variants))
        job = jobs.stream_task(jobs.TaskRequest(
            "continue",
            before=self._before,
            after=self._after,
            bible=list(self._context.bible),
            story_so_far=self._context.story_so_far,
            language=self._context.language,
        ), settings)
        self._streaming_into_ghost = into_ghost
        if into_ghost:
            self.ghost.set_text("")
        self.request_id = self.client.submit(job)

    def accept(self) -> None:
        if self.generating:
            self.client.cancel(self.request_id)
            self.request_id = None
        accepted = self.ghost.accept()
        self.variants = []
        if accepted:
            self.message.emit(f"Kept {len(accepted.split())} words.")

    def cancel(self) -> bool:
        """Esc: stop and throw the ghost away. Returns whether there was anything to stop."""
        had_something = self.generating or self.ghost.active
        if self.generating:
            self.client.cancel(self.request_id)
            self.request_id = None
        self.ghost.discard()
        self.variants = []
        return had_something

    def browse(self, step: int) -> None:
        if self.generating or not self.variants:
            return
        self.index = (self.index + step) % len(self.variants)
        self.ghost.set_text(self.variants[self.index])
        self._hint()

    # -- worker signals ---------------------------------------------------------------------
    def _on_token(self, request_id: int, piece: str) -> None:
        if request_id == self.request_id and self._streaming_into_ghost:
            self.ghost.append(piece)

    def _on_finished(self, request_id: int, result: object, stats: Stats) -> None:
        if request_id != self.request_id:
            return
        self.request_id = None
        text = jobs.clean_output("continue", str(result)) if result else ""
        if not self.ghost.active:
            return
        if text:
            self.variants.append(text)
        if self._streaming_into_ghost:
            self.index = max(0, len(self.variants) - 1)
            self.ghost.set_text(self.variants[self.index] if self.variants else "")
        self.host.record_stats(stats)
        if len(self.variants) < self._wanted and not stats.get("cancelled"):
            self._request_variant(into_ghost=False)  # the rest arrive quietly, to browse
        elif not self.variants:
            self.ghost.discard()
            self.message.emit("The model had nothing to add here.")
            return
        self._hint()

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id != self.request_id:
            return
        self.request_id = None
        streamed = self.ghost.text() if self._streaming_into_ghost and self.ghost.active else ""
        if streamed.strip() and message != "Cancelled.":
            # The model stopped half way (its process crashed, say): what it wrote stays, to keep or discard.
            self.variants.append(streamed)
            self.index = len(self.variants) - 1
        elif self.variants and self._streaming_into_ghost:
            self.ghost.set_text(self.variants[self.index])
        elif not self.variants:
            self.ghost.discard()
        self.message.emit(message)

    def _on_dismissed(self) -> None:
        if self.generating:
            self.client.cancel(self.request_id)
            self.request_id = None
        self.variants = []

    def _hint(self) -> None:
        count = len(self.variants)
        more = " (more coming)" if self.generating else ""
        warning = self._warning(self.variants[self.index]) if self.variants else ""
        self.message.emit(f"{warning}Variant {self.index + 1} of {count}{more} — {HINT}")

    def _warning(self, text: str) -> str:
        """The hard checks' verdict on the ghost text shown (``llm.guards``): the author sees it before Tab."""
        request = jobs.TaskRequest("continue", before=self._before[-3000:], bible=list(self._context.bible),
                                   language=self._context.language)
        failures = guards.hard_failures(guards.task_checks(request, TaskResult(text)))
        return f"Check before keeping: {'; '.join(failures)}. " if failures else ""
