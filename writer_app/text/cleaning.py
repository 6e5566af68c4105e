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


# -- apparatus: what a book carries that is not the author's prose ------------------------------
# A style adapter trained on "CONTENTS / Chapter I / Chapter II ..." or "[Illustration]" writes them.
_APPARATUS_TITLE_RE = re.compile(
    r"(?i)^\s*(?:front matter|back matter|(?:table of )?contents|preface|foreword|dedication|epigraph"
    r"|acknowledge?ments?|(?:list of )?illustrations|transcriber'?s notes?|author'?s notes?|editor'?s notes?"
    r"|notes?|footnotes|endnotes|glossary|index|bibliography|copyright|about the author|colophon"
    r"|目录|目錄|序|序言|前言|自序|后记|後記|注释|註釋|附录|附錄|版权|版權)\s*[.:：]?\s*$"
)
_CONTENTS_HEADING_RE = re.compile(r"(?i)^\s*(?:(?:table of )?contents|目录|目錄)\s*[.:：]?\s*$")
_HEADING_LIKE_RE = re.compile(
    r"(?i)^\s*(?:(?:chapter|book|part|volume|letter|act|scene)\s+(?:\d+|[ivxlcdm]+|[a-z]+)\b.{0,60}"
    r"|[ivxlcdm]+\.?|\d+\.?|第[0-9一二三四五六七八九十百千零〇两]+[回章节卷部].{0,40})\s*$"
)
_BRACKET_NOTE_RE = re.compile(r"(?is)^\s*\[(?:illustration|footnote|transcriber|sidenote|note)\b.*\]\s*$")
_NOTE_LINE_RE = re.compile(r"(?i)^\s*(?:transcriber'?s note|editor'?s note|footnote)s?\s*[:.]")
_SENTENCE_END_RE = re.compile(r"[.!?。！？…]['\"’”」』]?$")
CONTENTS_RUN = 3  # consecutive heading-like paragraphs that make a table of contents


def is_apparatus_title(title: str) -> bool:
    """Whether a document titled ``title`` is front or back matter (contents, preface, notes…), not story.

    "Prologue" and "Epilogue" are story and are kept.
    """
    return bool(_APPARATUS_TITLE_RE.match(title or ""))


def _short(paragraph: str) -> bool:
    """A line, not prose: few words, and not ending a sentence (CJK prose has no spaces to count)."""
    return len(paragraph.split()) <= 12 and len(paragraph) <= 80 and not _SENTENCE_END_RE.search(paragraph)


def strip_apparatus(text: str) -> tuple[str, int]:
    """``text`` (paragraphs split by blank lines) without a table of contents, illustration tags and notes.

    Returns (the text, how many paragraphs were dropped). Dropped: a "Contents"
    heading and the short lines after it; any run of ``CONTENTS_RUN`` or more
    consecutive heading-like lines ("Chapter 3", "XII.", "第三回 …"); bracketed
    ``[Illustration…]`` / ``[Footnote…]`` paragraphs and "Transcriber's note:"
    paragraphs. A single chapter heading inside the prose is kept (the heading
    right after a contents list goes with it: it is only a heading).
    """
    blocks = re.split(r"(\n\s*\n+)", text)
    paragraphs, separators = blocks[0::2], blocks[1::2] + [""]
    drop = [False] * len(paragraphs)
    in_contents = False
    run: list[int] = []

    def end_run() -> None:
        if len(run) >= CONTENTS_RUN:
            for index in run:
                drop[index] = True
        run.clear()

    for index, paragraph in enumerate(paragraphs):
        stripped = paragraph.strip()
        if not stripped:
            continue
        if _CONTENTS_HEADING_RE.match(stripped):
            in_contents, drop[index] = True, True
            continue
        if in_contents and _short(stripped):
            drop[index] = True
            continue
        in_contents = False
        if _BRACKET_NOTE_RE.match(stripped) or _NOTE_LINE_RE.match(stripped):
            drop[index] = True
            end_run()
            continue
        if len(stripped) <= 80 and _HEADING_LIKE_RE.match(stripped):
            run.append(index)
        else:
            end_run()
    end_run()
    dropped = sum(1 for p, gone in zip(paragraphs, drop, strict=True) if gone and p.strip())
    if not dropped:
        return text, 0
    # Keep a scene break (two blank lines) where the original had one between kept paragraphs.
    out: list[str] = []
    pending_break = False
    for paragraph, separator, gone in zip(paragraphs, separators, drop, strict=True):
        if paragraph.strip() and not gone:
            if out:
                out.append("\n\n\n" if pending_break else "\n\n")
            out.append(paragraph.strip())
            pending_break = False
        if separator.count("\n") >= 3 and out:
            pending_break = True
    return "".join(out), dropped
