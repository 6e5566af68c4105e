"""Word (.docx) in standard manuscript format, the layout agents and editors ask for.

William Shunn's "Proper Manuscript Format" for novels (shunn.net/format/novel):
12 pt Times New Roman, double spaced, 1-inch margins, a half-inch first-line
indent and no space between paragraphs; a title page with the author's name
and contact block at the top left, the approximate word count at the top
right and the title centred halfway down over "by Author"; every page after it
headed "Surname / SHORT TITLE / page" (a real PAGE field, numbering from 1 on
the first page of text); each chapter on a new page, its title centred about a
third of the way down; a centred ``#`` for a scene break; italics as italics.

Decisions:
- The word count is rounded as Shunn rounds it: to the nearest 1,000 for a
  novel-length text (20,000 words or more), to the nearest 100 below that;
  Chinese and Japanese count characters (字), as their publishers do.
- The contact block holds the author's name and bracketed lines for the
  address, phone and email, which the author fills in before sending: the
  app does not know them, and a real-looking guess would be worse.
- No "END" after the last line: it would come back as a paragraph of the last
  chapter when the file is imported again.
- Every document's title is a real Heading 1, 2, … (its depth in the binder),
  so Word's navigation pane, an importer and this app's own docx import read
  the chapters back; headings are restyled to look like manuscript text. The
  title page is the first section, its title in "Title" and its other lines in
  "Title Page", so an importer can tell it from the book's text.
- US Letter for English (without a region, or from a Letter country), A4
  everywhere else (see :attr:`Book.letter_paper`).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Mm, Pt, RGBColor

from writer_app.storage.formats.book import Book, book_from
from writer_app.text.counts import is_cjk_dominant
from writer_app.text.manuscript import Paragraph, SceneBreak

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.styles.style import ParagraphStyle

    from writer_app.storage.library import Library
    from writer_app.storage.models import Node, Project

LATIN_FONT = "Times New Roman"
# A font with the CJK ideographs for the east-asian slot of every run (Word and LibreOffice
# substitute a local Song/Mincho face when this one is missing).
EAST_ASIAN_FONTS = {"zh": "SimSun", "ja": "MS Mincho", "ko": "Batang"}
CONTACT_PLACEHOLDERS = ("[street address]", "[city, region, postcode]", "[phone]", "[email]")
SCENE_BREAK_STYLE = "Scene Break"
# The title page's lines other than the title (which is in "Title"): an importer leaves both out.
TITLE_PAGE_STYLE = "Title Page"
CHAPTER_DROP = Inches(2.5)  # the chapter title sits about a third of the way down the page
TITLE_DROP = Inches(3.0)  # the title sits about halfway down the title page
SHORT_TITLE_CHARS = 20
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md"}


def approximate_words(count: int) -> int:
    """The word count as a manuscript gives it: nearest 1,000 for a novel, nearest 100 below."""
    if count < 100:
        return count
    step = 1000 if count >= 20_000 else 100
    return max(step, (count + step // 2) // step * step)


def word_count_line(book: Book) -> str:
    count = f"{approximate_words(book.words):,}"
    if book.primary_language == "zh":
        return f"约 {count} 字"
    if book.primary_language == "ja":
        return f"約 {count} 字"
    return f"about {count} words"


def byline(book: Book) -> str:
    return f"{book.author} 著" if book.primary_language in ("zh", "ja") else f"by {book.author}"


def surname(author: str) -> str:
    """The name for the running header: the last word of a Western name; in a Chinese or Japanese
    name the family name comes first (村上 春樹 is Murakami), and a name without spaces stays whole."""
    words = [w.strip(",") for w in author.split()]
    if words and is_cjk_dominant(author):
        return words[0]
    while len(words) > 1 and words[-1].lower() in _SUFFIXES:
        words.pop()
    return words[-1] if words else ""


def short_title(title: str) -> str:
    """The title's key words in capitals for the running header (Shunn: "a key word or two")."""
    title = " ".join(title.split())
    if len(title) <= SHORT_TITLE_CHARS:
        return title.upper()
    words = title.split()
    if len(words) == 1:
        return title[: SHORT_TITLE_CHARS // 2 if not title.isascii() else SHORT_TITLE_CHARS].upper()
    if len(words) > 2 and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    kept = [words[0]]
    for word in words[1:]:
        if len(" ".join([*kept, word])) > SHORT_TITLE_CHARS:
            break
        kept.append(word)
    return " ".join(kept).upper()


def _east_asian_font(book: Book) -> str:
    return EAST_ASIAN_FONTS.get(book.primary_language, EAST_ASIAN_FONTS["zh"])


def _set_fonts(r_pr, latin: str, east_asian: str) -> None:
    """Explicit fonts in an rPr, with the theme fonts removed (Word prefers a theme font)."""
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    for slot in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(slot), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _set_language(r_pr, language: str, cjk: bool) -> None:
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), "en-US" if cjk else language)
    if cjk:
        lang.set(qn("w:eastAsia"), language)


