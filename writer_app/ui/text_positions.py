"""Qt text positions and Python string indexes, and the one place that converts between them.

Qt counts a document in UTF-16 code units: ``QTextCursor.position()``,
``setPosition``, ``selectionStart/End``, ``QTextBlock.position()`` and
``characterCount`` all give a character outside the Basic Multilingual Plane
(an emoji such as 😀, a rare CJK character such as 𠀀, a mathematical letter)
two units. A Python ``str`` gives it one index. Every place that slices a
Python string with a cursor position, or puts a cursor at an index computed in
Python (a style suggestion, a search hit), must convert, or everything after
the first emoji is off by one per emoji: underlines on the wrong words, Apply
or Replace editing the wrong text. These helpers are that conversion; nothing
else in the UI should do the arithmetic itself.
"""

from __future__ import annotations

import bisect
import re

from PySide6.QtGui import QTextCursor, QTextDocument

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SEPARATORS = ("\u2028", "\ufdd0", "\ufdd1")  # line break (Shift+Enter), frame marks


def utf16_to_index(text: str, position: int) -> int:
    """The ``str`` index of a Qt position (UTF-16 code units) in ``text``, clamped to it.

    A position between the two halves of a surrogate pair (Qt allows it, e.g.
    ``setPosition(1)`` in "😀") maps to the start of that character.
    """
    position = max(0, position)
    index = units = 0  # a point where both counts agree
    for match in _ASTRAL.finditer(text):
        units_here = units + (match.start() - index)
        if units_here >= position:
            break
        if units_here + 2 > position:  # inside the pair: the character itself
            return match.start()
        index, units = match.start() + 1, units_here + 2
    return min(len(text), index + (position - units))


def index_to_utf16(text: str, index: int) -> int:
    """The Qt position (UTF-16 code units) of ``str`` index ``index`` in ``text``, clamped to it.

    The inverse of :func:`utf16_to_index`: each character after the Basic
    Multilingual Plane before ``index`` adds one unit.
    """
    index = max(0, min(index, len(text)))
    return index + len(_ASTRAL.findall(text, 0, index))


class Utf16Positions:
    """:func:`index_to_utf16` for many indexes into one text: the text is scanned once, not per call.

    (Style suggestions convert two indexes per finding; a 5,000-word chapter has
    a hundred findings, and scanning it each time cost ~150 ms.)
    """

    def __init__(self, text: str) -> None:
        self._length = len(text)
        self._astral = [match.start() for match in _ASTRAL.finditer(text)]

    def __call__(self, index: int) -> int:
        index = max(0, min(index, self._length))
        return index + bisect.bisect_left(self._astral, index)


def document_text(document: QTextDocument) -> str:
    """The document's text, one ``str`` character per character, paragraphs joined by newlines.

    Read with ``toRawText``: ``toPlainText`` turns every no-break space into a
    plain space. Block and line separators become newlines, as ``toPlainText``
    makes them; each is one character either way, so indexes are unaffected.
    """
    text = document.toRawText().replace("\u2029", "\n")
    for mark in _SEPARATORS:
        if mark in text:
            text = text.replace(mark, "\n")
    return text


def selected_text(cursor: QTextCursor) -> str:
    """The text a cursor selects, exactly (no-break spaces kept), paragraphs joined by newlines."""
    text = cursor.selectedText().replace("\u2029", "\n")
    for mark in _SEPARATORS:
        if mark in text:
            text = text.replace(mark, "\n")
    return text


def cursor_index(cursor: QTextCursor, text: str | None = None) -> int:
    """The ``str`` index of the cursor's position in ``text`` (the document's text by default)."""
    text = document_text(cursor.document()) if text is None else text
    return utf16_to_index(text, cursor.position())


def cursor_span(cursor: QTextCursor, text: str | None = None) -> tuple[int, int]:
    """The ``str`` indexes ``(start, end)`` of the cursor's selection, so ``text[start:end]`` is it."""
    text = document_text(cursor.document()) if text is None else text
    return utf16_to_index(text, cursor.selectionStart()), utf16_to_index(text, cursor.selectionEnd())


def cursor_at_index(document: QTextDocument, start: int, end: int | None = None,
                    text: str | None = None) -> QTextCursor:
    """A cursor at ``str`` index ``start`` of the document's text, selecting up to ``end`` if given.

    ``text`` is the document's text when the caller already has it (it must be
    the same text, so that the emoji before ``start`` are the same).
    """
    text = document_text(document) if text is None else text
    cursor = QTextCursor(document)
    cursor.setPosition(index_to_utf16(text, start))
    if end is not None:
        cursor.setPosition(index_to_utf16(text, end), QTextCursor.MoveMode.KeepAnchor)
    return cursor
