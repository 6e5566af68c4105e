"""Projects go to a recoverable trash, and duplicate whole."""

from __future__ import annotations

import pytest

from writer_app.errors import UserError


def test_a_trashed_project_is_hidden_whole_and_comes_back_whole(lib, project):
    other = lib.create_project("Other")
    node = lib.create_node(project.id, "chapter", "One", text="Every word kept.")
    lib.add_bible_entry(project.id, "character", "Mara")
    lib.trash_project(project.id)
    assert [s.project.title for s in lib.list_projects()] == ["Other"]
    assert [s.project.title for s in lib.list_projects(trashed=True)] == ["The Novel"]
    assert lib.find_project("The Novel") is None  # imports and the CLI never meet it
    lib.restore_project(project.id)
    assert [s.project.title for s in lib.list_projects()] == ["Other", "The Novel"]
    assert lib.get_text(node.id) == "Every word kept."
    assert [e.name for e in lib.bible_entries(project.id)] == ["Mara"]
    assert lib.list_projects(trashed=True) == []
    assert other.id != project.id


def test_the_last_live_project_cannot_go_to_the_trash(lib, project):
    with pytest.raises(UserError, match="only project"):
        lib.trash_project(project.id)
    assert [s.project.id for s in lib.list_projects()] == [project.id]


def test_duplicate_copies_tree_texts_summaries_bible_and_goals(lib, project):
    part = lib.create_node(project.id, "folder", "Part One")
    later = lib.create_node(project.id, "chapter", "Later", text="记得宝玉 😀 and more.")
    first = lib.create_node(project.id, "chapter", "First", parent_id=part.id, text="The first words.")
    lib.move_node(later.id, part.id, 1)  # a parent created before, a child moved under it later
    lib.set_summary(first.id, "It begins.", approved=True)
    lib.add_bible_entry(project.id, "place", "Inish Rock", description="The far light.")
    lib.set_goals(project.id, daily_words=700, deadline="2027-03-01")
    copy = lib.duplicate_project(project.id)
    assert copy.title == "The Novel (copy)" and copy.id != project.id
    original = [(n.kind, n.title, n.word_count) for n in lib.nodes(project.id)]
    assert [(n.kind, n.title, n.word_count) for n in lib.nodes(copy.id)] == original
    copied = {n.title: n for n in lib.nodes(copy.id)}
    assert copied["Later"].parent_id == copied["Part One"].id
    assert lib.get_text(copied["Later"].id) == "记得宝玉 😀 and more."
    assert lib.summary(copied["First"].id).approved
    assert [e.name for e in lib.bible_entries(copy.id)] == ["Inish Rock"]
    assert lib.goals(copy.id).daily_words == 700
    assert lib.project_word_count(copy.id) == lib.project_word_count(project.id)
    assert lib.search(copy.id, "first words")  # the copy's texts are indexed
    lib.save_text(copied["First"].id, "Changed in the copy only.")
    assert lib.get_text(first.id) == "The first words."
    assert lib.duplicate_project(project.id, title="Draft B").title == "Draft B"
    assert lib.integrity_check() == ["ok"]
