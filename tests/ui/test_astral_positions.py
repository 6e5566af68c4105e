"""Text after an emoji or a supplementary-plane CJK character, model-free.

Qt counts those characters as two positions and a Python ``str`` as one; each
test puts some before the target words and checks that what the author sees
selected, kept or replaced is exactly those words (the assistant's flows with
the real model are in test_assistant_window.py).
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor

from tests.ui.conftest import stored_text, wait_idle
from writer_app.ui.assistant.ghost_text import GhostText
from writer_app.ui.editor import ManuscriptEditor
from writer_app.ui.find_replace import FindReplaceBar
from writer_app.ui.preview import PREVIEW_MAX_CHARS
from writer_app.ui.search_panel import open_project_search
from writer_app.ui.text_positions import index_to_utf16, selected_text

ASTRAL = "😀 𠀀 🇫🇷 "  # an emoji, a CJK Extension B ideograph, a flag: two UTF-16 units per code point
PAGE = ASTRAL + "The ferry left at dawn. Mara waited on the quay."


@pytest.fixture
def editor(qtbot):
    widget = ManuscriptEditor()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.load_text(PAGE)
    widget.moveCursor(QTextCursor.MoveOperation.End)
    return widget


def test_tab_accepts_exactly_the_ghost_words_after_an_emoji(editor):
    ghost = GhostText(editor)
    ghost.begin()
    for piece in (" The", " gulls", " cried."):
        ghost.append(piece)
    assert ghost.text() == " The gulls cried."
    assert editor.manuscript_text() == PAGE
    assert ghost.accept() == " The gulls cried."
    assert editor.toPlainText() == editor.manuscript_text() == PAGE + " The gulls cried."
    editor.undo()
    assert editor.toPlainText() == PAGE


def test_a_ghost_in_the_middle_after_an_emoji_keeps_the_text_around_it(editor):
    at = PAGE.index(" Mara")
    ghost = GhostText(editor)
    ghost.begin(index_to_utf16(PAGE, at))
    ghost.append(" Gulls\u00a0cried.")  # a no-break space, as French punctuation has
    ghost.set_text(" Gulls\u00a0cried!")  # another variant replaces the first
    assert ghost.text() == " Gulls\u00a0cried!"
    ghost.accept()
    assert editor.manuscript_text() == PAGE[:at] + " Gulls\u00a0cried!" + PAGE[at:]


def test_accepted_ghost_text_is_stored_exactly(qtbot, main_window, profile_dir):
    window = main_window
    window.editor.insertPlainText(PAGE)
    ghost = GhostText(window.editor)
    ghost.begin()
    ghost.append(" The gulls")
    ghost.append(" cried.")
    window.autosave.save_now()
    wait_idle(qtbot, window)
    assert stored_text(profile_dir, window.current_node_id) == PAGE  # not the ghost
    ghost.accept()
    window.autosave.save_now()
    wait_idle(qtbot, window)
    assert stored_text(profile_dir, window.current_node_id) == PAGE + " The gulls cried."


def test_opening_a_search_hit_after_emoji_selects_exactly_the_hit(qtbot, main_window):
    window = main_window
    chapter = ASTRAL + "Morning came grey.\n\n" + ASTRAL * 3 + "The lighthouse keeper counted the gulls."
    window.editor.insertPlainText(chapter)
    panel = open_project_search(window)
    panel.query_field.setText("lighthouse")
    panel.run_search()
    qtbot.waitUntil(lambda: panel.results.count() == 1)
    panel.open_item(panel.results.item(0))
    qtbot.waitUntil(lambda: window.editor.textCursor().hasSelection())
    assert selected_text(window.editor.textCursor()) == "lighthouse"


def test_go_to_offset_steps_over_a_ghost_shown_before_the_place(editor):
    ghost = GhostText(editor)
    ghost.begin(index_to_utf16(PAGE, PAGE.index(" Mara")))
    ghost.append(" 🐚 Gulls cried.")
    editor.go_to_offset(PAGE.index("quay"), len("quay"))  # an index into the stored text
    assert selected_text(editor.textCursor()) == "quay"
    editor.go_to_offset(PAGE.index("ferry"), len("ferry"))
    assert selected_text(editor.textCursor()) == "ferry"


def test_find_and_replace_after_emoji_replace_exactly_the_match(qtbot, editor):
    editor.load_text(ASTRAL + "the cat and the Cat and 𠀀the dog cat")
    bar = FindReplaceBar(editor)
    qtbot.addWidget(bar)
    bar.open_find(replace=True)
    bar.find_field.setText("cat")
    bar.replace_field.setText("fox 😺")
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    assert bar.find_next()
    assert selected_text(editor.textCursor()) == "cat"
    bar.replace_one()
    assert editor.toPlainText() == ASTRAL + "the fox 😺 and the Cat and 𠀀the dog cat"
    assert selected_text(editor.textCursor()) == "Cat"  # Replace moved on to the next match
    assert bar.replace_all() == 2
    assert editor.toPlainText() == ASTRAL + "the fox 😺 and the fox 😺 and 𠀀the dog fox 😺"
    assert bar.find_previous() is False


def test_the_preview_of_a_long_document_shows_the_part_at_the_cursor(qtbot, main_window):
    window = main_window
    window.show()
    window.preview_dock.show()
    window.preview_dock.raise_()
    opening = "𠀀" * 12_000  # a long paragraph of supplementary-plane characters
    paragraphs = [f"Paragraph {i} " + "word " * 200 for i in range(40)]
    text = opening + "\n\n" + "\n\n".join(paragraphs)
    assert len(text) > PREVIEW_MAX_CHARS
    window.editor.setPlainText(text)
    window.editor.setTextCursor(window.editor.document().find("Paragraph 20 "))  # Qt finds it
    window.preview.render_now()
    qtbot.waitUntil(lambda: "Paragraph" in window.preview.toPlainText(), timeout=5000)
    assert "Paragraph 20 " in window.preview.toPlainText()


def _format_at(editor: ManuscriptEditor, position: int) -> QTextCharFormat | None:
    for r in editor.document().firstBlock().layout().formats():
        if r.start <= position < r.start + r.length:
            return QTextCharFormat(r.format)
    return None


def test_strong_text_with_an_emoji_is_bold_to_its_last_letter(editor):
    line = "**😀 Chapter 𠀀 One**"
    editor.setPlainText(line)
    last = _format_at(editor, index_to_utf16(line, len(line) - 2) - 1)  # the "e" before the closing **
    assert last is not None and last.fontWeight() == QFont.Weight.Bold
