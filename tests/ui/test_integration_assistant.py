"""The editor, the binder, the settings, the Trainer tab and the assistant working together.

One real window with the real embedded model is shared by the module (as in
test_assistant_window.py); generations are short and greedy. The restart test
builds two windows on a profile of its own (the second is the next start), and
the last test builds its own, because it closes it in the middle of a generation.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import stored_text
from tests.ui.processes import process_alive
from tests.ui.test_assistant_window import STORY, _wait
from writer_app.settings import load_settings
from writer_app.ui.app import build_main_window
from writer_app.ui.changes import Change
from writer_app.ui.settings_dialog import SettingsDialog

pytestmark = [pytest.mark.model, pytest.mark.slow]

SECOND_CHAPTER = ("The ferry came at noon. Mara paid the boatman with her last coin and sat at the stern, "
                  "watching the town grow small behind her.")


@pytest.fixture(scope="module")
def window(qapp, embedded_model_dir, tmp_path_factory):
    win = build_main_window(tmp_path_factory.mktemp("profile"))
    win.show()
    client = win.assistant.client
    assert _wait(qapp, lambda: client.model_info is not None or client.load_error, 120), "model did not load"
    assert client.load_error is None, client.load_error
    yield win
    win.close()
    win.deleteLater()


@pytest.fixture
def assistant(window):
    helper = window.assistant
    helper.cancel()
    helper.selection.discard()
    window.editor.load_text(STORY)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    helper.panel.temperature.setValue(0.0)
    helper.panel.length.setValue(12)
    helper.panel.variants.setValue(1)
    return helper


def _entries(menu) -> dict[str, QAction]:
    return {action.objectName(): action for action in menu.actions() if action.objectName()}


def test_binder_menu_summarises_a_chapter_and_its_tooltip_shows_the_summary(window, assistant, qtbot):
    project_id = window.current_project_id

    def add_chapter(library):
        node = library.create_node(project_id, "chapter", "The Crossing")
        library.save_text(node.id, SECOND_CHAPTER)
        return node.id

    node_id = window.db.run_sync(add_chapter)
    window.binder.reload()
    qtbot.waitUntil(lambda: window.binder.node(node_id) is not None, timeout=10_000)
    assert "Summary" not in window.binder._items[node_id].toolTip(0)

    on_project = _entries(window.binder.build_context_menu(None))
    assert "binderSummariseBook" in on_project and "binderSummariseChapter" not in on_project
    on_chapter = _entries(window.binder.build_context_menu(node_id))
    assert on_chapter["binderSummariseChapter"].text() == "Summarise chapter"

    opened = window.current_node_id
    on_chapter["binderSummariseChapter"].trigger()
    review = window.assistant.summaries.review
    qtbot.waitUntil(lambda: review.current is not None and review.current.node_id == node_id, timeout=90_000)
    assert window.db.run_sync(lambda library: library.get_summary(node_id)) == ""  # waits for approval
    review.accept_button.click()
    qtbot.waitUntil(lambda: "Summary (approved): " in window.binder._items[node_id].toolTip(0), timeout=90_000)
    summary = window.db.run_sync(lambda library: library.get_summary(node_id))
    assert summary.strip() and summary in window.binder._items[node_id].toolTip(0)
    assert window.binder._items[node_id].toolTip(0).startswith("Chapter: The Crossing")
    assert window.current_node_id == opened  # summarising another chapter does not switch documents
    assert window.editor.manuscript_text() == STORY


def test_model_setting_changed_in_the_dialog_reloads_the_model(window, assistant, qtbot, tmp_path):
    good = window.settings.model
    missing = tmp_path / "no-such-model"
    dialog = SettingsDialog(window)
    qtbot.addWidget(dialog)
    dialog.model_edit.setText(str(missing))
    with qtbot.waitSignal(assistant.client.loadFailed, timeout=60_000):
        dialog.accept()
    assert load_settings(window.paths).model == str(missing)
    assert "could not be loaded" in assistant.panel.banner.text() and assistant.panel.banner.isVisible()
    assert assistant.status_label.text() == "Model: not loaded"
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, " Still typing")
    assert window.editor.manuscript_text() == STORY + " Still typing"

    dialog = SettingsDialog(window)
    qtbot.addWidget(dialog)
    dialog.model_edit.setText(good)
    with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000):
        dialog.accept()
    assert not assistant.panel.banner.isVisible()
    assert assistant.status_label.text().startswith("Model: ")
    assert load_settings(window.paths).model == good

    # Settings that do not concern the model do not reload it.
    loads: list[object] = []
    assistant.client.loadProgress.connect(lambda *args: loads.append(args))
    dialog = SettingsDialog(window)
    qtbot.addWidget(dialog)
    dialog.size_box.setValue(15)
    dialog.accept()
    qtbot.wait(200)
    assert loads == [] and assistant.client.model_info is not None


def test_trainer_unloads_the_model_and_reloads_it_after_training(window, assistant, qtbot):
    tab = window.trainer_tab
    assert assistant.model_loaded
    with qtbot.waitSignal(assistant.client.unloaded, timeout=30_000):
        tab.unload_button.click()
    assert assistant.status_label.text() == "Model: unloaded"
    assert not assistant.model_loaded

    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(assistant.client.failed, timeout=10_000) as failed:
        window.findChild(QAction, "actionContinue").trigger()
    assert "not loaded" in failed.args[1]
    assert any("not loaded" in m for m in messages)
    assert window.editor.toPlainText() == STORY and window.editor.ghost_range is None

    # The trainer child process ends (here: cancelled); the tab gives the model back.
    with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000):
        tab.process.finished.emit(1, {"event": "cancelled", "message": "Training cancelled."})
    assert assistant.model_loaded
    with qtbot.waitSignal(assistant.client.finished, timeout=60_000):
        window.findChild(QAction, "actionContinue").trigger()
    assert window.editor.ghost_range is not None
    assistant.cancel()


@pytest.fixture(scope="module")
def lora_folder(tmp_path_factory, embedded_model_dir):
    """A real (untrained, randomly initialised) LoRA adapter on the embedded model, saved by peft."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(embedded_model_dir, dtype=torch.float32)
    base.config._name_or_path = "HuggingFaceTB/SmolLM2-135M-Instruct"
    torch.manual_seed(0)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"],
                                                 init_lora_weights=False))
    folder = tmp_path_factory.mktemp("lora") / "voice"
    peft_model.save_pretrained(folder)
    return folder