def _manuscript_style(style: ParagraphStyle, book: Book, *, single: bool = False) -> None:
    font = style.font
    font.name, font.size, font.bold, font.italic = LATIN_FONT, Pt(12), False, False
    font.color.rgb = RGBColor(0, 0, 0)
    r_pr = style.element.get_or_add_rPr()
    _set_fonts(r_pr, LATIN_FONT, _east_asian_font(book))
    fmt = style.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE if single else WD_LINE_SPACING.DOUBLE
    fmt.space_before = fmt.space_after = Pt(0)
    p_pr = style.element.get_or_add_pPr()
    border = p_pr.find(qn("w:pBdr"))
    if border is not None:
        p_pr.remove(border)


def _setup_styles(doc: DocxDocument, book: Book) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        r_pr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if r_pr is not None:
            _set_fonts(r_pr, LATIN_FONT, _east_asian_font(book))
            _set_language(r_pr, book.language, book.cjk)
    normal = doc.styles["Normal"]
    _manuscript_style(normal, book)
    _set_language(normal.element.get_or_add_rPr(), book.language, book.cjk)
    # Two characters' indent is the Chinese and Japanese convention; half an inch elsewhere.
    normal.paragraph_format.first_line_indent = Pt(24) if book.cjk else Inches(0.5)
    normal.paragraph_format.widow_control = True
    for level in range(1, 10):
        heading = doc.styles[f"Heading {level}"]
        _manuscript_style(heading, book)
        heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        heading.paragraph_format.first_line_indent = Pt(0)
        heading.paragraph_format.keep_with_next = True
    title = doc.styles["Title"]
    _manuscript_style(title, book)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.font.all_caps = not book.cjk
    header = doc.styles["Header"]
    _manuscript_style(header, book, single=True)
    header.paragraph_format.first_line_indent = Pt(0)
    title_page = doc.styles.add_style(TITLE_PAGE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    title_page.base_style = normal
    title_page.paragraph_format.first_line_indent = Pt(0)
    title_page.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    scene = doc.styles.add_style(SCENE_BREAK_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    scene.base_style = normal
    scene.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    scene.paragraph_format.first_line_indent = Pt(0)


def _page_setup(section, book: Book) -> None:
    if book.letter_paper:
        section.page_width, section.page_height = Inches(8.5), Inches(11)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Inches(1))
    section.header_distance = section.footer_distance = Inches(0.5)


def _title_page_line(doc: DocxDocument, text: str, *, single: bool = True):
    paragraph = doc.add_paragraph(text, style=TITLE_PAGE_STYLE)
    if not single:
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.DOUBLE
    return paragraph


def _title_page(doc: DocxDocument, book: Book) -> None:
    text_width = doc.sections[0].page_width - doc.sections[0].left_margin - doc.sections[0].right_margin
    first = _title_page_line(doc, f"{book.author or '[author]'}\t{word_count_line(book)}")
    first.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    for line in CONTACT_PLACEHOLDERS:
        _title_page_line(doc, line)
    title = doc.add_paragraph(book.title, style="Title")
    title.paragraph_format.space_before = TITLE_DROP
    if book.author:
        _title_page_line(doc, byline(book), single=False).alignment = WD_ALIGN_PARAGRAPH.CENTER


def _page_field(paragraph) -> None:
    """A PAGE field (begin, instruction, separator, cached value, end) that Word and LibreOffice update."""
    def char(kind: str):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)

    char("begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    paragraph.add_run()._r.append(instruction)
    char("separate")
    paragraph.add_run("1")
    char("end")


def _running_header(section, book: Book) -> None:
    section.header.is_linked_to_previous = False
    paragraph = section.header.paragraphs[0]
    paragraph.style = "Header"
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    name = surname(book.author)
    paragraph.add_run(" / ".join(part for part in (name, short_title(book.title)) if part) + " / ")
    _page_field(paragraph)
    numbering = OxmlElement("w:pgNumType")
    numbering.set(qn("w:start"), "1")
    _insert_in_order(section._sectPr, numbering)


# What may follow w:pgNumType in a w:sectPr (the schema fixes the order of its children).
_AFTER_PAGE_NUMBERS = ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection",
                       "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange")


