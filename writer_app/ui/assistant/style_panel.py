"""Style suggestions: wavy underlines in the editor and a list by category, in two stages.

Stage one, the rule findings (``text.prose_checks``: ~20 ms for a long
chapter, so on the background pool rather than the GUI thread), is listed as
soon as it is computed. Only then does stage two start: the model's critique
(``llm.critique.stream_critique``), a stream whose items are merged into the
list one by one while the panel says "the assistant is still reading…" and
offers Cancel (Esc too). A model item on words a rule already flagged is not
listed twice (``critique.duplicates_a_rule``).

Each suggestion's span is tracked with QTextCursors, so it stays on the same
words while the author edits elsewhere, and applying one changes only its own
span; the status line and the category counts are recomputed after every
change. The findings were computed on a snapshot of the text: the document's
edits since then are logged (``contentsChange``) and each late finding's span
is moved through them, then checked against its words. A suggestion whose
words were edited in the meantime is dropped rather than applied to the wrong
text.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QTextEdit,
)

import writer_app.ui.assistant.jobs as jobs
from writer_app.llm.critique import CritiqueProgress, decode_record, duplicates_a_rule
from writer_app.text.prose_checks import check_prose
from writer_app.text.suggestions import Suggestion
from writer_app.ui.assistant.page_edits import TrackedRange, snapshot_before_ai_edit
from writer_app.ui.assistant.ports import AssistantPort, Stats
from writer_app.ui.assistant.style_list import StylePanel, TrackedSuggestion, category_colour
from writer_app.ui.text_positions import Utf16Positions, cursor_span

if TYPE_CHECKING:
    from writer_app.ui.assistant.inference_worker import InferenceClient
    from writer_app.ui.main_window import MainWindow

# StyleSuggestions.state: "idle" (nothing checked), "checking" (the rules are being computed),
# "reading" (rule findings listed, the model's critique on its way), "done", "cancelled", "failed".
STATES = ("idle", "checking", "reading", "done", "cancelled", "failed")


class StyleSuggestions(QObject):
    """Runs the checks, keeps the spans, draws the underlines, applies or dismisses.

    ``underlinesChanged`` asks whoever draws the editor's extra selections (the
    controller, which also draws the ghost text's) to fetch :meth:`underlines` again.
    ``rulesShown`` (the number listed) comes when stage one is in the list, before
    the critique is even asked for; ``critiqueItemMerged`` for each model item
    added; ``critiqueEnded`` ("done", "cancelled" or "failed") when stage two ends.
    """

    underlinesChanged = Signal()
    rulesShown = Signal(int)
    critiqueItemMerged = Signal(object)
    critiqueEnded = Signal(str)

    def __init__(self, host: AssistantPort, window: MainWindow, client: InferenceClient,
                 panel: StylePanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.window = window
        self.client = client
        self.editor = window.editor
        self.panel = panel
        self.entries: list[TrackedSuggestion] = []
        self._shown: list[TrackedSuggestion] = []  # the entries as last listed (row data indexes these)
        self.request_id: int | None = None
        self.state = "idle"
        self._generation = 0  # of the current check; a stale stage-one result is ignored
        self._base = 0
        self._checked = ""
        self._utf16 = Utf16Positions("")  # str index -> Qt position in the text as it was checked
        self._edits: list[tuple[int, int, int]] = []  # (position, removed, added) since then, Qt units
        self._scope = "the whole document"
        self._progress: CritiqueProgress | None = None
        self._ended_because = ""
        self._snapshotted = False
        panel.checkRequested.connect(lambda: self.run())
        panel.applyRequested.connect(self.apply_selected)
        panel.dismissRequested.connect(self.dismiss_selected)
        panel.cancelRequested.connect(self.stop)
        panel.tree.currentItemChanged.connect(lambda *_: self._reveal_selected())
        client.tokenProduced.connect(self._on_item)
        client.finished.connect(self._on_finished)
        client.failed.connect(self._on_failed)
        self.editor.document().contentsChange.connect(self._on_contents_change)
        window.documentOpened.connect(lambda _node: self._on_document_opened())

    @property
    def reading(self) -> bool:
        """Whether the model's critique is still on its way (stage two)."""
        return self.state == "reading"

    def run(self, cursor: QTextCursor | None = None) -> None:
        self.host.discard_continuation()
        self.stop()
        self.request_id = None  # a critique still stopping belongs to the last check: its news is ignored
        cursor = cursor if cursor is not None and cursor.hasSelection() else self.editor.textCursor()
        text = self.editor.manuscript_text()
        if cursor.hasSelection():
            start, end = cursor_span(cursor, text)
        else:
            start, end = 0, len(text)
        checked = text[start:end]
        if not checked.strip():
            self._generation += 1
            self.state = "idle"
            self.panel.set_reading(False)
            self.panel.status.setText("Nothing to check: the document is empty.")
            return
        self.clear()
        self._generation += 1
        generation = self._generation
        self._base, self._checked, self._edits = start, checked, []
        self._utf16 = Utf16Positions(text)  # the snapshot's str indexes -> its Qt positions
        self._scope = "the selection" if cursor.hasSelection() else "the whole document"
        self._progress = None
        self._set_state("checking")
        self._raise_panel()
        project = self.window.current_project
        language = (project.language if project is not None else "") or "en"
        self.window.background.run(
            lambda _task: check_prose(checked, language),
            on_done=lambda found: self._on_rules(generation, found),
            on_error=lambda exc: self._on_rules_failed(generation, exc),
            owner=self,
        )

    def stop(self) -> None:
        """Cancel the critique (the rule findings stay); a check still computing its rules is dropped."""
        if self.request_id is not None:
            self.client.cancel(self.request_id)
        elif self.state == "checking":
            self._generation += 1
            self._set_state("cancelled")

    def clear(self) -> None:
        self.entries = []
        self._snapshotted = False
        self._refresh()

    def _on_document_opened(self) -> None:
        self.stop()
        self.request_id = None  # its late pieces belong to another document
        self._generation += 1
        self.state = "idle"
        self.panel.set_reading(False)
        self.clear()
        self.panel.status.setText("Select a passage (or nothing, for the whole document) and press Check.")

    # -- stage one: the rules ------------------------------------------------------------------------
    def _on_rules(self, generation: int, found: list[Suggestion]) -> None:
        if generation != self._generation:
            return
        self.entries = [entry for entry in map(self._track, found) if entry is not None]
        self._set_state("reading")
        self._refresh()
        self.rulesShown.emit(len(self.entries))
        # Stage two only now: the list above is never waiting on the model.
        self.request_id = self.client.submit(
            jobs.critique_stream_job(self._checked, self.host.generation_settings()), kind="stream")

    def _on_rules_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._ended_because = f"the checks failed ({exc})"
            self._set_state("failed")

    # -- stage two: the critique ------------------------------------------------------------------------
    def _on_item(self, request_id: int, piece: str) -> None:
        if request_id != self.request_id:
            return
        item = decode_record(piece)
        if isinstance(item, CritiqueProgress):
            self._progress = item
            self._show_status()
        elif isinstance(item, Suggestion) and item.applies_to(self._checked):
            entry = self._track(item)
            if entry is None or self._is_duplicate(entry):
                return
            start = entry.span.bounds()[0]
            at = next((i for i, e in enumerate(self.entries) if e.span.bounds()[0] > start), len(self.entries))
            selected = self._selected_entry()
            self.entries.insert(at, entry)
            self._refresh(selected)
            self.critiqueItemMerged.emit(item)

    def _is_duplicate(self, entry: TrackedSuggestion) -> bool:
        start, end = entry.span.bounds()
        if any(e.span.bounds() == (start, end) for e in self.entries):
            return True
        rules = [(*e.span.bounds(), e.suggestion.category) for e in self.entries if e.suggestion.source == "rule"]
        return duplicates_a_rule(dataclasses.replace(entry.suggestion, start=start, end=end), rules)

    def _on_finished(self, request_id: int, result: object, stats: Stats) -> None:
        if request_id != self.request_id:
            return
        self.request_id = None
        self.host.record_stats(stats)
        self._end_critique("cancelled" if stats.get("cancelled") else "done")

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id != self.request_id:
            return
        self.request_id = None
        if message == "Cancelled.":
            self._end_critique("cancelled")
        else:
            self._ended_because = message
            self._end_critique("failed")

    def _end_critique(self, how: str) -> None:
        self._set_state(how)
        self.critiqueEnded.emit(how)

    # -- spans: from the snapshot's str indexes to the document as it is now ---------------------------
    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        if self.state in ("checking", "reading"):
            self._edits.append((position, removed, added))
        self._drop_stale()

    def _moved(self, position: int, is_end: bool) -> int | None:
        """``position`` (Qt units in the snapshot) in today's document, or None if its text was edited."""
        for at, removed, added in self._edits:
            if position < at or (is_end and position == at) or removed == added:
                continue  # before the edit (or a format-only change: the words are checked below)
            if position < at + removed:
                return None
            position += added - removed
        return position

    def _track(self, suggestion: Suggestion) -> TrackedSuggestion | None:
        """A finding on the snapshot as a tracked span of the document, if its words are still there."""
        if not suggestion.applies_to(self._checked) or suggestion.end <= suggestion.start:
            return None
        start = self._moved(self._utf16(self._base + suggestion.start), False)
        end = self._moved(self._utf16(self._base + suggestion.end), True)
        if start is None or end is None or end <= start:
            return None
        entry = TrackedSuggestion(suggestion, TrackedRange(self.editor.document(), start, end),
                                  self._checked[suggestion.start : suggestion.end])
        return entry if entry.still_valid() else None

    # -- apply / dismiss -----------------------------------------------------------------------------
    def apply(self, index: int) -> bool:
        entry = self.entries[index]
        replacement = entry.suggestion.replacement
        if replacement is None:
            self.panel.status.setText("This one has no ready replacement; edit the words yourself.")
            return False
        if not entry.still_valid():
            self.dismiss(index)
            self.panel.status.setText("Those words changed since the check; the suggestion was dropped.")
            return False
        self.host.discard_continuation()
        if not self._snapshotted:
            snapshot_before_ai_edit(self.window)
            self._snapshotted = True
        cursor = entry.span.cursor()
        self.entries.pop(index)
        cursor.beginEditBlock()
        cursor.insertText(replacement)
        cursor.endEditBlock()
        self._refresh(min(index, len(self.entries) - 1) if self.entries else None)
        return True

    def dismiss(self, index: int) -> None:
        self.entries.pop(index)
        self._refresh(min(index, len(self.entries) - 1) if self.entries else None)

    def apply_selected(self) -> None:
        index = self.panel.selected_index()
        if index is not None and index < len(self.entries):
            self.apply(index)

    def dismiss_selected(self) -> None:
        index = self.panel.selected_index()
        if index is not None and index < len(self.entries):
            self.dismiss(index)

    # -- drawing --------------------------------------------------------------------------------------
    def _drop_stale(self) -> None:
        if self.entries and any(not entry.still_valid() for entry in self.entries):
            selected = self._selected_entry()
            self.entries = [entry for entry in self.entries if entry.still_valid()]
            self._refresh(selected)

    def underlines(self) -> list[QTextEdit.ExtraSelection]:
        selections = []
        for entry in self.entries:
            selection = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(category_colour(entry.suggestion.category))
            selection.format = fmt
            selection.cursor = entry.span.cursor()
            selections.append(selection)
        return selections

    def _selected_entry(self) -> TrackedSuggestion | None:
        """The entry of the selected row (found again by identity once the list has changed)."""
        index = self.panel.selected_index()
        return self._shown[index] if index is not None and index < len(self._shown) else None

    def _refresh(self, selected: TrackedSuggestion | int | None = None) -> None:
        """Redraw the underlines, the list (selecting ``selected``: an entry or an index) and the status."""
        self.underlinesChanged.emit()
        if isinstance(selected, TrackedSuggestion):
            selected = next((i for i, e in enumerate(self.entries) if e is selected), None)
        self._shown = list(self.entries)
        self.panel.show_suggestions(self.entries, selected)
        self._show_status()

    def _set_state(self, state: str) -> None:
        self.state = state
        self.panel.set_reading(state == "reading")
        self._show_status()

    def _show_status(self) -> None:
        """The status line, recomputed from the list (so it is right after every Apply and Dismiss)."""
        if self.state == "idle":
            return
        total = len(self.entries)
        model = sum(1 for e in self.entries if e.suggestion.source == "model")
        if self.state == "checking":
            text = f"Checking {self._scope}…"
        else:
            found = f"{total} suggestion{'s' if total != 1 else ''}"
            if model:
                found += f" ({model} from the assistant)"
            if self.state == "reading":
                part = (f" (part {self._progress.part} of {self._progress.parts})"
                        if self._progress is not None and self._progress.parts > 1 else "")
                text = f"{found} so far. The assistant is still reading{part}…"
            elif self.state == "cancelled":
                text = f"{found}. The assistant's critique was stopped."
            elif self.state == "failed":
                text = f"{found}. The assistant's critique did not finish: {self._ended_because}"
            elif total:
                text = f"{found}. Select one to see it; Apply or Dismiss."
            else:
                text = "No suggestions: nothing to flag here."
        self.panel.status.setText(text)

    def _reveal_selected(self) -> None:
        index = self.panel.selected_index()
        if index is not None and index < len(self.entries):
            self.editor.setTextCursor(self.entries[index].span.cursor())
            self.editor.ensureCursorVisible()

    def _raise_panel(self) -> None:
        dock = self.panel.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()

