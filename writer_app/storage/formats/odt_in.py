"""OpenDocument (.odt) manuscripts, read as a stream of paragraphs.

odfpy loads the whole document into its own object tree (heavier than lxml's),
so, as for docx, ``content.xml`` is streamed with lxml's ``iterparse`` and
each paragraph freed once read; odfpy is what the tests write with. The
automatic styles come before the body in ``content.xml``, so one pass sees
every style before the text that uses it; the named styles (Heading 1, Title,
Emphasis) are in ``styles.xml``.

Chapters come from ``text:h`` outline levels (or a style's default outline
level); the Title style names the book; italic and bold (from a span's style
or the paragraph's) survive as ``*em*`` / ``**strong**``. Footnotes,
comments and deleted tracked changes are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from writer_app.errors import UserError
from writer_app.storage.formats.common import (
    Block,
    Source,
    iter_xml,
    local,
    open_member,
    open_zip,
    outline,
    parse_xml,
    read_member,
    release,
)
from writer_app.storage.gutenberg import ParsedText
from writer_app.text.manuscript import Span

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
WHAT = "OpenDocument (.odt)"
_SPACES = re.compile(r"[ \t\r\n]+")  # ODF collapses these like HTML; text:s is a kept space
# Elements whose content is not the running text: footnotes, comments, deletions, frames' boxes.
_SKIPPED = {"note", "annotation", "tracked-changes", "frame", "bookmark-ref", "sequence-decls"}
_SKIPPED_AROUND = (f"{TEXT}note", f"{OFFICE}annotation", f"{TEXT}tracked-changes")


@dataclass
class _Style:
    name: str = ""
    parent: str = ""
    outline: int = 0
    italic: bool | None = None
    bold: bool | None = None
    page_break: bool = False


def read_odt(path: Path, label: str, source: Source) -> ParsedText:
    archive = open_zip(source.read(path, label), label, WHAT)
    with archive:
        styles: dict[str, _Style] = {}
        if "styles.xml" in archive.namelist():
            root = parse_xml(read_member(archive, "styles.xml", source, label, WHAT), label, "style sheet")
            for element in root.iter(f"{STYLE}style"):
                _add_style(styles, element)
        meta = _meta(archive, source, label)
        blocks = list(_paragraphs(open_member(archive, "content.xml", source, label, WHAT), styles, label))
    sections, own_title = outline(blocks, meta.get("title") or Path(label).stem)
    if not sections:
        raise UserError(f"{label} is empty; there is nothing to import")
    return ParsedText(sections, title=meta.get("title") or own_title, author=meta.get("author", ""),
                      language=meta.get("language", "").split("-")[0].lower())


def _add_style(styles: dict[str, _Style], element) -> None:
    style = _Style(name=(element.get(f"{STYLE}display-name") or element.get(f"{STYLE}name") or "").casefold(),
                   parent=element.get(f"{STYLE}parent-style-name") or "")
    level = element.get(f"{STYLE}default-outline-level")
    style.outline = int(level) if level and level.isdigit() else 0
    for child in element:
        if local(child.tag) == "text-properties":
            font_style, weight = child.get(f"{FO}font-style"), child.get(f"{FO}font-weight")
            style.italic = None if font_style is None else font_style in ("italic", "oblique")
            style.bold = None if weight is None else weight in ("bold", "600", "700", "800", "900")
        elif local(child.tag) == "paragraph-properties":
            style.page_break = child.get(f"{FO}break-before") == "page"
    styles[element.get(f"{STYLE}name") or ""] = style


def _inherited(styles: dict[str, _Style], name: str, attribute: str):
    seen = set()
    while name and name not in seen:
        seen.add(name)
        style = styles.get(name)
        if style is None:
            return None
        value = getattr(style, attribute)
        if value or value is False:
            return value
        name = style.parent
    return None


def _style_title(styles: dict[str, _Style], name: str) -> bool:
    seen = set()
    while name and name not in seen:
        seen.add(name)
        style = styles.get(name)
        if style is None:
            return False
        if style.name == "title":
            return True
        name = style.parent
    return False


def _meta(archive, source: Source, label: str) -> dict[str, str]:
    if "meta.xml" not in archive.namelist():
        return {}
    try:
        root = parse_xml(read_member(archive, "meta.xml", source, label, WHAT), label, "properties")
    except UserError:
        return {}
    found: dict[str, str] = {}
    for tag, key in ((f"{DC}title", "title"), (f"{META}initial-creator", "author"), (f"{DC}creator", "author"),
                     (f"{DC}language", "language")):
        element = next(root.iter(tag), None)
        text = " ".join((element.text or "").split()) if element is not None else ""
        if text and key not in found:
            found[key] = text
    return found


def _paragraphs(stream, styles: dict[str, _Style], label: str):
    skipping = 0
    tags = (f"{STYLE}style", f"{TEXT}p", f"{TEXT}h", *_SKIPPED_AROUND)
    with stream:
        for event, element in iter_xml(stream, label, "document text", tags, events=("start", "end")):
            tag = element.tag
            if tag in _SKIPPED_AROUND:
                skipping += 1 if event == "start" else -1
                continue
            if event == "start":
                continue
            if tag == f"{STYLE}style":
                _add_style(styles, element)
                continue
            if not skipping:
                yield from _paragraph(element, styles)
            release(element)


def _paragraph(p, styles: dict[str, _Style]):
    style = p.get(f"{TEXT}style-name") or ""
    level = 0
    if local(p.tag) == "h":
        raw = p.get(f"{TEXT}outline-level") or ""
        level = int(raw) if raw.isdigit() else (_inherited(styles, style, "outline") or 1)
    else:
        level = _inherited(styles, style, "outline") or 0
    title = _style_title(styles, style)
    lines: list[list[Span]] = [[]]
    _inline(p, styles, bool(_inherited(styles, style, "italic")), bool(_inherited(styles, style, "bold")), lines)
    if level or title:
        lines = [[span for line in lines for span in [Span(" "), *line]]]
    first = bool(_inherited(styles, style, "page_break"))
    for index, spans in enumerate(lines):
        block = Block.of(spans, heading=0 if title else level, title=title, page_break=first and index == 0)
        if block.text or block.page_break:
            yield block


def _inline(element, styles: dict[str, _Style], italic: bool, bold: bool, lines: list[list[Span]]) -> None:
    if element.text:
        lines[-1].append(Span(_SPACES.sub(" ", element.text), italic, bold))
    for child in element:
        name = local(child.tag)
        if name == "span":
            own = child.get(f"{TEXT}style-name") or ""
            span_italic, span_bold = _inherited(styles, own, "italic"), _inherited(styles, own, "bold")
            _inline(child, styles, italic if span_italic is None else span_italic,
                    bold if span_bold is None else span_bold, lines)
        elif name == "s":
            count = child.get(f"{TEXT}c") or "1"
            lines[-1].append(Span(" " * (int(count) if count.isdigit() else 1)))
        elif name == "tab":
            lines[-1].append(Span(" "))
        elif name == "line-break":
            lines.append([])
        elif name not in _SKIPPED and not name.startswith(("bookmark", "reference-mark", "change", "soft-page")):
            _inline(child, styles, italic, bold, lines)
        if child.tail:
            lines[-1].append(Span(_SPACES.sub(" ", child.tail), italic, bold))
