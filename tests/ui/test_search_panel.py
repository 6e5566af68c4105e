"""Find in Project is a docked panel: one row per hit, and opening a row selects that hit."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QDockWidget

from tests.ui.conftest import wait_idle
from writer_app.ui.search_panel import MATCH_STYLE
from writer_app.ui.text_positions import selected_text

CHAPTER_ONE = "🐚 The lighthouse stood dark.\n\n😀🇫🇷 Later the lighthouse keeper came back to the lighthouse."
CHAPTER_TWO = "😀宝玉笑道：“妹妹。”\n\n🇫🇷黛玉不答，宝玉又道：“好妹妹。”"


def _find(qtbot, window, query):
    window.actions_by_name["actionFindInProject"].trigger()
    panel = window.findChild(object, "projectSearch")
    panel.query_field.setText(query)
    panel.query_field.returnPressed.emit()
    qtbot.waitUntil(lambda: panel.info.text().endswith("."))
    return panel


def _with_two_chapters(qtbot, window):
    window.editor.insertPlainText(CHAPTER_ONE)
    window.binder.create_node("chapter", "第二回", None)
    qtbot.waitUntil(lambda: len(window.binder.nodes) == 2)
    second = window.binder.nodes[1].id
    window.db.submit(lambda lib: lib.save_text(second, CHAPTER_TWO))
    wait_idle(qtbot, window)
    return window.binder.nodes[0].id, second


def test_each_occurrence_is_a_row_and_opening_one_selects_exactly_it(qtbot, main_window):
    window = main_window
    window.show()
    first, _second = _with_two_chapters(qtbot, window)
    panel = _find(qtbot, window, "lighthouse")
    assert panel.results.count() == 3
    assert panel.info.text() == "3 matches in 1 document."
    rows = [panel.results.item(i).data(Qt.ItemDataRole.UserRole + 1) for i in range(3)]
    mark = f"<span style='{MATCH_STYLE}'>lighthouse</span>"
    assert f"The {mark} stood" in rows[0]  # each row highlights its own occurrence, in place
    assert f"Later the {mark} keeper" in rows[1] and f"the {mark} stood" not in rows[1]
    assert f"back to the {mark}." in rows[2]
    panel.open_item(panel.results.item(2))
    qtbot.waitUntil(lambda: window.editor.textCursor().hasSelection())
    cursor = window.editor.textCursor()
    assert selected_text(cursor) == "lighthouse"
    last = CHAPTER_ONE.rindex("lighthouse")
    assert cursor.selectionStart() == len(CHAPTER_ONE[:last].encode("utf-16-le")) // 2  # Qt counts UTF-16
    assert window.current_node_id == first


def test_chinese_hits_in_another_chapter_after_emoji(qtbot, main_window):
    window = main_window
    window.show()
    _first, second = _with_two_chapters(qtbot, window)
    panel = _find(qtbot, window, "宝玉")
    assert panel.results.count() == 2
    assert panel.results.item(1).text().startswith("第二回: ")
    panel.open_item(panel.results.item(1))
    qtbot.waitUntil(lambda: window.current_node_id == second and window.editor.textCursor().hasSelection())
    cursor = window.editor.textCursor()
    assert selected_text(cursor) == "宝玉"
    before = window.editor.manuscript_text()[:CHAPTER_TWO.rindex("宝玉")]
    assert before.endswith("黛玉不答，")
    assert cursor.selectionStart() == len(before.encode("utf-16-le")) // 2


def test_the_panel_is_docked_beside_the_page_not_over_it(qtbot, main_window):
    window = main_window
    window.show()
    qtbot.waitExposed(window)
    _with_two_chapters(qtbot, window)
    panel = _find(qtbot, window, "lighthouse")
    assert panel.results.count() == 3
    dock = window.findChild(QDockWidget, "projectSearchDock")
    assert dock is not None and dock.isVisible() and not dock.isFloating()
    editor_rect = QRect(window.editor.mapTo(window, window.editor.rect().topLeft()), window.editor.size())
    dock_rect = dock.geometry()
    assert not editor_rect.intersects(dock_rect)
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    # Ctrl+Shift+F stays the shortcut.
    assert window.actions_by_name["actionFindInProject"].shortcut().toString() == "Ctrl+Shift+F"
