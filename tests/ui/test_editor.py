"""The prose editor on its own: highlighting, find/replace, zoom, column, ghost text, context menu."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor

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


def test_emphasis_dialogue_and_scene_breaks_are_highlighted_as_every_export_reads_them(editor):
    editor.setPlainText('# not a heading\n\nShe said, "Come in," and *smiled*. It was **late**.\n#\n> not a quote')
    assert formats_at(editor, 0) == []  # a line starting with "#" is a paragraph in every export
    assert formats_at(editor, 4) == []  # so is one starting with ">"
    scene_break = formats_at(editor, 3)
    assert scene_break and scene_break[0].length == 1  # a lone "#" is a scene break
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


def _format_at(editor: ManuscriptEditor, block_number: int, position: int):
    """The highlighter's format at a Qt (UTF-16) position of a block, or None."""
    ranges = formats_at(editor, block_number)
    for r in ranges:
        if r.start <= position < r.start + r.length:
            return QTextCharFormat(r.format)  # a copy: the range list owns the original
    return None


def test_highlighting_lands_on_the_right_characters_after_an_emoji(editor):
    text = "😀 She said “yes” and *smiled*."
    editor.setPlainText(text)
    qt_text = editor.document().findBlockByNumber(0).text()
    closing = len(text[: text.rindex("*")].encode("utf-16-le")) // 2  # Qt counts the emoji twice
    assert qt_text.encode("utf-16-le")[2 * closing:2 * closing + 2] == "*".encode("utf-16-le")
    fmt = _format_at(editor, 0, closing)
    assert fmt is not None and fmt.fontItalic()
    after = _format_at(editor, 0, closing + 1)
    assert after is None or not after.fontItalic()
    quote_end = len(text[: text.index("”")].encode("utf-16-le")) // 2
    assert _format_at(editor, 0, quote_end).foreground().color().isValid()


def test_nested_styles_merge_into_runs(editor):
    editor.setPlainText('“A **bold** and *soft* reply,” she said.')
    text = editor.toPlainText()
    bold = _format_at(editor, 0, text.index("bold"))
    soft = _format_at(editor, 0, text.index("soft"))
    assert bold.fontWeight() == QFont.Weight.Bold and bold.foreground().color().isValid()
    assert soft.fontItalic() and not soft.fontWeight() == QFont.Weight.Bold
    runs = formats_at(editor, 0)
    assert all(a.start + a.length <= b.start for a, b in zip(runs, runs[1:], strict=False))
    assert len(runs) <= 10


def test_a_giant_block_is_shown_plain(editor):
    from writer_app.ui.highlighter import MAX_HIGHLIGHT_CHARS

    editor.setPlainText(('He said, "Go." ' * (MAX_HIGHLIGHT_CHARS // 15 + 10)) + "\nShe said *no*.")
    assert formats_at(editor, 0) == []
    assert formats_at(editor, 1)  # the next, normal block is still highlighted


def test_the_editor_survives_a_long_session_of_highlighting(tmp_path):
    """PySide6 6.12.0 on CPython 3.11 drops a reference to None on every void call; without
    writer_app.ui's guard the interpreter aborts ("none_dealloc") after a few thousand."""
    import subprocess
    import sys

    script = (
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from writer_app.ui.editor import ManuscriptEditor\n"
        "editor = ManuscriptEditor()\n"
        "editor.setPlainText('\\n'.join(['She said, \"Yes,\" and *smiled*; **then** \"no\".'] * 400))\n"
        "for _ in range(60):\n"
        "    editor.highlighter.rehighlight()\n"
        "print('survived')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0 and "survived" in proc.stdout, proc.stderr[-1500:]
