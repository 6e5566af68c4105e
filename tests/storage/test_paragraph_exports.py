"""Every export writes the paragraphs the author sees: a chapter typed with Enter comes out one
paragraph per line, an indented Chinese chapter is prose (no code block), and a selection of
documents can be exported on its own."""

from __future__ import annotations

import re

import markdown
import pytest

from writer_app.errors import UserError
from writer_app.storage.exporter import (
    FORMATS,
    export_document,
    export_documents,
    export_project,
    register_format,
)
from writer_app.storage.importer import import_path
from writer_app.text.manuscript import paragraphs

TYPED = "She opened the door.\nThe hall was dark.\n“Hello?” she called.\nNobody answered."
CHINESE = ("\u3000\u3000却说那日，甄士隐在书房闲坐。\n\u3000\u3000至手倦抛书，伏几少憩。\n"
           "    不觉朦胧睡去，梦至一处。\n\u3000\u3000忽见那厢来了一僧一道。")


def _html_paragraphs(page: str) -> list[str]:
    return re.findall(r"<p(?: class=\"indent\")?>(.*?)</p>", page)


@pytest.fixture
def typed(lib, project):
    return lib.create_node(project.id, "chapter", "Arrival", text=TYPED)


def test_a_chapter_typed_with_enter_exports_one_paragraph_per_line(lib, project, typed, tmp_path):
    lines = TYPED.split("\n")
    page = export_project(lib, project.id, "html", tmp_path / "book.html").read_text(encoding="utf-8")
    assert _html_paragraphs(page) == lines
    md = export_project(lib, project.id, "md", tmp_path / "book.md").read_text(encoding="utf-8")
    assert re.findall(r"<p>(.*?)</p>", markdown.markdown(md)) == lines  # as another Markdown tool reads it
    body = md.split("# Arrival\n\n", 1)[1]
    assert body == "\n\n".join(lines) + "\n"
    txt = export_project(lib, project.id, "txt", tmp_path / "book.txt").read_text(encoding="utf-8")
    assert txt.split("Arrival\n=======\n\n", 1)[1] == "\n\n".join(lines) + "\n"


def test_an_indented_chinese_chapter_exports_as_prose_not_code(lib, tmp_path):
    project = lib.create_project("红楼梦", language="zh")
    lib.create_node(project.id, "chapter", "第一回", text=CHINESE)
    page = export_project(lib, project.id, "html", tmp_path / "hlm.html").read_text(encoding="utf-8")
    assert "<pre" not in page and "<code" not in page
    assert page.count("<p") == 4 and _html_paragraphs(page) == paragraphs(CHINESE)
    assert page.count('<p class="indent">') == 4 and "text-indent" in page
    md = export_project(lib, project.id, "md", tmp_path / "hlm.md").read_text(encoding="utf-8")
    rendered = markdown.markdown(md.split("---\n", 2)[2])
    assert "<pre" not in rendered and rendered.count("<p>") == 4
    assert "\u3000\u3000却说那日" in md  # the ideographic indent is text to Markdown, so it is kept


def test_scene_breaks_emphasis_and_markup_looking_text(lib, project, tmp_path):
    text = "She *ran*.\n* * *\n# not a heading\n**Late**, <b>not bold</b> & [not a link](x)\n#\nEnd."
    lib.create_node(project.id, "chapter", "Run", text=text)
    page = export_project(lib, project.id, "html", tmp_path / "b.html").read_text(encoding="utf-8")
    body = page.split("<h1>Run</h1>\n", 1)[1].split("\n</body>", 1)[0]
    assert body.split("\n") == [
        "<p>She <em>ran</em>.</p>", '<p class="scene-break">* * *</p>', "<p># not a heading</p>",
        "<p><strong>Late</strong>, &lt;b&gt;not bold&lt;/b&gt; &amp; [not a link](x)</p>",
        '<p class="scene-break">#</p>', "<p>End.</p>"]
    txt = export_project(lib, project.id, "txt", tmp_path / "b.txt").read_text(encoding="utf-8")
    assert "She *ran*.\n\n* * *\n\n# not a heading\n\n**Late**, <b>not bold</b> & [not a link](x)\n\n* * *\n\nEnd." in txt


