"""Rewrite, expand, shorten, describe and summarise a selection into the panel.

The selection is remembered as two ``QTextCursor``s that follow the author's
edits, so Replace changes exactly the words that were selected even if the
caret moved or text was typed elsewhere meanwhile. Replacing takes a revision
snapshot first ("before-ai-edit", on the database worker, queued before the
autosave that will store the change) and is one undo step.

The answer is judged by the same hard checks as the task-quality harness
(``llm.guards``: names kept, no invented names, the text's language, prose
rather than commentary). A candidate that fails one is sampled again, up to
the guards' budget, with the title saying "trying again (2 of 3)"; when none
passes, the best candidate is shown under a warning that says what is wrong,
so nothing harmful reaches the page without the author having read why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QInputDialog

import writer_app.ui.assistant.jobs as jobs
from writer_app.llm import answers, guards
from writer_app.llm.tasks import TaskResult
from writer_app.ui.assistant.context import StoryContext, gather_context, near_cursor, run_db
from writer_app.ui.assistant.page_edits import TrackedRange, snapshot_before_ai_edit
from writer_app.ui.assistant.ports import AssistantPort, Stats
from writer_app.ui.text_positions import document_text, utf16_to_index

if TYPE_CHECKING:
    from writer_app.ui.assistant.assistant_panel import AssistantPanel
    from writer_app.ui.assistant.inference_worker import InferenceClient
    from writer_app.ui.main_window import MainWindow


class SelectionTasks(QObject):
    """One selection task at a time, streamed into ``panel``; Replace and Insert after act on the page."""

    def __init__(self, host: AssistantPort, window: MainWindow, client: InferenceClient,
                 panel: AssistantPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.window = window
        self.client = client
        self.editor = window.editor
        self.panel = panel
        self.range: TrackedRange | None = None
        self.request_id: int | None = None
        self._task: dict[str, str] = {}
        self._original = ""
        self._context = StoryContext()
        self._attempt = 0
        self._request: jobs.TaskRequest | None = None
        self._try = 0  # candidates sampled for this request after the first (the guards' re-samples)
        self._candidates: list[tuple[int, str, list[str]]] = []  # (hard failures, text, reasons)
        client.tokenProduced.connect(self._on_token)
        client.finished.connect(self._on_finished)
        client.failed.connect(self._on_failed)
        panel.replaceRequested.connect(self.replace)
        panel.insertAfterRequested.connect(self.insert_after)
        panel.copyRequested.connect(self.copy)
        panel.retryRequested.connect(self.retry)
        panel.discardRequested.connect(self.discard)
        panel.stopRequested.connect(self.stop)

    # -- asking -----------------------------------------------------------------------------
    def run(self, task: str, preset: str = "", instruction: str = "", cursor: QTextCursor | None = None) -> bool:
        """Start ``task`` on the selection (of ``cursor`` or the editor); False without one."""
        cursor = cursor if cursor is not None and cursor.hasSelection() else self.editor.textCursor()
        if not cursor.hasSelection():
            self.host.show_message("Select some text first.")
            return False
        self.host.discard_continuation()
        self.stop()
        self.range = TrackedRange(self.editor.document(), cursor.selectionStart(), cursor.selectionEnd())
        self._original = self.range.text()
        self._task = {"task": task, "preset": preset, "instruction": instruction}
        self._attempt = 0
        self._start_guarding()
        self.panel.start(self._title(), self._original)
        self._raise_panel()
        text = self.editor.manuscript_text()
        start, end = self.range.index_bounds(text)
        window = self.window
        run_db(window, gather_context(window.current_project_id, window.current_node_id,
                                      near_cursor(text, start, end)),
               self._with_context, lambda exc: self._with_context(StoryContext()))
        return True

    def run_custom(self, cursor: QTextCursor | None = None) -> None:
        instruction, ok = QInputDialog.getText(self.window, "Rewrite", "How should the selection be rewritten?")
        if ok and instruction.strip():
            self.run("rewrite", instruction=instruction.strip(), cursor=cursor)

    def _title(self) -> str:
        task = self._task["task"]
        if task == "rewrite":
            label = self._task["instruction"] or jobs.preset_labels().get(self._task["preset"], "Rephrase")
            return f"Rewrite — {label}"
        return jobs.TASK_TITLES.get(task, task.title())

    def _with_context(self, context: StoryContext) -> None:
        if self.range is None:
            return
        self._context = context
        self.panel.show_context(context)
        self._submit()

    def _submit(self) -> None:
        assert self.range is not None
        text = self.editor.manuscript_text()
        start, end = self.range.index_bounds(text)
        task = self._task["task"]
        settings = self.host.generation_settings().for_variant(self._attempt)
        if self._try:
            settings = guards.retry_settings(task, settings, self._try, guards.DEFAULT_POLICY)
        self._request = jobs.TaskRequest(
            task, text=self._original, before=text[:start][-3000:], after=text[end:][:1000],
            instruction=self._task["instruction"], preset=self._task["preset"],
            bible=list(self._context.bible), language=self._context.language,
        )
        job = jobs.stream_task(self._request, settings)
        self.panel.result.clear()
        self.panel.set_busy(True, has_result=False)
        self.request_id = self.client.submit(job)

    def retry(self) -> None:
        if self.range is None or self.request_id is not None:
            return
        self._attempt += 1
        self._start_guarding()
        self.panel.set_warning("")
        self.panel.title.setText(self._title())
        self._submit()

    def _start_guarding(self) -> None:
        self._try = 0
        self._candidates = []

    def stop(self) -> None:
        if self.request_id is not None:
            self.client.cancel(self.request_id)

    # -- worker signals -----------------------------------------------------------------------------
    def _on_token(self, request_id: int, piece: str) -> None:
        if request_id == self.request_id:
            self.panel.append(piece)

    def _on_finished(self, request_id: int, result: object, stats: Stats) -> None:
        if request_id != self.request_id:
            return
        self.request_id = None
        final = jobs.clean_output(self._task["task"], str(result or ""))
        self.host.record_stats(stats)
        if self._judge(final):
            return
        best = min(self._candidates, key=lambda c: c[0])
        self.panel.title.setText(self._title())
        self.panel.set_result(best[1])
        self.panel.set_warning(_warning(best[2], len(self._candidates)))
        self.panel.set_busy(False, has_result=bool(best[1].strip()))

    def _judge(self, final: str) -> bool:
        """Keep ``final`` as a candidate; True when it failed a hard check and another one is on its way."""
        if self._request is None:
            self._candidates.append((0, final, []))
            return False
        checks = guards.task_checks(self._request, TaskResult(final))
        failures = guards.hard_failures(checks)
        self._candidates.append((len(failures), final, failures))
        budget = guards.retry_budget(self._task["task"])
        if not failures or not final.strip() or self._try >= budget:
            return False
        self._try += 1
        self.panel.title.setText(f"{self._title()} — trying again ({self._try + 1} of {budget + 1})")
        self._submit()
        return True

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id != self.request_id:
            return
        self.request_id = None
        if self._candidates:  # stopped while trying again: the best answer so far, with its warning
            best = min(self._candidates, key=lambda c: c[0])
            self.panel.set_result(best[1])
            self.panel.set_warning(_warning(best[2], len(self._candidates)))
        self.panel.set_busy(False, has_result=bool(self.panel.result.toPlainText().strip()))
        self.host.show_message(message)
        if message != "Cancelled.":
            self.panel.title.setText(f"{self._title()} — failed: {message}")

    # -- using the result -------------------------------------------------------------------------
    def suggestion(self) -> str:
        return self.panel.result.toPlainText()

    def replace(self) -> None:
        """Swap the original words for the suggestion: one undo step, a revision taken first."""
        if self.range is None or not self.suggestion().strip():
            return
        self.host.discard_continuation()
        snapshot_before_ai_edit(self.window)
        cursor = self.range.cursor()
        cursor.beginEditBlock()
        cursor.insertText(self.suggestion())
        cursor.endEditBlock()
        self.editor.setTextCursor(cursor)
        self.host.show_message("Replaced the selection (Ctrl+Z undoes it).")
        self._forget()

    def insert_after(self) -> None:
        if self.range is None or not self.suggestion().strip():
            return
        self.host.discard_continuation()
        snapshot_before_ai_edit(self.window)
        _start, end = self.range.bounds()
        text = document_text(self.editor.document())
        before = text[: utf16_to_index(text, end)]  # end counts UTF-16 units, the str does not
        addition = self.suggestion().strip()
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(end)
        cursor.beginEditBlock()
        cursor.insertText(answers.joining_space(before, addition) + addition)
        cursor.endEditBlock()
        self.editor.setTextCursor(cursor)
        self._forget()

    def copy(self) -> None:
        QApplication.clipboard().setText(self.suggestion())
        self.host.show_message("Suggestion copied.")

    def discard(self) -> None:
        self.stop()
        self.request_id = None
        self._forget()

    def _forget(self) -> None:
        self.range = None
        self.panel.clear()

    def _raise_panel(self) -> None:
        dock = self.panel.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()


def _warning(failures: list[str], tries: int) -> str:
    """The warning above a suggestion that no candidate made pass the hard checks; empty when one did."""
    if not failures:
        return ""
    tried = f" after {tries} tries" if tries > 1 else ""
    return (f"Check this suggestion before using it: {'; '.join(failures)}{tried}. "
            "It has not been put into your text.")
