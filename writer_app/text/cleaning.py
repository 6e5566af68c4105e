"""Plain prose for training: Markdown and layout noise removed, paragraphs kept.

A style adapter learns whatever it is shown; if it sees ``**`` and ``# Chapter``
it will write them. ``clean_for_training`` turns a manuscript (plain text or
Markdown, hard-wrapped or one paragraph per line) into the shape the library
stores manuscripts in and the trainer splits:

- each paragraph on one line (hard-wrapped lines are joined), paragraphs
  separated by one blank line, as the importer stores them;
- a scene break (``***``, ``* * *``, ``#``, ``~~~``, ``---``, ``§``, ``⁂``)
  becomes one more blank line (two blank lines between the scenes); empty
  lines never pile up otherwise;
- heading markers, emphasis, links, images, inline code, code fences, block
  quotes, list bullets and HTML tags are removed, keeping their text;
- whitespace is normalised (NFC, single spaces, no trailing spaces).
"""

from __future__ import annotations

import re
import unicodedata

from writer_app.text.chunking import is_hard_wrapped

_SCENE_BREAK_RE = re.compile(r"^\s*(?:(?:[*\-_~=#•·]\s*)+|§+|⁂)\s*$")
_FENCE_RE = re.compile(r"^\s*```.*$")
_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_BLOCKQUOTE_RE = re.compile(r"^\s{0,3}(?:>\s?)+")
_BULLET_RE = re.compile(r"^\s{0,3}[-*+]\s+(?=\S)")
_REFERENCE_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")

_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),  # images: gone
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # autolinks keep the address
    (re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>"), ""),  # HTML tags
    (re.compile(r"`([^`]+)`"), r"\1"),  # inline code
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])"), r"\1"),  # *em*
    (re.compile(r"(?<![_\w])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![_\w])"), r"\1"),  # _em_
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # strikethrough
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!~>])"), r"\1"),  # backslash escapes
)


def _clean_inline(line: str) -> str:
    for pattern, replacement in _INLINE_RULES:
        line = pattern.sub(replacement, line)
    return re.sub(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+", " ", line).strip()


def _is_setext_underline(line: str, previous: str) -> bool:
    return bool(previous.strip()) and bool(re.fullmatch(r"\s*(?:=+|-+)\s*", line))


def clean_for_training(text: str) -> str:
    """The prose of ``text``: paragraphs split by a blank line, scene breaks by two."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "").replace("\u200b", "")
    unwrap = is_hard_wrapped(text)
    paragraphs: list[str] = []  # "" marks a scene break
    current: list[str] = []

    def end_paragraph() -> None:
        if current:
            joined = _clean_inline(" ".join(current))
            if joined:
                paragraphs.append(joined)
            current.clear()

    previous = ""
    for raw in text.split("\n"):
        line = raw.rstrip()
        if _FENCE_RE.match(line) or _REFERENCE_DEF_RE.match(line):
            end_paragraph()
        elif unwrap and current and _is_setext_underline(line, previous):
            end_paragraph()  # "Title" over "=====": the title stays as its own paragraph
        elif _SCENE_BREAK_RE.match(line):
            end_paragraph()
            if paragraphs and paragraphs[-1] != "":
                paragraphs.append("")
        elif not line.strip():
            end_paragraph()
        else:
            heading = _HEADING_RE.match(line)
            if heading:
                end_paragraph()
                current.append(heading.group(1))
                end_paragraph()
            else:
                unquoted = _BLOCKQUOTE_RE.sub("", line)
                line = _BULLET_RE.sub("", unquoted)
                if not unwrap or line != unquoted:  # every list item is its own paragraph
                    end_paragraph()
                current.append(line.strip())
        previous = line
    end_paragraph()
    while paragraphs and paragraphs[-1] == "":
        paragraphs.pop()
    # Breaks ("") are never first, last or doubled, so each joins as exactly one more blank line.
    return "\n\n".join(paragraphs).replace("\n\n\n\n", "\n\n\n")
