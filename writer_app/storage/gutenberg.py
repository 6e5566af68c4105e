"""Plain-text manuscripts: Project Gutenberg clean-up and chapter splitting.

A Gutenberg file carries a licence header and footer that are not part of the
novel; we keep only what lies between the ``*** START OF ...`` and
``*** END OF ...`` markers, take the title, author and language from the
header, and drop the "Produced by" credit. Gutenberg texts are hard-wrapped
at ~70 columns, so each paragraph is joined back into one line (an editor
wraps for itself). Chapters start at heading lines such as "Chapter 1",
"CHAPTER IV.", "Chapter Twelve" or "第一回" / "第十二章".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_START = re.compile(r"(?im)^\*{3}\s*START OF (?:THE |THIS )?PROJECT GUTENBERG E-?BOOK[^\n]*\*{3}[^\n]*$")
_END = re.compile(r"(?im)^(?:\*{3}\s*END OF (?:THE |THIS )?PROJECT GUTENBERG E-?BOOK|End of (?:the )?Project Gutenberg'?s? E-?Book)[^\n]*$")
_HEADER_FIELD = re.compile(r"(?im)^(Title|Author|Language):[ \t]*(.+?)\s*$")
_PRODUCED_BY = re.compile(r"(?is)\A\s*(?:Produced by|E-?text prepared by|Transcribed from)[^\n]*(?:\n[^\n]+)*\n")
_LANGUAGES = {"english": "en", "french": "fr", "german": "de", "chinese": "zh", "japanese": "ja",
              "spanish": "es", "italian": "it", "portuguese": "pt", "russian": "ru", "dutch": "nl"}

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|first|last"
)
_EN_HEADING = re.compile(
    rf"(?i)^(?:chapter|chap\.)\s+(?:\d+|[ivxlcdm]+|(?:{_NUMBER_WORDS})(?:[\s-](?:{_NUMBER_WORDS}))*)\b\.?(?:[\s:.\-–—].*)?$"
)
_CJK_HEADING = re.compile(r"^第[0-9０-９一二三四五六七八九十百千零〇两]+[回章节卷](?:[\s\u3000].*)?$")
MAX_HEADING_CHARS = 80


@dataclass
class Section:
    title: str
    text: str
    kind: str = "chapter"
    children: list[Section] = field(default_factory=list)


@dataclass
class ParsedText:
    sections: list[Section]
    title: str = ""
    author: str = ""
    language: str = ""


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy_block(text: str) -> str:
    """Drop blank lines at the start and trailing whitespace at the end (indents kept)."""
    return re.sub(r"\A(?:[ \t\u3000]*\n)+", "", text).rstrip()


def strip_gutenberg(text: str) -> tuple[str, dict[str, str]] | None:
    """(body, header fields) of a Gutenberg file, or None if it is not one."""
    start = _START.search(text)
    if not start:
        return None
    header = {k.lower(): v for k, v in _HEADER_FIELD.findall(text[: start.start()])}
    end = _END.search(text, start.end())
    body = text[start.end(): end.start() if end else len(text)]
    body = _PRODUCED_BY.sub("", body, count=1)
    return body, header


def unwrap_paragraphs(text: str) -> str:
    """Join hard-wrapped lines of each paragraph (blank-line separated) with spaces."""
    paragraphs = re.split(r"\n[ \t]*\n(?:[ \t]*\n)*", text.strip("\n"))
    return "\n\n".join(" ".join(line.strip() for line in p.split("\n") if line.strip()) for p in paragraphs)


def is_heading(line: str, previous_blank: bool) -> bool:
    stripped = " ".join(line.split())
    if not stripped or len(stripped) > MAX_HEADING_CHARS or not previous_blank:
        return False
    return bool(_EN_HEADING.match(stripped) or _CJK_HEADING.match(stripped))


def split_chapters(text: str) -> tuple[str, list[Section]]:
    """(front matter, chapters) split on chapter heading lines."""
    lines = text.split("\n")
    front: list[str] = []
    chapters: list[tuple[str, list[str]]] = []
    previous_blank = True
    for line in lines:
        if is_heading(line, previous_blank):
            chapters.append((" ".join(line.split()), []))
        elif chapters:
            chapters[-1][1].append(line)
        else:
            front.append(line)
        previous_blank = not line.strip()
    sections = [Section(title, tidy_block("\n".join(body))) for title, body in chapters]
    # A table of contents repeats the headings with nothing under them: drop those.
    later_titles: set[str] = set()
    kept: list[Section] = []
    for section in reversed(sections):
        key = section.title.casefold()
        if section.text or key not in later_titles:
            kept.append(section)
        later_titles.add(key)
    return tidy_block("\n".join(front)), list(reversed(kept))


def parse_plain_text(text: str, fallback_title: str) -> ParsedText:
    text = normalize_newlines(text)
    stripped = strip_gutenberg(text)
    header: dict[str, str] = {}
    gutenberg = stripped is not None
    if stripped is not None:
        text, header = stripped
    front, chapters = split_chapters(text)
    title = header.get("title", "")
    author = header.get("author", "")
    if gutenberg:
        chapters = [Section(c.title, unwrap_paragraphs(c.text)) for c in chapters]
        boiler = {title.casefold(), f"by {author}".casefold(), author.casefold(), ""}
        front = "\n".join(line for line in front.split("\n") if line.strip().casefold() not in boiler)
        front = unwrap_paragraphs(front) if front.strip() else ""
    sections = chapters or [Section(fallback_title, tidy_block(text))]
    if chapters and front.strip():
        sections.insert(0, Section("Front matter", tidy_block(front), kind="note"))
    language = _LANGUAGES.get(header.get("language", "").strip().lower(), "")
    return ParsedText(sections=sections, title=title, author=author, language=language)
