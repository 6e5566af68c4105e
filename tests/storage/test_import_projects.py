"""Scrivener and novelWriter projects: folders laid out as those programs lay them out, imported
as one project each (never walked as a folder of files), with the book's structure from their
binders and the text of every document."""

from __future__ import annotations

import pytest

from tests.storage.format_files import (
    BinderItem,
    NwItem,
    hongloumeng,
    nw_markup,
    pride,
    visible,
    write_novelwriter,
    write_scrivener,
)
from writer_app.cli import main
from writer_app.errors import UserError
from writer_app.storage.importer import import_plan, plan_import
from writer_app.text.manuscript import paragraphs


def _halves(paragraphs_: list[str]) -> tuple[list[str], list[str]]:
    middle = len(paragraphs_) // 2
    return paragraphs_[:middle], paragraphs_[middle:]


def _scrivener_novel(folder, chapters, research: bool = True, lose: str | None = None):
    """Draft > one folder per chapter > two scene texts; Research and Trash beside it."""
    draft = []
    for chapter in chapters:
        first, second = _halves(chapter.paragraphs)
        scenes = [BinderItem("Scene 1", paragraphs=first), BinderItem("Scene 2", paragraphs=second)]
        draft.append(BinderItem(chapter.title, "Folder", children=scenes))
    if lose:
        for chapter in draft:
            if chapter.title == lose:
                chapter.children[1].paragraphs = None
    items = [BinderItem("Draft", "DraftFolder", children=draft)]
    if research:
        items.append(BinderItem("Research", "ResearchFolder", children=[
            BinderItem("Longbourn", paragraphs=["A house in Hertfordshire."]),
            BinderItem("map.pdf", "PDF")]))
    items.append(BinderItem("Trash", "TrashFolder", children=[BinderItem("Cut scene", paragraphs=["Gone."])]))
    return write_scrivener(folder, items)


@pytest.mark.parametrize("book", [pride, hongloumeng], ids=["english", "chinese"])
def test_a_scrivener_project_comes_in_as_its_binder(tmp_path, book):
    chapters = book(4)
    project = _scrivener_novel(tmp_path / "My Novel.scriv", chapters)
    plan = plan_import(project)
    assert plan.title == "My Novel"
    book_sections, research = plan.sections[:-1], plan.sections[-1]
    assert [(s.kind, s.title) for s in book_sections] == [("chapter", c.title) for c in chapters]
    for section, chapter in zip(book_sections, chapters, strict=True):
        first, second = _halves(chapter.paragraphs)
        assert [(s.kind, s.title) for s in section.children] == [("scene", "Scene 1"), ("scene", "Scene 2")]
        assert paragraphs(section.children[0].text) == visible(first)
        assert paragraphs(section.children[1].text) == visible(second)
    assert (research.kind, research.title) == ("folder", "Research")
    assert [(n.kind, n.title, n.text) for n in research.children] == [("note", "Longbourn", "A house in Hertfordshire.")]
    assert any("Trash (1 document)" in note for note in plan.notes)
    assert any("1 research file" in note for note in plan.notes)


def test_scrivener_keeps_italics(tmp_path):
    chapters = pride(1)
    plan = plan_import(_scrivener_novel(tmp_path / "P.scriv", chapters, research=False))
    assert "*You*" in plan.sections[0].children[0].text


def test_a_scrivener_text_without_its_file_comes_in_empty_and_is_named(tmp_path, lib):
    chapters = pride(3)
    plan = plan_import(_scrivener_novel(tmp_path / "P.scriv", chapters, lose="Chapter 2"))
    lost = plan.sections[1].children[1]
    assert (lost.title, lost.text) == ("Scene 2", "")
    assert any("1 document of the Draft has no text file" in note and "“Scene 2”" in note for note in plan.notes)
    project = import_plan(lib, plan)
    assert len([n for n in lib.nodes(project.id) if n.kind == "scene"]) == 6  # the placeholder is kept


def test_a_scrivener_project_copied_without_its_files_is_refused(tmp_path):
    project = _scrivener_novel(tmp_path / "P.scriv", pride(2))
    import shutil

    shutil.rmtree(project / "Files")
    with pytest.raises(UserError, match=r"P\.scriv has none of its documents' text files"):
        plan_import(project)


def test_choosing_the_scrivx_file_imports_its_project(tmp_path):
    project = _scrivener_novel(tmp_path / "P.scriv", pride(2))
    assert [s.title for s in plan_import(project / "P.scrivx").sections[:2]] == ["Chapter 1", "Chapter 2"]


