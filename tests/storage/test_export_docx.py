"""The .docx export in standard manuscript format, read back with python-docx as Word would show it."""

from __future__ import annotations

import re

import docx
import pytest
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Inches, Mm, Pt

from tests.storage.export_books import expected_paragraphs, import_corpus, small_book
from writer_app.storage.exporter import export_document, export_project
from writer_app.storage.formats.docx_out import SCENE_BREAK_STYLE, approximate_words, short_title, surname
from writer_app.text.counts import count_words


def _headings(doc):
    return [p for p in doc.paragraphs if p.style.name.startswith("Heading")]


def _by_heading(doc) -> list[tuple[object, list]]:
    """(heading paragraph, the paragraphs under it) in document order; the title page is left out."""
    out: list[tuple[object, list]] = []
    for paragraph in doc.paragraphs:
        if paragraph.style.name.startswith("Heading"):
            out.append((paragraph, []))
        elif out:
            out[-1][1].append(paragraph)
    return out


def _title_page(doc) -> list[str]:
    texts = []
    for paragraph in doc.paragraphs:
        if paragraph.style.name.startswith("Heading"):
            break
        texts.append(paragraph.text)
    return texts


def _text_paragraphs(paragraphs) -> list[str]:
    return [p.text for p in paragraphs if p.style.name != SCENE_BREAK_STYLE]


def test_pride_and_prejudice_as_a_manuscript(lib, tmp_path):
    project = import_corpus(lib, tmp_path, "pride-and-prejudice.txt")
    out = export_project(lib, project.id, "docx", tmp_path / "pp.docx")
    doc = docx.Document(out)
    nodes = lib.nodes(project.id)

    headings = _by_heading(doc)
    assert [h.text for h, _ in headings] == [n.title for n in nodes]
    # 61 chapters as Heading 1; the scenes the importer found at "* * *" breaks as Heading 2.
    chapters = [(h, body) for h, body in headings if h.style.name == "Heading 1"]
    assert [h.text for h, _ in chapters] == [f"Chapter {i}" for i in range(1, 62)]
    assert {h.style.name for h, _ in headings} == {"Heading 1", "Heading 2"}
    for node, (_, body) in zip(nodes, headings, strict=True):
        assert _text_paragraphs(body) == expected_paragraphs(lib, node.id), node.title
    # Each chapter on a new page: the first opens the text section, the others break before.
    assert doc.sections[1].start_type == WD_SECTION.NEW_PAGE
    assert [h.paragraph_format.page_break_before for h, _ in chapters[1:]] == [True] * 60
    assert not any(h.paragraph_format.page_break_before for h, _ in headings if h.style.name == "Heading 2")
    assert all(h.paragraph_format.space_before >= Inches(2) for h, _ in chapters)  # a third of the way down
    # Austen's italics are italics ("You want to tell me" in chapter 1).
    italic = [r.text for p in chapters[0][1] for r in p.runs if r.italic]
    assert "You" in italic

    title_page = _title_page(doc)
    assert title_page[0] == "Jane Austen\tabout 122,000 words"
    assert "Pride and Prejudice" in title_page and "by Jane Austen" in title_page
    title = next(p for p in doc.paragraphs if p.text == "Pride and Prejudice")
    before_text = [p.style.name for p in doc.paragraphs[:len(title_page)]]
    assert before_text == ["Title Page"] * 5 + ["Title", "Title Page"]  # an importer can leave it out
    assert title.style.name == "Title" and title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.paragraph_format.space_before >= Inches(2.5)  # halfway down the page

    # A running header on every page but the title page: Surname / SHORT TITLE / a PAGE field.
    title_section, text_section = doc.sections
    assert title_section.header.is_linked_to_previous  # no header of its own: none on the title page
    assert not text_section.header.is_linked_to_previous
    header = text_section.header.paragraphs[0]
    assert header.text.startswith("Austen / PRIDE AND PREJUDICE / ")
    assert header.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert [t.text.strip() for t in header._element.iter(qn("w:instrText"))] == ["PAGE"]
    assert text_section._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"

    # 12 pt Times New Roman, double spaced, no space between paragraphs, half-inch indent.
    normal = doc.styles["Normal"]
    assert (normal.font.name, normal.font.size) == ("Times New Roman", Pt(12))
    fmt = normal.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.DOUBLE
    assert fmt.first_line_indent == Inches(0.5)
    assert fmt.space_before == fmt.space_after == Pt(0)
    for section in doc.sections:
        assert (section.page_width, section.page_height) == (Inches(8.5), Inches(11))
        margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
        assert margins == (Inches(1),) * 4
    assert (doc.core_properties.title, doc.core_properties.author) == ("Pride and Prejudice", "Jane Austen")


def test_hongloumeng_counts_characters_and_names_a_chinese_font(lib, tmp_path):
    project = import_corpus(lib, tmp_path, "hongloumeng-ch1-10.txt", project_title="红楼梦")
    lib.update_project(project.id, author="曹雪芹")
    out = export_project(lib, project.id, "docx", tmp_path / "hlm.docx")
    doc = docx.Document(out)
    nodes = lib.nodes(project.id)
    chapters = _by_heading(doc)
    assert [h.text for h, _ in chapters] == [n.title for n in nodes]
    assert chapters[0][0].text.startswith("第一回")  # 《红楼梦》 on top is the title, not front matter
    for node, (_, body) in zip(nodes, chapters, strict=True):
        assert _text_paragraphs(body) == expected_paragraphs(lib, node.id), node.title

    characters = sum(n.word_count for n in nodes)  # one per Han character
    first_line = _title_page(doc)[0]
    assert first_line == f"曹雪芹\t约 {round(characters, -3):,} 字"
    assert "曹雪芹 著" in _title_page(doc)
    assert doc.sections[1].header.paragraphs[0].text.startswith("曹雪芹 / 红楼梦 / ")

    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "SimSun" and fonts.get(qn("w:ascii")) == "Times New Roman"
    assert doc.styles["Normal"].element.rPr.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh"
    assert doc.styles["Normal"].paragraph_format.first_line_indent == Pt(24)  # two characters
    assert abs(doc.sections[1].page_width - Mm(210)) < Mm(0.1)  # A4 outside English


