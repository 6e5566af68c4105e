"""What every format reader shares: the source it reads through, safe zip and XML
access, and the one rule that turns a document's paragraphs into chapters.

A reader never opens a file itself: it asks its :class:`Source` for bytes, and
the importer's source enforces the per-file cap (on the file as stored, so on
the compressed size of a docx/odt/epub), the whole-import cap and the refusal
of pipes and devices. Zip members are read through :func:`read_member`, which
counts every uncompressed byte against ``MAX_UNPACKED_BYTES`` (a zip bomb
stops there) and turns a truncated or damaged archive into one sentence.
XML is parsed without DTDs, entities or network access, so a hostile file can
neither expand nor reach out.

Structure (:func:`outline`): a document's paragraphs arrive as :class:`Block`
objects. Headings (Heading 1/2 styles, outline levels) make chapters; failing
those, lines that read like chapter headings ("Chapter 4", "第一回"); failing
those, page breaks; failing those, the document is one chapter. Text before
the first chapter goes to a "Front matter" note, which training leaves out.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from writer_app.errors import UserError
from writer_app.storage.plain_structure import MAX_HEADING_WIDTH, is_chapter_heading
from writer_app.storage.sections import Section
from writer_app.text.counts import count_words
from writer_app.text.manuscript import Span, is_scene_break, paragraph_markup

MAX_UNPACKED_BYTES = 20 * 32 * 1024 * 1024  # what a 32 MB archive of text may unpack to; a bomb stops here
PARAGRAPH_SEPARATOR = "\n\n"  # stored paragraphs, one per line, with a blank line between for the eye
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", "…")
_PART = re.compile(r"(?i)^(?:part|book|volume|act)\b|^第[^\s]{1,6}[部卷篇]|^卷[0-9０-９一二三四五六七八九十百千零〇两]+")


@dataclass
class Source:
    """How a reader reaches the disk: ``read(path, label)`` gives a regular file's bytes
    (capped and counted by the importer), ``notes`` collects what the author should hear."""

    read: Callable[[Path, str], bytes]
    notes: list[str] = field(default_factory=list)
    unpacked: int = 0  # uncompressed bytes read from archives in this import


@dataclass(slots=True)
class Block:
    """One paragraph as a reader found it, before it is placed in a chapter: its stored line
    and its visible text, worked out once (the styled spans are not kept, so a long book costs
    about one copy of its text while its chapters are assembled)."""

    markup: str  # the stored line (paragraph_markup of its spans, or "* * *" for a break)
    text: str  # what the reader sees, whitespace runs as one space
    heading: int = 0  # outline level 1..9 of a heading; 0 for a body paragraph
    title: bool = False  # the document's own title (a "Title" paragraph style)
    page_break: bool = False  # the paragraph starts on a new page

    @classmethod
    def of(cls, spans: list[Span], heading: int = 0, title: bool = False, page_break: bool = False,
           scene_break: bool = False) -> Block:
        """A typed "* * *" or "#" stays a scene break, not escaped asterisks."""
        if scene_break:
            return cls("* * *", "", heading, title, page_break)
        text = " ".join("".join(span.text for span in spans).split())
        markup = text if text and is_scene_break(text) else paragraph_markup(spans)
        return cls(text if markup == text else markup, text, heading, title, page_break)


def join_paragraphs(lines: list[str]) -> str:
    return PARAGRAPH_SEPARATOR.join(line for line in lines if line.strip())


def body_text(blocks: list[Block]) -> str:
    lines = [block.markup for block in blocks]
    while lines and is_scene_break(lines[-1]):  # a break with nothing after it separates nothing
        lines.pop()
    while lines and is_scene_break(lines[0]):
        lines.pop(0)
    return join_paragraphs(lines)


# -- zip archives -----------------------------------------------------------------------------

def open_zip(data: bytes, label: str, what: str) -> zipfile.ZipFile:
    """The archive in ``data``, or one sentence saying it is not a (whole) ``what`` file."""
    if not data.strip():
        raise UserError(f"{label} is empty; there is nothing to import")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UserError(f"{label} is not a {what} file (it is not a zip archive, or the end of "
                        "the file is missing); open it in its program and save it again") from exc
    declared = sum(info.file_size for info in archive.infolist())
    if declared > MAX_UNPACKED_BYTES:
        raise UserError(f"{label} would unpack to {declared / 2**20:,.0f} MB, more than the "
                        f"{MAX_UNPACKED_BYTES // 2**20} MB writer-app reads from one file")
    return archive


def has_member(archive: zipfile.ZipFile, name: str) -> bool:
    try:
        archive.getinfo(name)
    except KeyError:
        return False
    return True


class _Counted(io.RawIOBase):
    """A zip member's stream that counts what it unpacks and stops at the cap."""

    def __init__(self, raw, source: Source, label: str) -> None:
        self._raw, self._source, self._label = raw, source, label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = _zip_call(lambda: self._raw.read(len(buffer)), self._label)
        self._source.unpacked += len(chunk)
        if self._source.unpacked > MAX_UNPACKED_BYTES:
            raise UserError(f"{self._label} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; "
                            "writer-app stops there (is it really a manuscript?)")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _zip_call(call, label: str):
    try:
        return call()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise UserError(f"{label} is damaged (a part of the archive cannot be unpacked: "
                        f"{' '.join(str(exc).split()) or type(exc).__name__}); open it in its program "
                        "and save it again") from exc


