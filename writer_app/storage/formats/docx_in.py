"""Word (.docx) manuscripts, read as a stream of paragraphs.

python-docx builds the whole document tree in memory (several times the size
of ``word/document.xml``, which a 30 MB docx can unpack to hundreds of MB of),
so this reader streams ``document.xml`` with lxml's ``iterparse`` and frees
each paragraph once read: memory stays near the size of the text itself. The
small parts (styles, core properties) are parsed whole.

Chapters come from heading styles (Heading 1/2, or any style or paragraph with
an outline level); the Title style names the book; italic and bold runs
(direct formatting or a character style such as Emphasis) survive as
``*em*`` / ``**strong**``. Deleted tracked changes, footnotes, comments and
the fallback copies of text boxes are left out.
"""

from __future__ import annotations

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

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_DOCUMENT = "word/document.xml"
# Containers whose runs are part of the paragraph's text (links, tracked insertions, fields, controls).
_RUN_CONTAINERS = {"hyperlink", "ins", "smartTag", "sdt", "sdtContent", "fldSimple", "customXml", "moveTo", "dir",
                   "bdo"}


@dataclass
class _Style:
    name: str = ""
    outline: int = 0  # 1-based outline level, 0 for none
    italic: bool | None = None
    bold: bool | None = None
    based_on: str = ""


def read_docx(path: Path, label: str, source: Source) -> ParsedText:
    archive = open_zip(source.read(path, label), label, "Word (.docx)")
    with archive:
        document = _document_part(archive)
        styles = _styles(archive, source, label)
        meta = _core_properties(archive, source, label)
        blocks = list(_paragraphs(open_member(archive, document, source, label, "Word (.docx)"), styles, label))
    sections, own_title = outline(blocks, meta.get("title") or Path(label).stem)
    if not sections:
        raise UserError(f"{label} is empty; there is nothing to import")
    return ParsedText(sections, title=meta.get("title") or own_title, author=meta.get("author", ""),
                      language=meta.get("language", "").split("-")[0].lower())


def _document_part(archive) -> str:
    """The main document part (word/document.xml, or where [Content_Types].xml says it is)."""
    names = set(archive.namelist())
    if _DOCUMENT in names:
        return _DOCUMENT
    for name in names:
        if name.startswith("word/document") and name.endswith(".xml"):
            return name
    return _DOCUMENT  # open_member then says what is missing


def _styles(archive, source: Source, label: str) -> dict[str, _Style]:
    if "word/styles.xml" not in archive.namelist():
        return {}
    root = parse_xml(read_member(archive, "word/styles.xml", source, label, "Word (.docx)"), label, "style sheet")
    styles: dict[str, _Style] = {}
    for element in root.iter(f"{W}style"):
        style = _Style()
        for child in element:
            name = local(child.tag)
            if name == "name":
                style.name = (child.get(f"{W}val") or "").casefold()
            elif name == "basedOn":
                style.based_on = child.get(f"{W}val") or ""
            elif name == "pPr":
                level = child.find(f"{W}outlineLvl")
                if level is not None:
                    style.outline = _outline(level.get(f"{W}val"))
            elif name == "rPr":
                style.italic, style.bold = _toggle(child.find(f"{W}i")), _toggle(child.find(f"{W}b"))
        if not style.outline and style.name.startswith("heading "):
            style.outline = _outline(str(int(style.name[8:]) - 1) if style.name[8:].isdigit() else None)
        styles[element.get(f"{W}styleId") or ""] = style
    return styles


def _outline(value: str | None) -> int:
    try:
        level = int(value or "")
    except ValueError:
        return 0
    return level + 1 if 0 <= level < 9 else 0  # 9 means "body text"


def _toggle(element) -> bool | None:
    if element is None:
        return None
    return (element.get(f"{W}val") or "true").lower() not in ("0", "false", "off", "none")


def _inherited(styles: dict[str, _Style], style_id: str, attribute: str):
    seen = set()
    while style_id and style_id not in seen:
        seen.add(style_id)
        style = styles.get(style_id)
        if style is None:
            return None
        value = getattr(style, attribute)
        if value:
            return value
        if value is False:
            return False
        style_id = style.based_on
    return None


