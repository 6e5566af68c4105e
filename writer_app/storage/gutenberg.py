"""Plain-text manuscripts: Project Gutenberg clean-up, hard wraps, title page and structure.

A Gutenberg file carries a licence header and footer that are not part of the
novel; we keep only what lies between the ``*** START OF ...`` and
``*** END OF ...`` markers, take the title, author and language from the
header, and drop the "Produced by" credit. ``[Illustration: …]`` markers are
removed from the text (a picture's caption is not the author's prose, and the
trainer must not learn it); the import notes say how many went.

Then, for every plain-text file, Gutenberg or not:

1. hard wraps are undone (:mod:`writer_app.text.unwrap`: verse and letters
   keep their lines), so that each paragraph is one line, the paragraph model;
2. the structure is found: Markdown/Setext headings if the text has them,
   else chapter, part and scene headings that form a plausible sequence
   (:mod:`writer_app.storage.plain_structure`);
3. title and author come from the file itself, before its name: the
   Gutenberg header, else a title page at the top, a first heading above all
   the others, or a Chinese 《书名》 (:mod:`writer_app.storage.title_page`);
4. what comes before the first chapter (title page lines aside) becomes a
   "Front matter" note: contents, preface, dedication, list of illustrations.
"""

from __future__ import annotations

import re

from writer_app.storage.marked_headings import explicit_outline
from writer_app.storage.plain_structure import classify, find_structure
from writer_app.storage.sections import ParsedText, Section, normalize_newlines, tidy_block
from writer_app.storage.title_page import TitlePage, find_title_page, title_case
from writer_app.text.unwrap import unwrap

__all__ = ["ParsedText", "Section", "normalize_newlines", "parse_plain_text", "remove_illustrations",
           "strip_gutenberg", "tidy_block"]

_START = re.compile(r"(?im)^\*{3}\s*START OF (?:THE |THIS )?PROJECT GUTENBERG E-?BOOK[^\n]*\*{3}[^\n]*$")
_END = re.compile(r"(?im)^(?:\*{3}\s*END OF (?:THE |THIS )?PROJECT GUTENBERG E-?BOOK|End of (?:the )?Project Gutenberg'?s? E-?Book)[^\n]*$")
_HEADER_FIELD = re.compile(r"(?im)^(Title|Author|Language):[ \t]*(.+?)\s*$")
_PRODUCED_BY = re.compile(r"(?is)\A\s*(?:Produced by|E-?text prepared by|Transcribed from)[^\n]*(?:\n[^\n]+)*\n")
_LANGUAGES = {"english": "en", "french": "fr", "german": "de", "chinese": "zh", "japanese": "ja",
              "spanish": "es", "italian": "it", "portuguese": "pt", "russian": "ru", "dutch": "nl"}
# [Illustration], [Illustration: caption that may run over lines], [ILLUSTRATION: ...]
_ILLUSTRATION = re.compile(r"(?i)[ \t]*\[illustration(?:[:.\s][^\[\]]{0,2000})?\][ \t]*")


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


def remove_illustrations(text: str) -> tuple[str, int]:
    """(text without ``[Illustration…]`` markers, how many were removed)."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        before = text[match.start() - 1] if match.start() else "\n"
        after = text[match.end()] if match.end() < len(text) else "\n"
        return "" if before == "\n" or after == "\n" else " "

    return _ILLUSTRATION.sub(replace, text), count


def _without_lines(text: str, drop: set[int]) -> str:
    return tidy_block("\n".join(line for i, line in enumerate(text.split("\n")) if i not in drop))


def _boilerplate_lines(text: str, title: str, author: str) -> set[int]:
    """Lines of a Gutenberg body's top that repeat the header's title or author."""
    names = {title.casefold(), author.casefold(), f"by {author}".casefold()} - {""}
    return {i for i, line in enumerate(text.split("\n")) if " ".join(line.split()).casefold() in names}


def _book_heading(sections: list[Section], front: str) -> tuple[str, str, str, list[Section]] | None:
    """(title, author, front, sections) when one heading above all others names the book, or a first
    heading with nothing under it but a "by" line (a title page) comes before the chapters."""
    if not sections or sections[0].kind == "note":
        return None
    book = sections[0]
    if len(sections) > 1 and not book.children and classify(book.title) is None:
        page = find_title_page([book.title, "", *book.text.split("\n")])
        if not book.text.strip() or (page.title and len(page.lines) == len([ln for ln in book.text.split("\n")
                                                                             if ln.strip()]) + 1):
            return title_case(book.title), page.author, front, sections[1:]
        return None
    if len(sections) != 1 or not book.children or classify(book.title) is not None:
        return None  # "Part One" holding every chapter is a part, not the book's title
    page = find_title_page([book.title, "", *book.text.split("\n")])
    author = page.author if page.title else ""
    body = _without_lines(book.text, {i - 2 for i in page.lines if i >= 2}) if page.title else book.text
    front = "\n\n".join(part for part in (front, body) if part.strip())
    return title_case(book.title), author, front, book.children


def parse_plain_text(text: str, fallback_title: str) -> ParsedText:
    text = normalize_newlines(text).lstrip("\ufeff")
    notes: list[str] = []
    header: dict[str, str] = {}
    stripped = strip_gutenberg(text)
    if stripped is not None:
        text, header = stripped
    text, removed = remove_illustrations(text)
    if removed:
        notes.append(f"removed {removed:,} [Illustration] marker{'s' if removed != 1 else ''}")
    unwrapped = unwrap(text)
    if unwrapped.joined:
        notes.append(f"joined lines hard-wrapped at {unwrapped.width} columns into paragraphs")
    text = unwrapped.text
    title, author = title_case(header.get("title", "")), header.get("author", "")

    explicit = explicit_outline(text)
    if explicit is not None:
        front, sections = explicit
        named = find_title_page(front.split("\n"), bare_title_ok=True).title if front else ""
        book = None if named else _book_heading(sections, front)
        if book is not None:
            heading_title, heading_author, front, sections = book
            title, author = title or heading_title, author or heading_author
        found = True
    else:
        structure = find_structure(text, fallback_title)
        front, sections, found = structure.front, structure.sections, structure.found
    if not found:  # one document: a title page at its top still names the book
        only = sections[0]
        page = find_title_page(only.text.split("\n"))
        if page.title or page.author:
            only.text = _without_lines(only.text, page.lines)
            only.title = page.title or only.title
        title, author = title or page.title, author or page.author
        return ParsedText(sections=sections, title=title, author=author, language=_language(header), notes=notes)

    page = find_title_page(front.split("\n"), bare_title_ok=True) if front else TitlePage()
    drop = set(page.lines)
    if header:
        drop |= _boilerplate_lines(front, header.get("title", ""), header.get("author", ""))
    front = _without_lines(front, drop)
    title, author = title or page.title, author or page.author
    if front.strip():
        sections.insert(0, Section("Front matter", front, kind="note"))
    return ParsedText(sections=sections, title=title, author=author, language=_language(header), notes=notes)


def _language(header: dict[str, str]) -> str:
    return _LANGUAGES.get(header.get("language", "").strip().lower(), "")
