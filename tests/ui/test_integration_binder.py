"""The binder's extension points without the model: right-click hooks and summary tooltips."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import wait_idle


def test_right_click_shows_every_hooks_entries_for_the_item_under_the_mouse(qtbot, main_window):
    window = main_window
    window.show()
    wait_idle(qtbot, window)
    binder = window.binder
    calls: list[int | None] = []
    binder.context_menu_hooks.append(lambda menu, node_id: (calls.append(node_id), menu.addAction("First")))
    binder.context_menu_hooks.append(lambda menu, node_id: menu.addAction("Second"))
    node_id = window.current_node_id
    item = binder._items[node_id]
    point = binder.tree.visualItemRect(item).center()
    shown: list[list[str]] = []

    def read_and_close() -> None:
        popup = QApplication.activePopupWidget()
        if popup is None:  # not shown yet (a busy machine): look again, rather than leave it open
            QTimer.singleShot(100, read_and_close)
            return
        shown.append([action.text() for action in popup.actions()])
        popup.close()

    QTimer.singleShot(100, read_and_close)
    binder.tree.customContextMenuRequested.emit(point)  # returns once the menu is closed
    assert calls == [node_id]
    assert shown == [["First", "", "Second"]]  # one separator between two extensions' entries


def test_a_binder_item_without_hooks_opens_no_empty_menu(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    assert window.binder.build_context_menu(window.current_node_id).isEmpty()


def test_the_tooltip_shows_the_stored_summary_after_a_reload(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    binder = window.binder
    node_id = window.current_node_id
    assert binder._items[node_id].toolTip(0) == "Chapter: Chapter 1"
    window.db.submit(lambda library: library.set_summary(node_id, "Mara crosses the river."))
    binder.reload()
    qtbot.waitUntil(lambda: "Mara crosses" in binder._items[node_id].toolTip(0), timeout=5000)
    assert binder._items[node_id].toolTip(0) == (
        "Chapter: Chapter 1\n\nSummary (the assistant's, not approved: the model is not told it; "
        "right-click ▸ Review summary…): Mara crosses the river.")


def test_the_tooltip_says_whether_the_summary_is_approved_and_edited(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    binder, node_id = window.binder, window.current_node_id
    window.db.run_sync(lambda library: library.set_summary(node_id, "Mara crosses the river."))
    window.db.run_sync(lambda library: library.approve_summary(node_id))
    binder.reload()
    qtbot.waitUntil(lambda: "approved)" in binder._items[node_id].toolTip(0))
    assert binder._items[node_id].toolTip(0).endswith("\n\nSummary (approved): Mara crosses the river.")
    window.db.run_sync(lambda library: library.approve_summary(node_id, "Mara crosses the river at dawn."))
    binder.reload()
    qtbot.waitUntil(lambda: "edited by you" in binder._items[node_id].toolTip(0))
    assert binder._items[node_id].toolTip(0).endswith(
        "\n\nSummary (approved, edited by you): Mara crosses the river at dawn.")
