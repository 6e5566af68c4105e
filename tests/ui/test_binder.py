"""The binder: create, rename, reorder (drag and keyboard), trash and restore, switch projects."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QAbstractItemView

from tests.ui.conftest import wait_idle
from writer_app.storage import Library


def titles(window) -> list[str]:
    tree = window.binder.tree
    return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]


def stored_titles(profile, project_id) -> list[str]:
    library = Library.open(profile / "library.sqlite3")
    try:
        return [n.title for n in library.nodes(project_id) if n.parent_id is None]
    finally:
        library.close()


def add_chapters(qtbot, window, *names):
    for name in names:
        window.binder.create_node("chapter", name, None)
    qtbot.waitUntil(lambda: titles(window)[-1] == names[-1])


def test_create_rename_and_reorder_with_the_keyboard(qtbot, main_window, profile_dir):
    window = main_window
    add_chapters(qtbot, window, "Chapter 2", "Chapter 3")
    assert titles(window) == ["Chapter 1", "Chapter 2", "Chapter 3"]
    third = window.binder.tree.topLevelItem(2)
    window.binder.tree.setCurrentItem(third)
    window.actions_by_name["actionMoveUp"].trigger()
    qtbot.waitUntil(lambda: titles(window) == ["Chapter 1", "Chapter 3", "Chapter 2"])
    assert stored_titles(profile_dir, window.current_project_id) == ["Chapter 1", "Chapter 3", "Chapter 2"]
    # Rename in place, as a double-click edit would.
    window.binder.tree.topLevelItem(0).setText(0, "Opening")
    qtbot.waitUntil(lambda: stored_titles(profile_dir, window.current_project_id)[0] == "Opening")


def test_drag_and_drop_moves_a_chapter_in_the_database(qtbot, main_window, profile_dir):
    window = main_window
    add_chapters(qtbot, window, "Chapter 2", "Chapter 3")
    window.show()
    tree = window.binder.tree
    qtbot.waitExposed(tree)
    source = tree.topLevelItem(2)
    tree.setCurrentItem(source)
    target_rect = tree.visualItemRect(tree.topLevelItem(0))
    mime = tree.model().mimeData([tree.indexFromItem(source)])
    drop_at = QPoint(target_rect.center().x(), target_rect.top() + 1)  # just above the first chapter
    event = QDropEvent(drop_at, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    assert tree.dragDropMode() == QAbstractItemView.DragDropMode.InternalMove
    tree.dropEvent(event)
    qtbot.waitUntil(lambda: stored_titles(profile_dir, window.current_project_id)
                    == ["Chapter 3", "Chapter 1", "Chapter 2"])
    wait_idle(qtbot, window)
    assert titles(window) == ["Chapter 3", "Chapter 1", "Chapter 2"]
    assert isinstance(mime, QMimeData)


def test_trash_the_open_document_and_restore_it(qtbot, main_window, profile_dir, monkeypatch):
    window = main_window
    add_chapters(qtbot, window, "Chapter 2")
    window.open_document(window.binder.nodes[-1].id)
    qtbot.waitUntil(lambda: window.current_node.title == "Chapter 2")
    window.editor.insertPlainText("Words worth keeping.")
    window.actions_by_name["actionTrash"].trigger()
    qtbot.waitUntil(lambda: titles(window) == ["Chapter 1"])
    qtbot.waitUntil(lambda: window.current_node is not None and window.current_node.title == "Chapter 1")
    library = Library.open(profile_dir / "library.sqlite3")
    trashed = library.trashed_nodes(window.current_project_id)
    library.close()
    assert [n.title for n in trashed] == ["Chapter 2"]
    trashed_id = trashed[0].id
    window.binder.restore_node(trashed_id)
    qtbot.waitUntil(lambda: titles(window) == ["Chapter 1", "Chapter 2"])
    window.open_document(trashed_id)
    qtbot.waitUntil(lambda: window.current_node_id == trashed_id)
    assert window.editor.toPlainText() == "Words worth keeping."


def test_new_project_and_switching_projects(qtbot, main_window):
    window = main_window
    first = window.current_project_id
    opened = []
    window.projectOpened.connect(opened.append)
    from writer_app.ui import file_ops

    file_ops.new_project(window, "The Second Book")
    qtbot.waitUntil(lambda: window.current_project_id != first)
    assert window.current_project.title == "The Second Book"
    assert titles(window) == ["Chapter 1"]
    combo = window.binder.project_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["My Novel", "The Second Book"]
    combo.activated.emit(combo.findData(first))
    qtbot.waitUntil(lambda: window.current_project_id == first)
    assert opened == [opened[0], first] and opened[0] != first
    assert window.windowTitle().endswith("My Novel — Writer")
