"""Undo hard wraps: join the lines of each paragraph of a text wrapped at a fixed column.

Project Gutenberg books, e-mailed drafts and old word-processor exports break
every line near one column (60-80) and separate paragraphs with blank lines.
The paragraph model (:mod:`writer_app.text.manuscript`) reads every line as a
paragraph, so such a text must have its lines joined back before it is stored.

How a wrapped line is told from a line whose break matters:

* The text's wrap column ``W`` is the 90th percentile of the widths of lines
  that are followed by another line of the same block (display columns: a Han
  character counts two). A text is hard-wrapped only when ``W`` lies between
  40 and 100 columns and at least 60% of those line breaks are *wrap breaks*.
* A break after a line is a wrap break when the next line's first word would
  (nearly) not have fitted on it: ``width(line) + 1 + width(next word) >
  W - 15% of W``. A greedy wrapper leaves no room at all; real files (Project
  Gutenberg's included) stop up to ~10 columns short, hence the margin. Verse,
  addresses, lists, a letter's "Dear Jane," or "Yours ever," stop far shorter.
* Inside one block (lines between blank lines) wrap breaks are joined and the
  others kept, so a letter's salutation and signature keep their own lines
  while its wrapped body (two or more wrap breaks in a row) becomes one
  paragraph. A block is verse, all its lines kept, when most of its breaks are
  not wrap breaks and no two wrap breaks follow each other, or when it has
  three lines or more that all start with a capital and one of them stops well
  short (long-lined verse such as Milton's). Limitation: a single stanza of
  long lines that do not start with capitals would be joined.
* A break is always kept before a line indented two columns deeper than the one above it
  (a new paragraph in a book that indents instead of leaving blank lines, or
  an indented line of verse), and around a scene break, a Setext underline or
  a ``#`` heading.

Text that is not hard-wrapped (one paragraph per line, as the editor stores
it, or long lines of any length) is returned unchanged. Joined lines are
separated by a space, except after a hyphen or dash (``well-`` + ``known``)
and next to CJK characters, which take no spaces. Blank lines and each
paragraph's first-line indent are kept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from writer_app.text.manuscript import is_scene_break

MIN_WRAP_COLUMN = 40
MAX_WRAP_COLUMN = 100
MIN_WRAPPED_SHARE = 0.6  # of the breaks inside blocks, for the whole text to count as hard-wrapped
MIN_BREAKS = 3  # fewer breaks than this is no evidence of wrapping
TOLERANCE_SHARE = 0.15  # real wrappers are not all greedy: Gutenberg lines stop up to ~10 columns short

_UNDERLINE = re.compile(r"^[ \t]*(?:=+|-+)[ \t]*$")
_ATX = re.compile(r"^[ \t]*#{1,6}[ \t]+\S")
_INDENT = re.compile(r"^[ \t\u3000\u00a0]*")


@dataclass(frozen=True)
class Unwrapped:
    text: str
    width: int = 0  # the wrap column found, 0 when the text is not hard-wrapped
    joined: int = 0  # line breaks removed


_BELOW_WIDE = re.compile("[\u0000-\u10ff\u2000-\u2319]*")  # scripts with no wide characters, quotes, dashes


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced terminal: a Han character or a kana counts two."""
    if _BELOW_WIDE.fullmatch(text):  # European text, curly quotes included: one column a character
        return len(text)
    return sum(2 if is_wide(c) else 1 for c in text)


def _indent(line: str) -> int:
    return display_width(_INDENT.match(line).group().replace("\t", "    "))


