"""Writing goals in the window: today's words from real saves, the goals dialog, its chart, the pace."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from tests.ui.conftest import wait_idle
from writer_app.storage import Library
from writer_app.ui.app import build_main_window


def _open_goals(qtbot, window):
    window.actions_by_name["actionGoals"].trigger()
    qtbot.waitUntil(lambda: window.findChild(QDialog, "goalsDialog") is not None)
    dialog = window.findChild(QDialog, "goalsDialog")
    qtbot.waitUntil(lambda: dialog.loaded)
    return dialog


def test_saved_words_count_for_today_and_the_goals_reach_the_status_bar(qtbot, main_window, profile_dir):
    window = main_window
    wait_idle(qtbot, window)
    window.editor.insertPlainText("The gulls came back at dawn.")
    window.actions_by_name["actionSave"].trigger()
    qtbot.waitUntil(lambda: window.status.today_label.text() == "Today: 6")
    dialog = _open_goals(qtbot, window)
    assert dialog.chart.values[-1] == 6 and len(dialog.chart.values) == 30
    assert sum(dialog.chart.values) == 6
    dialog.target.setValue(1006)
    dialog.daily.setValue(500)
    dialog.session.setValue(250)
    dialog.has_deadline.setChecked(True)
    dialog.deadline.setDate(QDate.currentDate().addDays(9))  # ten days, today included
    assert "100 words a day" in dialog.pace.text() and "1,000 still missing" in dialog.pace.text()
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.status.today_label.text() == "Today: 6 of 500")
    assert window.status.deadline_label.text().startswith("100 a day to ")
    assert window.status.session_label.text().endswith(" of 250")
    window.editor.insertPlainText(" More words.")
    window.actions_by_name["actionSave"].trigger()
    qtbot.waitUntil(lambda: window.status.today_label.text() == "Today: 8 of 500")
    wait_idle(qtbot, window)
    with Library.open(profile_dir / "library.sqlite3") as lib:  # what a restart sees
        goals = lib.goals(window.current_project_id)
        assert (goals.daily_words, goals.session_words) == (500, 250)
        assert lib.get_project(window.current_project_id).word_target == 1006
        assert lib.words_by_day(window.current_project_id, days=1)[0].words == 8


def test_chinese_counts_per_character_and_survives_a_restart(qtbot, main_window, profile_dir):
    window = main_window
    wait_idle(qtbot, window)
    window.editor.insertPlainText("宝玉笑道：“好妹妹。”")
    window.actions_by_name["actionSave"].trigger()
    qtbot.waitUntil(lambda: window.status.today_label.text() == "Today: 7")
    assert window.status.document_label.text() == "Document: 7 words"  # the same count
    dialog = _open_goals(qtbot, window)
    dialog.daily.setValue(5)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.status.today_label.text() == "Today: 7 of 5")
    assert window.status.today_label.property("state") == "met"
    window.close()
    again = build_main_window(profile_dir, extensions=())
    qtbot.addWidget(again)
    try:
        qtbot.waitUntil(lambda: again.status.today_label.text() == "Today: 7 of 5")
        dialog = _open_goals(qtbot, again)
        assert dialog.chart.values[-1] == 7 and dialog.daily.value() == 5
        assert "goal met on 1 day" in dialog.summary.text()
    finally:
        again.close()


def test_without_a_deadline_the_pace_asks_for_one_and_a_past_one_says_so(qtbot, main_window):
    window = main_window
    wait_idle(qtbot, window)
    dialog = _open_goals(qtbot, window)
    dialog.target.setValue(50_000)
    assert "Set a target and a deadline" in dialog.pace.text()
    assert not window.status.deadline_label.isVisibleTo(window)
    dialog.has_deadline.setChecked(True)
    dialog.deadline.setDate(QDate.currentDate().addDays(-3))
    assert "deadline has passed" in dialog.pace.text()
