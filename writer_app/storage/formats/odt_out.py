"""OpenDocument text (.odt), written with odfpy, for LibreOffice and every word processor.

Each document's title is a real heading (``text:h`` with ``text:outline-level``
its depth in the binder, in the "Heading N" styles), so LibreOffice's
navigator, an importer and this app's own odt import read the chapters back;
every chapter (as :mod:`.book` decides) begins on a new page. Paragraphs are
"Text body" paragraphs with a first-line indent, emphasis and strong are
italic and bold spans, a scene break is a centred ``#``. The page is the
manuscript page the docx export uses (12 pt Times New Roman, double spaced,
1-inch margins), without the title page and running header that only the
manuscript format asks for. Title, author and language go in meta.xml.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from odf import dc, teletype
from odf.element import Element
from odf.meta import InitialCreator
from odf.opendocument import OpenDocumentText
from odf.style import (
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TextProperties,
)
from odf.text import H, P, Span

from writer_app.storage.formats.book import Book, book_from
from writer_app.text.manuscript import Paragraph, SceneBreak

if TYPE_CHECKING:
    from writer_app.storage.library import Library
    from writer_app.storage.models import Node, Project

LATIN_FONT = "'Times New Roman'"
EAST_ASIAN_FONTS = {"zh": "SimSun", "ja": "'MS Mincho'", "ko": "Batang"}
BODY_STYLE = "Text_20_body"
SCENE_BREAK_STYLE = "Scene_20_Break"
MAX_LEVEL = 10  # ODF defines outline levels 1 to 10


def _language(book: Book) -> tuple[str, str]:
    """(language, country) as fo:language and fo:country want them: "zh-Hans-CN" is ("zh", "CN")."""
    regions = [part.upper() for part in book.language.replace("_", "-").split("-")[1:] if len(part) == 2]
    return book.primary_language or "en", regions[-1] if regions else ""


def _text_properties(book: Book, **extra: str) -> TextProperties:
    language, country = _language(book)
    attributes = {"fontfamily": LATIN_FONT, "fontsize": "12pt",
                  "fontfamilyasian": EAST_ASIAN_FONTS.get(language, EAST_ASIAN_FONTS["zh"]),
                  "fontsizeasian": "12pt", **extra}
    if book.cjk:
        attributes.update(languageasian=language, countryasian=country or "none")
    else:
        attributes.update(language=language, country=country or "none")
    return TextProperties(**attributes)


def _styles(doc: OpenDocumentText, book: Book) -> dict[str, Style]:
    styles: dict[str, Style] = {}
    standard = Style(name="Standard", family="paragraph")
    standard.addElement(ParagraphProperties(lineheight="200%", margintop="0in", marginbottom="0in"))
    standard.addElement(_text_properties(book))
    doc.styles.addElement(standard)
    body = Style(name=BODY_STYLE, displayname="Text body", family="paragraph", parentstylename="Standard")
    body.addElement(ParagraphProperties(textindent="24pt" if book.cjk else "0.5in"))
    doc.styles.addElement(body)
    scene = Style(name=SCENE_BREAK_STYLE, displayname="Scene Break", family="paragraph",
                  parentstylename="Standard")
    scene.addElement(ParagraphProperties(textalign="center", textindent="0in"))
    doc.styles.addElement(scene)
    heading = Style(name="Heading", family="paragraph", parentstylename="Standard", nextstylename=BODY_STYLE)
    heading.addElement(ParagraphProperties(textalign="center", keepwithnext="always", margintop="12pt",
                                           marginbottom="12pt"))
    doc.styles.addElement(heading)
    for level in range(1, MAX_LEVEL + 1):
        style = Style(name=f"Heading_20_{level}", displayname=f"Heading {level}", family="paragraph",
                      parentstylename="Heading", defaultoutlinelevel=str(level), nextstylename=BODY_STYLE)
        style.addElement(_text_properties(book, fontweight="bold", fontweightasian="bold"))
        doc.styles.addElement(style)
        # The same heading opening a chapter: a new page, the title a third of the way down.
        chapter = Style(name=f"Chapter_{level}", family="paragraph", parentstylename=f"Heading_20_{level}")
        chapter.addElement(ParagraphProperties(breakbefore="page", margintop="2.5in"))
        doc.automaticstyles.addElement(chapter)
        styles[f"chapter{level}"] = chapter
    for name, props in (("em", {"fontstyle": "italic", "fontstyleasian": "italic"}),
                        ("strong", {"fontweight": "bold", "fontweightasian": "bold"}),
                        ("both", {"fontstyle": "italic", "fontstyleasian": "italic",
                                  "fontweight": "bold", "fontweightasian": "bold"})):
        span = Style(name=f"T_{name}", family="text")
        span.addElement(TextProperties(**props))
        doc.automaticstyles.addElement(span)
        styles[name] = span
    return styles


def _page(doc: OpenDocumentText, book: Book) -> None:
    letter = book.letter_paper
    layout = PageLayout(name="Manuscript")
    layout.addElement(PageLayoutProperties(pagewidth="8.5in" if letter else "210mm",
                                           pageheight="11in" if letter else "297mm",
                                           margintop="1in", marginbottom="1in", marginleft="1in",
                                           marginright="1in", printorientation="portrait"))
    doc.automaticstyles.addElement(layout)
    doc.masterstyles.addElement(MasterPage(name="Standard", pagelayoutname=layout))


def _paragraph(block: Paragraph, styles: dict[str, Style]) -> Element:
    paragraph = P(stylename=BODY_STYLE)
    for span in block.spans:
        if span.emphasis or span.strong:
            key = "both" if span.emphasis and span.strong else "em" if span.emphasis else "strong"
            run = Span(stylename=styles[key])
            teletype.addTextToElement(run, span.text)
            paragraph.addElement(run)
        else:
            teletype.addTextToElement(paragraph, span.text)
    return paragraph


def write_odt(book: Book) -> bytes:
    doc = OpenDocumentText()
    styles = _styles(doc, book)
    _page(doc, book)
    doc.meta.addElement(dc.Title(text=book.title))
    doc.meta.addElement(dc.Language(text=book.language))
    if book.author:
        doc.meta.addElement(dc.Creator(text=book.author))
        doc.meta.addElement(InitialCreator(text=book.author))
    for index, entry in enumerate(book.entries):
        level = min(entry.depth + 1, MAX_LEVEL)
        style = styles[f"chapter{level}"] if entry.starts_chapter and index > 0 else f"Heading_20_{level}"
        heading = H(outlinelevel=level, stylename=style)
        teletype.addTextToElement(heading, entry.title)
        doc.text.addElement(heading)
        for block in entry.blocks:
            if isinstance(block, SceneBreak):
                doc.text.addElement(P(stylename=SCENE_BREAK_STYLE, text="#"))
            elif isinstance(block, Paragraph):
                doc.text.addElement(_paragraph(block, styles))
    buffer = io.BytesIO()
    doc.write(buffer)
    return buffer.getvalue()


def render(lib: Library, project: Project, items: list[tuple[Node, int]], title: str, with_meta: bool) -> bytes:
    """The exporter's entry point: ``items`` as an .odt."""
    return write_odt(book_from(lib, project, items, title, whole_project=with_meta))
