"""Cut pathological text into pieces the editor handles well, losing nothing.

The editor lays out and highlights one paragraph (one line) at a time, so a
single 5 MB paragraph costs seconds per keystroke, and a 300,000-word
document makes every autosave, search and count slow. Import therefore:

* splits a paragraph longer than ``MAX_PARAGRAPH_CHARS`` at sentence ends
  (``.!?…`` and their CJK forms, closing quotes kept with their sentence);
  failing that at the last space, failing that (a very long run of CJK text
  without punctuation, or one giant "word") at a character boundary;
* splits a document longer than ``MAX_DOCUMENT_WORDS`` into consecutive parts
  of about equal size, at paragraph breaks.

A split only ever replaces the spaces between two sentences with a paragraph
break (or inserts one where there were no spaces): every other character is
kept in order. The limits were chosen by measurement
(benchmarks/bench_large_document.py, docs/architecture.md).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace

from writer_app.storage.gutenberg import Section
from writer_app.text.counts import count_words

MAX_PARAGRAPH_CHARS = 10_000
MAX_DOCUMENT_WORDS = 50_000

# The end of a sentence: a terminator, then any closing quotes or brackets; the break goes
# after them (and replaces the spaces that follow, if any: CJK text has none).
_CJK_TERMINATORS = "。！？…．｡"
_CLOSERS = "\"'”’」』）)]"
_SENTENCE_END = re.compile(rf"[.!?{_CJK_TERMINATORS}]+[{re.escape(_CLOSERS)}]*")
_SPACE = re.compile(r"\s+")
_ABBREVIATION = re.compile(r"(?:^|\W)(?:Mr|Mrs|Ms|Dr|St|Mt|Jr|Sr|Prof|Rev|Gen|Col|Capt|Lt|vs|etc|e\.g|i\.e|No)\.$",
                           re.IGNORECASE)

@dataclass
class SplitReport:
    paragraphs: int = 0  # paragraphs that were cut (each may have been cut more than once)
    documents: int = 0  # documents that were cut into parts


def paragraph_separator(text: str) -> str:
    """A blank line if the text separates its paragraphs with blank lines, else a newline."""
    return "\n\n" if "\n\n" in text else "\n"


def _safe_cut(text: str, position: int) -> int:
    """Move a hard cut back so it never separates a letter from its combining marks."""
    while position > 1 and (unicodedata.combining(text[position]) or text[position] in "\u200d\ufe0f\ufe0e"
                            or text[position - 1] == "\u200d"):
        position -= 1
    return position


def _sentence_break(paragraph: str, start: int, end: int) -> int | None:
    """Where the last sentence in ``paragraph[start:end]`` ends (after its closing quotes), if any."""
    best = None
    for match in _SENTENCE_END.finditer(paragraph, start, end):
        after = match.end()
        following = paragraph[after] if after < len(paragraph) else " "
        if following in _CLOSERS:
            continue  # the window cut the closing quote off: "No!|”"
        if paragraph[match.start()] not in _CJK_TERMINATORS and not following.isspace():
            continue  # "3.14", "e.g.x": a full stop inside a word
        if paragraph[match.start()] == "." and _ABBREVIATION.search(paragraph, max(0, match.start() - 6),
                                                                    match.start() + 1):
            continue  # "Mr. Darcy" is one sentence
        best = after
    return best


def _cut_points(paragraph: str, limit: int) -> Iterator[tuple[int, int]]:
    """(break at, resume at) pairs that leave pieces of at most ``limit`` characters."""
    start = 0
    while len(paragraph) - start > limit:
        window_end = start + limit
        floor = start + limit // 4  # a piece shorter than this would be a needlessly small paragraph
        cut = _sentence_break(paragraph, floor, window_end)
        if cut is None:
            spaces = list(_SPACE.finditer(paragraph, floor, window_end))
            cut = spaces[-1].start() if spaces else _safe_cut(paragraph, window_end)
        space = _SPACE.match(paragraph, cut)
        resume = space.end() if space else cut
        yield cut, resume
        start = resume


def split_paragraph(paragraph: str, limit: int, separator: str) -> str:
    """``paragraph`` with breaks where it exceeds ``limit`` characters (unchanged if it fits)."""
    if len(paragraph) <= limit:
        return paragraph
    pieces, start = [], 0
    for cut, resume in _cut_points(paragraph, limit):
        pieces.append(paragraph[start:cut])
        start = resume
    pieces.append(paragraph[start:])
    return separator.join(pieces)


def split_long_paragraphs(text: str, limit: int = MAX_PARAGRAPH_CHARS) -> tuple[str, int]:
    """(text with every over-long line split, how many lines were split)."""
    lines = text.split("\n")
    if all(len(line) <= limit for line in lines):
        return text, 0
    separator = paragraph_separator(text)
    split = 0
    for index, line in enumerate(lines):
        if len(line) > limit:
            lines[index] = split_paragraph(line, limit, separator)
            split += 1
    return "\n".join(lines), split


def split_text_by_words(text: str, max_words: int) -> list[str]:
    """Consecutive pieces of about equal word count, cut at paragraph breaks.

    The pieces joined with the paragraph separator give the text back.
    """
    total = count_words(text)
    if total <= max_words:
        return [text]
    separator = paragraph_separator(text)
    paragraphs = text.split(separator)
    parts = math.ceil(total / max_words)
    target = total / parts
    pieces: list[str] = []
    current: list[str] = []
    words = done = 0  # words in the current piece, in the pieces before it
    for paragraph in paragraphs:
        size = count_words(paragraph)
        if current and words + size > max_words:  # never over the cap, whatever the targets say
            pieces.append(separator.join(current))
            current, done, words = [], done + words, 0
        current.append(paragraph)
        words += size
        if done + words >= target * (len(pieces) + 1):
            pieces.append(separator.join(current))
            current, done, words = [], done + words, 0
    if current:
        pieces.append(separator.join(current))
    return [p for p in pieces if p.strip()] or [text]


def split_section(section: Section, max_words: int = MAX_DOCUMENT_WORDS) -> list[Section]:
    """The section, or its consecutive parts if its own text is over ``max_words``."""
    pieces = split_text_by_words(section.text, max_words) if section.text else [section.text]
    if len(pieces) == 1:
        return [section]
    parts = [replace(section, title=f"{section.title} (part {i} of {len(pieces)})", text=piece.strip("\n"),
                     kind=section.kind if section.kind in ("chapter", "scene", "note") else "chapter",
                     children=[])
             for i, piece in enumerate(pieces, 1)]
    if section.children:  # a heading with its own long text and sub-headings: parts go first
        return [replace(section, text="", children=parts + section.children)]
    return parts


def make_editable(sections: list[Section], report: SplitReport | None = None,
                  paragraph_limit: int = MAX_PARAGRAPH_CHARS,
                  max_words: int = MAX_DOCUMENT_WORDS) -> list[Section]:
    """The outline with long paragraphs and long documents split, recursively."""
    report = report if report is not None else SplitReport()
    out: list[Section] = []
    for section in sections:
        text, count = split_long_paragraphs(section.text, paragraph_limit)
        report.paragraphs += count
        children = make_editable(section.children, report, paragraph_limit, max_words)
        parts = split_section(replace(section, text=text, children=children), max_words)
        if len(parts) > 1 or parts[0].text != text:
            report.documents += 1
        out.extend(parts)
    return out