def open_member(archive: zipfile.ZipFile, name: str, source: Source, label: str, what: str) -> io.BufferedReader:
    """A counted stream of one member; a missing member is a damaged ``what`` file."""
    if not has_member(archive, name):
        raise UserError(f"{label} is not a complete {what} file: it has no {name}; "
                        "open it in its program and save it again")
    raw = _zip_call(lambda: archive.open(name), label)
    return io.BufferedReader(_Counted(raw, source, label), buffer_size=1 << 16)


def read_member(archive: zipfile.ZipFile, name: str, source: Source, label: str, what: str) -> bytes:
    with open_member(archive, name, source, label, what) as stream:
        return stream.read()


# -- XML ----------------------------------------------------------------------------------------

def xml_parser() -> etree.XMLParser:
    """No DTDs, no entity expansion, no network: a hostile file cannot expand or reach out."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def parse_xml(data: bytes, label: str, part: str) -> etree._Element:
    try:
        return etree.fromstring(data, xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UserError(f"{label} is damaged: its {part} is not readable XML ({_first_line(exc)})") from exc


def iter_xml(stream, label: str, part: str, tags: tuple[str, ...],
             events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, etree._Element]]:
    """Stream ``tags`` from a large XML part (memory stays flat if the caller clears elements)."""
    context = etree.iterparse(stream, events=events, tag=tags, resolve_entities=False, no_network=True,
                              load_dtd=False, huge_tree=True, remove_comments=True)
    try:
        yield from context
    except etree.XMLSyntaxError as exc:
        raise UserError(f"{label} is damaged: its {part} is not readable XML ({_first_line(exc)})") from exc


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__


def release(element: etree._Element) -> None:
    """Free a processed element and the siblings before it (the iterparse memory idiom): every
    earlier sibling has ended, so it has been read already."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def local(tag: object) -> str:
    """An element's name without its namespace ("{...}p" -> "p")."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


# -- structure ----------------------------------------------------------------------------------

def looks_like_heading(text: str) -> bool:
    """A short line that reads as a chapter heading ("Chapter 4", "CHAPTER IV.", "第一回 …")."""
    return 0 < len(text) <= MAX_HEADING_WIDTH and is_chapter_heading(text)


def _is_part(title: str) -> bool:
    return bool(_PART.match(title.strip()))


def outline(blocks: list[Block], fallback_title: str) -> tuple[list[Section], str]:
    """(sections, the document's own title or "") for a document's paragraphs.

    Takes ``blocks`` over: the list is emptied as its paragraphs are placed, so a long book is
    not held twice (once as paragraphs, once as chapters)."""
    title = ""
    body: list[Block] = []
    for block in blocks:
        if block.title and not title and block.text:
            title = block.text
        elif block.heading and not block.text:
            continue  # an empty heading paragraph is spacing
        else:
            body.append(block)
    blocks.clear()
    if not any(b.text for b in body):
        return [], title
    if not any(b.heading for b in body):
        headings = [index for index, b in enumerate(body) if looks_like_heading(b.text)]
        if len(headings) >= 2:
            for index in headings:
                body[index] = replace(body[index], heading=1)
    if any(b.heading for b in body):
        return _by_headings(body), title
    if any(b.page_break for b in body[1:]):
        return _by_pages(body), title
    return [Section(title or fallback_title, body_text(body), "chapter")], title


def _by_headings(blocks: list[Block]) -> list[Section]:
    levels = sorted({b.heading for b in blocks if b.heading})
    top = [b.text for b in blocks if b.heading == levels[0]]
    second = [b.text for b in blocks if len(levels) > 1 and b.heading == levels[1]]
    parts = len(levels) > 1 and (any(_is_part(t) for t in top)
                                 or sum(looks_like_heading(t) for t in second) * 2 >= max(len(second), 1))
    kinds = ("folder", "chapter", "scene") if parts else ("chapter", "scene")
    front: list[Block] = []
    sections: list[Section] = []
    stack: list[tuple[int, Section, list[Block]]] = []  # (depth, section, its body blocks)

    def close(down_to: int) -> None:
        while stack and stack[-1][0] >= down_to:
            _, section, own = stack.pop()
            section.text = body_text(own)
            own.clear()

    for index, block in enumerate(blocks):
        blocks[index] = None  # placed: the chapter's lines hold it from here on
        depth = levels.index(block.heading) if block.heading else -1
        if depth < 0 or depth >= len(kinds):
            target = stack[-1][2] if stack else front
            target.append(replace(block, heading=0) if block.heading else block)
            continue
        close(depth)
        section = Section(block.text, "", kinds[depth])
        (stack[-1][1].children if stack else sections).append(section)
        stack.append((depth, section, []))
    close(0)
    for section in sections:
        _settle_kinds(section)
    if any(b.text for b in front):
        sections.insert(0, Section("Front matter", body_text(front), "note"))
    return sections


def _settle_kinds(section: Section) -> None:
    """A part without chapters is a chapter; a chapter's children are its scenes."""
    if section.kind == "folder" and not section.children:
        section.kind = "chapter"
    for child in section.children:
        if section.kind == "chapter":
            child.kind = "scene"
        _settle_kinds(child)


def _by_pages(blocks: list[Block]) -> list[Section]:
    pages: list[list[Block]] = [[]]
    for block in blocks:
        if block.page_break and pages[-1]:
            pages.append([])
        pages[-1].append(block)
    pages = [page for page in pages if any(b.text for b in page)]
    sections: list[Section] = []
    for number, page in enumerate(pages, start=1):
        first = page[0].text
        if number == 1 and len(pages) > 1 and _title_page(page):
            sections.append(Section("Front matter", body_text(page), "note"))
            continue
        if len(page) > 1 and len(first) <= MAX_HEADING_WIDTH and not first.endswith((".", ",", ";", "。", "，")):
            sections.append(Section(first, body_text(page[1:]), "chapter"))
        else:
            sections.append(Section(f"Chapter {len([s for s in sections if s.kind == 'chapter']) + 1}",
                                    body_text(page), "chapter"))
    return sections


def _title_page(page: list[Block]) -> bool:
    """A first page of a few short lines with no sentence in them (title, author, dedication)."""
    return (sum(count_words(b.text) for b in page) < 60
            and not any(b.text.rstrip("”’\"')）」").endswith(_SENTENCE_ENDS) for b in page))
