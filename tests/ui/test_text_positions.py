"""Qt positions (UTF-16 code units) against Python str indexes: the one pair of helpers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor, QTextDocument

from writer_app.ui import editor as editor_module
from writer_app.ui.text_positions import (
    cursor_at_index,
    cursor_index,
    cursor_span,
    document_text,
    index_to_utf16,
    selected_text,
    utf16_to_index,
)

ASTRAL = "😀𠀀𝒜🇫🇷"  # emoji, a CJK Extension B ideograph, a mathematical letter, a flag (two code points)
# Arbitrary text without surrogates (a str from Qt never holds a lone one), with astral characters
# drawn often enough that most examples have several.
prose = st.text(st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(ASTRAL + "ab \n")),
                max_size=40)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@given(prose, st.data())
def test_index_to_utf16_counts_code_units_and_round_trips(text, data):
    index = data.draw(st.integers(0, len(text)))
    position = index_to_utf16(text, index)
    assert position == _units(text[:index])
    assert utf16_to_index(text, position) == index


@given(prose, st.data())
def test_utf16_to_index_inverts_every_position_and_floors_inside_a_pair(text, data):
    position = data.draw(st.integers(0, _units(text)))
    index = utf16_to_index(text, position)
    assert _units(text[:index]) <= position <= _units(text[: index + 1])
    inside_a_pair = index < len(text) and _units(text[:index]) < position
    assert index_to_utf16(text, index) == (position - 1 if inside_a_pair else position)


@given(prose, st.integers(-5, 100), st.integers(-5, 100))
def test_out_of_range_values_are_clamped_to_the_text(text, index, position):
    assert 0 <= index_to_utf16(text, index) <= _units(text)
    assert 0 <= utf16_to_index(text, position) <= len(text)
    assert index_to_utf16(text, len(text) + 3) == _units(text)
    assert utf16_to_index(text, _units(text) + 3) == len(text)


@settings(max_examples=60, deadline=None)
@given(prose, st.data())
def test_the_helpers_agree_with_a_real_qt_document(qapp, text, data):
    document = QTextDocument()
    document.setPlainText(text)
    shown = document_text(document)
    start = data.draw(st.integers(0, len(shown)))
    end = data.draw(st.integers(start, len(shown)))
    cursor = cursor_at_index(document, start, end)
    assert selected_text(cursor) == shown[start:end]
    assert cursor_span(cursor) == (start, end) == cursor_span(cursor, shown)
    assert cursor_index(cursor) == end
    assert (cursor.selectionStart(), cursor.selectionEnd()) == (index_to_utf16(shown, start),
                                                                index_to_utf16(shown, end))


def test_document_text_keeps_no_break_spaces_and_makes_paragraphs_newlines(qapp):
    document = QTextDocument()
    document.setPlainText("« Oui »\u00a0😀\nnext")
    cursor = QTextCursor(document)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertText("\u2028line")  # Shift+Enter
    assert document_text(document) == "« Oui »\u00a0😀\nnext\nline"
    everything = cursor_at_index(document, 0, len(document_text(document)))
    assert selected_text(everything) == document_text(document)


@pytest.mark.parametrize("name", ["utf16_to_index", "index_to_utf16"])
def test_the_editor_module_still_exports_the_helpers(name):
    assert getattr(editor_module, name) is globals()[name]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab 😀𠀀🇫🇷\n中"), max_size=40), st.integers(-3, 45))
def test_utf16_positions_agree_with_index_to_utf16(text, index):
    from writer_app.ui.text_positions import Utf16Positions

    assert Utf16Positions(text)(index) == index_to_utf16(text, index)
