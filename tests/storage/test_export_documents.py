"""Export a selection: the chosen documents with what is under them, in binder order, once each."""

from __future__ import annotations

import pytest

from writer_app.errors import UserError
from writer_app.storage.exporter import export_documents
from writer_app.storage.importer import import_path
from writer_app.text.manuscript import paragraphs


@pytest.fixture
def book(lib, project):
    ids = {}
    ids["part"] = lib.create_node(project.id, "folder", "Part One").id
    ids["one"] = lib.create_node(project.id, "chapter", "One", parent_id=ids["part"], text="The lamp was lit.").id
    ids["a"] = lib.create_node(project.id, "scene", "Dusk", parent_id=ids["one"], text="The boat came in.").id
    ids["two"] = lib.create_node(project.id, "chapter", "Two", text="The ship came home.").id
    ids["three"] = lib.create_node(project.id, "chapter", "Three", text="Morning broke.").id
    return ids


def test_the_chosen_documents_in_binder_order_with_their_children_once(lib, book, tmp_path):
    out = export_documents(lib, [book["three"], book["a"], book["part"]], "md", tmp_path / "sel.md")
    text = out.read_text(encoding="utf-8")
    assert [line.split(" {")[0] for line in text.splitlines() if line.startswith("#")] == [
        "# Part One", "## One", "### Dusk", "# Three"]
    assert text.count("The boat came in.") == 1 and "The ship came home." not in text


def test_a_selection_round_trips_through_import(lib, book, tmp_path):
    out = export_documents(lib, [book["two"], book["one"]], "md", tmp_path / "sel.md")
    project = import_path(lib, out, project_title="Again")
    nodes = lib.nodes(project.id)
    assert [n.title for n in nodes] == ["One", "Dusk", "Two"]
    assert [p for n in nodes for p in paragraphs(lib.get_text(n.id))] == [
        "The lamp was lit.", "The boat came in.", "The ship came home."]


def test_trashed_empty_and_other_projects_are_refused_in_one_line(lib, book, tmp_path):
    lib.trash_node(book["two"])
    with pytest.raises(UserError, match="“Two” is in the trash"):
        export_documents(lib, [book["one"], book["two"]], "txt", tmp_path / "x.txt")
    with pytest.raises(UserError, match="choose at least one"):
        export_documents(lib, [], "txt", tmp_path / "x.txt")
    other = lib.create_project("Other")
    stray = lib.create_node(other.id, "chapter", "Stray").id
    with pytest.raises(UserError, match="different projects"):
        export_documents(lib, [book["one"], stray], "txt", tmp_path / "x.txt")
    with pytest.raises(UserError, match="unknown export format"):
        export_documents(lib, [book["one"]], "docx-ish", tmp_path / "x.docx")
    assert not list(tmp_path.glob("x.*"))
