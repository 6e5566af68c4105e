"""Project search opens the hit; history shows a diff and restores; the story bible edits entries."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.conftest import stored_text, wait_idle
from writer_app.storage import Library
from writer_app.ui.revisions_dialog import diff_html
from writer_app.ui.search_panel import open_project_search

CHAPTER_TWO = "Morning came grey.\n\nThe lighthouse keeper counted the gulls twice."


def test_search_finds_a_word_in_another_chapter_and_opens_it_there(qtbot, main_window):
    window = main_window
    window.editor.insertPlainText("Nothing to see in chapter one.")
    window.binder.create_node("chapter", "Chapter 2", None)
    qtbot.waitUntil(lambda: len(window.binder.nodes) == 2)
    second = window.binder.nodes[1].id
    window.db.submit(lambda lib: lib.save_text(second, CHAPTER_TWO))
    panel = open_project_search(window)
    panel.query_field.setText("lighthouse")
    panel.run_search()
    qtbot.waitUntil(lambda: panel.results.count() == 1)
    item = panel.results.item(0)
    assert item.text().startswith("Chapter 2: ") and "lighthouse" in item.text()
    assert "lighthouse</span>" in item.data(Qt.ItemDataRole.UserRole + 1)
    panel.open_item(item)
    qtbot.waitUntil(lambda: window.current_node_id == second)
    cursor = window.editor.textCursor()
    assert cursor.selectedText() == "lighthouse"
    assert cursor.selectionStart() == CHAPTER_TWO.index("lighthouse")


def test_history_shows_the_difference_and_restores(qtbot, main_window, profile_dir):
    window = main_window
    node_id = window.current_node_id
    window.editor.insertPlainText("The first version of the opening.")
    window.actions_by_name["actionSnapshot"].trigger()
    wait_idle(qtbot, window)
    window.editor.selectAll()
    window.editor.insertPlainText("A rewritten opening that lost its way.")
    window.actions_by_name["actionHistory"].trigger()
    dialog = window.revisions_dialog
    qtbot.waitUntil(lambda: dialog.loaded and bool(dialog.revisions))
    assert dialog.revisions[0].reason == "manual"
    assert "words" in dialog.list.item(0).text()
    qtbot.waitUntil(lambda: "rewritten" in dialog.diff.toPlainText())
    assert "first version" in dialog.diff.toPlainText()
    dialog.restore_selected()
    qtbot.waitUntil(lambda: window.editor.toPlainText() == "The first version of the opening.")
    assert stored_text(profile_dir, node_id) == "The first version of the opening."
    # The text replaced by the restore was snapshotted first, so the restore can be undone.
    library = Library.open(profile_dir / "library.sqlite3")
    reasons = [r.reason for r in library.revisions(node_id)]
    texts = [library.revision_text(r.id) for r in library.revisions(node_id)]
    library.close()
    assert "before-restore" in reasons
    assert "A rewritten opening that lost its way." in texts
    dialog.close()


def test_diff_marks_only_the_changed_words():
    html = diff_html("The cat sat on the mat.", "The dog sat on the mat.")
    assert "line-through" in html and ">cat</span>" in html and ">dog</span>" in html
    assert html.count("<span") == 2


def test_story_bible_add_edit_search_delete(qtbot, main_window):
    window = main_window
    bible = window.bible
    assert bible.objectName() == "storyBible"
    bible.clear_form()
    bible.kind_box.setCurrentIndex(bible.kind_box.findData("character"))
    bible.name_field.setText("Elizabeth Bennet")
    bible.aliases_field.setText("Lizzy, Eliza")
    bible.description_field.setPlainText("Second daughter; quick wit.")
    bible.save_button.click()
    qtbot.waitUntil(lambda: bible.list.count() == 1)
    bible.clear_form()
    bible.kind_box.setCurrentIndex(bible.kind_box.findData("place"))
    bible.name_field.setText("Pemberley")
    bible.save_button.click()
    qtbot.waitUntil(lambda: bible.list.count() == 2)
    entry = next(e for e in bible.entries if e.name == "Elizabeth Bennet")
    assert entry.aliases == ("Lizzy", "Eliza")
    # Edit
    bible.list.setCurrentRow(next(i for i, e in enumerate(bible.entries) if e.name == "Pemberley"))
    bible.description_field.setPlainText("Mr Darcy's estate in Derbyshire.")
    bible.save_button.click()
    qtbot.waitUntil(lambda: any(e.description.startswith("Mr Darcy") for e in bible.entries))
    # Search
    bible.search_field.setText("Derbyshire")
    qtbot.waitUntil(lambda: [e.name for e in bible.entries] == ["Pemberley"])
    # Delete
    bible.list.setCurrentRow(0)
    bible.delete_button.click()
    bible.search_field.clear()
    qtbot.waitUntil(lambda: [e.name for e in bible.entries] == ["Elizabeth Bennet"])
