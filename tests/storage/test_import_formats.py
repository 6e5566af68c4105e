"""docx, odt, epub and rtf imports: real files written by the formats' own libraries (or laid
out as Word writes RTF) from the shared corpus, imported, and checked chapter by chapter:
the count, every title, every paragraph, the italics, and the book's metadata."""

from __future__ import annotations

import pytest

from tests.storage.format_files import (
    Chapter,
    hongloumeng,
    pride,
    runs,
    write_docx,
    write_epub,
    write_odt,
    write_rtf,
)
from writer_app.cli import main
from writer_app.storage.importer import import_plan, plan_import
from writer_app.text.manuscript import Paragraph, paragraphs, parse_blocks


def _chapters(plan):
    return [s for s in plan.sections if s.kind != "note"]


def _assert_same_book(plan, chapters: list[Chapter]) -> None:
    found = _chapters(plan)
    assert [s.title for s in found] == [c.title for c in chapters]
    assert [s.kind for s in found] == ["chapter"] * len(chapters)
    for section, chapter in zip(found, chapters, strict=True):
        assert paragraphs(section.text) == chapter.visible, section.title


def _italic_words(text: str) -> list[str]:
    return [span.text for block in parse_blocks(text) if isinstance(block, Paragraph)
            for span in block.spans if span.emphasis]


def _corpus_italics(chapter: Chapter) -> list[str]:
    """The words Gutenberg marks ``_so_`` in a chapter, in order."""
    return [text for paragraph in chapter.paragraphs for text, italic in runs(paragraph) if italic]


@pytest.fixture(scope="module")
def pride_book():
    return pride()


@pytest.fixture(scope="module")
def red_chamber():
    return hongloumeng()


def test_pride_and_prejudice_docx_comes_in_chapter_by_chapter(tmp_path, pride_book):
    source = write_docx(tmp_path / "pride.docx", pride_book, title="Pride and Prejudice", author="Jane Austen",
                        language="en-GB")
    plan = plan_import(source)
    assert (plan.title, plan.author, plan.language) == ("Pride and Prejudice", "Jane Austen", "en")
    assert len(plan.sections) == 61
    _assert_same_book(plan, pride_book)
    assert sum(len(c.visible) for c in pride_book) == sum(len(paragraphs(s.text)) for s in plan.sections)
    assert _italic_words(plan.sections[0].text) == _corpus_italics(pride_book[0]) != []


def test_chinese_docx_keeps_its_chinese_titles_and_paragraphs(tmp_path, red_chamber):
    plan = plan_import(write_docx(tmp_path / "红楼梦.docx", red_chamber, title="红楼梦", author="曹雪芹"))
    assert (plan.title, plan.author, plan.language) == ("红楼梦", "曹雪芹", "zh")
    assert len(plan.sections) == 10
    assert plan.sections[0].title == "第一回 甄士隐梦幻识通灵 贾雨村风尘怀闺秀"
    _assert_same_book(plan, red_chamber)


def test_docx_parts_over_chapters_become_folders(tmp_path, pride_book):
    book = pride_book[:4]
    source = write_docx(tmp_path / "parts.docx", book, heading_level=2, parts={0: "Volume I", 2: "Volume II"})
    plan = plan_import(source)
    assert [(s.kind, s.title, [c.title for c in s.children]) for s in plan.sections] == [
        ("folder", "Volume I", ["Chapter 1", "Chapter 2"]), ("folder", "Volume II", ["Chapter 3", "Chapter 4"])]
    chapters = [c for s in plan.sections for c in s.children]
    assert [paragraphs(c.text) for c in chapters] == [c.visible for c in book]
    assert {c.kind for c in chapters} == {"chapter"}


def test_docx_chapters_with_scene_headings_become_chapters_with_scenes(tmp_path):
    import docx

    document = docx.Document()
    for chapter in ("The Arrival", "The Ball"):
        document.add_heading(chapter, level=1)
        document.add_paragraph(f"{chapter} begins.")
        for scene in ("Morning", "Evening"):
            document.add_heading(scene, level=2)
            document.add_paragraph(f"{scene} in {chapter}.")
    document.save(tmp_path / "scenes.docx")
    plan = plan_import(tmp_path / "scenes.docx")
    assert [(s.kind, s.title, s.text, [(c.kind, c.title, c.text) for c in s.children]) for s in plan.sections] == [
        ("chapter", "The Arrival", "The Arrival begins.", [("scene", "Morning", "Morning in The Arrival."),
                                                           ("scene", "Evening", "Evening in The Arrival.")]),
        ("chapter", "The Ball", "The Ball begins.", [("scene", "Morning", "Morning in The Ball."),
                                                     ("scene", "Evening", "Evening in The Ball.")])]


