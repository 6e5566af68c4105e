"""Real manuscript files for the import tests, written the way their own programs write them.

The text comes from the shared corpus in tests/fixtures: Pride and Prejudice
(its ``_word_`` marks are Gutenberg's italics, written here as italic runs)
and the first chapters of 红楼梦. docx files are written with python-docx,
odt with odfpy, epub with ebooklib; RTF, the Scrivener 3 project and the
novelWriter project are laid out by hand as those programs lay them out.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_ITALIC = re.compile(r"_([^_]+)_")


@dataclass
class Chapter:
    title: str
    paragraphs: list[str]  # each with ``_italic_`` marks as in the corpus

    @property
    def visible(self) -> list[str]:
        """The paragraphs as a reader sees them (what an import must give back)."""
        return visible(self.paragraphs)


def visible(paragraphs: list[str]) -> list[str]:
    """Corpus paragraphs without their italic marks, scene-break lines left out."""
    from writer_app.text.manuscript import is_scene_break

    return [_ITALIC.sub(r"\1", p) for p in paragraphs if not is_scene_break(p)]


def runs(paragraph: str) -> list[tuple[str, bool]]:
    """(text, italic) pieces of one corpus paragraph."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _ITALIC.finditer(paragraph):
        if match.start() > position:
            pieces.append((paragraph[position:match.start()], False))
        pieces.append((match.group(1), True))
        position = match.end()
    if position < len(paragraph):
        pieces.append((paragraph[position:], False))
    return pieces


def pride(chapters: int | None = None) -> list[Chapter]:
    text = (FIXTURES / "pride-and-prejudice.txt").read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    body = text[text.index("\nChapter 1\n"): text.index("*** END OF")]
    found = []
    for piece in re.split(r"(?m)^(Chapter \d+)\n", body)[1:]:
        if re.fullmatch(r"Chapter \d+", piece):
            found.append(Chapter(piece, []))
        else:
            found[-1].paragraphs = [" ".join(block.split()) for block in re.split(r"\n\s*\n", piece)
                                    if block.strip()]
    return found[:chapters]


def hongloumeng(chapters: int | None = None) -> list[Chapter]:
    text = (FIXTURES / "hongloumeng-ch1-10.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    found: list[Chapter] = []
    for line in text.split("\n"):
        if re.match(r"^第.{1,4}回", line):
            found.append(Chapter(" ".join(line.split()), []))
        elif found and line.strip():
            found[-1].paragraphs.append(line.strip())
    return found[:chapters]


# -- docx ---------------------------------------------------------------------------------------

def write_docx(path: Path, chapters: list[Chapter], title: str = "", author: str = "", language: str = "",
               heading_level: int = 1, parts: dict[int, str] | None = None) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    document.core_properties.language = language
    for index, chapter in enumerate(chapters):
        if parts and index in parts:
            document.add_heading(parts[index], level=1)
        document.add_heading(chapter.title, level=heading_level)
        for paragraph in chapter.paragraphs:
            p = document.add_paragraph()
            for text, italic in runs(paragraph):
                p.add_run(text).italic = italic or None
    document.save(path)
    return path


# -- odt ----------------------------------------------------------------------------------------

def write_odt(path: Path, chapters: list[Chapter], title: str = "", author: str = "", language: str = "") -> Path:
    from odf import dc, meta, teletype
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import H, P, Span

    document = OpenDocumentText()
    heading = Style(name="Heading 1", family="paragraph", defaultoutlinelevel="1")
    heading.addElement(TextProperties(fontsize="18pt", fontweight="bold"))
    document.styles.addElement(heading)
    italic = Style(name="T1", family="text")
    italic.addElement(TextProperties(fontstyle="italic"))
    document.automaticstyles.addElement(italic)
    if title:
        document.meta.addElement(dc.Title(text=title))
    if author:
        document.meta.addElement(meta.InitialCreator(text=author))
    if language:
        document.meta.addElement(dc.Language(text=language))
    for chapter in chapters:
        document.text.addElement(H(outlinelevel=1, stylename=heading, text=chapter.title))
        for paragraph in chapter.paragraphs:
            p = P()
            for text, is_italic in runs(paragraph):
                if is_italic:
                    span = Span(stylename=italic)
                    teletype.addTextToElement(span, text)
                    p.addElement(span)
                else:
                    teletype.addTextToElement(p, text)
            document.text.addElement(p)
    document.save(str(path))
    return path


# -- epub ---------------------------------------------------------------------------------------

def _xhtml_paragraph(paragraph: str) -> str:
    from html import escape

    return "<p>" + "".join(f"<em>{escape(t)}</em>" if i else escape(t) for t, i in runs(paragraph)) + "</p>"


def write_epub(path: Path, chapters: list[Chapter], title: str = "A Book", author: str = "", language: str = "en",
               nav: bool = True, title_page: str = "") -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier(f"urn:uuid:{uuid.uuid4()}")
    book.set_title(title)
    book.set_language(language)
    if author:
        book.add_author(author)
    items = []
    if title_page:
        page = epub.EpubHtml(title="Title page", file_name="title.xhtml", lang=language)
        page.content = f"<html><body><p>{title_page}</p></body></html>"
        book.add_item(page)
        items.append(page)
    links = []
    for number, chapter in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=chapter.title, file_name=f"text/chapter{number:03d}.xhtml", lang=language)
        item.content = (f"<html><body><h2>{chapter.title}</h2>"
                        + "".join(_xhtml_paragraph(p) for p in chapter.paragraphs) + "</body></html>")
        book.add_item(item)
        items.append(item)
        links.append(epub.Link(item.file_name, chapter.title, f"chapter{number}"))
    book.toc = links
    book.add_item(epub.EpubNcx())
    if nav:
        book.add_item(epub.EpubNav())
    book.spine = (["nav"] if nav else []) + items
    epub.write_epub(str(path), book)
    return path


