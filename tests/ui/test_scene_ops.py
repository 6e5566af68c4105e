"""Split, merge, duplicate and move scenes through the Document menu; Edit ▸ Undo takes each back."""

from __future__ import annotations

from PySide6.QtGui import QTextCursor

from tests.ui.conftest import wait_idle
from writer_app.storage import Library

FLOOD = "The rain began at noon.\n\nBy evening the river had risen."


def stored(profile, project_id):
    """(kind, title, text, parent title) of every live node, as a restart would read them."""
    library = Library.open(profile / "library.sqlite3")
    try:
        nodes = library.nodes(project_id)
        titles = {n.id: n.title for n in nodes}
        return [(n.kind, n.title, library.get_text(n.id), titles.get(n.parent_id)) for n in nodes]
    finally:
        library.close()


def setup_book(qtbot, window, scenes=(("Flood", FLOOD),)):
    qtbot.waitUntil(lambda: window.current_project_id is not None)
    project_id = window.current_project_id
    chapter = window.binder.nodes[0]
    ids = [window.db.run_sync(lambda lib, t=t, x=x: lib.create_node(project_id, "scene", t, parent_id=chapter.id,
                                                                   text=x)).id for t, x in scenes]
    window.db.run_sync(lambda lib: lib.create_node(project_id, "chapter", "Chapter 2"))
    window.binder.reload()
    wait_idle(qtbot, window)
    window.open_document(ids[0])
    qtbot.waitUntil(lambda: window.current_node_id == ids[0])
    return project_id, ids


def trigger(qtbot, window, name):
    window.actions_by_name[name].trigger()
    wait_idle(qtbot, window)


def test_split_at_the_cursor_then_undo(qtbot, main_window, profile_dir):
    window = main_window
    project_id, (flood,) = setup_book(qtbot, window)
    cursor = window.editor.textCursor()
    cursor.setPosition(FLOOD.index("By evening"))
    window.editor.setTextCursor(cursor)
    trigger(qtbot, window, "actionSplitScene")
    qtbot.waitUntil(lambda: window.current_node_id not in (None, flood))
    assert [n[:3] for n in stored(profile_dir, project_id) if n[0] == "scene"] == [
        ("scene", "Flood", "The rain began at noon."), ("scene", "Flood (2)", "By evening the river had risen.")]
    assert window.editor.toPlainText() == "By evening the river had risen."
    assert window.editor.textCursor().position() == 0 and not window.editor.isReadOnly()
    trigger(qtbot, window, "actionUndo")  # nothing typed since: Undo takes the split back
    qtbot.waitUntil(lambda: window.current_node_id == flood and window.editor.toPlainText() == FLOOD)
    assert [n[:3] for n in stored(profile_dir, project_id) if n[0] == "scene"] == [("scene", "Flood", FLOOD)]


def test_merge_selected_scenes_then_undo(qtbot, main_window, profile_dir):
    window = main_window
    project_id, ids = setup_book(qtbot, window, (("A", "First."), ("B", "Second."), ("C", "Third.")))
    tree = window.binder.tree
    window.binder.select_node(ids[0])
    for node_id in ids:
        window.binder._items[node_id].setSelected(True)
    assert window.binder.selected_node_ids() == ids
    trigger(qtbot, window, "actionMergeScenes")
    qtbot.waitUntil(lambda: window.editor.toPlainText() == "First.\n\nSecond.\n\nThird.")
    assert [n[1] for n in stored(profile_dir, project_id) if n[0] == "scene"] == ["A"]
    assert tree.topLevelItem(0).childCount() == 1
    trigger(qtbot, window, "actionUndo")
    qtbot.waitUntil(lambda: tree.topLevelItem(0).childCount() == 3)
    assert [n[1:3] for n in stored(profile_dir, project_id) if n[0] == "scene"] == [
        ("A", "First."), ("B", "Second."), ("C", "Third.")]


def test_merge_with_one_scene_selected_says_what_to_do(qtbot, main_window):
    window = main_window
    _project_id, ids = setup_book(qtbot, window, (("A", "First."),))
    window.binder.select_node(ids[0])
    trigger(qtbot, window, "actionMergeScenes")
    box = window.findChild(object, "errorBox")
    assert box is not None and "two or more" in box.text()


def test_duplicate_and_move_to_the_next_chapter_by_keyboard_then_undo_each(qtbot, main_window, profile_dir):
    window = main_window
    project_id, (flood,) = setup_book(qtbot, window)
    window.binder.select_node(flood)
    trigger(qtbot, window, "actionDuplicate")
    qtbot.waitUntil(lambda: any(n[1] == "Flood (copy)" for n in stored(profile_dir, project_id)))
    copy_id = window.current_node_id
    assert window.editor.toPlainText() == FLOOD
    window.binder.select_node(copy_id)
    trigger(qtbot, window, "actionMoveNextChapter")
    qtbot.waitUntil(lambda: ("scene", "Flood (copy)", FLOOD, "Chapter 2") in stored(profile_dir, project_id))
    trigger(qtbot, window, "actionUndo")
    qtbot.waitUntil(lambda: ("scene", "Flood (copy)", FLOOD, "Chapter 1") in stored(profile_dir, project_id))
    trigger(qtbot, window, "actionUndo")
    qtbot.waitUntil(lambda: [n[1] for n in stored(profile_dir, project_id) if n[0] == "scene"] == ["Flood"])


def test_move_to_chapter_picker_is_driven_by_the_keyboard(qtbot, main_window, profile_dir):
    window = main_window
    project_id, (flood,) = setup_book(qtbot, window)
    window.binder.select_node(flood)
    window.actions_by_name["actionMoveToChapter"].trigger()
    dialog = window.findChild(object, "moveToChapter")
    assert dialog is not None and dialog.comboBoxItems() == ["1. Chapter 2"]
    dialog.setTextValue("1. Chapter 2")
    dialog.accept()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: ("scene", "Flood", FLOOD, "Chapter 2") in stored(profile_dir, project_id))


def test_typing_after_a_split_is_kept_when_the_split_is_undone(qtbot, main_window, profile_dir):
    window = main_window
    project_id, (flood,) = setup_book(qtbot, window)
    cursor = window.editor.textCursor()
    cursor.setPosition(FLOOD.index("By evening"))
    window.editor.setTextCursor(cursor)
    trigger(qtbot, window, "actionSplitScene")
    qtbot.waitUntil(lambda: window.current_node_id not in (None, flood))
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.insertPlainText(" Then the bridge went.")
    window.editor.document().clearUndoRedoStacks()  # as after a reopen: Undo goes to the split
    trigger(qtbot, window, "actionUndo")
    qtbot.waitUntil(lambda: window.current_node_id == flood)
    library = Library.open(profile_dir / "library.sqlite3")
    try:
        kept = [library.get_text(n.id) for n in library.trashed_nodes(project_id)]
    finally:
        library.close()
    assert kept == ["By evening the river had risen. Then the bridge went."]
