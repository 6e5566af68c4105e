"""A new author's first minutes: the welcome, the sample, the embedded model, no network.

The walk-through uses the real embedded model (short, deterministic
generations); the rest build the desk alone (``extensions=()``) and are fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QPushButton

from tests.ui.conftest import accept_import_preview
from writer_app.llm.diagnostics import gpu_memory_gb
from writer_app.paths import profile_paths
from writer_app.settings import AppSettings, load_settings, save_settings
from writer_app.ui.app import build_main_window
from writer_app.ui.model_download_dialog import ModelDownloadDialog
from writer_app.ui.welcome_dialog import start_download

CATALOGUE_MODEL = "Qwen/Qwen2.5-3B-Instruct"


def _projects(window) -> list:
    return window.db.run_sync(lambda lib: lib.list_projects())


@pytest.fixture
def first_run(qtbot, tmp_path):
    """A window on an empty profile, desk only, greeted by the welcome."""
    window = build_main_window(tmp_path / "profile", extensions=(), welcome=True)
    qtbot.addWidget(window)
    yield window
    window.close()


@pytest.mark.model
@pytest.mark.slow
def test_new_author_opens_the_sample_and_continues_with_the_embedded_model(qtbot, tmp_path, embedded_model_dir):
    profile = tmp_path / "profile"
    save_settings(profile_paths(profile).ensure(), AppSettings(max_new_tokens=12, temperature=0.0, seed=7))
    window = build_main_window(profile, welcome=True)
    qtbot.addWidget(window)
    status_messages: list[str] = []
    window.statusBar().messageChanged.connect(status_messages.append)
    window.show()
    try:
        welcome = window.welcome
        assert welcome.isVisible() and _projects(window) == []  # no silent "My Novel"

        qtbot.mouseClick(welcome.sample_radio, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(welcome.embedded_radio, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.current_node is not None, timeout=30_000)
        assert not welcome.isVisible()
        assert window.current_project.title == "Pride and Prejudice"
        assert [p.project.title for p in _projects(window)] == ["Pride and Prejudice"]
        assert window.binder.tree.topLevelItemCount() == 61
        assert window.current_node.title == "Chapter 1"

        assistant = window.assistant
        # bool(): a callback that returns None counts as done at once for waitUntil.
        qtbot.waitUntil(lambda: assistant.client.model_info is not None or bool(assistant.client.load_error),
                        timeout=120_000)
        assert assistant.client.load_error is None, assistant.client.load_error
        assert load_settings(profile_paths(profile)).model == "embedded"
        assert any(m.startswith("Preparing the model:") for m in status_messages)  # visible, not only a label

        editor = window.editor
        editor.setFocus()
        cursor = editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        editor.setTextCursor(cursor)
        before = editor.manuscript_text()
        window.findChild(QAction, "actionContinue").trigger()
        ghost = assistant.continuation.ghost
        qtbot.waitUntil(lambda: bool(ghost.active and not assistant.continuation.generating and ghost.text().strip()),
                        timeout=120_000)
        suggestion = ghost.text()
        qtbot.keyClick(editor, Qt.Key.Key_Tab)
        qtbot.waitUntil(lambda: not ghost.active, timeout=5_000)
        assert editor.manuscript_text() == before + suggestion  # accepted into the chapter

        assert getattr(window, "download_dialog", None) is None  # nothing asked for the network
    finally:
        window.assistant.shutdown()
        window.close()


def test_skipping_the_welcome_still_gives_a_usable_page(first_run, qtbot):
    welcome = first_run.welcome
    assert welcome.isVisible() and first_run.editor.isReadOnly()
    qtbot.mouseClick(welcome.skip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first_run.current_node is not None, timeout=10_000)
    assert first_run.current_project.title == "My Novel"
    assert not first_run.editor.isReadOnly()


def test_a_new_novel_gets_its_title_author_and_language(first_run, qtbot):
    welcome = first_run.welcome
    qtbot.keyClicks(welcome.title_edit, "The Salt Road")
    qtbot.keyClicks(welcome.author_edit, "Ana Ruiz")
    welcome.language_combo.setCurrentIndex(welcome.language_combo.findData("es"))
    qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first_run.current_node is not None, timeout=10_000)
    project = first_run.current_project
    assert (project.title, project.author, project.language) == ("The Salt Road", "Ana Ruiz", "es")


def test_import_needs_a_file_and_a_bad_file_is_reported_without_losing_the_page(first_run, qtbot, tmp_path):
    welcome = first_run.welcome
    qtbot.mouseClick(welcome.import_radio, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
    assert welcome.isVisible() and "Choose the file" in welcome.error.text()  # nothing chosen yet

    bad = tmp_path / "notes.txt"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    welcome.set_import_path(bad)
    qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first_run.current_node is not None, timeout=10_000)
    box = first_run.findChild(QMessageBox, "errorBox")
    assert box is not None and box.text().startswith("Could not import the file:")
    assert first_run.current_project.title == "My Novel"


def test_importing_a_folder_of_chapters(first_run, qtbot, tmp_path):
    folder = tmp_path / "The Lighthouse"
    folder.mkdir()
    (folder / "01 Arrival.md").write_text("The boat came in at dusk.\n", encoding="utf-8")
    (folder / "02 Storm.md").write_text("By midnight the wind had turned.\n", encoding="utf-8")
    first_run.welcome.set_import_path(folder)
    qtbot.mouseClick(first_run.welcome.start_button, Qt.MouseButton.LeftButton)
    accept_import_preview(qtbot, first_run)
    qtbot.waitUntil(lambda: first_run.current_node is not None, timeout=10_000)
    assert first_run.binder.tree.topLevelItemCount() == 2
    assert "The boat came in at dusk." in first_run.editor.manuscript_text()


def test_a_model_folder_is_checked_before_it_is_stored(first_run, qtbot, tmp_path, embedded_model_dir):
    welcome = first_run.welcome
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    assert not welcome.set_model_folder(empty)
    assert "config.json is missing" in welcome.error.text()
    qtbot.mouseClick(welcome.folder_radio, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
    assert welcome.isVisible()  # refused: no valid folder chosen

    assert welcome.set_model_folder(embedded_model_dir)
    qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first_run.current_node is not None, timeout=10_000)
    assert load_settings(first_run.paths).model == str(embedded_model_dir)


@pytest.mark.skipif(gpu_memory_gb() is not None, reason="this machine has a GPU")
def test_without_a_gpu_the_download_choice_is_disabled(first_run, qtbot):
    welcome = first_run.welcome
    qtbot.waitUntil(lambda: welcome.gpu_label.text() != "Checking for a GPU…", timeout=60_000)
    assert welcome.gpu_label.text() == "No CUDA GPU found"
    assert not welcome.gpu_radio.isEnabled()


@pytest.mark.cuda
def test_with_a_gpu_the_catalogue_recommends_models_that_fit(first_run, qtbot):
    from writer_app.llm.catalogue import recommend_models

    welcome = first_run.welcome
    qtbot.waitUntil(lambda: welcome.gpu_label.text() != "Checking for a GPU…", timeout=60_000)
    expected = [c.repo_id for c in recommend_models(gpu_memory_gb())]
    assert [welcome.gpu_combo.itemData(i) for i in range(welcome.gpu_combo.count())] == expected
    assert welcome.gpu_radio.isEnabled() == bool(expected)


def test_an_offline_download_fails_with_a_clear_message_and_changes_nothing(first_run, qtbot):
    dialog = start_download(first_run, CATALOGUE_MODEL)
    qtbot.waitUntil(lambda: dialog.state == "failed", timeout=30_000)
    assert "offline" in dialog.status.text() and CATALOGUE_MODEL in dialog.status.text()
    assert dialog.retry_button.isVisible() and not dialog.cancel_button.isVisible()
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert first_run.settings.model == "embedded" and load_settings(first_run.paths).model == "embedded"


def test_cancelling_a_download_stops_it_and_try_again_runs_it_again(first_run, qtbot, monkeypatch):
    import threading

    from writer_app.llm import download

    # Hold the worker in its cache lookup so Cancel certainly lands while it runs (offline, the
    # real lookup and the failed request take a fraction of a second).
    gate = threading.Event()
    real_lookup = download.cached_model_path
    monkeypatch.setattr(download, "cached_model_path", lambda repo_id: gate.wait(10) and real_lookup(repo_id))
    dialog = ModelDownloadDialog(CATALOGUE_MODEL, first_run)
    dialog.show()
    dialog.start()
    assert dialog.busy and dialog.cancel_button.isVisible()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.state == "stopping" and not dialog.cancel_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: dialog.state == "cancelled", timeout=30_000)
    assert "Try again resumes it" in dialog.status.text() and dialog.retry_button.isVisible()

    first_job = dialog.thread
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)  # resume
    assert dialog.thread is not first_job and not dialog.thread.cancel_event.is_set()
    qtbot.waitUntil(lambda: dialog.state == "failed", timeout=30_000)  # offline: fails, clearly
    assert "offline" in dialog.status.text()
    assert first_run.settings.model == "embedded"


def test_the_window_icon_comes_in_every_shipped_size():
    from writer_app.resources import ICON_SIZES
    from writer_app.ui.app import app_icon

    icon = app_icon()
    assert sorted(size.width() for size in icon.availableSizes()) == sorted(ICON_SIZES)


def test_quitting_with_the_welcome_open_counts_as_skip(qtbot, tmp_path):
    profile = tmp_path / "profile"
    window = build_main_window(profile, extensions=(), welcome=True)
    assert window.welcome.isVisible()
    window.close()  # the author closes the window without answering
    again = build_main_window(profile, extensions=(), welcome=True)
    qtbot.addWidget(again)
    try:
        assert getattr(again, "welcome", None) is None  # not a new profile any more
        assert again.current_project.title == "My Novel" and not again.editor.isReadOnly()
    finally:
        again.close()


def test_the_guide_opens_from_the_welcome(first_run, qtbot):
    from writer_app.ui.guide_dialog import GuideDialog

    guide_button = first_run.welcome.findChild(QPushButton, "welcomeGuide")
    qtbot.mouseClick(guide_button, Qt.MouseButton.LeftButton)
    guide = first_run.welcome.findChild(GuideDialog)
    assert guide is not None and guide.isVisible()
    assert "Getting started with Writer" in guide.browser.toPlainText()


PROBE_IN_A_FRESH_PROCESS = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from tests.ui.conftest import accept_import_preview
from writer_app.llm.diagnostics import gpu_memory_gb
from writer_app.ui.background import run_in_background
assert "torch" not in sys.modules
run_in_background(lambda _task: gpu_memory_gb(), lambda gb: (print("probe:", gb), app.quit()))
QTimer.singleShot(90_000, app.quit)
app.exec()
"""


@pytest.mark.slow
def test_the_gpu_probe_reports_back_in_a_fresh_app(tmp_path):
    """In the real event loop, with torch imported for the first time by the background thread."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", PROBE_IN_A_FRESH_PROCESS], capture_output=True, text=True,
                          env=env, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"probe: {gpu_memory_gb()}"
