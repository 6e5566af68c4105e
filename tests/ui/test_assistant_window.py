"""The assistant in the real main window with the real embedded model.

One window (and one loaded model) is shared by the module: loading costs a
few seconds of the suite's CPU budget, and every test resets the document.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QTextCharFormat

from writer_app.ui.app import build_main_window

pytestmark = [pytest.mark.model, pytest.mark.slow]

STORY = "Mara walked down to the river at dawn. The ferry was late again. She"


@pytest.fixture(scope="module")
def window(qapp, embedded_model_dir, tmp_path_factory):
    win = build_main_window(tmp_path_factory.mktemp("profile"))
    win.show()
    assistant = win.assistant
    deadline_ok = _wait(qapp, lambda: assistant.client.model_info is not None or assistant.client.load_error, 120)
    assert deadline_ok and assistant.client.load_error is None, assistant.client.load_error
    yield win
    assistant.shutdown()
    win.shutdown()
    win.close()
    win.deleteLater()


def _wait(qapp, condition, seconds: float) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qapp.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def assistant(window, qtbot):
    """A fresh page: the story text, caret at the end, short deterministic generations."""
    helper = window.assistant
    helper.cancel()
    helper.selection.discard()
    helper.style.clear()
    window.editor.load_text(STORY)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    helper.panel.temperature.setValue(0.0)
    helper.panel.length.setValue(12)
    helper.panel.variants.setValue(1)
    return helper


def _stored(window) -> str:
    window.autosave.save_now()
    window.db.drain()
    return window.library.get_text(window.current_node_id)


def _action(window, name: str) -> QAction:
    action = window.findChild(QAction, name)
    assert action is not None, name
    return action


def test_actions_exist_with_stable_names(window):
    for name in ("actionContinue", "actionCancel", "actionRewrite", "actionExpand", "actionSummarise",
                 "actionSuggestStyle"):
        _action(window, name)
    assert window.findChild(object, "assistantPanel") is not None
    assert window.findChild(object, "stylePanel") is not None
    assert _action(window, "actionContinue").shortcut().toString() == "Ctrl+Return"
    # Esc is free for the find bar and focus mode while the assistant has nothing to stop.
    assert not _action(window, "actionCancel").isEnabled()


def test_continue_streams_ghost_text_and_tab_accepts_as_one_undo_step(window, assistant, qtbot):
    editor = window.editor
    streamed: list[str] = []
    assistant.client.tokenProduced.connect(lambda _rid, piece: streamed.append(piece))
    with qtbot.waitSignal(assistant.client.finished, timeout=60_000):
        _action(window, "actionContinue").trigger()
    ghost = assistant.continuation.ghost
    assert streamed, "the model produced nothing"
    assert ghost.active and ghost.text().strip()
    assert editor.manuscript_text() == STORY  # autosave never sees unaccepted words
    assert editor.toPlainText() == STORY + ghost.text()
    probe = editor.textCursor()
    probe.setPosition(len(STORY) + len(ghost.text()))
    assert probe.charFormat().fontItalic()  # visibly different from the author's text
    overlay = [(sel.cursor.selectionStart(), sel.cursor.selectionEnd()) for sel in editor.extraSelections()]
    assert overlay == [editor.ghost_range]  # grey even where the highlighter colours dialogue
    suggestion = ghost.text()
    assert _action(window, "actionCancel").isEnabled()
    assert _stored(window) == STORY  # autosave stored the page without the ghost

    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert not ghost.active and editor.ghost_range is None
    assert editor.manuscript_text() == STORY + suggestion
    probe = editor.textCursor()
    probe.setPosition(len(STORY) + len(suggestion))
    assert probe.charFormat().fontItalic() == QTextCharFormat().fontItalic()
    assert _stored(window) == STORY + suggestion
    editor.undo()
    assert editor.toPlainText() == STORY



def test_variants_can_be_browsed_and_retry_adds_one(window, assistant, qtbot):
    editor = window.editor
    assistant.panel.temperature.setValue(1.0)
    assistant.panel.length.setValue(8)
    assistant.panel.variants.setValue(2)
    flow = assistant.continuation
    _action(window, "actionContinue").trigger()
    qtbot.waitUntil(lambda: len(flow.variants) == 2 and not flow.generating, timeout=90_000)
    assert flow.ghost.text() == flow.variants[0]
    qtbot.keyClick(editor, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.AltModifier)
    assert flow.ghost.text() == flow.variants[1] and flow.index == 1
    assert editor.manuscript_text() == STORY
    _action(window, "actionContinue").trigger()  # Ctrl+Enter again: one more variant
    qtbot.waitUntil(lambda: len(flow.variants) == 3 and not flow.generating, timeout=90_000)
    assert flow.index == 2 and flow.ghost.text() == flow.variants[2]
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.toPlainText() == STORY and not flow.ghost.active

def test_esc_stops_a_generation_within_a_token_step(window, assistant, qtbot):
    editor = window.editor
    assistant.panel.length.setValue(200)
    state = {"before": 0, "after": 0, "cancelled": False}

    def on_token(_rid: int, _piece: str) -> None:
        state["after" if state["cancelled"] else "before"] += 1
        if state["before"] == 3 and not state["cancelled"]:
            state["cancelled"] = True
            qtbot.keyClick(editor, Qt.Key.Key_Escape)  # the window's actionCancel

    assistant.client.tokenProduced.connect(on_token)
    try:
        with qtbot.waitSignal(assistant.client.finished, timeout=60_000) as done:
            _action(window, "actionContinue").trigger()
    finally:
        assistant.client.tokenProduced.disconnect(on_token)
    assert state["cancelled"] and done.args[2]["cancelled"]
    assert state["after"] <= 2  # at most what was already queued when Esc landed
    assert editor.toPlainText() == STORY and editor.ghost_range is None


def test_right_click_rewrite_replaces_exactly_the_selection(window, assistant, qtbot):
    editor = window.editor
    sentence = "The ferry was late again."
    start = STORY.index(sentence)
    cursor = editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(start + len(sentence), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    menu = editor.build_context_menu(cursor)
    rewrite_menu = menu.findChild(object, "assistantRewriteMenu")
    labels = [a.text() for a in rewrite_menu.actions() if a.text()]
    assert "Custom instruction…" in labels and len(labels) >= 8
    concise = rewrite_menu.findChild(QAction, "rewritePreset_concise")
    assistant.panel.length.setValue(20)
    with qtbot.waitSignal(assistant.client.finished, timeout=60_000):
        concise.trigger()
    panel = assistant.panel
    assert panel.original.toPlainText() == sentence
    suggestion = panel.result.toPlainText()
    assert suggestion.strip() and panel.replace_button.isEnabled()

    # The author keeps writing elsewhere before deciding: the tracked range follows.
    moved = editor.textCursor()
    moved.setPosition(0)
    editor.setTextCursor(moved)
    qtbot.keyClicks(editor, "Chapter one. ")
    panel.replace_button.click()
    expected = "Chapter one. " + STORY[:start] + suggestion + STORY[start + len(sentence):]
    assert editor.manuscript_text() == expected
    editor.undo()
    assert editor.toPlainText() == "Chapter one. " + STORY

    window.db.drain()
    reasons = [r.reason for r in window.library.revisions(window.current_node_id)]
    assert "before-ai-edit" in reasons


def test_a_rewrite_failing_the_hard_checks_is_tried_again_then_shown_under_a_warning(window, assistant, qtbot,
                                                                                    monkeypatch):
    """Twelve greedy tokens cannot reach the names at the end of this selection: every try drops them
    (unconstrained: the token masks, ``llm.constraints``, would write the names in)."""
    wanted = assistant.generation_settings
    monkeypatch.setattr(assistant, "generation_settings", lambda: wanted().with_(constrained=False))
    editor = window.editor
    passage = ("The ferry was late again, and the fog sat low over the grey water of the harbour while the "
               "boatman mended his nets and the gulls cried, until at last old Tobias came down with Edmund.")
    editor.load_text(passage)
    cursor = editor.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(len(passage), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    panel = assistant.panel
    assert assistant.selection.run("rewrite", preset="rephrase")
    qtbot.waitUntil(lambda: "trying again (2 of 3)" in panel.title.text(), timeout=60_000)
    qtbot.waitUntil(lambda: panel.warning.isVisible() and panel.replace_button.isEnabled(), timeout=120_000)
    warning = panel.warning.text()
    assert "dropped" in warning and "Tobias" in warning and "after 3 tries" in warning
    assert panel.result.toPlainText().startswith("The ferry was late")  # the answer opens with the selection's words
    assert "trying again" not in panel.title.text()
    assert editor.manuscript_text() == passage  # nothing was put into the text
    panel.discard_button.click()
    assert not panel.warning.isVisible()


def test_suggest_style_underlines_the_spans_listed_in_the_panel(window, assistant, qtbot):
    editor = window.editor
    text = ("She really walked very slowly to the door. She felt that the door was very old. "
            "The door was opened by her slowly.")
    editor.load_text(text)
    with qtbot.waitSignal(assistant.client.finished, timeout=90_000):
        _action(window, "actionSuggestStyle").trigger()
    entries = assistant.style.entries
    assert entries, "the rule checks alone should flag adverbs in this text"
    underlines = editor.extraSelections()
    spans = sorted((s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in underlines)
    assert spans == sorted(e.span.bounds() for e in entries)
    assert all(s.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline for s in underlines)
    listed = []
    tree = assistant.style_panel.tree
    for g in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(g)
        listed += [group.child(c).text(0) for c in range(group.childCount())]
    assert len(listed) == len(entries)
    for entry, span in zip(entries, (e.span.bounds() for e in entries), strict=True):
        assert editor.toPlainText()[span[0]:span[1]] == entry.original
        assert any(entry.suggestion.problem in line for line in listed)

    # Dismissing one removes its underline; applying one edits only its span.
    assistant.style.dismiss(0)
    assert len(editor.extraSelections()) == len(entries)
    fixable = [i for i, e in enumerate(assistant.style.entries) if e.suggestion.replacement is not None]
    if fixable:
        entry = assistant.style.entries[fixable[0]]
        start, end = entry.span.bounds()
        cursor = editor.textCursor()
        cursor.setPosition(0)
        cursor.insertText("Prologue. ")
        assert assistant.style.apply(fixable[0])
        after = editor.toPlainText()
        assert after.startswith("Prologue. ")
        replacement = entry.suggestion.replacement
        assert after[start + 10:start + 10 + len(replacement)] == replacement


def test_model_load_error_shows_a_message_and_typing_still_works(window, assistant, qtbot, tmp_path):
    settings = window.settings
    good = settings.model
    settings.model = str(tmp_path / "missing-model")
    try:
        with qtbot.waitSignal(assistant.client.loadFailed, timeout=60_000):
            assistant.reload_model()
        assert assistant.panel.banner.isVisible()
        assert "could not be loaded" in assistant.panel.banner.text()
        assert assistant.status_label.text() == "Model: not loaded"
        editor = window.editor
        editor.setFocus()
        qtbot.keyClicks(editor, " still here")
        assert editor.manuscript_text() == STORY + " still here"
        with qtbot.waitSignal(assistant.client.failed, timeout=10_000):
            _action(window, "actionContinue").trigger()
        assert editor.toPlainText() == STORY + " still here" and editor.ghost_range is None
    finally:
        settings.model = good
        with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000):
            assistant.reload_model()
    assert not assistant.panel.banner.isVisible()



def test_continue_uses_story_bible_entries_and_the_story_so_far(window, assistant, qtbot):
    project_id, node_id = window.current_project_id, window.current_node_id

    def prepare(library):
        library.add_bible_entry(project_id, "character", "Mara", description="the ferrywoman, blind in one eye")
        library.add_bible_entry(project_id, "place", "Lantern Hill", description="never mentioned here")
        earlier = library.create_node(project_id, "chapter", "Prologue", position=0)
        library.set_summary(earlier.id, "Mara lost her brother to the river.", approved=True)

    window.db.submit(prepare)
    window.db.drain()
    assistant.panel.length.setValue(8)
    used = []
    assistant.continuation.contextUsed.connect(used.append)
    with qtbot.waitSignal(assistant.client.finished, timeout=60_000):
        _action(window, "actionContinue").trigger()
    assert used and used[-1].bible_names == ["Mara"]
    assert "Mara lost her brother" in used[-1].story_so_far
    assert "Mara" in assistant.panel.context_label.text()
    assert "Lantern Hill" not in assistant.panel.context_label.text()
    assert window.current_node_id == node_id


def test_summarise_without_a_selection_stores_the_chapter_summary_once_accepted(window, assistant, qtbot):
    assistant.cancel()
    cursor = window.editor.textCursor()
    cursor.clearSelection()
    window.editor.setTextCursor(cursor)
    qtbot.waitUntil(lambda: _action(window, "actionSummarise") is not None)
    _action(window, "actionSummarise").trigger()
    review = assistant.summaries.review
    qtbot.waitUntil(lambda: review.current is not None, timeout=90_000)
    window.db.drain()
    assert window.library.get_summary(window.current_node_id) == ""  # nothing stored before Accept
    review.accept_button.click()
    qtbot.waitUntil(lambda: bool(assistant.panel.summary.toPlainText().strip()), timeout=90_000)
    window.db.drain()
    assert window.library.get_summary(window.current_node_id) == assistant.panel.summary.toPlainText()
    assert window.library.summary(window.current_node_id).approved


def test_event_loop_stays_responsive_while_streaming(window, assistant, qtbot, capsys):
    """Measure the GUI's longest stall while 200 tokens stream in (figures printed, no time limit)."""
    import time

    from PySide6.QtCore import QTimer

    assistant.panel.length.setValue(200)
    assistant.panel.temperature.setValue(0.7)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    pieces: list[str] = []
    assistant.client.tokenProduced.connect(lambda _rid, piece: pieces.append(piece))
    timer.start()
    with qtbot.waitSignal(assistant.client.finished, timeout=180_000) as done:
        _action(window, "actionContinue").trigger()
    timer.stop()
    gaps = sorted((b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False))
    assert len(gaps) > 10 and pieces
    p99 = gaps[int(len(gaps) * 0.99) - 1]
    with capsys.disabled():
        print(f"\n[responsiveness] {len(pieces)} pieces in {done.args[2]['seconds']:.1f} s "
              f"({done.args[2]['tokens_per_second']:.1f} tokens/s); event-loop gaps over {len(gaps)} ticks: "
              f"max {gaps[-1]:.1f} ms, p99 {p99:.1f} ms, median {gaps[len(gaps) // 2]:.1f} ms")
    assistant.cancel()