def _install_adapter(window, source, name: str):
    """Copy the adapter into the profile's adapters folder and register it, as a finished run would."""
    import shutil

    target = window.paths.adapters / name.lower().replace(" ", "-")
    shutil.copytree(source, target)
    return window.db.run_sync(lambda lib: lib.register_adapter(name, target, "embedded", window.current_project_id,
                                                               {"metrics": {"steps": 1}}))


def _select(tab, adapter_id: int) -> None:
    table = tab.adapter_list
    table.refresh()
    _wait(QApplication.instance(), lambda: any(a.id == adapter_id for a in table.adapters), 10)
    table.table.selectRow(next(i for i, a in enumerate(table.adapters) if a.id == adapter_id))


def test_activating_an_adapter_in_the_trainer_tab_reloads_the_assistant_through_the_signal(
        window, assistant, qtbot, lora_folder):
    tab = window.trainer_tab
    adapter = _install_adapter(window, lora_folder, "Signal voice")
    _select(tab, adapter.id)
    broadcasts: list[frozenset] = []
    window.changed.connect(broadcasts.append)
    with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000) as loaded:
        tab.adapter_list.activate_selected()
    assert loaded.args[0]["adapter"] == "Signal voice"
    assert broadcasts and Change.ADAPTERS in broadcasts[0]
    assert "adapter: Signal voice" in assistant.status_label.text()

    # A rename changes the label, not the loaded model (same id, same folder): no reload.
    loads: list[object] = []
    assistant.client.loadProgress.connect(lambda *args: loads.append(args))
    with qtbot.waitSignal(window.changed, timeout=10_000):
        tab.adapter_list.rename(adapter, "Signal voice, renamed")
    qtbot.waitUntil(lambda: "adapter: Signal voice, renamed" in assistant.status_label.text(), timeout=10_000)
    assert loads == [] and assistant.client.model_info["adapter"] == "Signal voice"

    # "Use none": the assistant loads without it.
    with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000) as loaded:
        tab.adapter_list.none_button.click()
    assert loaded.args[0]["adapter"] == ""
    assert "adapter: none" in assistant.status_label.text()