def test_docx_without_title_metadata_is_named_after_its_file(tmp_path, pride_book):
    plan = plan_import(write_docx(tmp_path / "draft three.docx", pride_book[:2]))
    assert plan.title == "draft three"
    assert len(plan.sections) == 2


def test_odt_in_english_and_chinese(tmp_path, pride_book, red_chamber):
    plan = plan_import(write_odt(tmp_path / "pride.odt", pride_book, title="Pride and Prejudice",
                                 author="Jane Austen", language="en"))
    assert (plan.title, plan.author, plan.language) == ("Pride and Prejudice", "Jane Austen", "en")
    _assert_same_book(plan, pride_book)
    assert _italic_words(plan.sections[0].text) == _corpus_italics(pride_book[0]) != []
    chinese = plan_import(write_odt(tmp_path / "hlm.odt", red_chamber, title="红楼梦", author="曹雪芹"))
    assert (chinese.title, chinese.author, chinese.language) == ("红楼梦", "曹雪芹", "zh")
    _assert_same_book(chinese, red_chamber)


@pytest.mark.parametrize("nav", [True, False], ids=["epub3-nav", "epub2-ncx"])
def test_epub_chapters_come_from_its_table_of_contents(tmp_path, pride_book, nav):
    source = write_epub(tmp_path / "pride.epub", pride_book, title="Pride and Prejudice", author="Jane Austen",
                        nav=nav)
    plan = plan_import(source)
    assert (plan.title, plan.author, plan.language) == ("Pride and Prejudice", "Jane Austen", "en")
    assert len(plan.sections) == 61  # the nav document is the contents list, not a chapter
    _assert_same_book(plan, pride_book)  # each <h2> repeating the title is the title, not text
    assert _italic_words(plan.sections[0].text) == _corpus_italics(pride_book[0]) != []


def test_chinese_epub_with_a_title_page(tmp_path, red_chamber):
    source = write_epub(tmp_path / "hlm.epub", red_chamber, title="红楼梦", author="曹雪芹", language="zh",
                        title_page="红楼梦　曹雪芹 著")
    plan = plan_import(source)
    assert (plan.title, plan.author, plan.language) == ("红楼梦", "曹雪芹", "zh")
    assert (plan.sections[0].title, plan.sections[0].kind) == ("Front matter", "note")
    assert paragraphs(plan.sections[0].text) == ["红楼梦　曹雪芹 著"]
    _assert_same_book(plan, red_chamber)


def test_epub_with_several_chapters_in_one_file_is_cut_at_the_contents_anchors(tmp_path, pride_book):
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("id-1")
    book.set_title("Three in one")
    book.set_language("en")
    html = "".join(f'<h2 id="c{n}">{c.title}</h2>' + "".join(f"<p>{p}</p>" for p in c.visible)
                   for n, c in enumerate(pride_book[:3]))
    item = epub.EpubHtml(title="All", file_name="all.xhtml", content=f"<html><body>{html}</body></html>")
    book.add_item(item)
    book.toc = [epub.Link(f"all.xhtml#c{n}", c.title, f"c{n}") for n, c in enumerate(pride_book[:3])]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = [item]
    epub.write_epub(str(tmp_path / "three.epub"), book)
    plan = plan_import(tmp_path / "three.epub")
    _assert_same_book(plan, pride_book[:3])


def test_rtf_with_heading_styles_and_with_page_breaks(tmp_path, pride_book, red_chamber):
    styled = plan_import(write_rtf(tmp_path / "pride.rtf", pride_book, title="Pride and Prejudice",
                                   author="Jane Austen"))
    assert (styled.title, styled.author) == ("Pride and Prejudice", "Jane Austen")
    _assert_same_book(styled, pride_book)
    assert _italic_words(styled.sections[0].text) == _corpus_italics(pride_book[0]) != []
    paged = plan_import(write_rtf(tmp_path / "hlm.rtf", red_chamber, styles=False))
    assert paged.language == "zh"
    _assert_same_book(paged, red_chamber)


def test_rtf_chapters_on_new_pages_without_heading_lines(tmp_path):
    body = ("{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0 Times;}}\\pard The Storm\\par It rained {\\i all} night.\\par"
            "\\page\\pard The Calm\\par Morning came.\\par}")
    (tmp_path / "two.rtf").write_text(body, encoding="ascii")
    plan = plan_import(tmp_path / "two.rtf")
    assert [(s.title, paragraphs(s.text)) for s in plan.sections] == [
        ("The Storm", ["It rained all night."]), ("The Calm", ["Morning came."])]
    assert plan.sections[0].text == "It rained *all* night."
    titled = ("{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}\\pard PRIDE AND PREJUDICE\\par By Jane Austen\\par"
              "\\page\\pard A Beginning\\par It is a truth.\\par\\page\\pard An End\\par Not so.\\par}")
    (tmp_path / "titled.rtf").write_text(titled, encoding="ascii")
    plan = plan_import(tmp_path / "titled.rtf")
    assert [(s.kind, s.title, paragraphs(s.text)) for s in plan.sections] == [
        ("note", "Front matter", ["PRIDE AND PREJUDICE", "By Jane Austen"]),
        ("chapter", "A Beginning", ["It is a truth."]), ("chapter", "An End", ["Not so."])]


