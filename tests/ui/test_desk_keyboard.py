"""Every menu entry reachable by keyboard, the shortcuts sheet built from the real actions, and the
desk's frictions (issue 17) in the full window: assistant and trainer tab installed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from tests.ui.conftest import stored_text, wait_idle
from writer_app.ui.app import build_main_window
from writer_app.ui.mnemonics import mnemonic
from writer_app.ui.shortcuts_dialog import open_shortcuts, plain, shortcut_rows

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full_window(qapp, tmp_path_factory):
    profile = tmp_path_factory.mktemp("profile")
    window = build_main_window(profile)
    window.show()
    window.activateWindow()
    yield window
    window.close()


def walk(menu):
    for action in menu.actions():
        if action.isSeparator() or not action.isVisible():
            continue
        yield menu, action
        if action.menu() is not None:
            yield from walk(action.menu())


def test_every_menu_entry_has_a_shortcut_or_its_own_alt_key_path(full_window):
    bar_letters = [mnemonic(a.text()).lower() for a in full_window.menuBar().actions() if a.isVisible()]
    assert all(bar_letters) and len(set(bar_letters)) == len(bar_letters), bar_letters
    unreachable = []
    for top in full_window.menuBar().actions():
        for menu, action in walk(top.menu()):
            letters = [mnemonic(a.text()).lower() for a in menu.actions() if not a.isSeparator() and a.isVisible()]
            letter = mnemonic(action.text()).lower()
            if not action.shortcuts() and (not letter or letters.count(letter) > 1):
                unreachable.append(f"{plain(top.text())} ▸ {plain(action.text())}")
    assert unreachable == []
    assert {"actionContinue", "actionSplitScene", "actionShortcuts", "actionSpellCheck"} <= set(
        full_window.actions_by_name)


def test_the_shortcuts_sheet_lists_every_menu_entry_with_its_real_shortcut(full_window):
    rows = shortcut_rows(full_window)
    entries = {(r.menu, r.command): r for r in rows}
    assert entries[("Document", "Split Scene at Cursor")].shortcuts == "Ctrl+Shift+K"
    assert entries[("Document", "Split Scene at Cursor")].keys == "Alt+D, L"
    assert entries[("Assistant", "Continue writing")].shortcuts.startswith("Ctrl+Return")
    full_window.actions_by_name["actionSplitScene"].setShortcut("Ctrl+Alt+J")  # rebinding shows at once
    try:
        sheet = open_shortcuts(full_window)
        table = sheet.table
        found = [(table.item(i, 1).text(), table.item(i, 2).text()) for i in range(table.rowCount())]
        assert ("Split Scene at Cursor", "Ctrl+Alt+J") in found
        assert len(found) == len(rows)
        sheet.filter.setText("merge")
        shown = [table.item(i, 1).text() for i in range(table.rowCount()) if not table.isRowHidden(i)]
        assert shown == ["Merge Selected Scenes"]
        sheet.close()
    finally:
        full_window.actions_by_name["actionSplitScene"].setShortcut("Ctrl+Shift+K")


def test_after_new_scene_the_first_typed_words_land_in_the_new_document(qtbot, full_window):
    window = full_window
    qtbot.waitUntil(lambda: window.current_node_id is not None)
    window.binder.tree.setFocus()
    before = window.current_node_id

    def accept() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            dialog.setTextValue("The Ferry")
            dialog.accept()
        else:
            QTimer.singleShot(5, accept)

    QTimer.singleShot(0, accept)
    window.actions_by_name["actionNewScene"].trigger()
    qtbot.waitUntil(lambda: window.current_node_id != before and window.current_node.title == "The Ferry")
    wait_idle(qtbot, window)
    qtbot.keyClicks(window.focusWidget(), "Mara ran")  # wherever the keys go now
    window.save_now()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.autosave.dirty)
    assert stored_text(window.paths.data, window.current_node_id) == "Mara ran"


def test_story_bible_used_label_forgets_the_previous_projects_names(qtbot, full_window):
    from writer_app.ui.assistant.context import StoryContext

    window = full_window
    label = window.assistant.panel.context_label
    window.assistant.panel.show_context(StoryContext(bible=(("Elinor", "the elder sister"),)))
    assert "Elinor" in label.text()
    other = window.db.run_sync(lambda lib: lib.create_project("A Different Book"))
    window.db.run_sync(lambda lib: lib.create_node(other.id, "chapter", "One"))
    window.open_project(other.id)
    qtbot.waitUntil(lambda: window.current_project_id == other.id)
    assert "Elinor" not in label.text()


def test_getting_started_offers_the_sample_novel(qtbot, full_window):
    from writer_app.ui.guide_dialog import open_guide

    window = full_window
    guide = open_guide(window)
    assert "Open the Sample Novel button" in guide.browser.toPlainText()
    guide.sample_button.click()
    qtbot.waitUntil(lambda: window.current_project is not None
                    and window.current_project.title == "Pride and Prejudice")
    projects = window.db.run_sync(lambda lib: lib.list_projects())
    guide.sample_button.click()  # a second time opens it again, no second copy
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.db.pending == 0)
    assert len(window.db.run_sync(lambda lib: lib.list_projects())) == len(projects)
    guide.close()


def test_no_two_entries_of_a_menu_share_an_alt_key(full_window):
    clashes = []
    for top in full_window.menuBar().actions():
        for menu in {m for m, _a in walk(top.menu())}:
            letters = [mnemonic(a.text()).lower() for a in menu.actions() if not a.isSeparator() and a.isVisible()]
            clashes += [f"{plain(top.text())}: {x}" for x in set(letters) if x and letters.count(x) > 1]
    assert clashes == []
