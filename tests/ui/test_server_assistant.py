"""The editor writing through a real llama.cpp server: Continue through the worker, Esc, a server that dies.

The window's profile points at the server (Settings ▸ Server); the model
host then runs the same jobs against the server engine. Generations are
short and greedy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from tests.llama_server import MODEL_ALIAS
from tests.ui.test_assistant_window import STORY, _wait
from writer_app.paths import profile_paths
from writer_app.settings import AppSettings, load_settings, save_settings
from writer_app.ui.app import build_main_window
from writer_app.ui.settings_dialog import SettingsDialog

pytestmark = [pytest.mark.llama_server, pytest.mark.slow]
# Set to a folder to save grabs (how docs/screenshots/settings-server.png and status-server.png are made).
SCREENSHOT_DIR = os.environ.get("WRITER_APP_SCREENSHOT_DIR")


def _grab(widget, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SCREENSHOT_DIR) / name))


def _window_on(server, profile: Path, qapp):
    save_settings(profile_paths(profile), AppSettings(server_url=server.url, server_model=MODEL_ALIAS))
    window = build_main_window(profile)
    window.show()
    client = window.assistant.client
    assert _wait(qapp, lambda: client.model_info is not None or client.load_error, 120), "no answer from the host"
    assert client.load_error is None, client.load_error
    return window


def _close(window) -> None:
    window.assistant.shutdown()
    window.close()
    window.deleteLater()


def _page(window) -> None:
    helper = window.assistant
    helper.cancel()
    window.editor.load_text(STORY)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    helper.panel.temperature.setValue(0.0)
    helper.panel.length.setValue(12)
    helper.panel.variants.setValue(1)


@pytest.fixture(scope="module")
def window(qapp, llama_server, tmp_path_factory):
    win = _window_on(llama_server, tmp_path_factory.mktemp("profile"), qapp)
    yield win
    _close(win)


def _continue(window) -> None:
    window.findChild(QAction, "actionContinue").trigger()


def test_the_status_bar_names_the_server_and_continue_streams_into_the_editor(window, qtbot, llama_server):
    _page(window)
    assistant = window.assistant
    status = assistant.status_label.text()
    assert f"Model: {MODEL_ALIAS}" in status and f"server 127.0.0.1:{llama_server.port}" in status
    assert "adapter: none" in status
    streamed: list[str] = []
    assistant.client.tokenProduced.connect(lambda _rid, piece: streamed.append(piece))
    with qtbot.waitSignal(assistant.client.finished, timeout=120_000):
        _continue(window)
    ghost = assistant.continuation.ghost
    assert streamed and ghost.active and ghost.text().strip()
    suggestion = ghost.text()
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.manuscript_text() == STORY + suggestion
    assert "tokens/s" in assistant.status_label.text()
    _grab(window.statusBar(), "status-server.png")


def test_esc_closes_the_servers_answer_at_once(window, qtbot):
    _page(window)
    assistant = window.assistant
    assistant.panel.length.setValue(400)
    state = {"before": 0, "after": 0, "cancelled": False}

    def on_token(_rid: int, _piece: str) -> None:
        state["after" if state["cancelled"] else "before"] += 1
        if state["before"] == 3 and not state["cancelled"]:
            state["cancelled"] = True
            qtbot.keyClick(window.editor, Qt.Key.Key_Escape)

    assistant.client.tokenProduced.connect(on_token)
    try:
        with qtbot.waitSignal(assistant.client.finished, timeout=120_000) as done:
            _continue(window)
    finally:
        assistant.client.tokenProduced.disconnect(on_token)
    assert state["cancelled"] and done.args[2]["cancelled"]
    assert state["after"] <= 2  # what was already on its way when Esc landed
    assert window.editor.toPlainText() == STORY


def test_test_connection_lists_the_models_in_the_background(window, qtbot, llama_server):
    dialog = SettingsDialog(window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.server_url_edit.text() == llama_server.url
    dialog.server_model_box.setCurrentText("")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert not dialog.test_button.isEnabled()  # the request runs in the background
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled())
    assert dialog.server_status.text() == f"Connected: 1 model ({MODEL_ALIAS})."
    assert dialog.server_model_box.currentText() == MODEL_ALIAS
    dialog.adjustSize()
    _grab(dialog, "settings-server.png")
    dialog.server_key_edit.setText("sk-kept-in-the-file")
    dialog.accept()
    saved = load_settings(window.paths)
    assert (saved.server_url, saved.server_model, saved.server_api_key) == (llama_server.url, MODEL_ALIAS,
                                                                            "sk-kept-in-the-file")
    assert "sk-kept" not in window.assistant.status_label.text()


def test_test_connection_with_a_wrong_url_says_what_is_wrong(window, qtbot, llama_server):
    dialog = SettingsDialog(window)
    qtbot.addWidget(dialog)
    dialog.server_url_edit.setText(f"{llama_server.root}/wrong/v1")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled())
    assert dialog.server_status.text().startswith("Not connected: The server at")
    assert "no OpenAI-compatible API at this address" in dialog.server_status.text()
    dialog.reject()


def test_a_server_killed_mid_continue_keeps_the_streamed_text_and_the_editor_goes_on(
        qapp, qtbot, own_llama_server, tmp_path):
    window = _window_on(own_llama_server, tmp_path / "profile", qapp)
    try:
        _page(window)
        assistant = window.assistant
        assistant.panel.length.setValue(2000)
        failures: list[str] = []
        assistant.client.failed.connect(lambda _rid, message: failures.append(message))
        streamed: list[str] = []

        def on_token(_rid: int, piece: str) -> None:
            streamed.append(piece)
            if len(streamed) == 3:
                own_llama_server.kill()

        assistant.client.tokenProduced.connect(on_token)
        _continue(window)
        qtbot.waitUntil(lambda: bool(failures), timeout=120_000)
        assert "closed the connection in the middle of the answer" in failures[0]
        ghost = assistant.continuation.ghost
        assert ghost.active and ghost.text() == "".join(streamed)  # nothing that arrived is lost
        assert "closed the connection" in window.statusBar().currentMessage()
        kept = ghost.text()
        qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
        assert window.editor.manuscript_text() == STORY + kept
        qtbot.keyClicks(window.editor, " The end.")  # the editor is still the author's
        assert window.editor.manuscript_text().endswith(kept + " The end.")
        assert window.isVisible()
    finally:
        _close(window)
