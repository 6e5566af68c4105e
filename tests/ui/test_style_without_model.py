"""Suggest style without a model: stage one (the rules) does not depend on it (the real window)."""

from __future__ import annotations

from tests.ui.test_assistant_window import _action
from writer_app.ui.app import build_main_window


def test_without_a_model_the_rule_findings_still_come_and_the_panel_says_why_the_critique_did_not(
        qtbot, tmp_path):
    """Before the two stages, a model that could not load meant no suggestions at all."""
    from writer_app.paths import profile_paths
    from writer_app.settings import load_settings, save_settings

    paths = profile_paths(tmp_path / "profile").ensure()
    settings = load_settings(paths)
    settings.model = str(tmp_path / "missing-model")
    save_settings(paths, settings)
    window = build_main_window(tmp_path / "profile", extensions=("writer_app.ui.assistant",))
    qtbot.addWidget(window)
    assistant = window.assistant
    try:
        qtbot.waitUntil(lambda: assistant.client.load_error is not None)
        window.editor.load_text("He walked slowly to the door. The letter was taken by the maid.")
        with qtbot.waitSignal(assistant.style.critiqueEnded) as ended:
            _action(window, "actionSuggestStyle").trigger()
        assert ended.args == ["failed"]
        assert {e.original for e in assistant.style.entries} >= {"walked slowly", "was taken"}
        assert assistant.style_panel.listed_count() == len(assistant.style.entries)
        status = assistant.style_panel.status.text()
        assert status.startswith(f"{len(assistant.style.entries)} suggestions.") and "did not finish" in status
        assert assistant.style_panel.cancel_button.isHidden()
    finally:
        assistant.shutdown()
        window.shutdown()
        window.close()