def test_a_scriv_folder_inside_a_folder_is_one_project(tmp_path):
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    _scrivener_novel(shelf / "P.scriv", pride(2), research=False)
    (shelf / "notes.txt").write_text("A note about the book.\n", encoding="utf-8")
    plan = plan_import(shelf)
    assert [(s.kind, s.title) for s in plan.sections] == [("chapter", "notes"), ("folder", "P")]
    assert [c.title for c in plan.sections[1].children] == ["Chapter 1", "Chapter 2"]


def _novelwriter_novel(folder, chapters, title="Pride and Prejudice", author="Jane Austen", language="en_GB"):
    novel_files = [NwItem("Title Page", text=f"#! {title}\n\n>> By {author} <<\n")]
    for chapter in chapters:
        first, second = _halves(chapter.paragraphs)
        scenes = [NwItem("Scene A", text="### Scene A\n\n@pov: Elizabeth\n\n%synopsis: what happens.\n\n"
                         + "\n\n".join(nw_markup(p) for p in first) + "\n"),
                  NwItem("Scene B", text="### Scene B\n\n" + "\n\n".join(nw_markup(p) for p in second) + "\n")]
        novel_files.append(NwItem(chapter.title, text=f"## {chapter.title}\n\n% a comment\n", children=scenes))
    roots = [NwItem("Novel", "ROOT", children=[NwItem("Act One", "FOLDER", children=novel_files)]),
             NwItem("Characters", "ROOT", "CHARACTER", children=[
                 NwItem("Elizabeth", klass="CHARACTER", layout="NOTE", text="# Elizabeth\n\n@tag: Lizzy\n\nClever.\n")]),
             NwItem("Trash", "ROOT", "TRASH", children=[NwItem("Old", klass="NOVEL", text="## Old\n\nCut.\n")])]
    return write_novelwriter(folder, roots, title, author, language)


@pytest.mark.parametrize("book", [pride, hongloumeng], ids=["english", "chinese"])
def test_a_novelwriter_project_comes_in_by_its_headings(tmp_path, book):
    chapters = book(4)
    plan = plan_import(_novelwriter_novel(tmp_path / "novel", chapters,
                                          language="en_GB" if book is pride else "zh_CN"))
    assert (plan.title, plan.author, plan.language) == ("Pride and Prejudice", "Jane Austen",
                                                        "en" if book is pride else "zh")
    front, *book_sections, characters = plan.sections
    assert (front.kind, front.title, paragraphs(front.text)) == ("note", "Front matter",
                                                                  ["Pride and Prejudice", "By Jane Austen"])
    assert [(s.kind, s.title) for s in book_sections] == [("chapter", c.title) for c in chapters]
    for section, chapter in zip(book_sections, chapters, strict=True):
        first, second = _halves(chapter.paragraphs)
        assert section.text == ""  # the comment is not text
        assert [(s.kind, s.title) for s in section.children] == [("scene", "Scene A"), ("scene", "Scene B")]
        assert paragraphs(section.children[0].text) == visible(first)
        assert paragraphs(section.children[1].text) == visible(second)
    assert [(n.kind, n.title, n.text) for n in characters.children] == [("note", "Elizabeth", "Clever.")]
    assert any("Archive and Trash (1 document)" in note for note in plan.notes)


def test_novelwriter_markup_becomes_the_paragraph_model(tmp_path):
    text = ("## Chapter One\n\n### The Ball\n\n"
            "She was **very** _cross_ and [i]tired[/i]. A ~~struck~~ word, a \\_literal\\_ underscore.\n\n"
            "A line\nbroken in two.\n\n#### A hidden section\n\nAfter the section.\n\n[newpage]\n\n"
            ">> Centred <<\n")
    roots = [NwItem("Novel", "ROOT", children=[NwItem("Chapter One", text=text)])]
    plan = plan_import(write_novelwriter(tmp_path / "nw", roots, "T", "A"))
    scene = plan.sections[0].children[0]
    assert scene.text.split("\n\n") == [
        "She was **very** *cross* and *tired*. A struck word, a \\_literal\\_ underscore.",
        "A line", "broken in two.", "* * *", "After the section.", "Centred"]
    assert paragraphs(scene.text)[0] == "She was very cross and tired. A struck word, a _literal_ underscore."


def test_novelwriter_dry_run_prints_the_outline(tmp_path, capsys):
    project = _novelwriter_novel(tmp_path / "novel", pride(2))
    assert main(["--data-dir", str(tmp_path / "profile"), "import", str(project), "--dry-run"]) == 0
    lines = [line.split("\t")[:2] for line in capsys.readouterr().out.splitlines()]
    assert lines == [["note", "Front matter"], ["chapter", "Chapter 1"], ["  scene", "Scene A"],
                     ["  scene", "Scene B"], ["chapter", "Chapter 2"], ["  scene", "Scene A"],
                     ["  scene", "Scene B"], ["folder", "Characters"], ["  note", "Elizabeth"]]
    assert not (tmp_path / "profile").exists()


