"""Projects: each reopens where the author left it; File ▸ Open Recent; the project manager."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from tests.ui.conftest import stored_text, wait_idle
from writer_app.storage import Library
from writer_app.ui.app import build_main_window
from writer_app.ui.text_positions import cursor_index

SCENE = "😀🇫🇷 The ferry came late.\n\nNobody on it had seen the lighthouse go out."


def _add_second_project(qtbot, window) -> tuple[int, dict[str, int]]:
    """A second project ("Sea Stories"): an empty chapter first, then a folder with a scene that has words."""
    def create(lib):
        project = lib.create_project("Sea Stories")
        empty = lib.create_node(project.id, "chapter", "Empty opening")
        folder = lib.create_node(project.id, "folder", "Part One")
        scene = lib.create_node(project.id, "scene", "Wreck", parent_id=folder.id, text="Salt on everything.")
        return project.id, {"empty": empty.id, "folder": folder.id, "scene": scene.id}

    return window.db.run_sync(create)


def _mine(window) -> dict[str, int]:
    """Give the first project a folder with two scenes and open the second one at a cursor after emoji."""
    project_id = window.current_project_id

    def create(lib):
        folder = lib.create_node(project_id, "folder", "Notes")
        lib.create_node(project_id, "note", "Idea", parent_id=folder.id, text="An idea.")
        part = lib.create_node(project_id, "folder", "Part Two")
        first = lib.create_node(project_id, "scene", "Arrival", parent_id=part.id, text="They came.")
        second = lib.create_node(project_id, "scene", "Ferry", parent_id=part.id, text=SCENE)
        return {"notes": folder.id, "part": part.id, "first": first.id, "second": second.id}

    return window.db.run_sync(create)


def _switch(qtbot, window, project_id):
    combo = window.binder.project_combo
    index = combo.findData(project_id)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)  # what choosing it in the binder's switcher does
    qtbot.waitUntil(lambda: window.current_project_id == project_id and window.current_node_id is not None)
    wait_idle(qtbot, window)


def _expanded(window, node_id) -> bool:
    return window.binder._items[node_id].isExpanded()


def test_switching_projects_comes_back_to_the_document_cursor_and_open_folders(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    home = window.current_project_id
    ids = _mine(window)
    window.binder.reload()
    wait_idle(qtbot, window)
    window.open_document(ids["second"])
    qtbot.waitUntil(lambda: window.current_node_id == ids["second"])
    window.editor.go_to_offset(SCENE.index("Nobody"))
    window.binder._items[ids["notes"]].setExpanded(False)
    window.binder._items[ids["part"]].setExpanded(True)
    other, theirs = _add_second_project(qtbot, window)
    window.open_project(home, node_id=ids["second"])  # the switcher learns of the new project
    wait_idle(qtbot, window)
    window.editor.go_to_offset(SCENE.index("Nobody"))
    window.binder._items[ids["notes"]].setExpanded(False)

    _switch(qtbot, window, other)
    # A first visit opens the first document with words, the binder expanded.
    assert window.current_node_id == theirs["scene"]
    assert window.editor.manuscript_text() == "Salt on everything."
    assert _expanded(window, theirs["folder"])
    window.binder._items[theirs["folder"]].setExpanded(False)
    window.open_document(theirs["empty"])
    qtbot.waitUntil(lambda: window.current_node_id == theirs["empty"])

    _switch(qtbot, window, home)
    assert window.current_node_id == ids["second"]
    assert cursor_index(window.editor.textCursor()) == SCENE.index("Nobody")
    assert not _expanded(window, ids["notes"]) and _expanded(window, ids["part"])
    window.editor.insertPlainText("Truly. ")  # the first keystroke lands where the author left off
    window.autosave.save_now()
    wait_idle(qtbot, window)
    assert window.db.run_sync(lambda lib: lib.get_text(ids["second"])) == SCENE.replace("Nobody", "Truly. Nobody")

    _switch(qtbot, window, other)
    assert window.current_node_id == theirs["empty"] and not _expanded(window, theirs["folder"])


def test_a_restart_reopens_the_document_at_the_cursor(qtbot, main_window, profile_dir):
    window = main_window
    wait_idle(qtbot, window)
    ids = _mine(window)
    window.binder.reload()
    wait_idle(qtbot, window)
    window.open_document(ids["second"])
    qtbot.waitUntil(lambda: window.current_node_id == ids["second"])
    window.editor.go_to_offset(SCENE.index("lighthouse"))
    window.binder._items[ids["notes"]].setExpanded(False)
    window.binder._items[ids["part"]].setExpanded(True)
    window.close()
    again = build_main_window(profile_dir, extensions=())
    qtbot.addWidget(again)
    try:
        qtbot.waitUntil(lambda: again.current_node_id == ids["second"])
        wait_idle(qtbot, again)
        assert cursor_index(again.editor.textCursor()) == SCENE.index("lighthouse")
        assert not again.binder._items[ids["notes"]].isExpanded()
        assert again.binder._items[ids["part"]].isExpanded()
    finally:
        again.close()


def test_open_recent_lists_the_projects_newest_first_and_opens_one(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    home = window.current_project_id
    other, _theirs = _add_second_project(qtbot, window)
    window.open_project(other)
    qtbot.waitUntil(lambda: window.current_project_id == other)
    wait_idle(qtbot, window)
    menu = window.findChild(object, "menuOpenRecent")
    qtbot.waitUntil(lambda: [a.data() for a in menu.actions()] == [other, home])
    assert menu.actions()[0].text() == "&1 Sea Stories" and menu.actions()[0].isChecked()
    menu.actions()[1].trigger()
    qtbot.waitUntil(lambda: window.current_project_id == home)
    qtbot.waitUntil(lambda: [a.data() for a in menu.actions()] == [home, other])


def _manager(qtbot, window):
    window.actions_by_name["actionProjectManager"].trigger()
    qtbot.waitUntil(lambda: window.findChild(QDialog, "projectManager") is not None)
    dialog = window.findChild(QDialog, "projectManager")
    qtbot.waitUntil(lambda: dialog.loaded)
    return dialog


def _rows(dialog):
    table = dialog.table
    return [tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())]


def _click(qtbot, dialog, name):
    qtbot.mouseClick(dialog.buttons[name], Qt.MouseButton.LeftButton)


def test_project_manager_creates_renames_duplicates_trashes_and_restores(qtbot, main_window, profile_dir):
    window = main_window
    wait_idle(qtbot, window)
    home = window.current_project_id
    window.editor.insertPlainText("Four words written here.")
    dialog = _manager(qtbot, window)
    assert _rows(dialog) == [("My Novel", "4", "1")]  # saved first, so the words are counted
    assert dialog.table.item(0, 3).text()  # last edited, in local time
    # New: a project with a first chapter, its title open for typing.
    _click(qtbot, dialog, "projectNewButton")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2 and dialog.table.state() == dialog.table.State.EditingState)
    editor = dialog.table.focusWidget()
    editor.setText("宝玉的故事")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(s.project.title == "宝玉的故事" for s in dialog.summaries))  # stored
    assert ("宝玉的故事", "0", "1") in _rows(dialog)
    created = next(s.project.id for s in dialog.summaries if s.project.title == "宝玉的故事")
    # Duplicate the open project.
    dialog.select_project(home)
    _click(qtbot, dialog, "projectDuplicateButton")
    qtbot.waitUntil(lambda: ("My Novel (copy)", "4", "1") in _rows(dialog))
    copy = dialog.selected_id()
    assert copy not in (home, created)
    # Rename (the binder's switcher follows).
    dialog.rename_selected("Second Draft")
    qtbot.waitUntil(lambda: ("Second Draft", "4", "1") in _rows(dialog))
    qtbot.waitUntil(lambda: window.binder.project_combo.findText("Second Draft") >= 0)
    # Trash the open project: the desk moves to another one; nothing is lost.
    dialog.select_project(home)
    _click(qtbot, dialog, "projectTrashButton")
    qtbot.waitUntil(lambda: window.current_project_id not in (None, home))
    qtbot.waitUntil(lambda: [r[0] for r in _rows(dialog)] == ["Second Draft", "宝玉的故事"])
    assert window.binder.project_combo.findData(home) < 0
    dialog.show_trash.setChecked(True)
    qtbot.waitUntil(lambda: _rows(dialog) == [("My Novel", "4", "1")])
    assert dialog.buttons["projectRestoreButton"].isVisibleTo(dialog)
    dialog.select_project(home)
    _click(qtbot, dialog, "projectRestoreButton")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0)
    dialog.show_trash.setChecked(False)
    qtbot.waitUntil(lambda: len(_rows(dialog)) == 3)
    qtbot.waitUntil(lambda: window.binder.project_combo.findData(home) >= 0)
    first_chapter = window.db.run_sync(lambda lib: lib.nodes(home))[0].id
    wait_idle(qtbot, window)
    assert stored_text(profile_dir, first_chapter) == "Four words written here."
    # Open one from the manager.
    dialog.select_project(created)
    _click(qtbot, dialog, "projectOpenButton")
    qtbot.waitUntil(lambda: window.current_project_id == created and "宝玉的故事" in window.windowTitle())
    qtbot.waitUntil(lambda: window.findChild(QDialog, "projectManager") is None)  # Open closes it


def test_the_only_project_cannot_go_to_the_trash(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    dialog = _manager(qtbot, window)
    dialog.select_project(window.current_project_id)
    _click(qtbot, dialog, "projectTrashButton")
    qtbot.waitUntil(lambda: "only project" in dialog.info.text())
    assert _rows(dialog) == [("My Novel", "0", "1")]
    with Library.open(window.library.path) as lib:
        assert lib.list_projects(trashed=True) == []