def test_structure_styles_and_scene_breaks_of_a_small_book(lib, tmp_path):
    sample = small_book(lib)
    doc = docx.Document(export_project(lib, sample.project.id, "docx", tmp_path / "storm.docx"))
    chapters = _by_heading(doc)
    assert [h.text for h, _ in chapters] == sample.titles
    assert [h.style.name for h, _ in chapters] == ["Heading 1", "Heading 2", "Heading 2", "Heading 3",
                                                    "Heading 3", "Heading 1"]
    # A part, its chapters and a top-level chapter start a page; scenes run on inside their chapter.
    breaks = [h.text for h, _ in chapters if h.paragraph_format.page_break_before]
    assert breaks == sample.chapter_titles[1:]
    for node_id, (_, body) in zip(sample.node_ids, chapters, strict=True):
        assert _text_paragraphs(body) == expected_paragraphs(lib, node_id)

    one = chapters[1][1]
    assert [p.text for p in one if p.style.name == SCENE_BREAK_STYLE] == ["#"]
    scene_break = next(p for p in one if p.style.name == SCENE_BREAK_STYLE)
    assert doc.styles[SCENE_BREAK_STYLE].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert scene_break.paragraph_format.first_line_indent is None  # the style's zero indent applies
    runs = {(r.text, bool(r.italic), bool(r.bold)) for r in one[0].runs}
    assert ("dark", True, False) in runs and ("stormy", False, True) in runs
    assert one[1].text == "An indented line with  two spaces, & <angle> \"quotes\" and a tab\there."
    scene_b = chapters[4][1]
    assert [p.text for p in scene_b if p.style.name == SCENE_BREAK_STYLE] == ["#"]
    assert ("both at once", True, True) in {(r.text, bool(r.italic), bool(r.bold)) for r in scene_b[-1].runs}

    assert doc.sections[1].header.paragraphs[0].text.startswith("Lovelace / STORM & THE <CALM> / ")
    words = sum(count_words(text) for node_id in sample.node_ids for text in expected_paragraphs(lib, node_id))
    assert words < 100 and _title_page(doc)[0] == f"Ada Q. Lovelace Jr.\tabout {words} words"  # exact when short


def test_one_document_exports_alone_with_its_own_title_page(lib, tmp_path):
    sample = small_book(lib)
    out = export_document(lib, sample.node_ids[2], "docx", tmp_path / "two.docx")  # Chapter Two and its scenes
    doc = docx.Document(out)
    assert [h.text for h in _headings(doc)] == ["Chapter Two", "Scene A", "Scene B"]
    assert [h.style.name for h in _headings(doc)] == ["Heading 1", "Heading 2", "Heading 2"]
    assert "Chapter Two" in _title_page(doc)
    assert doc.sections[1].header.paragraphs[0].text.startswith("Lovelace / CHAPTER TWO / ")


def test_an_empty_project_is_a_title_page(lib, tmp_path):
    project = lib.create_project("Nothing Yet")
    doc = docx.Document(export_project(lib, project.id, "docx", tmp_path / "empty.docx"))
    assert len(doc.sections) == 1 and not _headings(doc)
    assert _title_page(doc)[0] == "[author]\tabout 0 words"


@pytest.mark.parametrize(("count", "said"), [(0, 0), (57, 57), (149, 100), (150, 200), (4_449, 4_400),
                                             (19_949, 19_900), (19_999, 20_000), (121_748, 122_000),
                                             (87_500, 88_000)])
def test_word_counts_are_rounded_as_a_manuscript_gives_them(count, said):
    assert approximate_words(count) == said


@pytest.mark.parametrize(("author", "name"), [("Jane Austen", "Austen"), ("Martin Luther King, Jr.", "King"),
                                              ("曹雪芹", "曹雪芹"), ("村上 春樹", "村上"), ("", ""),
                                              ("Madonna", "Madonna")])
def test_the_header_names_the_surname(author, name):
    assert surname(author) == name


@pytest.mark.parametrize(("title", "short"), [
    ("Pride and Prejudice", "PRIDE AND PREJUDICE"),
    ("The Curious Incident of the Dog in the Night-Time", "CURIOUS INCIDENT OF"),
    ("红楼梦", "红楼梦"),
])
def test_the_header_shortens_a_long_title(title, short):
    assert short_title(title) == short
    assert re.fullmatch(r".{1,20}", short_title(title))


@pytest.mark.parametrize(("language", "letter"), [("en", True), ("en-US", True), ("en-GB", False), ("fr", False),
                                                  ("fr-CA", True), ("zh-Hans-CN", False), ("es_MX", True)])
def test_paper_is_letter_where_letter_is_the_paper(lib, tmp_path, language, letter):
    project = lib.create_project("Paper", language=language)
    lib.create_node(project.id, "chapter", "One", text="Rain.")
    doc = docx.Document(export_project(lib, project.id, "docx", tmp_path / "paper.docx"))
    width = doc.sections[-1].page_width
    assert abs(width - (Inches(8.5) if letter else Mm(210))) < Mm(0.1)