def _insert_in_order(sect_pr, element) -> None:
    later = [child for child in sect_pr if child.tag in {qn(t) for t in _AFTER_PAGE_NUMBERS}]
    if later:
        later[0].addprevious(element)
    else:
        sect_pr.append(element)


def _body(doc: DocxDocument, book: Book) -> None:
    for index, entry in enumerate(book.entries):
        heading = doc.add_paragraph(entry.title, style=f"Heading {min(entry.depth + 1, 9)}")
        fmt = heading.paragraph_format
        if entry.starts_chapter:
            fmt.page_break_before = index > 0  # the first chapter opens the text section's first page
            fmt.space_before = CHAPTER_DROP
            fmt.space_after = Pt(12)
        else:
            fmt.space_before = Pt(12)
        for block in entry.blocks:
            if isinstance(block, SceneBreak):
                doc.add_paragraph("#", style=SCENE_BREAK_STYLE)
            elif isinstance(block, Paragraph):
                paragraph = doc.add_paragraph()
                for span in block.spans:
                    run = paragraph.add_run(span.text)
                    run.italic = span.emphasis or None
                    run.bold = span.strong or None


def _new_section(doc: DocxDocument):
    """A section starting on a new page; the title page's section ends on its last line, not on an
    empty paragraph of its own (python-docx adds one to hold the section's properties)."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    holder = doc.paragraphs[-1]._p
    previous = holder.getprevious()
    if previous is not None and previous.tag == qn("w:p") and not holder.xpath("./w:r"):
        previous.get_or_add_pPr().append(holder.pPr.sectPr)
        holder.getparent().remove(holder)
    return section


def write_docx(book: Book) -> bytes:
    doc = Document()
    # The template's one empty paragraph would become a blank first line.
    for paragraph in list(doc.paragraphs):
        paragraph._element.getparent().remove(paragraph._element)
    _setup_styles(doc, book)
    _page_setup(doc.sections[0], book)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = book.title, book.author, book.author
    props.language, props.identifier, props.revision = book.language, book.identifier, 1
    props.created = props.modified = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    props.comments = props.keywords = props.subject = props.category = ""
    _title_page(doc, book)
    if book.entries:
        section = _new_section(doc)
        _page_setup(section, book)
        _running_header(section, book)
        _body(doc, book)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def render(lib: Library, project: Project, items: list[tuple[Node, int]], title: str, with_meta: bool) -> bytes:
    """The exporter's entry point: ``items`` as a manuscript-format .docx (always with its title page)."""
    return write_docx(book_from(lib, project, items, title, whole_project=with_meta))