def _first_word(line: str) -> str:
    stripped = line.lstrip(" \t\u3000\u00a0")
    if stripped and is_wide(stripped[0]):
        return stripped[0]
    return stripped.split(" ", 1)[0] if stripped else ""


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) index ranges of runs of non-blank lines."""
    blocks, start = [], None
    for index, line in enumerate(lines):
        if line.strip():
            if start is None:
                start = index
        elif start is not None:
            blocks.append((start, index))
            start = None
    if start is not None:
        blocks.append((start, len(lines)))
    return blocks


def _protected(line: str) -> bool:
    return is_scene_break(line) or bool(_UNDERLINE.match(line)) or bool(_ATX.match(line))


def _tolerance(width: int) -> int:
    return max(2, round(width * TOLERANCE_SHARE))


class _Measured:
    """Each line's width, indent, first word and protection, measured once (a book has 10^5 lines)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.blocks = _blocks(lines)
        self.width: dict[int, int] = {}
        self.first: dict[int, int] = {}
        self.indent: dict[int, int] = {}
        self.protected: dict[int, bool] = {}
        for start, end in self.blocks:
            if end - start < 2:
                continue
            for index in range(start, end):
                line = lines[index]
                self.width[index] = display_width(line.rstrip())
                self.first[index] = display_width(_first_word(line))
                self.indent[index] = _indent(line)
                self.protected[index] = _protected(line)

    def slack(self, index: int, width: int) -> int:
        """Columns left on line ``index`` had the next line's first word been put on it."""
        return width - (self.width[index] + 1 + self.first[index + 1])

    def is_wrap_break(self, index: int, width: int) -> bool:
        """Whether the break after line ``index`` (inside a block) was made by a wrapper."""
        if self.protected[index] or self.protected[index + 1] or self.indent[index + 1] >= self.indent[index] + 2:
            return False
        return self.slack(index, width) < _tolerance(width)

    def breaks(self) -> list[int]:
        return [i for start, end in self.blocks for i in range(start, end - 1)]


def _starts_upper(line: str) -> bool:
    stripped = line.lstrip(" \t\u3000\u00a0\"'“‘(")
    return stripped[:1].isupper()


def _is_verse(measured: _Measured, start: int, end: int, breaks: list[bool], width: int) -> bool:
    """Lines kept as they are: mostly short lines, or capitalised lines of uneven length."""
    consecutive = any(a and b for a, b in zip(breaks, breaks[1:], strict=False))
    if len(breaks) >= 2 and sum(breaks) * 2 < len(breaks) and not consecutive:
        return True
    if end - start >= 3 and all(_starts_upper(line) for line in measured.lines[start + 1:end]):
        return any(measured.slack(i, width) >= _tolerance(width) for i in range(start, end - 1))
    return False


def _wrap_column(measured: _Measured) -> int:
    indexes = measured.breaks()
    if len(indexes) < MIN_BREAKS:
        return 0
    widths = sorted(measured.width[i] for i in indexes)
    width = widths[min(len(widths) - 1, int(len(widths) * 0.9))]
    if not MIN_WRAP_COLUMN <= width <= MAX_WRAP_COLUMN:
        return 0
    wrapped = sum(1 for i in indexes if measured.is_wrap_break(i, width))
    return width if wrapped >= MIN_WRAPPED_SHARE * len(indexes) else 0


def wrap_column(text: str) -> int:
    """The column ``text`` is hard-wrapped at, or 0 if it is not hard-wrapped."""
    return _wrap_column(_Measured(text.split("\n")))


def _joiner(left: str, right: str) -> str:
    if not left or not right:
        return ""
    if is_wide(left[-1]) or is_wide(right[0]):
        return ""
    if left[-1] in "-\u2010\u2013\u2014" and len(left) > 1 and left[-2] not in " \t":
        return ""  # "well-" + "known", "he--" + "and", "no—" + "never"
    return " "


def unwrap(text: str) -> Unwrapped:
    """``text`` with hard-wrapped paragraphs joined into one line each (see the module doc)."""
    lines = text.split("\n")
    measured = _Measured(lines)
    width = _wrap_column(measured)
    if not width:
        return Unwrapped(text)
    out: list[str] = []
    joined = 0
    position = 0
    for start, end in measured.blocks:
        out.extend(lines[position:start])
        position = end
        breaks = [measured.is_wrap_break(i, width) for i in range(start, end - 1)]
        if _is_verse(measured, start, end, breaks, width):
            out.extend(line.rstrip() for line in lines[start:end])  # verse, a list, an address: the lines matter
            continue
        current = lines[start].rstrip()
        for line, wrap in zip(lines[start + 1:end], breaks, strict=True):
            if wrap:
                piece = line.strip(" \t\u3000\u00a0")
                current = current.rstrip() + _joiner(current.rstrip(), piece) + piece
                joined += 1
            else:
                out.append(current)
                current = line.rstrip()
        out.append(current)
    out.extend(lines[position:])
    return Unwrapped("\n".join(out), width, joined)