def _core_properties(archive, source: Source, label: str) -> dict[str, str]:
    if "docProps/core.xml" not in archive.namelist():
        return {}
    try:
        root = parse_xml(read_member(archive, "docProps/core.xml", source, label, "Word (.docx)"), label,
                         "properties")
    except UserError:
        return {}  # damaged metadata costs the title, not the book
    found: dict[str, str] = {}
    for element in root:
        key = {"title": "title", "creator": "author", "language": "language"}.get(local(element.tag))
        text = " ".join((element.text or "").split())
        if key and text:
            found[key] = text
    return found


def _paragraphs(stream, styles: dict[str, _Style], label: str):
    fallback = 0  # inside mc:Fallback: a second copy of a text box, skipped
    with stream:
        for event, element in iter_xml(stream, label, "document text", (f"{W}p", MC_FALLBACK, f"{W}tbl"),
                                       events=("start", "end")):
            tag = element.tag
            if tag == MC_FALLBACK:
                fallback += 1 if event == "start" else -1
                continue
            if event == "start":
                continue
            if tag == f"{W}p" and not fallback:
                yield from _paragraph(element, styles)
            release(element)


def _paragraph(p, styles: dict[str, _Style]):
    """The Block.of(s) of one w:p: a line break inside it starts a new paragraph (a line kept a line)."""
    style_id, level, page_break = "", 0, False
    props = p.find(f"{W}pPr")
    if props is not None:
        style = props.find(f"{W}pStyle")
        style_id = style.get(f"{W}val") if style is not None else ""
        direct = props.find(f"{W}outlineLvl")
        level = _outline(direct.get(f"{W}val")) if direct is not None else 0
        page_break = _toggle(props.find(f"{W}pageBreakBefore")) or False
    level = level or _inherited(styles, style_id, "outline") or 0
    name = styles[style_id].name if style_id in styles else ""
    base_italic = bool(_inherited(styles, style_id, "italic"))
    base_bold = bool(_inherited(styles, style_id, "bold"))
    lines: list[list[Span]] = [[]]
    breaks: list[bool] = [page_break]
    for run in _runs(p):
        italic, bold = base_italic, base_bold
        run_props = run.find(f"{W}rPr")
        if run_props is not None:
            char_style = run_props.find(f"{W}rStyle")
            if char_style is not None:
                style_italic = _inherited(styles, char_style.get(f"{W}val") or "", "italic")
                style_bold = _inherited(styles, char_style.get(f"{W}val") or "", "bold")
                italic = italic if style_italic is None else style_italic
                bold = bold if style_bold is None else style_bold
            own_italic, own_bold = _toggle(run_props.find(f"{W}i")), _toggle(run_props.find(f"{W}b"))
            italic = italic if own_italic is None else own_italic
            bold = bold if own_bold is None else own_bold
        for child in run:
            name_ = local(child.tag)
            if name_ == "t":
                lines[-1].append(Span(child.text or "", italic, bold))
            elif name_ in ("tab", "ptab"):
                lines[-1].append(Span(" "))
            elif name_ == "noBreakHyphen":
                lines[-1].append(Span("-", italic, bold))
            elif name_ in ("br", "cr"):
                kind = child.get(f"{W}type") or "textWrapping"
                if kind == "page" or lines[-1] or kind == "textWrapping":
                    lines.append([])
                    breaks.append(kind == "page")
    if level or name == "title":  # a heading broken over two lines is still one title
        lines = [[span for line in lines for span in [Span(" "), *line]]]
        breaks = [page_break or any(breaks)]
    for spans, starts_page in zip(lines, breaks, strict=True):
        block = Block.of(spans, heading=level if level and name != "title" else 0, title=name == "title",
                      page_break=starts_page)
        if block.text or block.page_break:
            yield block


def _runs(container):
    for child in container:
        name = local(child.tag)
        if name == "r":
            yield child
        elif name in _RUN_CONTAINERS:
            yield from _runs(child)
