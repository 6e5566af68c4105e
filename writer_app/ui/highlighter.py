"""Highlighting for prose in the paragraph model: emphasis, dialogue and scene breaks.

What is marked up is what :mod:`writer_app.text.manuscript` reads as markup, so the
editor never shows as a heading or a quotation a line that every export writes as an
ordinary paragraph (a line starting with ``#`` or ``>`` is just text).

Per-block regular expressions only (no state across paragraphs), so typing in
a 10,000-word chapter re-highlights one paragraph, not the document.

Each block's spans are worked out in Python first, and Qt is then told about
each run of equal formatting once: one ``setFormat`` per run, never one per
character (a dialogue-heavy paragraph used to make thousands of calls per
keystroke, and each PySide call costs more than the regex work). Formats for
each combination of styles are built once per palette. A block longer than
``MAX_HIGHLIGHT_CHARS`` (a pasted log, an unsplit giant paragraph) is shown
plain: highlighting it on every keystroke would stall typing.

Spelling is one more style bit: when a :class:`~writer_app.text.spell.SpellChecker`
is set (``spell``), its misspelled spans for the block (cached per paragraph text,
so an unchanged paragraph costs a dictionary lookup never) join the runs and get
Qt's red wavy ``SpellCheckUnderline``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from writer_app.text.manuscript import is_scene_break

if TYPE_CHECKING:
    from writer_app.text.spell import SpellChecker

STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
EMPHASIS = re.compile(r"(?<![*_\w])([*_])(?=\S)(.+?)(?<=\S)\1(?![*_\w])")
# Straight and curly double quotes, and curly single quotes used as dialogue marks.
DIALOGUE = re.compile(r"\"[^\"\n]*\"?|“[^”\n]*”?|‘[^’\n]*’(?!\w)")

# Longer blocks are left unhighlighted (the importer splits paragraphs well below this).
MAX_HIGHLIGHT_CHARS = 20_000

# Characters outside the BMP take two UTF-16 code units in Qt's positions, one in a Python str.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# Style bits a character can carry; a run's format is the merge of its bits.
DIALOGUE_BIT, STRONG_BIT, EMPHASIS_BIT, DELIMITER, MISSPELLED = 2, 4, 8, 16, 32


def style_runs(text: str, misspelled: list[tuple[int, int]] | None = None) -> list[tuple[int, int, int]]:
    """(start, length, style bits) for each run of styled characters, in ``str`` indexes.

    Plain Python (no Qt), for prose lines; scene breaks are styled whole by the
    caller before it gets here. ``misspelled`` holds (start, length) spans to underline.
    """
    events: list[tuple[int, int, int]] = []  # (position, bit, +1 opens / -1 closes)

    def span(start: int, end: int, bit: int) -> None:
        if end > start:
            events.append((start, bit, 1))
            events.append((end, bit, -1))

    for match in DIALOGUE.finditer(text):
        span(match.start(), match.end(), DIALOGUE_BIT)
    for pattern, bit in ((STRONG, STRONG_BIT), (EMPHASIS, EMPHASIS_BIT)):
        for match in pattern.finditer(text):
            width = len(match.group(1))
            span(match.start(), match.end(), bit)
            span(match.start(), match.start() + width, DELIMITER)
            span(match.end() - width, match.end(), DELIMITER)
    for start, length in misspelled or ():
        span(start, start + length, MISSPELLED)
    if not events:
        return []
    events.sort()
    counts: dict[int, int] = {}
    runs: list[tuple[int, int, int]] = []
    position, bits = 0, 0
    for at, bit, delta in events:
        if at > position and bits:
            runs.append((position, at - position, bits))
        position = at
        counts[bit] = counts.get(bit, 0) + delta
        bits = sum(b for b, n in counts.items() if n > 0)
    return runs


class MarkdownHighlighter(QSyntaxHighlighter):
    """Colours come from the theme (:meth:`set_palette`) so dark mode stays readable."""

    def __init__(self, document: QTextDocument, dark: bool = False) -> None:
        super().__init__(document)
        self.spell: SpellChecker | None = None  # set by ui.spell once the dictionary is loaded
        self.set_palette(dark)

    def set_palette(self, dark: bool) -> None:
        dialogue = QColor("#bccfe0" if dark else "#34495e")  # a quiet tint: most novels are half dialogue
        muted = QColor("#8c8c8c" if dark else "#8a8a8a")
        self.strong_format = QTextCharFormat()
        self.strong_format.setFontWeight(QFont.Weight.Bold)
        self.emphasis_format = QTextCharFormat()
        self.emphasis_format.setFontItalic(True)
        self.dialogue_format = QTextCharFormat()
        self.dialogue_format.setForeground(dialogue)
        self.muted_format = QTextCharFormat()
        self.muted_format.setForeground(muted)
        self.misspelled_color = QColor("#ff6b6b" if dark else "#d00000")
        self._combined: dict[int, QTextCharFormat] = {}
        self.rehighlight()

    def format_for(self, bits: int) -> QTextCharFormat:
        """The merged format for a combination of style bits (built once per palette)."""
        fmt = self._combined.get(bits)
        if fmt is None:
            fmt = QTextCharFormat()
            for bit, part in ((DIALOGUE_BIT, self.dialogue_format),
                              (STRONG_BIT, self.strong_format), (EMPHASIS_BIT, self.emphasis_format)):
                if bits & bit:
                    fmt.merge(part)
            if bits & DELIMITER:
                fmt.setForeground(self.muted_format.foreground())
            if bits & MISSPELLED:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SpellCheckUnderline)
                fmt.setUnderlineColor(self.misspelled_color)
            self._combined[bits] = fmt
        return fmt

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        if not text or len(text) > MAX_HIGHLIGHT_CHARS:
            return
        if is_scene_break(text):  # marks and BMP whitespace only: len is the UTF-16 length
            self.setFormat(0, len(text), self.muted_format)
            return
        runs = style_runs(text, self.spell.misspelled(text) if self.spell is not None else None)
        if runs and _ASTRAL.search(text):
            runs = _to_utf16(text, runs)
        for start, length, bits in runs:
            self.setFormat(start, length, self.format_for(bits))


def _to_utf16(text: str, runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Runs in str indexes turned into Qt's UTF-16 positions (emoji count twice)."""
    offsets = [0] * (len(text) + 1)
    total = 0
    for index, ch in enumerate(text):
        offsets[index] = total
        total += 2 if ord(ch) > 0xFFFF else 1
    offsets[len(text)] = total
    return [(offsets[start], offsets[start + length] - offsets[start], bits) for start, length, bits in runs]
