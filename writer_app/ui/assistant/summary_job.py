"""One document summarised piece by piece through the inference client.

One model call cuts the text into pieces (``llm.summary.plan_chunks_job``), then
one call per piece (``summarise_piece_job``), and per level when the pieces'
summaries together are still long: each a request of its own, so the review can
say "part k of n", and a cancel stops at once: the running request is cancelled
in the host (between two tokens) and no further piece starts.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from writer_app.llm import summary as llm_summary

if TYPE_CHECKING:
    from writer_app.llm.generation import GenerationSettings
    from writer_app.ui.assistant.inference_worker import InferenceClient
    from writer_app.ui.assistant.ports import Stats


class SummaryJob(QObject):
    """One document summarised piece by piece through the inference client.

    ``state`` is ``running``, then ``done``, ``cancelled`` or ``failed``; once it is cancelled
    no further piece is submitted and answers still on their way are ignored.
    """

    chunkStarted = Signal(int, int, int)  # k (1-based), n, level (0: the text itself)
    done = Signal(str)
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, client: InferenceClient, text: str, language: str, settings: GenerationSettings,
                 chunk_tokens: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.text = text
        self.language = language
        self.settings = settings
        self.chunk_tokens = chunk_tokens
        self.state = "idle"
        self.request_id: int | None = None
        self.chunks_started = 0
        self._chunks: list[str] = []
        self._summaries: list[str] = []
        self._level = 0
        self._planning = False

    def start(self) -> None:
        self.state = "running"
        self._plan(self.text)

    def cancel(self) -> None:
        if self.state != "running":
            return
        self.state = "cancelled"
        if self.request_id is not None:
            self.client.cancel(self.request_id)
        self.request_id = None
        self.cancelled.emit()

    def on_finished(self, request_id: int, result: object, stats: Stats) -> bool:
        """The client's answer; True when it was this job's."""
        if request_id != self.request_id:
            return False
        self.request_id = None
        if self.state != "running":
            return True
        if stats.get("cancelled"):
            self.cancel()
            return True
        if self._planning:
            self._planning = False
            self._chunks = [str(chunk) for chunk in (result or [])]
            self._summaries = []
            if not self._chunks:
                self._finish("")
                return True
        else:
            self._summaries.append(str(result or "").strip())
        self._advance()
        return True

    def on_failed(self, request_id: int, message: str) -> bool:
        if request_id != self.request_id:
            return False
        self.request_id = None
        if self.state == "running":
            self.state = "failed"
            self.failed.emit(message)
        return True

    def _plan(self, text: str) -> None:
        self._planning = True
        job = partial(llm_summary.plan_chunks_job, text, self.settings, self.chunk_tokens)
        self.request_id = self.client.submit(job, kind="call")

    def _advance(self) -> None:
        done = len(self._summaries)
        if done < len(self._chunks):
            self.chunks_started += 1
            self.chunkStarted.emit(done + 1, len(self._chunks), self._level)
            if self.state != "running":
                return  # cancelled by whoever listened to chunkStarted
            job = partial(llm_summary.summarise_piece_job, self._chunks[done], self._level > 0, self.language,
                          self.settings)
            self.request_id = self.client.submit(job, kind="call")
            return
        joined = "\n\n".join(s for s in self._summaries if s)
        if len(self._chunks) <= 1 or len(joined) >= sum(len(c) for c in self._chunks):
            self._finish(joined)  # one piece, or no shrinking (a degenerate model): done
            return
        self._level += 1
        self._plan(joined)

    def _finish(self, text: str) -> None:
        self.state = "done"
        self.done.emit(text)
