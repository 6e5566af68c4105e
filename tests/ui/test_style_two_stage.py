"""Suggest style in two stages, in the real window with the real embedded model.

The rule findings are listed before the model is even asked (asserted through
the order of the feature's signals, not the clock); the model's critique
merges in item by item without repeating a rule's span; Apply and Dismiss
keep the count and every remaining span right, also while the critique is
still on its way.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.test_assistant_window import _action, _wait
from writer_app.llm.critique import duplicates_a_rule
from writer_app.text.suggestions import Suggestion
from writer_app.ui.app import build_main_window

pytestmark = [pytest.mark.model, pytest.mark.slow]

# The embedded model, greedy, flags "big man" here, which no rule does (the rules flag the second "big").
PASSAGE = "He was a big man with a big voice. The room was nice and the food was good. They talked about many things all night."


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
    helper.style.clear()
    helper.panel.temperature.setValue(0.0)
    helper.panel.length.setValue(40)
    helper.panel.variants.setValue(1)
    return helper


def _listed(panel) -> list[str]:
    tree = panel.tree
    return [tree.topLevelItem(g).child(c).text(0)
            for g in range(tree.topLevelItemCount()) for c in range(tree.topLevelItem(g).childCount())]


def _spans_match(window, entries) -> bool:
    text = window.editor.manuscript_text()
    return all(text[slice(*e.span.index_bounds(text))] == e.original for e in entries)


def test_rule_findings_are_listed_before_the_critique_starts_and_the_critique_merges_in(window, assistant, qtbot):
    style, panel, client = assistant.style, assistant.style_panel, assistant.client
    window.editor.load_text(PASSAGE)
    events: list[tuple] = []
    style.rulesShown.connect(lambda n: events.append(
        ("rules", n, panel.listed_count(), style.request_id, style.reading, not panel.cancel_button.isHidden(),
         panel.status.text())))
    client.tokenProduced.connect(lambda rid, _piece: events.append(("piece",)) if rid == style.request_id else None)
    style.critiqueItemMerged.connect(lambda item: events.append(("merged", item, panel.listed_count())))
    with qtbot.waitSignal(style.critiqueEnded, timeout=180_000) as ended:
        _action(window, "actionSuggestStyle").trigger()
    assert ended.args == ["done"]

    kind, count, listed, request_id, reading, cancel_shown, status = events[0]
    assert kind == "rules", events[:3]
    assert count == listed > 0  # the findings are in the list ...
    assert request_id is None  # ... before the critique was even asked for
    assert reading and cancel_shown and "still reading" in status
    assert all(e[0] != "rules" for e in events[1:])

    rule_entries = [e for e in style.entries if e.suggestion.source == "rule"]
    model_entries = [e for e in style.entries if e.suggestion.source == "model"]
    merged = [e for e in events if e[0] == "merged"]
    assert model_entries, "the model's critique of this passage (greedy) names at least one phrase"
    assert len(merged) == len(model_entries)
    listed_after = [e[2] for e in merged]
    assert listed_after == list(range(listed + 1, listed + 1 + len(merged)))  # one more row per item
    rules = [(*e.span.bounds(), e.suggestion.category) for e in rule_entries]
    for entry in model_entries:
        start, end = entry.span.bounds()
        assert not duplicates_a_rule(Suggestion(start, end, "model", "x"), rules)
    assert _spans_match(window, style.entries)
    assert len(_listed(panel)) == panel.listed_count() == len(style.entries)
    assert f"{len(style.entries)} suggestion" in panel.status.text()
    assert panel.cancel_button.isHidden() and not style.reading


def test_apply_and_dismiss_keep_the_count_and_the_spans_right_while_the_critique_is_reading(window, assistant, qtbot):
    style, panel = assistant.style, assistant.style_panel
    text = ("She was gone. She opened the the door. It was a very dark night and a very cold one. "
            "He walked slowly home. The letter was taken by the maid.")
    window.editor.load_text(text)
    with qtbot.waitSignal(style.rulesShown):
        _action(window, "actionSuggestStyle").trigger()
    assert style.reading
    flagged = {(e.original, e.suggestion.category) for e in style.entries}
    assert ("walked slowly", "adverb") in flagged and ("was taken", "passive") in flagged
    assert not [o for o, c in flagged if c == "passive" and "gone" in o]
    fixable = [e for e in style.entries if e.suggestion.replacement is not None]
    assert [e.original for e in fixable] == ["the the", "very ", "very "]
    total = len(style.entries)

    # Apply the last one first, then the first: each lands on its own words.
    assert style.apply(style.entries.index(fixable[2]))
    assert style.apply(style.entries.index(fixable[0]))
    assert window.editor.manuscript_text() == ("She was gone. She opened the door. It was a very dark night and a "
                                               "cold one. He walked slowly home. The letter was taken by the maid.")
    assert len(style.entries) == panel.listed_count() == total - 2
    assert panel.status.text().startswith(f"{total - 2} suggestion")
    assert _spans_match(window, style.entries)
    # ... and the second "very" is still the right one to apply
    assert style.apply(style.entries.index(fixable[1]))
    assert window.editor.manuscript_text() == ("She was gone. She opened the door. It was a dark night and a cold one. "
                                               "He walked slowly home. The letter was taken by the maid.")

    # Cancel stops the critique and keeps the findings.
    if style.reading:
        with qtbot.waitSignal(style.critiqueEnded) as ended:
            qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        assert ended.args == ["cancelled"]
        assert "stopped" in panel.status.text()
    left = len(style.entries)
    assert left == panel.listed_count() and left > 0
    assert _spans_match(window, style.entries)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0).child(0))
    panel.dismiss_button.click()
    assert len(style.entries) == panel.listed_count() == left - 1
    assert panel.status.text().startswith(f"{left - 1} suggestion")
    assert _spans_match(window, style.entries)



def test_checking_again_mid_critique_ends_only_the_new_check(window, assistant, qtbot):
    style = assistant.style
    window.editor.load_text(PASSAGE)
    ended: list[str] = []
    style.critiqueEnded.connect(ended.append)
    with qtbot.waitSignal(style.rulesShown):
        _action(window, "actionSuggestStyle").trigger()
    first = style.request_id
    with qtbot.waitSignal(style.rulesShown):
        _action(window, "actionSuggestStyle").trigger()  # the first critique is stopped, its news ignored
    assert style.request_id != first and style.reading
    qtbot.waitUntil(lambda: bool(ended))
    qtbot.waitUntil(lambda: not assistant.client.busy)
    assert ended == ["done"] and style.state == "done"
    assert assistant.style_panel.cancel_button.isHidden()