def test_a_scrivener_2_project_reads_files_docs(tmp_path):
    from tests.storage.format_files import cocoa_rtf

    project = tmp_path / "Old.scriv"
    (project / "Files" / "Docs").mkdir(parents=True)
    (project / "Old.scrivx").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ScrivenerProject Version="1.0" Creator="SCRWIN-2.9">\n<Binder>\n'
        '<BinderItem ID="0" Type="DraftFolder"><Title>Manuscript</Title><Children>\n'
        '<BinderItem ID="7" Type="Text"><Title>Opening</Title></BinderItem>\n'
        '<BinderItem ID="8" Type="Text"><Title>Ending</Title></BinderItem>\n'
        "</Children></BinderItem>\n"
        '<BinderItem ID="1" Type="ResearchFolder"><Title>Research</Title></BinderItem>\n'
        "</Binder>\n</ScrivenerProject>\n", encoding="utf-8")
    (project / "Files" / "Docs" / "7.rtf").write_text(cocoa_rtf(["It began _here_.", "Then more."]), encoding="ascii")
    (project / "Files" / "Docs" / "8.rtf").write_text(cocoa_rtf(["It ended."]), encoding="ascii")
    plan = plan_import(project)
    assert [(s.kind, s.title, s.text) for s in plan.sections] == [
        ("chapter", "Opening", "It began *here*.\n\nThen more."), ("chapter", "Ending", "It ended.")]


def test_a_novelwriter_1_project_file(tmp_path):
    project = tmp_path / "old"
    (project / "content").mkdir(parents=True)
    (project / "nwProject.nwx").write_text(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<novelWriterXML appVersion="1.5" fileVersion="1.3">\n  <project>\n    <name>Sample</name>\n'
        "    <title>Sample Project</title>\n    <author>Jane Smith</author>\n    <author>Jay Doh</author>\n"
        "  </project>\n  <settings>\n    <language>en</language>\n  </settings>\n  <content count=\"3\">\n"
        '    <item handle="7031beac91f75" order="0" parent="None">\n      <name>Novel</name>\n'
        "      <type>ROOT</type>\n      <class>NOVEL</class>\n    </item>\n"
        '    <item handle="6a2d6d5f4f401" order="0" parent="7031beac91f75">\n      <name>Chapter One</name>\n'
        "      <type>FILE</type>\n      <class>NOVEL</class>\n      <exported>True</exported>\n"
        "      <layout>DOCUMENT</layout>\n    </item>\n"
        '    <item handle="636b6aa9b697b" order="1" parent="7031beac91f75">\n      <name>Cut</name>\n'
        "      <type>FILE</type>\n      <class>NOVEL</class>\n      <exported>False</exported>\n"
        "      <layout>DOCUMENT</layout>\n    </item>\n  </content>\n</novelWriterXML>\n", encoding="utf-8")
    (project / "content" / "6a2d6d5f4f401.nwd").write_text(
        "%%~name: Chapter One\n## Chapter One\n\nIt was **late**.\n", encoding="utf-8")
    (project / "content" / "636b6aa9b697b.nwd").write_text("## Cut\n\nNot built.\n", encoding="utf-8")
    plan = plan_import(project / "nwProject.nwx")
    assert (plan.title, plan.author, plan.language) == ("Sample Project", "Jane Smith, Jay Doh", "en")
    assert [(s.kind, s.title, s.text) for s in plan.sections] == [("chapter", "Chapter One", "It was **late**.")]
    assert any("1 inactive document" in note for note in plan.notes)


def test_a_project_given_as_dot_is_named_after_its_folder(tmp_path, monkeypatch):
    project = _scrivener_novel(tmp_path / "Named.scriv", pride(1), research=False)
    monkeypatch.chdir(project)
    plan = plan_import(".")
    assert plan.title == "Named"
    assert plan.sections[0].title == "Chapter 1"


def test_draft_documents_left_out_of_compile_come_in_as_notes(tmp_path):
    project = write_scrivener(tmp_path / "C.scriv", [BinderItem("Draft", "DraftFolder", children=[
        BinderItem("One", paragraphs=["Kept."]), BinderItem("Idea", paragraphs=["Maybe later."])])])
    scrivx = project / "C.scrivx"
    xml = scrivx.read_text(encoding="utf-8")
    at = xml.index("<Title>Idea</Title>")
    scrivx.write_text(xml[:at] + xml[at:].replace("<IncludeInCompile>Yes", "<IncludeInCompile>No", 1), encoding="utf-8")
    plan = plan_import(project)
    assert [(s.kind, s.title) for s in plan.sections] == [("chapter", "One"), ("note", "Idea")]
