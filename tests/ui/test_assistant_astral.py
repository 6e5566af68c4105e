"""The assistant's edits land on exactly the right words after an emoji (real embedded model).

Qt counts 😀, 𠀀 and a flag's letters as two positions each and a Python
``str`` as one; every test puts some before the words it acts on. One window
(one loaded model) is shared by the module; generations are short and greedy.
What the model was asked is read with a pass-through spy on ``jobs.stream_task``.
"""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from tests.ui.test_assistant_window import _action, _stored, _wait
from writer_app.ui.app import build_main_window
from writer_app.ui.assistant import jobs
from writer_app.ui.text_positions import cursor_at_index, selected_text

pytestmark = [pytest.mark.model, pytest.mark.slow]

STORY = "😀 𠀀 Mara walked down to the river at dawn. 🇫🇷 The ferry was late again. She"
SENTENCE = "The ferry was late again."


@pytest.fixture(scope="module")
def window(qapp, embedded_model_dir, tmp_path_factory):
    win = build_main_window(tmp_path_factory.mktemp("profile"))
    win.show()
    client = win.assistant.client
    assert _wait(qapp, lambda: client.model_info is not None or client.load_error, 120), "model did not load"
    assert client.load_error is None, client.load_error
    yield win
    win.assistant.shutdown()
    win.shutdown()
    win.close()
    win.deleteLater()


@pytest.fixture
def assistant(window):
    helper = window.assistant
    helper.cancel()
    helper.selection.discard()
    helper.style.clear()
    window.editor.load_text(STORY)
    helper.panel.temperature.setValue(0.0)
    helper.panel.length.setValue(12)
    helper.panel.variants.setValue(1)
    return helper


@pytest.fixture
def asked(monkeypatch) -> list[dict]:
    """The keyword arguments of every task job built (the real job is still built and run)."""
    calls: list[dict] = []
    real = jobs.stream_task

    def spy(request, settings):
        calls.append(dataclasses.asdict(request))
        return real(request, settings)

    monkeypatch.setattr(jobs, "stream_task", spy)
    return calls


def _select(window, start: int, end: int) -> None:
    window.editor.setTextCursor(cursor_at_index(window.editor.document(), start, end))


def test_continue_after_an_emoji_is_told_the_text_around_the_caret_and_tab_keeps_exactly_the_ghost(
        window, assistant, asked, qtbot):
    editor = window.editor
    at = STORY.index(" 🇫🇷 The ferry")
    editor.setTextCursor(cursor_at_index(editor.document(), at))
    with qtbot.waitSignal(assistant.client.finished, timeout=60_000):
        _action(window, "actionContinue").trigger()
    assert asked[-1]["before"] == STORY[:at] and asked[-1]["after"] == STORY[at:]
    ghost = assistant.continuation.ghost
    suggestion = ghost.text()
    assert suggestion.strip()
    assert editor.toPlainText() == STORY[:at] + suggestion + STORY[at:]
    assert editor.manuscript_text() == STORY
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert not ghost.active
    assert editor.manuscript_text() == STORY[:at] + suggestion + STORY[at:]
    assert _stored(window) == STORY[:at] + suggestion + STORY[at:]


def test_rewrite_after_an_emoji_replaces_exactly_the_selection(window, assistant, asked, qtbot):
    editor = window.editor
    start = STORY.index(SENTENCE)
    end = start + len(SENTENCE)
    _select(window, start, end)
    menu = editor.build_context_menu(editor.textCursor())
    concise = menu.findChild(object, "assistantRewriteMenu").findChild(QAction, "rewritePreset_concise")
    assistant.panel.length.setValue(20)
    with qtbot.waitSignal(assistant.client.finished, timeout=60_000):
        concise.trigger()
    panel = assistant.panel
    assert panel.original.toPlainText() == SENTENCE
    assert asked[-1]["text"] == SENTENCE
    assert asked[-1]["before"] == STORY[:start] and asked[-1]["after"] == STORY[end:]
    suggestion = panel.result.toPlainText()
    assert suggestion.strip()
    editor.setTextCursor(cursor_at_index(editor.document(), 0))
    qtbot.keyClicks(editor, "Chapter one. ")  # the author writes on before deciding
    panel.replace_button.click()
    assert editor.manuscript_text() == "Chapter one. " + STORY[:start] + suggestion + STORY[end:]
    assert _stored(window) == editor.manuscript_text()


def test_insert_after_an_emoji_goes_right_after_the_selection_with_one_space(window, assistant, qtbot):
    text = "😀 Mara walked down to the river."  # one emoji: the unit after the words is the space
    window.editor.load_text(text)
    words = "Mara walked down"
    start = text.index(words)
    end = start + len(words)
    _select(window, start, end)
    with qtbot.waitSignal(assistant.client.finished, timeout=60_000):
        _action(window, "actionExpand").trigger()
    suggestion = assistant.panel.result.toPlainText()
    assert suggestion.strip()
    assistant.panel.insert_button.click()
    assert window.editor.manuscript_text() == text[:end] + " " + suggestion.strip() + text[end:]


@pytest.mark.parametrize("scope", ["document", "selection"])
def test_style_underlines_and_apply_cover_exactly_the_flagged_words_after_emoji(window, assistant, qtbot,
                                                                                scope):
    editor = window.editor
    text = ("😀 She really walked very slowly to the door. 𠀀 She felt that the door was very old. "
            "🇫🇷 The door was opened by her slowly.")
    editor.load_text(text)
    base = 0
    if scope == "selection":
        base = text.index("𠀀 She felt")
        _select(window, base, len(text))
    with qtbot.waitSignal(assistant.client.finished, timeout=90_000):
        _action(window, "actionSuggestStyle").trigger()
    entries = assistant.style.entries
    assert entries, "the rule checks alone flag adverbs in this text"
    underlined = sorted(selected_text(s.cursor) for s in editor.extraSelections())
    assert underlined == sorted(entry.original for entry in entries)
    for entry in entries:
        suggestion = entry.suggestion
        assert entry.original == text[base + suggestion.start : base + suggestion.end]
    fixable = [i for i, entry in enumerate(entries) if entry.suggestion.replacement is not None]
    assert fixable, "the adverb rule offers a replacement"
    entry = entries[fixable[-1]]  # the last one: the most emoji before it
    start, end = base + entry.suggestion.start, base + entry.suggestion.end
    assert assistant.style.apply(fixable[-1])
    assert editor.manuscript_text() == text[:start] + entry.suggestion.replacement + text[end:]