def test_a_crashed_model_process_keeps_the_streamed_words_and_reload_brings_it_back(window, assistant, qtbot):
    import os
    import signal

    editor = window.editor
    client = assistant.client
    host_pid = client.host_pid
    assistant.panel.length.setValue(200)
    failures: list[str] = []
    client.failed.connect(lambda _rid, message: failures.append(message))
    streamed: list[str] = []

    def kill_after_three(_rid: int, piece: str) -> None:
        streamed.append(piece)
        if len(streamed) == 3:
            os.kill(host_pid, signal.SIGKILL)

    client.tokenProduced.connect(kill_after_three)
    try:
        _action(window, "actionContinue").trigger()
        qtbot.waitUntil(lambda: bool(failures), timeout=60_000)
    finally:
        client.tokenProduced.disconnect(kill_after_three)
    qtbot.wait(100)
    assert len(failures) == 1 and "model process stopped" in failures[0]
    ghost = assistant.continuation.ghost
    assert ghost.active and ghost.text() == "".join(streamed)  # what was streamed stays, still a suggestion
    assert editor.manuscript_text() == STORY  # the author's words are untouched
    assert "model process stopped" in window.statusBar().currentMessage()
    assert assistant.panel.banner.isVisible() and "Reload" in assistant.panel.banner.text()
    assert assistant.status_label.text() == "Model: not loaded"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.toPlainText() == STORY

    with qtbot.waitSignal(client.modelLoaded, timeout=120_000):
        _action(window, "actionReloadModel").trigger()
    assert client.host_pid not in (None, host_pid) and not assistant.panel.banner.isVisible()
    assistant.panel.length.setValue(8)
    with qtbot.waitSignal(client.finished, timeout=60_000):
        _action(window, "actionContinue").trigger()
    assert ghost.active and ghost.text().strip()
