"""The import preview's edits: merge, split, rename and re-kind sections before anything is written."""

from __future__ import annotations

import pytest

from writer_app.errors import UserError
from writer_app.storage import import_edits
from writer_app.storage.gutenberg import Section
from writer_app.storage.importer import import_plan, plan_import
from writer_app.text.manuscript import paragraphs


def _book() -> list[Section]:
    return [
        Section("Front matter", "PRIDE AND PREJUDICE\n\nBy Jane Austen", "note"),
        Section("Chapter 1", "It is a truth universally acknowledged.\n\nHowever little known.\n\nI"),
        Section("Chapter 2", "Mr. Bennet was among the earliest.\n\nCHAPTER III.\n\nNot all that Mrs. Bennet."),
        Section("Part Two", "", "folder", [
            Section("Chapter 4", "When Jane and Elizabeth were alone."),
            Section("Chapter 5", "Within a short walk of Longbourn."),
        ]),
    ]


def _all_paragraphs(sections: list[Section]) -> list[str]:
    return [p for _path, s in import_edits.walk(sections) for p in paragraphs(s.text)]


def test_walk_is_the_outline_order_with_paths():
    assert [(path, s.title) for path, s in import_edits.walk(_book())] == [
        ((0,), "Front matter"), ((1,), "Chapter 1"), ((2,), "Chapter 2"), ((3,), "Part Two"),
        ((3, 0), "Chapter 4"), ((3, 1), "Chapter 5")]


def test_merge_keeps_both_texts_in_order_and_the_next_title_as_a_line():
    book = _book()
    merged = import_edits.merge_with_next(book, (1,))
    assert [s.title for s in book] == ["Front matter", "Chapter 1", "Part Two"]
    assert paragraphs(merged.text) == ["It is a truth universally acknowledged.", "However little known.", "I",
                                       "Chapter 2", "Mr. Bennet was among the earliest.", "CHAPTER III.",
                                       "Not all that Mrs. Bennet."]


def test_merging_scenes_puts_a_scene_break_where_the_second_began():
    scenes = [Section("Chapter 1", "", "chapter", [Section("Scene 1", "Morning.", "scene"),
                                                    Section("Scene 2", "Evening.", "scene")])]
    merged = import_edits.merge_with_next(scenes, (0, 0))
    assert merged.text == "Morning.\n\n* * *\n\nEvening."
    assert len(scenes[0].children) == 1


def test_merging_a_chapter_with_scenes_keeps_the_reading_order():
    book = [Section("One", "", "chapter", [Section("a", "First.", "scene")]),
            Section("Two", "Second.", "chapter", [Section("b", "Third.", "scene")])]
    before = ["First.", "Two", "Second.", "Third."]
    import_edits.merge_with_next(book, (0,))
    assert len(book) == 1 and [c.title for c in book[0].children] == ["a", "b"]
    assert _all_paragraphs(book) == before


def test_merging_the_last_or_a_folder_with_a_chapter_is_refused_in_one_line():
    book = _book()
    with pytest.raises(UserError, match="no next chapter"):
        import_edits.merge_with_next(book, (3, 1))
    with pytest.raises(UserError, match="folder"):
        import_edits.merge_with_next(book, (2,))
    assert [s.title for s in book] == [s.title for s in _book()]


def test_split_at_a_missed_heading_makes_it_the_new_chapters_title():
    book = _book()
    new = import_edits.split_at_paragraph(book, (2,), 1, line_is_title=True)
    assert [s.title for s in book[:4]] == ["Front matter", "Chapter 1", "Chapter 2", "CHAPTER III."]
    assert book[2].text == "Mr. Bennet was among the earliest."
    assert new.text == "Not all that Mrs. Bennet." and new.kind == "chapter"


def test_split_without_the_heading_keeps_every_paragraph():
    book = _book()
    before = _all_paragraphs(book)
    new = import_edits.split_at_paragraph(book, (1,), 2, title="  The  lone  I ")
    assert new.title == "The lone I" and paragraphs(new.text) == ["I"]
    assert _all_paragraphs(book) == before
    default = import_edits.split_at_paragraph(book, (1,), 1)
    assert default.title == "Chapter 1 (continued)"


def test_split_takes_the_children_to_the_second_part():
    book = [Section("One", "Intro.\n\nMore.", "chapter", [Section("a", "Scene text.", "scene")])]
    import_edits.split_at_paragraph(book, (0,), 1)
    assert book[0].children == [] and [c.title for c in book[1].children] == ["a"]


@pytest.mark.parametrize("paragraph", [0, 3, -1, 99])
def test_split_outside_the_text_is_refused(paragraph):
    book = _book()
    with pytest.raises(UserError, match="paragraph after the first"):
        import_edits.split_at_paragraph(book, (1,), paragraph)
    with pytest.raises(UserError, match="folder has no text"):
        import_edits.split_at_paragraph(book, (3,), 1)


def test_rename_and_set_kind():
    book = _book()
    assert import_edits.rename(book, (1,), " A\nTruth ").title == "A Truth"
    assert import_edits.set_kind(book, (2,), "scene").kind == "scene"
    assert import_edits.mark_front_matter(book, (3, 0)).kind == "note"
    assert book[3].children[0].title == "Front matter"
    with pytest.raises(UserError, match="cannot be empty"):
        import_edits.rename(book, (1,), "  ")
    with pytest.raises(UserError, match="chapter, a scene or a note"):
        import_edits.set_kind(book, (1,), "poem")
    with pytest.raises(UserError, match="cannot become a document"):
        import_edits.set_kind(book, (3,), "chapter")
    with pytest.raises(UserError, match="no longer in the plan"):
        import_edits.rename(book, (9,), "x")


def test_first_line_looks_into_the_first_child():
    assert import_edits.first_line(_book()[3]) == "When Jane and Elizabeth were alone."
    assert import_edits.first_line(Section("Empty", "")) == ""


def test_an_edited_plan_of_pride_and_prejudice_is_imported_as_shown(lib, pride_path):
    plan = plan_import(pride_path)
    chapters = [s.title for s in plan.sections]
    assert chapters[:2] == ["Chapter 1", "Chapter 2"]
    words = sum(line.words for line in plan.outline())
    lines = len(plan.outline())
    import_edits.merge_with_next(plan.sections, (0,))
    import_edits.split_at_paragraph(plan.sections, (1,), 3, title="The ball")
    import_edits.rename(plan.sections, (3,), "Mrs. Bennet's nerves")
    import_edits.set_kind(plan.sections, (4,), "note")
    shown = [(line.kind, line.title, line.words) for line in plan.outline()]
    assert [title for _kind, title, _words in shown[:6]] == [
        "Chapter 1", "Chapter 3", "The ball", "Mrs. Bennet's nerves", "Chapter 5", "Chapter 6"]
    assert shown[4][0] == "note" and len(shown) == lines  # one merge, one split
    assert sum(line[2] for line in shown) == words + 2  # "Chapter 2" is now a line of text (2 words)
    project = import_plan(lib, plan)
    nodes = lib.nodes(project.id)
    totals = {n.id: n.word_count for n in nodes}
    for node in reversed(nodes):  # a chapter counts its scenes, as the outline does
        if node.parent_id is not None:
            totals[node.parent_id] += totals[node.id]
    assert [(n.kind, n.title, totals[n.id]) for n in nodes] == shown
    first = lib.nodes(project.id)[0]
    assert "Chapter 2" in paragraphs(lib.get_text(first.id))