def test_an_active_adapter_whose_folder_is_gone_is_reported_not_silently_dropped(
        window, assistant, qtbot, lora_folder):
    import shutil

    tab = window.trainer_tab
    adapter = _install_adapter(window, lora_folder, "Vanished voice")
    shutil.rmtree(adapter.path)  # moved away by hand, or a disk that is not mounted
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    _select(tab, adapter.id)
    with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000) as loaded:
        tab.adapter_list.activate_selected()
    assert loaded.args[0]["adapter"] == ""  # the model works, without the adapter
    banner = assistant.panel.banner
    assert banner.isVisible() and "“Vanished voice” is not attached" in banner.text() and "missing" in banner.text()
    assert sum("Vanished voice" in m for m in messages) == 1
    assert "adapter: not attached" in assistant.status_label.text()
    with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000):
        tab.adapter_list.none_button.click()
    assert not banner.isVisible()


def test_a_renamed_active_adapter_is_still_attached_after_a_restart(qapp, qtbot, tmp_path, lora_folder):
    profile = tmp_path / "renamed-profile"
    first = build_main_window(profile)
    first.show()
    assert _wait(qapp, lambda: first.assistant.client.model_info is not None, 120)
    adapter = _install_adapter(first, lora_folder, "Before")
    _select(first.trainer_tab, adapter.id)
    with qtbot.waitSignal(first.assistant.client.modelLoaded, timeout=120_000):
        first.trainer_tab.adapter_list.activate_selected()
    first.db.run_sync(lambda lib: lib.rename_adapter(adapter.id, "After"))  # what Rename… does
    first.close()
    first.deleteLater()

    again = build_main_window(profile)  # the next start, on the same profile
    again.show()
    client = again.assistant.client
    assert _wait(qapp, lambda: client.model_info is not None or client.load_error, 120)
    assert client.model_info["adapter"] == "After"
    table = again.trainer_tab.adapter_list
    qtbot.waitUntil(lambda: table.table.rowCount() == 1, timeout=10_000)
    assert table.adapters[0].name == "After" and table.table.item(0, 3).text() == "✓"
    assert "adapter: After" in again.assistant.status_label.text()
    again.close()
    again.deleteLater()


def test_closing_the_window_during_a_generation_returns_promptly_and_saves(qapp, qtbot, embedded_model_dir,
                                                                           tmp_path, capsys):
    win = build_main_window(tmp_path / "profile")
    win.show()
    assistant = win.assistant
    client = assistant.client
    assert _wait(qapp, lambda: client.model_info is not None or client.load_error, 120)
    assert client.load_error is None, client.load_error
    win.editor.load_text(STORY)
    cursor = win.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    win.editor.setTextCursor(cursor)
    qtbot.keyClicks(win.editor, " Then")
    assistant.panel.length.setValue(200)
    assistant.panel.temperature.setValue(0.7)
    pieces: list[str] = []
    client.tokenProduced.connect(lambda _rid, piece: pieces.append(piece))
    win.findChild(QAction, "actionContinue").trigger()
    qtbot.waitUntil(lambda: len(pieces) >= 3, timeout=60_000)
    assert client.busy
    host_pid = client.host_pid
    assert host_pid is not None and process_alive(host_pid)

    started = time.perf_counter()
    win.close()
    closed_in = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[shutdown] window closed {closed_in * 1000:.0f} ms after Close during a 200-token generation")
    assert not win.isVisible() and client.shut_down
    qtbot.waitUntil(lambda: not process_alive(host_pid), timeout=30_000)  # the model process is gone too
    assert len(pieces) < 200  # the generation was stopped, not run to the end
    # The typed words were saved, the unaccepted ghost text was not (read as a restart would).
    assert stored_text(tmp_path / "profile", win.current_node_id) == STORY + " Then"
    win.deleteLater()
    QApplication.processEvents()


def test_an_active_adapter_whose_weights_are_damaged_leaves_the_assistant_working_and_says_so(
        window, assistant, qtbot, lora_folder):
    """The folder is there but its weights are torn (a copy cut short): the model must still load,
    without the adapter, and the author is told why; it used to fail the whole load."""
    tab = window.trainer_tab
    adapter = _install_adapter(window, lora_folder, "Torn voice")
    weights = next(Path(adapter.path).glob("adapter_model.safetensors"))
    weights.write_bytes(weights.read_bytes()[:100])
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    _select(tab, adapter.id)
    with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000) as loaded:
        tab.adapter_list.activate_selected()
    assert loaded.args[0]["adapter"] == "" and loaded.args[0]["adapter_error"]
    banner = assistant.panel.banner
    assert banner.isVisible() and "“Torn voice” is not attached" in banner.text()
    assert any("Torn voice" in m for m in messages)
    assert "adapter: not attached" in assistant.status_label.text()
    with qtbot.waitSignal(assistant.client.modelLoaded, timeout=120_000):
        tab.adapter_list.none_button.click()
    assert not banner.isVisible()
