"""Typing reaches the database on its own, on Ctrl+S, on switching documents and on closing."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from tests.ui.conftest import stored_text, wait_idle


def test_first_start_gives_a_usable_novel(main_window):
    window = main_window
    assert window.current_project.title == "My Novel"
    assert window.binder.tree.topLevelItemCount() == 1
    assert window.binder.tree.topLevelItem(0).text(0) == "Chapter 1"
    assert window.current_node_id is not None
    assert not window.editor.isReadOnly()
    assert window.findChild(type(window.editor), "editor") is window.editor


def test_typed_text_reaches_the_database_after_a_pause(qtbot, main_window, profile_dir):
    window = main_window
    window.show()
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "It was a dark and stormy night.")
    assert window.isWindowModified()
    assert window.status.save_label.text() != "Saved"
    node_id = window.current_node_id
    qtbot.waitUntil(lambda: stored_text(profile_dir, node_id) == "It was a dark and stormy night.",
                    timeout=5000)
    qtbot.waitUntil(lambda: window.status.save_label.text() == "Saved")
    assert not window.isWindowModified()
    assert window.status.document_label.text() == "Document: 7 words"
    qtbot.waitUntil(lambda: window.status.session_label.text() == "Session: +7")


def test_ctrl_s_saves_at_once_and_ghost_text_is_never_stored(qtbot, main_window, profile_dir):
    window = main_window
    window.settings.autosave_interval_ms = 60_000
    window.autosave.set_interval(60_000)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    window.editor.setFocus()
    window.editor.insertPlainText("She opened the door.")
    end = len(window.editor.toPlainText())
    window.editor.insertPlainText(" A GHOST SUGGESTION")
    window.editor.ghost_range = (end, len(window.editor.toPlainText()))
    qtbot.keyClick(window.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert stored_text(profile_dir, window.current_node_id) == "She opened the door."


def test_switching_documents_and_closing_save(qtbot, main_window, profile_dir):
    window = main_window
    window.settings.autosave_interval_ms = 60_000
    window.autosave.set_interval(60_000)
    first = window.current_node_id
    window.binder.create_node("chapter", "Chapter 2", None, then=lambda node: window.open_document(node.id))
    qtbot.waitUntil(lambda: window.current_node_id != first)
    second = window.current_node_id
    window.editor.insertPlainText("Second chapter words.")
    window.open_document(first)
    qtbot.waitUntil(lambda: window.current_node_id == first)
    assert stored_text(profile_dir, second) == "Second chapter words."
    window.editor.insertPlainText("First chapter words.")
    window.close()
    assert stored_text(profile_dir, first) == "First chapter words."


def test_window_reopens_where_the_author_left_off(qtbot, profile_dir):
    from writer_app.ui.app import build_main_window

    window = build_main_window(profile_dir, extensions=())
    qtbot.addWidget(window)
    window.binder.create_node("chapter", "Chapter 2", None, then=lambda node: window.open_document(node.id))
    qtbot.waitUntil(lambda: window.current_node.title == "Chapter 2")
    node_id = window.current_node_id
    window.close()
    again = build_main_window(profile_dir, extensions=())
    qtbot.addWidget(again)
    assert again.current_node_id == node_id
    assert again.settings.extra["window"]["geometry"]
    again.close()


def test_a_failed_save_keeps_the_text_and_says_so(qtbot, main_window, profile_dir):
    """A real SQLite failure (a trigger that aborts writes, as a full disk would) then recovery."""
    window = main_window
    node_id = window.current_node_id
    conn = sqlite3.connect(profile_dir / "library.sqlite3")
    conn.execute("CREATE TRIGGER refuse BEFORE UPDATE ON texts BEGIN SELECT RAISE(ABORT, 'disk is full'); END")
    conn.commit()
    window.editor.insertPlainText("Words that must not be lost.")
    window.save_now()
    qtbot.waitUntil(lambda: window.autosave.state == "error", timeout=5000)
    assert "NOT SAVED" in window.status.save_label.text()
    assert window.editor.toPlainText() == "Words that must not be lost."
    assert window.isWindowModified()
    box = window.findChild(object, "errorBox")
    assert box is not None and "still here" in box.text()
    # Switching away is refused while the text is unsaved.
    window.open_document(node_id + 999)
    wait_idle(qtbot, window)
    assert window.current_node_id == node_id
    conn.execute("DROP TRIGGER refuse")
    conn.commit()
    conn.close()
    window.save_now()
    qtbot.waitUntil(lambda: window.autosave.state == "saved", timeout=5000)
    assert stored_text(profile_dir, node_id) == "Words that must not be lost."


def test_typing_while_another_document_loads_is_not_lost(qtbot, main_window, profile_dir):
    """The worker is busy (a slow job), the author clicks another chapter and keeps typing."""
    import threading

    window = main_window
    first = window.current_node_id
    window.binder.create_node("chapter", "Chapter 2", None)
    qtbot.waitUntil(lambda: len(window.binder.nodes) == 2)
    second = window.binder.nodes[1].id
    gate = threading.Event()
    window.db.submit(lambda _lib: gate.wait(10))  # e.g. a big import holding the worker
    window.open_document(second)
    window.open_document(second)  # a double click asks twice
    window.editor.insertPlainText("Typed while waiting.")
    gate.set()
    qtbot.waitUntil(lambda: window.current_node_id == second)
    wait_idle(qtbot, window)
    assert stored_text(profile_dir, first) == "Typed while waiting."
    assert window.editor.toPlainText() == ""


def test_no_break_spaces_and_emoji_survive_autosave_and_ghost_text_after_an_emoji_is_left_out(
        qtbot, main_window, profile_dir):
    """Qt's toPlainText turns no-break spaces into spaces; a save must store what the author typed."""
    window = main_window
    window.show()
    window.editor.setFocus()
    typed = "« Bonjour\u00a0! » dit-elle 😀 à 10\u00a0h."
    window.editor.insertPlainText(typed)
    end = window.editor.textCursor().position()  # Qt counts the emoji as two
    window.editor.insertPlainText(" A GHOST SUGGESTION")
    window.editor.ghost_range = (end, window.editor.textCursor().position())
    window.save_now()
    wait_idle(qtbot, window)
    assert stored_text(profile_dir, window.current_node_id) == typed
    window.editor.ghost_range = None
    window.editor.insertPlainText("\u2028next line")  # Shift+Enter: a line break inside the paragraph
    window.save_now()
    wait_idle(qtbot, window)
    assert stored_text(profile_dir, window.current_node_id) == typed + " A GHOST SUGGESTION\nnext line"