# -- rtf ----------------------------------------------------------------------------------------

def rtf_escape(text: str) -> str:
    out = []
    for char in text:
        if char in "\\{}":
            out.append("\\" + char)
        elif ord(char) < 128:
            out.append(char)
        else:
            for unit in _utf16_units(char):
                out.append(f"\\u{unit if unit < 32768 else unit - 65536}?")
    return "".join(out)


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-le")
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


def rtf_paragraph(paragraph: str) -> str:
    return "".join("{\\i " + rtf_escape(t) + "}" if i else rtf_escape(t) for t, i in runs(paragraph))


def write_rtf(path: Path, chapters: list[Chapter], title: str = "", author: str = "", styles: bool = True) -> Path:
    """An RTF as Word writes one: a style sheet with heading 1 at outline level 0 (``styles``),
    or (without) chapters on new pages, each starting with its heading line."""
    head = ["{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1", "{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}"
            "{\\f1\\fnil\\fcharset134 SimSun;}}", "{\\colortbl;\\red0\\green0\\blue0;}",
            "{\\stylesheet{\\s0\\ql Normal;}{\\s1\\outlinelevel0\\b\\fs32 heading 1;}}"]
    if title or author:
        head.append("{\\info{\\title " + rtf_escape(title) + "}{\\author " + rtf_escape(author) + "}}")
    body = []
    for number, chapter in enumerate(chapters):
        if styles:
            body.append("\\pard\\plain\\s1\\outlinelevel0\\b " + rtf_escape(chapter.title) + "\\par")
        else:
            body.append(("\\page " if number else "") + "\\pard\\plain " + rtf_escape(chapter.title) + "\\par")
        for paragraph in chapter.paragraphs:
            body.append("\\pard\\plain\\s0 " + rtf_paragraph(paragraph) + "\\par")
    path.write_text("\n".join(head + body) + "}\n", encoding="ascii")
    return path


def cocoa_rtf(paragraphs: list[str]) -> str:
    """A Scrivener 3 (macOS) content.rtf: Cocoa's RTF, paragraphs ended by backslash-newline."""
    head = ("{\\rtf1\\ansi\\ansicpg1252\\cocoartf2639\n\\cocoatextscaling0\\cocoaplatform0"
            "{\\fonttbl\\f0\\froman\\fcharset0 Palatino-Roman;\\f1\\froman\\fcharset0 Palatino-Italic;}\n"
            "{\\colortbl;\\red255\\green255\\blue255;}\n{\\*\\expandedcolortbl;;}\n"
            "\\pard\\tx360\\fi360\\sl264\\slmult1\\pardirnatural\\partightenfactor0\n\n\\f0\\fs26 \\cf0 ")
    lines = []
    for paragraph in paragraphs:
        lines.append("".join("\\f1\\i " + rtf_escape(t) + "\\f0\\i0 " if i else rtf_escape(t)
                             for t, i in runs(paragraph)))
    return head + "\\\n".join(lines) + "}"


# -- Scrivener 3 ----------------------------------------------------------------------------------

@dataclass
class BinderItem:
    title: str
    kind: str = "Text"  # Text, Folder, DraftFolder, ResearchFolder, TrashFolder, PDF
    paragraphs: list[str] | None = None  # None: no content.rtf on disk
    children: list[BinderItem] | None = None
    uuid: str = ""


