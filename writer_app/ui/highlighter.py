"""Markdown-aware highlighting for prose: headings, emphasis and dialogue.

Per-block regular expressions only (no state across paragraphs), so typing in
a 10,000-word chapter re-highlights one paragraph, not the document.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

HEADING = re.compile(r"^(#{1,6})\s+.*$")
STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
EMPHASIS = re.compile(r"(?<![*_\w])([*_])(?=\S)(.+?)(?<=\S)\1(?![*_\w])")
# Straight and curly double quotes, and curly single quotes used as dialogue marks.
DIALOGUE = re.compile(r"\"[^\"\n]*\"?|“[^”\n]*”?|‘[^’\n]*’(?!\w)")
BLOCKQUOTE = re.compile(r"^>\s?.*$")
SCENE_BREAK = re.compile(r"^\s*(\*\s*\*\s*\*|#\s*#\s*#|-{3,})\s*$")


class MarkdownHighlighter(QSyntaxHighlighter):
    """Colours come from the theme (:meth:`set_palette`) so dark mode stays readable."""

    def __init__(self, document: QTextDocument, dark: bool = False) -> None:
        super().__init__(document)
        self.set_palette(dark)

    def set_palette(self, dark: bool) -> None:
        heading = QColor("#d9b36c" if dark else "#7a4b12")
        dialogue = QColor("#bccfe0" if dark else "#34495e")  # a quiet tint: most novels are half dialogue
        muted = QColor("#8c8c8c" if dark else "#8a8a8a")
        self.heading_format = QTextCharFormat()
        self.heading_format.setFontWeight(QFont.Weight.Bold)
        self.heading_format.setForeground(heading)
        self.strong_format = QTextCharFormat()
        self.strong_format.setFontWeight(QFont.Weight.Bold)
        self.emphasis_format = QTextCharFormat()
        self.emphasis_format.setFontItalic(True)
        self.dialogue_format = QTextCharFormat()
        self.dialogue_format.setForeground(dialogue)
        self.muted_format = QTextCharFormat()
        self.muted_format.setForeground(muted)
        self.quote_format = QTextCharFormat()
        self.quote_format.setFontItalic(True)
        self.quote_format.setForeground(muted)
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        if not text:
            return
        if HEADING.match(text):
            self.setFormat(0, len(text), self.heading_format)
            return
        if SCENE_BREAK.match(text):
            self.setFormat(0, len(text), self.muted_format)
            return
        if BLOCKQUOTE.match(text):
            self.setFormat(0, len(text), self.quote_format)
        for match in DIALOGUE.finditer(text):
            self.setFormat(match.start(), match.end() - match.start(), self.dialogue_format)
        for match in STRONG.finditer(text):
            self._merge(match.start(), match.end(), self.strong_format)
            self._mark_delimiters(match.start(), match.end(), len(match.group(1)))
        for match in EMPHASIS.finditer(text):
            self._merge(match.start(), match.end(), self.emphasis_format)
            self._mark_delimiters(match.start(), match.end(), 1)

    def _merge(self, start: int, end: int, extra: QTextCharFormat) -> None:
        for index in range(start, end):
            fmt = self.format(index)
            fmt.merge(extra)
            self.setFormat(index, 1, fmt)

    def _mark_delimiters(self, start: int, end: int, width: int) -> None:
        for index in (*range(start, start + width), *range(end - width, end)):
            fmt = self.format(index)
            fmt.setForeground(self.muted_format.foreground())
            self.setFormat(index, 1, fmt)
