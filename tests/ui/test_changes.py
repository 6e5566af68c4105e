"""What changed is broadcast once on window.changed, and each view applies what it shows."""

from __future__ import annotations

from tests.ui.conftest import wait_idle
from writer_app.ui.changes import Change
from writer_app.ui.settings_dialog import SettingsDialog


def test_the_settings_dialog_announces_and_each_part_applies_its_own(qtbot, main_window):
    window = main_window
    broadcasts: list[frozenset[Change]] = []
    relayed: list[bool] = []
    window.changed.connect(broadcasts.append)
    window.settingsChanged.connect(lambda: relayed.append(True))
    dialog = SettingsDialog(window)
    qtbot.addWidget(dialog)
    dialog.size_box.setValue(19)
    dialog.autosave_box.setValue(2500)
    dialog.backup_box.setValue(42)
    dialog.accept()
    assert broadcasts == [frozenset({Change.SETTINGS})] and relayed == [True]  # once each
    assert window.editor.current_point_size() == 19
    assert window.backups.interval_minutes == 42
    assert window.autosave._timer.interval() == 2500


def test_a_summary_stored_elsewhere_reaches_the_binder_when_announced(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    node_id = window.current_node_id
    window.db.run_sync(lambda library: library.set_summary(node_id, "Mara crosses the river."))
    window.announce(Change.SUMMARIES)
    qtbot.waitUntil(lambda: "Mara crosses" in window.binder._items[node_id].toolTip(0), timeout=5000)


def test_a_bible_entry_added_elsewhere_shows_in_the_panel_when_announced(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    project_id = window.current_project_id
    window.db.run_sync(lambda library: library.add_bible_entry(project_id, kind="place", name="Longbourn"))
    window.announce(Change.BIBLE)
    qtbot.waitUntil(lambda: [entry.name for entry in window.bible.entries] == ["Longbourn"], timeout=5000)


def test_a_rename_in_the_binder_is_announced_and_the_title_follows(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    with qtbot.waitSignal(window.changed, check_params_cb=lambda changes: Change.TREE in changes, timeout=5000):
        window.binder.rename_node(window.current_node_id, "The Crossing")
    assert window.windowTitle().startswith("The Crossing")