def test_rtf_in_a_chinese_code_page_and_a_cocoa_rtf(tmp_path):
    gbk = "第一回  甄士隐梦幻识通灵".encode("gbk")
    hexed = "".join(f"\\'{b:02x}" for b in gbk)
    (tmp_path / "gbk.rtf").write_text("{\\rtf1\\ansi\\ansicpg936{\\fonttbl{\\f0\\fnil\\fcharset134 SimSun;}}"
                                      f"\\f0 {hexed}\\par}}", encoding="ascii")
    assert paragraphs(plan_import(tmp_path / "gbk.rtf").sections[0].text) == ["第一回  甄士隐梦幻识通灵"]
    cocoa = ("{\\rtf1\\ansi\\ansicpg1252\\cocoartf2639\n{\\fonttbl\\f0\\fswiss\\fcharset0 Helvetica;}\n"
             "{\\*\\expandedcolortbl;;}\n\\pard\\f0\\fs24 \\cf0 She said \\uc0\\u8220 no\\u8221 .\\\nThen \\i left\\i0 "
             " \\u-10179\\u-8704 .}")  # the space after \\i0 ends the word
    (tmp_path / "cocoa.rtf").write_text(cocoa, encoding="ascii")
    text = plan_import(tmp_path / "cocoa.rtf").sections[0].text
    assert paragraphs(text) == ["She said “no”.", "Then left 😀."]
    assert "*left*" in text


def test_a_typed_scene_break_stays_a_scene_break(tmp_path, pride_book):
    chapter = Chapter("Chapter 1", ["Before the break.", "* * *", "After it."])
    plan = plan_import(write_docx(tmp_path / "breaks.docx", [chapter]))
    assert plan.sections[0].text.split("\n\n") == ["Before the break.", "* * *", "After it."]


def test_dry_run_prints_the_outline_of_a_docx_and_writes_nothing(tmp_path, capsys, red_chamber):
    source = write_docx(tmp_path / "hlm.docx", red_chamber[:3], title="红楼梦")
    profile = tmp_path / "profile"
    assert main(["--data-dir", str(profile), "import", str(source), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [["chapter", c.title] for c in red_chamber[:3]]
    assert all(int(line.split("\t")[2]) > 1000 for line in lines)  # CJK characters counted
    assert not profile.exists()


def test_import_writes_the_docx_as_one_project(tmp_path, lib, pride_book):
    plan = plan_import(write_docx(tmp_path / "p.docx", pride_book[:3], title="Pride and Prejudice",
                                  author="Jane Austen"))
    project = import_plan(lib, plan)
    assert (project.title, project.author) == ("Pride and Prejudice", "Jane Austen")
    nodes = lib.nodes(project.id)
    assert [n.title for n in nodes] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert paragraphs(lib.get_text(nodes[1].id)) == pride_book[1].visible


def test_a_docx_title_paragraph_names_the_book_and_its_title_page_is_front_matter(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("The Long Road", level=0)  # Word's Title style
    document.add_paragraph("by A. Writer")
    document.add_paragraph("For my mother")
    document.add_heading("Chapter 1", level=1)
    document.add_paragraph("It began.")
    document.save(tmp_path / "untitled draft.docx")
    plan = plan_import(tmp_path / "untitled draft.docx")
    assert plan.title == "The Long Road"
    assert [(s.kind, s.title, paragraphs(s.text)) for s in plan.sections] == [
        ("note", "Front matter", ["by A. Writer", "For my mother"]), ("chapter", "Chapter 1", ["It began."])]


def test_an_epub_without_a_table_of_contents_is_cut_at_its_headings(tmp_path, red_chamber):
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("no-toc")
    book.set_title("红楼梦")
    book.set_language("zh")
    items = []
    for number, chapter in enumerate(red_chamber[:3]):
        item = epub.EpubHtml(title="", file_name=f"c{number}.xhtml")
        item.content = (f"<html><body><h1>{chapter.title}</h1>"
                        + "".join(f"<p>{p}</p>" for p in chapter.visible) + "</body></html>")
        book.add_item(item)
        items.append(item)
    book.add_item(epub.EpubNcx())  # an NCX with no entries
    book.spine = items
    epub.write_epub(str(tmp_path / "plain.epub"), book)
    plan = plan_import(tmp_path / "plain.epub")
    _assert_same_book(plan, red_chamber[:3])
