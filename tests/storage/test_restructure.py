"""Split, merge, duplicate and move a scene, and undo each, on a real SQLite library."""

from __future__ import annotations

import pytest

from writer_app.errors import UserError


@pytest.fixture
def chapters(lib, project):
    one = lib.create_node(project.id, "chapter", "One")
    two = lib.create_node(project.id, "chapter", "Two")
    return one, two


def scene(lib, project, parent, title, text):
    return lib.create_node(project.id, "scene", title, parent_id=parent.id, text=text)


def titles_under(lib, project, parent_id):
    return [(n.title, lib.get_text(n.id)) for n in lib.nodes(project.id) if n.parent_id == parent_id]


def test_split_at_an_offset_makes_the_rest_a_new_scene_after_it_and_undo_puts_it_back(lib, project, chapters):
    one, _two = chapters
    text = "The rain began at noon.\n\nBy evening the river had risen."
    first = scene(lib, project, one, "Flood", text)
    scene(lib, project, one, "Morning", "Sun.")
    step = lib.split_node(first.id, text.index("By evening"))
    assert titles_under(lib, project, one.id) == [
        ("Flood", "The rain began at noon."), ("Flood (2)", "By evening the river had risen."), ("Morning", "Sun.")]
    assert [r.reason for r in lib.revisions(first.id)][0] == "before split"
    assert lib.search(project.id, "river")[0].node_id == step.focus  # the index follows the text
    assert lib.undo_restructure(step) == first.id
    assert titles_under(lib, project, one.id) == [("Flood", text), ("Morning", "Sun.")]


def test_split_needs_words_on_both_sides(lib, project, chapters):
    first = scene(lib, project, chapters[0], "Flood", "Only words.")
    with pytest.raises(UserError, match="words before and after"):
        lib.split_node(first.id, 0)
    assert lib.get_text(first.id) == "Only words."


def test_merge_joins_in_binder_order_trashes_the_others_and_undo_restores_all(lib, project, chapters):
    one, _two = chapters
    a = scene(lib, project, one, "A", "First part.")
    b = scene(lib, project, one, "B", "Second part.")
    c = scene(lib, project, one, "C", "Third part.")
    step = lib.merge_nodes([c.id, a.id, b.id])
    assert titles_under(lib, project, one.id) == [("A", "First part.\n\nSecond part.\n\nThird part.")]
    assert {n.title for n in lib.trashed_nodes(project.id)} == {"B", "C"}
    assert lib.revisions(a.id)[0].reason == "before merge"
    lib.undo_restructure(step)
    assert titles_under(lib, project, one.id) == [("A", "First part."), ("B", "Second part."), ("C", "Third part.")]
    assert lib.trashed_nodes(project.id) == []


def test_merge_needs_two_scenes(lib, project, chapters):
    a = scene(lib, project, chapters[0], "A", "First part.")
    with pytest.raises(UserError, match="two or more"):
        lib.merge_nodes([a.id])


def test_duplicate_and_undo(lib, project, chapters):
    a = scene(lib, project, chapters[0], "A", "Words.")
    step = lib.duplicate_node(a.id)
    assert titles_under(lib, project, chapters[0].id) == [("A", "Words."), ("A (copy)", "Words.")]
    lib.undo_restructure(step)
    assert titles_under(lib, project, chapters[0].id) == [("A", "Words.")]


def test_undo_keeps_words_written_in_a_made_scene_since(lib, project, chapters):
    first = scene(lib, project, chapters[0], "Flood", "Before. After.")
    step = lib.split_node(first.id, 8)
    lib.save_text(step.focus, "After. And a new line the author wrote.")
    lib.undo_restructure(step)
    assert titles_under(lib, project, chapters[0].id) == [("Flood", "Before. After.")]
    kept = lib.trashed_nodes(project.id)
    assert [lib.get_text(n.id) for n in kept] == ["After. And a new line the author wrote."]


def test_move_to_another_chapter_appends_it_there_and_undo_puts_it_back_in_place(lib, project, chapters):
    one, two = chapters
    a = scene(lib, project, one, "A", "a")
    scene(lib, project, one, "B", "b")
    scene(lib, project, two, "C", "c")
    step = lib.move_to_parent(a.id, two.id)
    assert [t for t, _ in titles_under(lib, project, one.id)] == ["B"]
    assert [t for t, _ in titles_under(lib, project, two.id)] == ["C", "A"]
    lib.undo_restructure(step)
    assert [t for t, _ in titles_under(lib, project, one.id)] == ["A", "B"]
    assert [t for t, _ in titles_under(lib, project, two.id)] == ["C"]


def test_a_scene_cannot_move_into_a_scene(lib, project, chapters):
    a = scene(lib, project, chapters[0], "A", "a")
    b = scene(lib, project, chapters[0], "B", "b")
    with pytest.raises(UserError, match="chapter or a folder"):
        lib.move_to_parent(a.id, b.id)


def test_a_chapter_with_scenes_is_not_merged_away_and_a_folder_is_not_merged(lib, project, chapters):
    one, two = chapters
    scene(lib, project, two, "Inside", "Kept.")
    with pytest.raises(UserError, match="has scenes inside it"):
        lib.merge_nodes([one.id, two.id])
    folder = lib.create_node(project.id, "folder", "Research")
    with pytest.raises(UserError, match="can be merged"):
        lib.merge_nodes([one.id, folder.id])
    assert [n.title for n in lib.nodes(project.id)] == ["One", "Two", "Inside", "Research"]
    assert lib.trashed_nodes(project.id) == []
