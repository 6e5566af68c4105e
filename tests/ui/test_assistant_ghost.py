"""Ghost text mechanics in the real editor: undo history, autosave text, keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from writer_app.ui.assistant.ghost_text import GHOST_COLOUR, GhostText
from writer_app.ui.editor import ManuscriptEditor

ORIGINAL = "The ferry left at dawn."


@pytest.fixture
def editor(qtbot):
    widget = ManuscriptEditor()
    qtbot.addWidget(widget)
    widget.load_text(ORIGINAL)
    cursor = widget.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    widget.setTextCursor(cursor)
    widget.insertPlainText(" Mara waited.")  # the author's own edit: one undo step
    return widget


def _stream(ghost: GhostText, pieces):
    ghost.begin()
    for piece in pieces:
        ghost.append(piece)


def test_ghost_is_visible_grey_and_left_out_of_manuscript_text(editor):
    ghost = GhostText(editor)
    _stream(ghost, [" The", " river", " sang."])
    assert editor.toPlainText().endswith("Mara waited. The river sang.")
    assert editor.manuscript_text() == ORIGINAL + " Mara waited."
    cursor = editor.textCursor()
    assert cursor.position() == len(ORIGINAL + " Mara waited.")  # caret stays before the ghost
    cursor.setPosition(len(editor.toPlainText()) - 2)
    assert cursor.charFormat().foreground().color() == GHOST_COLOUR
    assert cursor.charFormat().fontItalic()


def test_accept_is_one_undo_step(editor, qtbot):
    ghost = GhostText(editor)
    _stream(ghost, [" The", " river", " sang."])
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # emits acceptRequested; the assistant accepts
    assert ghost.active  # the signal alone does not accept
    assert ghost.accept() == " The river sang."
    assert editor.ghost_range is None
    assert editor.manuscript_text() == ORIGINAL + " Mara waited. The river sang."
    cursor = editor.textCursor()
    assert cursor.position() == len(editor.toPlainText())
    cursor.setPosition(len(editor.toPlainText()) - 2)
    assert not cursor.charFormat().fontItalic()
    editor.undo()  # ONE undo removes the whole accepted continuation
    assert editor.toPlainText() == ORIGINAL + " Mara waited."
    editor.undo()  # the author's own edit is still the step before
    assert editor.toPlainText() == ORIGINAL
    editor.redo()
    editor.redo()
    assert editor.toPlainText() == ORIGINAL + " Mara waited. The river sang."


def test_discard_leaves_history_untouched_and_redo_empty(editor):
    steps = editor.document().availableUndoSteps()
    ghost = GhostText(editor)
    _stream(ghost, [" The", " river"])
    ghost.set_text(" Another variant.")
    ghost.discard()
    assert editor.toPlainText() == ORIGINAL + " Mara waited."
    assert editor.document().availableUndoSteps() == steps
    assert not editor.document().isRedoAvailable()
    editor.undo()
    assert editor.toPlainText() == ORIGINAL


def test_typing_discards_the_ghost_before_the_key_lands(editor, qtbot):
    ghost = GhostText(editor)
    _stream(ghost, [" The", " river"])
    qtbot.keyClicks(editor, "!")
    assert not ghost.active and editor.ghost_range is None
    assert editor.toPlainText() == ORIGINAL + " Mara waited.!"


def test_undo_from_elsewhere_ends_ghost_tracking(editor):
    ghost = GhostText(editor)
    _stream(ghost, [" The", " river"])
    editor.undo()  # e.g. Edit ▸ Undo in the menu bar
    assert not ghost.active and editor.ghost_range is None
    assert editor.toPlainText() == ORIGINAL + " Mara waited."


def test_streaming_ghost_text_stays_on_screen(qtbot):
    """At the bottom of a long chapter the view follows the continuation as it streams."""
    widget = ManuscriptEditor()
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    qtbot.waitExposed(widget)
    widget.load_text("\n\n".join(f"Paragraph {i} of the chapter." for i in range(80)))
    cursor = widget.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    widget.setTextCursor(cursor)
    widget.ensureCursorVisible()
    ghost = GhostText(widget)
    _stream(ghost, [" And then the river rose."] + [f"\n\nNew line {i} of the continuation." for i in range(12)])
    end = widget.textCursor()
    end.setPosition(len(widget.toPlainText()))
    assert widget.cursorRect(end).bottom() <= widget.viewport().height()
    assert widget.manuscript_text().endswith("Paragraph 79 of the chapter.")


def test_a_ghost_torn_down_by_the_garbage_collector_ignores_the_editors_events(editor, qtbot):
    """Python's cycle collector can clear a ghost's attributes while its C++ half, a child of
    the editor, still filters the editor's events (a deferred delete, a key): it must answer
    "not mine" instead of raising inside Qt's event loop (a CI run once failed that way)."""
    ghost = GhostText(editor)
    ghost.__dict__.clear()  # what tp_clear does to a wrapper caught in a reference cycle
    end = editor.textCursor().position()
    qtbot.keyClick(editor, Qt.Key.Key_Left)
    assert editor.textCursor().position() == end - 1  # the editor still got the key
    qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton)  # pytest-qt fails on a raise
    assert editor.toPlainText() == ORIGINAL + " Mara waited."
