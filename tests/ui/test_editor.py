"""The prose editor on its own: highlighting, find/replace, zoom, column, ghost text, context menu."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont, QTextCursor

from writer_app.ui.editor import ManuscriptEditor
from writer_app.ui.find_replace import FindReplaceBar


@pytest.fixture
def editor(qtbot):
    widget = ManuscriptEditor()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    return widget


def formats_at(editor: ManuscriptEditor, block_number: int) -> list:
    block = editor.document().findBlockByNumber(block_number)
    return block.layout().formats()


def test_headings_emphasis_and_dialogue_are_highlighted(editor):
    editor.setPlainText('# Chapter One\n\nShe said, "Come in," and *smiled*. It was **late**.')
    heading = formats_at(editor, 0)
    assert heading and heading[0].format.fontWeight() == QFont.Weight.Bold
    body = editor.document().findBlockByNumber(2).text()
    ranges = formats_at(editor, 2)
    dialogue_start = body.index('"Come')
    assert any(r.start <= dialogue_start < r.start + r.length and r.format.foreground().color().isValid()
               for r in ranges)
    italic_at = body.index("smiled")
    assert any(r.start <= italic_at < r.start + r.length and r.format.fontItalic() for r in ranges)
    bold_at = body.index("late")
    assert any(r.start <= bold_at < r.start + r.length and r.format.fontWeight() == QFont.Weight.Bold
               for r in ranges)


def test_text_sits_in_a_centred_column(editor):
    editor.set_editor_font("Georgia", 13, 60)
    editor.show()
    margins = editor.viewportMargins()
    assert margins.left() == margins.right() and margins.left() > 24
    assert editor.viewport().width() == pytest.approx(editor.column_width(), abs=40)


def test_zoom_changes_the_font_and_resets(editor):
    size = editor.current_point_size()
    editor.zoom(2)
    assert editor.current_point_size() == size + 2
    editor.zoom(-1)
    assert editor.current_point_size() == size + 1
    editor.zoom(0)
    assert editor.current_point_size() == size


def test_manuscript_text_leaves_out_ghost_text(editor):
    editor.setPlainText("Real words. Suggested words.")
    editor.ghost_range = (11, 28)
    assert editor.manuscript_text() == "Real words."
    editor.ghost_range = None
    assert editor.manuscript_text() == "Real words. Suggested words."


def test_context_menu_hooks_add_entries(editor):
    seen = []

    def hook(menu, cursor):
        seen.append(cursor.position())
        menu.addAction("Rewrite…")

    editor.context_menu_hooks.append(hook)
    editor.setPlainText("Some text here")
    cursor = editor.textCursor()
    cursor.setPosition(5)
    menu = editor.build_context_menu(cursor)
    assert "Rewrite…" in [a.text() for a in menu.actions()]
    assert seen == [5]


def test_find_replace_all_is_one_undo_step(qtbot, editor):
    editor.setPlainText("the cat and the Cat and the dog")
    bar = FindReplaceBar(editor)
    qtbot.addWidget(bar)
    bar.open_find(replace=True)
    bar.find_field.setText("cat")
    assert bar.find_next()
    assert editor.textCursor().selectedText() == "cat"
    bar.replace_field.setText("fox")
    assert bar.replace_all() == 2
    assert editor.toPlainText() == "the fox and the fox and the dog"
    editor.undo()
    assert editor.toPlainText() == "the cat and the Cat and the dog"
    bar.case_box.setChecked(True)
    bar.find_field.setText("Cat")
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    assert bar.find_next()
    assert editor.textCursor().selectionStart() == 16
    bar.find_field.setText("zebra")
    assert not bar.find_next()
    assert bar.status.text() == "Not found"


def test_typing_in_a_long_chapter(qtbot, editor):
    """10,000 words load, and typing at the end updates the text (no wall-clock assert)."""
    paragraph = " ".join(["word"] * 100)
    editor.load_text("\n\n".join([paragraph] * 100))
    editor.show()
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor, " The end.")
    assert editor.toPlainText().endswith("word The end.")
    assert editor.document().blockCount() == 199
