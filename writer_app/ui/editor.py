"""The manuscript editor: a QPlainTextEdit tuned for long prose.

QPlainTextEdit (not QTextEdit) because it lays out paragraph by paragraph and
stays fast for a 10,000-word chapter. The text sits in a centred column of
``line_width`` characters with generous margins, in a serif font, as on a
page. Extensions (the assistant) add right-click entries through
``context_menu_hooks`` and show suggested text inline as "ghost text"
(``ghost_range``), which :meth:`manuscript_text` leaves out so that autosave
never stores words the author has not accepted.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QFocusEvent, QFont, QFontMetricsF, QResizeEvent, QTextCursor
from PySide6.QtWidgets import QMenu, QPlainTextEdit, QWidget

from writer_app.ui.highlighter import MarkdownHighlighter
from writer_app.ui.text_positions import (
    cursor_at_index,
    document_text,
    index_to_utf16,  # noqa: F401 - re-exported: the helpers lived here
    utf16_to_index,
)

ContextMenuHook = Callable[[QMenu, QTextCursor], None]

MIN_ZOOM = -6
MAX_ZOOM = 16


class ManuscriptEditor(QPlainTextEdit):
    """Prose editor; emits ``focusLost`` so the window can save when the author looks away."""

    focusLost = Signal()
    zoomChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editor")
        self.context_menu_hooks: list[ContextMenuHook] = []
        self.ghost_range: tuple[int, int] | None = None
        self.line_width_chars = 72
        self.zoom_steps = 0
        self._base_font = QFont("Georgia", 13)
        self._typewriter = False
        # True while only the look changes (re-highlighting bumps the document revision and
        # emits textChanged although no word changed); autosave ignores those signals.
        self.reformatting = False
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.setTabChangesFocus(False)
        self.highlighter = MarkdownHighlighter(self.document())
        self.cursorPositionChanged.connect(self._keep_cursor_centred)
        self._apply_font()

    # -- text -------------------------------------------------------------------------------
    def manuscript_text(self) -> str:
        """The document text without the assistant's ghost text (what autosave stores).

        Read with ``toRawText``: ``toPlainText`` turns every no-break space into a plain
        space, so each autosave silently rewrote French « guillemets » and "10\u00a0km";
        it is also the slower of the two. Block and line separators become newlines, as
        ``toPlainText`` makes them. ``ghost_range`` holds cursor positions, which count
        UTF-16 code units (an emoji is two), so they are mapped to string indexes.
        """
        text = document_text(self.document())
        if self.ghost_range is None:
            return text
        start, end = sorted(utf16_to_index(text, position) for position in self.ghost_range)
        return text[:start] + text[end:]

    def load_text(self, text: str) -> None:
        """Show a document: no undo history across documents, cursor at the start."""
        self.ghost_range = None
        self.setPlainText(text)
        self.document().clearUndoRedoStacks()
        self.document().setModified(False)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def go_to_offset(self, offset: int, length: int = 0) -> None:
        """Put the cursor at ``offset`` and select ``length`` characters.

        Both count ``str`` characters of :meth:`manuscript_text` (a search hit's
        offset into the stored text), so they are turned into Qt positions, and
        any ghost text shown before them is stepped over.
        """
        text = document_text(self.document())
        start, end = max(0, offset), max(0, offset) + max(0, length)
        if self.ghost_range is not None:  # the manuscript's words after it sit further on
            ghost_start, ghost_end = sorted(utf16_to_index(text, position) for position in self.ghost_range)
            width = ghost_end - ghost_start
            if start > ghost_start or (start == ghost_start and length):
                start += width
            if end > ghost_start:
                end += width
        cursor = cursor_at_index(self.document(), start, end if length else None, text)
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus()

    # -- appearance -------------------------------------------------------------------------
    def set_editor_font(self, family: str, point_size: int, line_width_chars: int | None = None) -> None:
        self._base_font = QFont(family, max(6, point_size))
        self._base_font.setStyleHint(QFont.StyleHint.Serif)
        if line_width_chars:
            self.line_width_chars = line_width_chars
        self._apply_font()

    def set_dark(self, dark: bool) -> None:
        self.reformatting = True
        try:
            self.highlighter.set_palette(dark)
        finally:
            self.reformatting = False

    def zoom(self, steps: int) -> None:
        """Zoom by whole points; 0 resets. The column widens with the font, as a page would."""
        self.zoom_steps = 0 if steps == 0 else max(MIN_ZOOM, min(MAX_ZOOM, self.zoom_steps + steps))
        self._apply_font()
        self.zoomChanged.emit(self.zoom_steps)

    def refresh_font(self) -> None:
        self._apply_font()

    def current_point_size(self) -> float:
        return self.font().pointSizeF()

    def _apply_font(self) -> None:
        font = QFont(self._base_font)
        font.setPointSizeF(self._base_font.pointSizeF() + self.zoom_steps)
        self.setFont(font)
        self.document().setDefaultFont(font)
        metrics = QFontMetricsF(font)
        self.setTabStopDistance(metrics.horizontalAdvance(" ") * 4)
        self._update_margins()

    def column_width(self) -> int:
        metrics = QFontMetricsF(self.font())
        return int(metrics.averageCharWidth() * self.line_width_chars) + 8

    def _update_margins(self) -> None:
        available = self.width()
        column = self.column_width()
        side = max(24, (available - column) // 2)
        top = 24 if not self._typewriter else 48
        self.setViewportMargins(side, top, side, 24)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        self._update_margins()
        super().resizeEvent(event)

    # -- focus mode -------------------------------------------------------------------------
    def set_typewriter_mode(self, enabled: bool) -> None:
        """Keep the line being written in the middle of the screen (focus mode)."""
        self._typewriter = enabled
        self.setCenterOnScroll(enabled)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff if enabled
                                        else Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._update_margins()
        if enabled:
            self.centerCursor()

    @property
    def typewriter_mode(self) -> bool:
        return self._typewriter

    def _keep_cursor_centred(self) -> None:
        if self._typewriter:
            self.centerCursor()

    # -- events -----------------------------------------------------------------------------
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        menu = self.build_context_menu(self.cursorForPosition(event.pos()))
        menu.exec(event.globalPos())
        menu.deleteLater()

    def build_context_menu(self, cursor: QTextCursor) -> QMenu:
        """The standard menu plus every extension's entries (separate so tests can inspect it)."""
        menu = self.createStandardContextMenu()
        if self.textCursor().hasSelection():
            cursor = self.textCursor()
        for hook in list(self.context_menu_hooks):
            menu.addSeparator()
            hook(menu, cursor)
        return menu

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.focusLost.emit()
