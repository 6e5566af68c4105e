"""Ghost text in Chinese is grey and upright; Latin text in a ghost stays italic (the real editor)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextCursor

from writer_app.ui.assistant.ghost_text import GHOST_COLOUR, GhostText, italic_runs
from writer_app.ui.editor import ManuscriptEditor


@pytest.fixture
def editor(qtbot):
    widget = ManuscriptEditor()
    qtbot.addWidget(widget)
    return widget


def _formats(editor: ManuscriptEditor, start: int) -> list[tuple[str, bool, bool]]:
    """(character, italic, grey) for every character from Qt position ``start`` to the end."""
    out = []
    text = editor.toPlainText()
    for position in range(start, len(text)):
        cursor = QTextCursor(editor.document())
        cursor.setPosition(position + 1)  # charFormat() is the format of the character before the cursor
        fmt = cursor.charFormat()
        out.append((text[position], fmt.fontItalic(), fmt.foreground().color() == GHOST_COLOUR))
    return out


def _ghost_after(editor: ManuscriptEditor, author_text: str, pieces: list[str]) -> GhostText:
    editor.load_text(author_text)
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    ghost = GhostText(editor)
    ghost.begin()
    for piece in pieces:
        ghost.append(piece)
    return ghost


def test_a_chinese_ghost_is_grey_and_never_italic(editor):
    _ghost_after(editor, "雨停了。", ["他", "走", "了", "。", "“你好", "。”"])
    formats = _formats(editor, len("雨停了。"))
    assert "".join(c for c, *_ in formats) == "他走了。“你好。”"
    assert all(grey and not italic for _c, italic, grey in formats)


def test_latin_words_inside_a_chinese_ghost_are_italic_and_the_chinese_is_not(editor):
    _ghost_after(editor, "雨停了。", ["他说", " OK", " 了。"])
    formats = dict((c, italic) for c, italic, _grey in _formats(editor, len("雨停了。")))
    assert formats["O"] and formats["K"]
    assert not formats["他"] and not formats["了"] and not formats["。"]


def test_an_english_ghost_stays_italic(editor):
    _ghost_after(editor, "The ferry left.", [" She", " waited."])
    formats = _formats(editor, len("The ferry left."))
    assert all(italic and grey for c, italic, grey in formats if c.strip())


def test_the_overlay_repeats_the_same_choice_per_span(editor):
    ghost = _ghost_after(editor, "雨停了。", ["他说 OK 了。"])
    selections = ghost.extra_selections()
    looks = [(s.cursor.selectedText(), s.format.fontItalic()) for s in selections]
    assert looks == [("他说 ", False), ("OK ", True), ("了。", False)]
    assert all(s.format.foreground().color() == GHOST_COLOUR for s in selections)


def test_replacing_the_ghost_with_a_chinese_variant_is_upright(editor):
    ghost = _ghost_after(editor, "The ferry left.", [" She waited."])
    ghost.set_text("他走了。")
    formats = _formats(editor, len("The ferry left."))
    assert [(c, italic) for c, italic, _ in formats] == [("他", False), ("走", False), ("了", False), ("。", False)]


def test_italic_runs_follow_the_script_before_them():
    assert italic_runs("他说 OK 了。", italic_before=False) == [(0, 3, False), (3, 6, True), (6, 8, False)]
    assert italic_runs(" 123 ", italic_before=False) == [(0, 5, False)]
    assert italic_runs(" 123 ", italic_before=True) == [(0, 5, True)]
    assert italic_runs("", True) == []
    assert italic_runs("𠀀 a", True) == [(0, 2, False), (2, 3, True)]
