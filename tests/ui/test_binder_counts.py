"""Binder counts roll up: a chapter or folder shows everything inside it, a scene its own words."""

from __future__ import annotations

from tests.ui.conftest import wait_idle
from writer_app.storage import Library


def _build(window, language: str = "en", texts: dict[str, str] | None = None) -> dict[str, int]:
    """Part One > (One > (a, b)), Two; written through a second connection, then opened."""
    texts = texts or {"One": "The chapter opens.", "a": "Five words in scene a.", "b": "Two words.",
                      "Two": "Four words in two."}
    library = Library.open(window.paths.database)
    try:
        project = library.create_project("Counts", language=language)
        ids = {"Part One": library.create_node(project.id, "folder", "Part One").id}
        ids["One"] = library.create_node(project.id, "chapter", "One", parent_id=ids["Part One"],
                                         text=texts["One"]).id
        for scene in ("a", "b"):
            ids[scene] = library.create_node(project.id, "scene", scene, parent_id=ids["One"],
                                             text=texts[scene]).id
        ids["Two"] = library.create_node(project.id, "chapter", "Two", text=texts["Two"]).id
        ids["project"] = project.id
    finally:
        library.close()
    return ids


def _open(qtbot, window, ids, node: str) -> None:
    window.open_project(ids["project"], ids[node])
    qtbot.waitUntil(lambda: window.current_node_id == ids[node])
    wait_idle(qtbot, window)


def _shown(window, ids) -> dict[str, str]:
    return {name: window.binder._items[node_id].text(1) for name, node_id in ids.items() if name != "project"}


def test_chapters_and_folders_show_everything_inside_them(qtbot, main_window):
    window = main_window
    ids = _build(window)
    _open(qtbot, window, ids, "a")
    assert _shown(window, ids) == {"Part One": "10", "One": "10", "a": "5", "b": "2", "Two": "4"}
    assert window.binder.tree.headerItem().text(1) == "Words"
    assert "10 words in all, 3 in its own text" in window.binder._items[ids["One"]].toolTip(1)


def test_counts_follow_typing_without_refilling_the_tree(qtbot, main_window):
    window = main_window
    ids = _build(window)
    _open(qtbot, window, ids, "a")
    fills = []
    real_populate = window.binder.populate
    window.binder.populate = lambda nodes: fills.append(len(nodes)) or real_populate(nodes)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    window.editor.insertPlainText(" Then three more.")
    window.save_now()
    qtbot.waitUntil(lambda: _shown(window, ids)["a"] == "8")
    assert _shown(window, ids) == {"Part One": "13", "One": "13", "a": "8", "b": "2", "Two": "4"}
    assert fills == []  # the save updated three rows, not the tree
    assert window.binder.node(ids["a"]).word_count == 8
    window.binder.populate = real_populate


def test_counts_follow_a_move_and_the_trash(qtbot, main_window):
    window = main_window
    ids = _build(window)
    _open(qtbot, window, ids, "Two")
    window.binder.move_node(ids["b"], ids["Two"], 0)
    qtbot.waitUntil(lambda: _shown(window, ids)["Two"] == "6")
    assert _shown(window, ids) == {"Part One": "8", "One": "8", "a": "5", "b": "2", "Two": "6"}
    window.binder.trash_node(ids["a"])
    qtbot.waitUntil(lambda: ids["a"] not in window.binder._items)
    wait_idle(qtbot, window)
    assert _shown_live(window, ids) == {
        "Part One": "3", "One": "3", "b": "2", "Two": "6"}


def _shown_live(window, ids) -> dict[str, str]:
    return {name: window.binder._items[node_id].text(1) for name, node_id in ids.items()
            if name != "project" and node_id in window.binder._items}


def test_a_chinese_project_counts_characters(qtbot, main_window):
    window = main_window
    ids = _build(window, "zh", {"One": "　　第一回", "a": "甄士隐梦幻识通灵", "b": "贾雨村", "Two": "风尘怀闺秀"})
    _open(qtbot, window, ids, "a")
    assert window.binder.tree.headerItem().text(1) == "Characters"
    assert _shown(window, ids) == {"Part One": "14", "One": "14", "a": "8", "b": "3", "Two": "5"}
    assert "14 characters in all" in window.binder._items[ids["One"]].toolTip(1)