def write_scrivener(folder: Path, items: list[BinderItem]) -> Path:
    """A Scrivener 3 project: Name.scriv/Name.scrivx and Files/Data/<UUID>/content.rtf."""
    folder.mkdir(parents=True)
    (folder / "Files" / "Data").mkdir(parents=True)
    (folder / "Settings").mkdir()

    def item_xml(item: BinderItem, depth: int) -> str:
        item.uuid = item.uuid or str(uuid.uuid4()).upper()
        if item.paragraphs is not None:
            data = folder / "Files" / "Data" / item.uuid
            data.mkdir()
            (data / "content.rtf").write_text(cocoa_rtf(item.paragraphs), encoding="ascii")
        pad = "    " * depth
        children = ""
        if item.children:
            children = (f"\n{pad}    <Children>\n" + "\n".join(item_xml(c, depth + 2) for c in item.children)
                        + f"\n{pad}    </Children>")
        from xml.sax.saxutils import escape

        return (f'{pad}<BinderItem UUID="{item.uuid}" Type="{item.kind}" Created="2024-01-01 10:00:00 +0000" '
                f'Modified="2024-01-02 10:00:00 +0000">\n{pad}    <Title>{escape(item.title)}</Title>\n'
                f"{pad}    <MetaData>\n{pad}        <IncludeInCompile>Yes</IncludeInCompile>\n"
                f"{pad}    </MetaData>{children}\n{pad}</BinderItem>")

    binder = "\n".join(item_xml(item, 2) for item in items)
    name = folder.name[:-6]
    (folder / f"{name}.scrivx").write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<ScrivenerProject Template="No" Version="2.0" Identifier="{uuid.uuid4()}" Creator="SCRMAC-3.3.6-16489"'
        ' Device="Mac" Author="Writer" Modified="2024-01-02 10:00:00 +0000">\n'
        f"    <Binder>\n{binder}\n    </Binder>\n</ScrivenerProject>\n", encoding="utf-8")
    return folder


# -- novelWriter ----------------------------------------------------------------------------------

@dataclass
class NwItem:
    name: str
    kind: str = "FILE"  # ROOT, FOLDER, FILE
    klass: str = "NOVEL"
    layout: str = "DOCUMENT"
    text: str | None = ""  # the .nwd body; None: no file on disk
    children: list[NwItem] | None = None
    active: bool = True


def write_novelwriter(folder: Path, roots: list[NwItem], title: str, author: str, language: str = "en_GB") -> Path:
    """A novelWriter 2 project: nwProject.nwx (file format 1.5) and content/<handle>.nwd."""
    from xml.sax.saxutils import escape

    folder.mkdir(parents=True)
    (folder / "content").mkdir()
    (folder / "meta").mkdir()
    lines: list[str] = []
    counter = iter(range(1, 10_000))

    def add(item: NwItem, parent: str, root: str, order: int) -> None:
        handle = f"{next(counter):013x}"
        root = root or handle
        klass = item.klass
        attributes = (f'handle="{handle}" parent="{parent or "None"}" root="{root}" order="{order}" '
                      f'type="{item.kind}" class="{klass}"')
        if item.kind == "FILE":
            attributes += f' layout="{item.layout}"'
            active = ' active="yes"' if item.active else ' active="no"'
            if item.text is not None:
                (folder / "content" / f"{handle}.nwd").write_text(
                    f"%%~name: {item.name}\n%%~path: {parent}/{handle}\n%%~kind: {klass}/{item.layout}\n"
                    f"%%~hash: 0000\n%%~date: 2024-01-01 10:00:00/2024-01-02 10:00:00\n{item.text}",
                    encoding="utf-8")
        else:
            active = ""
        lines.append(f"    <item {attributes}>\n      <meta expanded=\"yes\"/>\n"
                     f"      <name status=\"s000000\" import=\"i000004\"{active}>{escape(item.name)}</name>\n"
                     "    </item>")
        for index, child in enumerate(item.children or []):
            add(child, handle, root, index)

    for index, root in enumerate(roots):
        add(root, "", "", index)
    (folder / "nwProject.nwx").write_text(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<novelWriterXML appVersion="2.5" hexVersion="0x020500f0" fileVersion="1.5" fileRevision="4" '
        'timeStamp="2024-01-02 10:00:00">\n'
        f'  <project id="{uuid.uuid4()}" saveCount="3" autoCount="1" editTime="100">\n'
        f"    <name>{escape(title)}</name>\n    <author>{escape(author)}</author>\n  </project>\n"
        f"  <settings>\n    <doBackup>no</doBackup>\n    <language>{language}</language>\n  </settings>\n"
        f'  <content items="{len(lines)}" novelWords="0" notesWords="0">\n' + "\n".join(lines)
        + "\n  </content>\n</novelWriterXML>\n", encoding="utf-8")
    return folder


def nw_markup(paragraph: str) -> str:
    """A corpus paragraph in novelWriter markup (``_em_`` is its italic too)."""
    return "".join(f"_{t}_" if i else t for t, i in runs(paragraph))