def test_plain_text_titles_are_setext_headings(lib, project, tmp_path):
    part = lib.create_node(project.id, "folder", "Part One")
    lib.create_node(project.id, "chapter", "第一章", parent_id=part.id, text="Words.")
    txt = export_project(lib, project.id, "txt", tmp_path / "b.txt").read_text(encoding="utf-8")
    assert txt == "The Novel\nby A. Writer\n\n\nPart One\n========\n\n第一章\n------\n\nWords.\n"


# -- a selection ------------------------------------------------------------------------------------

@pytest.fixture
def book(lib, project):
    one = lib.create_node(project.id, "chapter", "One", text="First.")
    part = lib.create_node(project.id, "folder", "Part Two")
    two = lib.create_node(project.id, "chapter", "Two", parent_id=part.id, text="Second.")
    three = lib.create_node(project.id, "chapter", "Three", parent_id=part.id, text="Third.")
    four = lib.create_node(project.id, "chapter", "Four", text="Fourth.")
    return {"one": one, "part": part, "two": two, "three": three, "four": four}


def test_a_selection_exports_in_binder_order_with_each_subtree_once(lib, project, book, tmp_path):
    out = export_documents(lib, [book["four"].id, book["part"].id, book["three"].id, book["one"].id], "md",
                           tmp_path / "sel.md")
    text = out.read_text(encoding="utf-8")
    assert re.findall(r"(?m)^#+ .*$", text) == ["# One", "# Part Two", "## Two {.chapter}", "## Three {.chapter}", "# Four"]
    again = import_path(lib, out)
    assert again.title == "The Novel (2)" and again.author == "A. Writer"
    assert [(n.title, paragraphs(lib.get_text(n.id))) for n in lib.nodes(again.id)] == [
        ("One", ["First."]), ("Part Two", []), ("Two", ["Second."]), ("Three", ["Third."]), ("Four", ["Fourth."])]
    only = export_documents(lib, [book["three"].id, book["two"].id], "html", tmp_path / "two.html")
    page = only.read_text(encoding="utf-8")
    assert "<h1>Two</h1>" in page and "<h1>Three</h1>" in page and page.index("Two") < page.index("Three")
    assert "First." not in page and "Fourth." not in page


def test_a_selection_refuses_the_trash_other_projects_and_nothing(lib, project, book, tmp_path):
    lib.trash_node(book["part"].id)
    with pytest.raises(UserError, match="^“Two” is in the trash; restore it before exporting$"):
        export_documents(lib, [book["one"].id, book["two"].id], "md", tmp_path / "x.md")
    other = lib.create_project("Other")
    stranger = lib.create_node(other.id, "chapter", "Elsewhere", text="x")
    with pytest.raises(UserError, match="different projects"):
        export_documents(lib, [book["one"].id, stranger.id], "md", tmp_path / "x.md")
    with pytest.raises(UserError, match="at least one"):
        export_documents(lib, [], "md", tmp_path / "x.md")
    (tmp_path / "kept.md").write_text("the author's file", encoding="utf-8")
    with pytest.raises(UserError, match="already exists"):
        export_documents(lib, [book["one"].id], "md", tmp_path / "kept.md")
    assert (tmp_path / "kept.md").read_text(encoding="utf-8") == "the author's file"
    assert export_documents(lib, [book["one"].id], "md", tmp_path / "kept.md", overwrite=True)
    assert not (tmp_path / "x.md").exists()


def test_a_format_is_one_function_in_the_table(lib, project, book, tmp_path, monkeypatch):
    """How the docx/epub/odt writers plug in: register a render function, bytes or text."""
    seen = []

    def render(lib_, project_, items, title, with_meta):
        seen.append(([node.title for node, _ in items], title, with_meta))
        return b"PK\x03\x04 not really a zip"

    monkeypatch.setitem(FORMATS, "fake", render)
    register_format("fake", render)
    out = export_document(lib, book["part"].id, "fake", tmp_path / "part.fake")
    assert out.read_bytes() == b"PK\x03\x04 not really a zip"
    assert seen == [(["Part Two", "Two", "Three"], "Part Two", False)]
