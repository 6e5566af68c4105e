"""Ghost text: a suggested continuation shown inline, in grey (italic for Latin scripts), until accepted.

Italic is the ghost's look in Latin, Greek or Cyrillic text only: Chinese and
Japanese have no italic convention (a slanted Han character reads as a
rendering fault), so their characters are grey and upright. The choice is made
per span by script (:func:`italic_runs`): a Chinese ghost with "OK" in it
slants only the "OK"; spaces, digits and punctuation follow the script before
them (at the start, the author's character before the ghost).

The words live in the document (so they wrap and push the following text
like real prose) but are not the author's yet:

* the editor's ``ghost_range`` marks them, so ``manuscript_text()`` (what
  autosave stores) leaves them out;
* every insertion belongs to ONE undo edit block: the first piece opens it
  with ``beginEditBlock`` and later pieces join it with
  ``joinPreviousEditBlock``. Discarding undoes exactly that block and clears
  the redo stack (so Redo cannot resurrect a ghost); accepting undoes it too
  and inserts the words afresh in the author's format as one edit block, so
  the accepted text is a single undo step.
  (``setUndoRedoEnabled(False)`` is not an option: it wipes the history.)

Any edit that does not come from here (the author typing, Undo from a menu)
ends the ghost state without touching the document again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QTextEdit

from writer_app.llm.answers import CJK_CHARACTERS
from writer_app.ui.text_positions import index_to_utf16, selected_text

if TYPE_CHECKING:
    from writer_app.ui.editor import ManuscriptEditor

GHOST_COLOUR = QColor(128, 128, 140)
_UPRIGHT = re.compile(f"[{CJK_CHARACTERS}]")


def italic_runs(text: str, italic_before: bool = True) -> list[tuple[int, int, bool]]:
    """``text`` cut into ``(start, end, italic)`` runs (``str`` indexes): CJK upright, letters italic.

    A character of neither kind (space, digit, punctuation) takes the state of the
    one before it; at the start, ``italic_before`` (the script before the ghost).
    """
    runs: list[tuple[int, int, bool]] = []
    state = italic_before
    start = 0
    for index, char in enumerate(text):
        if _UPRIGHT.match(char):
            italic = False
        elif char.isalpha():
            italic = True
        else:
            italic = state
        if italic != state and index > start:
            runs.append((start, index, state))
            start = index
        state = italic
    if len(text) > start:
        runs.append((start, len(text), state))
    return runs


_PASSIVE_KEYS = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr}


class GhostText(QObject):
    """Shows, replaces, accepts or discards ghost text at one position of ``editor``."""

    acceptRequested = Signal()  # Tab
    browseRequested = Signal(int)  # Alt+[ (-1) / Alt+] (+1)
    dismissed = Signal()  # the author typed, clicked or undid: the ghost is gone
    activeChanged = Signal(bool)
    rangeChanged = Signal()  # redraw the ghost's overlay (see extra_selections)

    # Class-level defaults, read by eventFilter: the cycle collector can clear a torn-down
    # ghost's attributes while its C++ half, a child of the editor, still filters events.
    _start: QTextCursor | None = None
    _end: QTextCursor | None = None

    def __init__(self, editor: ManuscriptEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self._start: QTextCursor | None = None
        self._end: QTextCursor | None = None
        self._base_format = QTextCharFormat()
        self._italic_before = True  # the script of the author's character before the ghost
        self._has_block = False
        self._steps_after = 0  # undo commands after our last edit: is our block still on top?
        self._self_editing = False
        editor.installEventFilter(self)
        editor.viewport().installEventFilter(self)
        editor.document().contentsChange.connect(self._on_contents_change)

    # -- state ------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._start is not None

    @property
    def document(self) -> QTextDocument:
        return self.editor.document()

    def text(self) -> str:
        if not self.active:
            return ""
        start, end = self._range()
        cursor = QTextCursor(self.document)
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        # Read through the cursor, not by slicing toPlainText() with its positions: those
        # count UTF-16 units (an emoji before the ghost is two), a str index counts one.
        return selected_text(cursor)

    def _range(self) -> tuple[int, int]:
        assert self._start is not None and self._end is not None
        return self._start.position(), self._end.position()

    def _publish_range(self) -> None:
        self.editor.ghost_range = self._range() if self.active else None
        self.rangeChanged.emit()

    def extra_selections(self) -> list[QTextEdit.ExtraSelection]:
        """The ghost look again as an overlay: the syntax highlighter (dialogue, emphasis)
        would otherwise paint parts of the ghost in the author's colours."""
        if not self.active:
            return []
        start, end = self._range()
        if end <= start:
            return []
        selections = []
        text = self.text()
        for run_start, run_end, italic in italic_runs(text, self._italic_before):
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.document)
            cursor.setPosition(start + index_to_utf16(text, run_start))
            cursor.setPosition(start + index_to_utf16(text, run_end), QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            fmt = QTextCharFormat()
            fmt.setForeground(GHOST_COLOUR)
            fmt.setFontItalic(italic)
            selection.format = fmt
            selections.append(selection)
        return selections

    # -- life cycle ----------------------------------------------------------------
    def begin(self, position: int | None = None) -> None:
        """Start an (empty) ghost at ``position`` (the cursor by default)."""
        if self.active:
            self.discard()
        cursor = self.editor.textCursor()
        if position is not None:
            cursor.setPosition(position)
        cursor.clearSelection()
        self._base_format = cursor.charFormat()
        before = QTextCursor(cursor)
        before.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor)
        previous = selected_text(before)
        self._italic_before = not (previous and _UPRIGHT.match(previous[-1]))
        self._start = QTextCursor(cursor)
        self._start.setKeepPositionOnInsert(True)
        self._end = QTextCursor(cursor)
        self._has_block = False
        self._publish_range()
        self.activeChanged.emit(True)

    def ghost_format(self, italic: bool = True) -> QTextCharFormat:
        fmt = QTextCharFormat(self._base_format)
        fmt.setForeground(GHOST_COLOUR)
        fmt.setFontItalic(italic)
        return fmt

    def _insert(self, cursor: QTextCursor, text: str, italic_before: bool) -> None:
        """Insert ``text`` at ``cursor`` in the ghost's look, span by span (see :func:`italic_runs`)."""
        for start, end, italic in italic_runs(text, italic_before):
            cursor.insertText(text[start:end], self.ghost_format(italic))

    def _italic_at_end(self) -> bool:
        runs = italic_runs(self.text(), self._italic_before)
        return runs[-1][2] if runs else self._italic_before

    def append(self, piece: str) -> None:
        if not self.active or not piece:
            return
        italic_before = self._italic_at_end()
        with self._edit() as cursor:
            cursor.setPosition(self._end.position())
            self._insert(cursor, piece, italic_before)
        self._publish_range()
        self._keep_in_view()

    def set_text(self, text: str) -> None:
        """Replace the whole ghost (another variant, or the cleaned-up final text)."""
        if not self.active or text == self.text():
            return
        with self._edit() as cursor:
            start, end = self._range()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self._insert(cursor, text, self._italic_before)
        self._publish_range()
        self._keep_in_view()

    def _keep_in_view(self) -> None:
        """Scroll so the end of the streaming text stays on screen, as the author reads along.

        QPlainTextEdit scrolls by lines, so the overflow in pixels is turned
        into lines; the author's own cursor is not moved (that would end the ghost).
        """
        if not self.active:
            return
        rect = self.editor.cursorRect(QTextCursor(self._end))
        overflow = rect.bottom() - self.editor.viewport().height()
        if overflow <= 0:
            return
        line = max(1, self.editor.fontMetrics().lineSpacing())
        bar = self.editor.verticalScrollBar()
        bar.setValue(bar.value() + -(-overflow // line) + 1)

    def accept(self) -> str:
        """Make the ghost the author's text: one undo step; returns what was accepted.

        When the ghost block is still on top of the history it is undone and the
        text inserted afresh in the author's format, so the history holds one plain
        insertion (a format change in the same block makes Qt's redo misplace the
        caret); otherwise the range is re-formatted inside the ghost's block.
        """
        if not self.active:
            return ""
        text = self.text()
        if not text:
            self._reset()
            return text
        start = self._start.position()
        if self._has_block and self.document.availableUndoSteps() == self._steps_after:
            self._self_editing = True
            self._set_reformatting(True)
            try:
                self.document.undo()
            finally:
                self._set_reformatting(False)
                self._self_editing = False
            self._reset()
            cursor = QTextCursor(self.document)
            cursor.setPosition(start)
            cursor.beginEditBlock()
            cursor.insertText(text, self._base_format)
            cursor.endEditBlock()
            end = cursor.position()
        else:
            with self._edit(manuscript_unchanged=False) as cursor:
                _start, end = self._range()
                cursor.setPosition(start)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                cursor.setCharFormat(self._base_format)
            self._reset()
        caret = self.editor.textCursor()
        caret.setPosition(end)
        self.editor.setTextCursor(caret)
        return text

    def discard(self) -> None:
        """Remove the ghost and leave the undo history exactly as it was before."""
        if not self.active:
            return
        if self._has_block:
            self._self_editing = True
            self._set_reformatting(True)
            try:
                if self.document.availableUndoSteps() == self._steps_after:
                    self.document.undo()
                else:  # history changed under us: remove by hand, same edit block
                    start, end = self._range()
                    cursor = QTextCursor(self.document)
                    cursor.joinPreviousEditBlock()
                    cursor.setPosition(start)
                    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                    cursor.removeSelectedText()
                    cursor.endEditBlock()
                self.document.clearUndoRedoStacks(QTextDocument.Stacks.RedoStack)
            finally:
                self._self_editing = False
                self._set_reformatting(False)
        self._reset()

    def _reset(self) -> None:
        self._start = None
        self._end = None
        self._has_block = False
        self._publish_range()
        self.activeChanged.emit(False)

    # -- editing helpers ---------------------------------------------------------------
    def _set_reformatting(self, value: bool) -> None:
        """Tell autosave that ghost edits leave the manuscript text as it was."""
        self.editor.reformatting = value

    def _edit(self, manuscript_unchanged: bool = True):
        ghost = self

        class _Block:
            def __enter__(self_inner) -> QTextCursor:
                ghost._self_editing = True
                ghost._set_reformatting(manuscript_unchanged)
                cursor = QTextCursor(ghost.document)
                if ghost._has_block:
                    cursor.joinPreviousEditBlock()
                else:
                    cursor.beginEditBlock()
                self_inner.cursor = cursor
                return cursor

            def __exit__(self_inner, *exc) -> None:
                self_inner.cursor.endEditBlock()
                ghost._has_block = True
                ghost._steps_after = ghost.document.availableUndoSteps()
                ghost._self_editing = False
                ghost._set_reformatting(False)
                # The author's caret stays where the ghost begins.
                caret = ghost.editor.textCursor()
                if ghost.active and caret.position() != ghost._start.position():
                    caret.setPosition(ghost._start.position())
                    ghost.editor.setTextCursor(caret)

        return _Block()

    def _on_contents_change(self, _position: int, _removed: int, _added: int) -> None:
        if self.active and not self._self_editing:
            # Someone else edited the document (Undo from a menu, a replace): stop
            # tracking without touching the text again.
            self._reset()
            self.dismissed.emit()

    # -- keys and clicks -------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self.active:
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._on_key(event)
        if kind == QEvent.Type.MouseButtonPress and watched is self.editor.viewport():
            self.discard()
            self.dismissed.emit()
        return False

    def _on_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key == Qt.Key.Key_Tab and mods == Qt.KeyboardModifier.NoModifier:
            self.acceptRequested.emit()
            return True
        if mods == Qt.KeyboardModifier.AltModifier and key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
            self.browseRequested.emit(-1 if key == Qt.Key.Key_BracketLeft else 1)
            return True
        if key in _PASSIVE_KEYS or key == Qt.Key.Key_Escape:
            return False  # Esc is the window's actionCancel
        if mods & Qt.KeyboardModifier.ControlModifier and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False  # actionContinue: another variant
        self.discard()
        self.dismissed.emit()
        return False
