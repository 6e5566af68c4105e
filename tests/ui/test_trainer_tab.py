"""The Trainer tab drives a real (tiny) training run while the author keeps typing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget

from tests.ui.conftest import stored_text
from writer_app.paths import profile_paths
from writer_app.storage import Library
from writer_app.ui.changes import Change

# Set to a folder to save grabs of the tab (how docs/screenshots/trainer-*.png are made).
SCREENSHOT_DIR = os.environ.get("WRITER_APP_SCREENSHOT_DIR")
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pride-and-prejudice.txt"


def austen_chapters(count: int) -> list[tuple[str, str]]:
    text = FIXTURE.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    parts = re.split(r"\n(Chapter \d+)\n", text)
    return [(parts[i], parts[i + 1].strip()) for i in range(1, 2 * count, 2)]


def _grab(tab: QWidget, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        tab.body.grab().save(str(Path(SCREENSHOT_DIR) / name))  # the whole scrolling page


@pytest.fixture
def austen_window(qtbot, tmp_path, embedded_model_dir):
    from writer_app.ui.app import build_main_window

    profile = tmp_path / "profile"
    with Library.open(profile_paths(profile).ensure().database) as lib:
        project = lib.create_project("Austen")
        for title, text in austen_chapters(6):
            lib.create_node(project.id, "chapter", title, text=text)
        lib.create_node(project.id, "note", "Research", text="Regency manners. " * 40)
    window = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(window)
    window.resize(1400, 950)
    window.show()
    yield window
    window.trainer_tab.process.cancel()
    window.close()


def test_estimate_counts_checked_documents_and_refuses_too_little(qtbot, austen_window):
    tab = austen_window.findChild(QWidget, "trainerTab")
    qtbot.waitUntil(lambda: tab.documents.topLevelItemCount() == 7)
    assert len(tab.selected_node_ids()) == 6  # chapters checked, the note not
    assert "words in 6 documents" in tab.estimate_label.text()
    for i in range(1, 7):
        tab.documents.topLevelItem(i).setCheckState(0, Qt.CheckState.Unchecked)
    assert "at least 2,000 words" in tab.estimate_label.text()
    assert not tab.train_button.isEnabled()


def test_the_quick_preset_sets_a_time_budget_and_the_estimate_keeps_to_it(qtbot, austen_window):
    tab = austen_window.findChild(QWidget, "trainerTab")
    qtbot.waitUntil(lambda: tab.documents.topLevelItemCount() == 7)
    assert tab.config().time_budget_minutes == 0  # Thorough by default: the epochs decide
    tab.preset.setCurrentIndex(tab.preset.findData("quick"))
    config = tab.config()
    assert config.time_budget_minutes == tab.fields["time_budget_minutes"].value() > 0
    assert config.early_stopping_patience == 0 and config.learning_rate > 2e-4
    minutes = re.search(r"about (\d+) (s|min) of training", tab.estimate_label.text())
    assert minutes and (minutes.group(2) == "s" or int(minutes.group(1)) <= config.time_budget_minutes)
    _grab(tab, "trainer-quick-preset.png")
    tab.preset.setCurrentIndex(tab.preset.findData("thorough"))
    assert tab.config().time_budget_minutes == 0


@pytest.mark.slow
@pytest.mark.model
def test_train_my_style_runs_updates_chart_and_registers_adapter(qtbot, austen_window):
    window = austen_window
    tab = window.findChild(QWidget, "trainerTab")
    qtbot.waitUntil(lambda: tab.documents.topLevelItemCount() == 7)
    tab.advanced.setChecked(True)
    for name, value in (("seq_len", 32), ("batch_size", 1), ("grad_accum", 1), ("max_steps", 4),
                        ("eval_every", 2), ("eval_max_sequences", 4), ("style_samples", 0), ("rank", 4),
                        ("alpha", 8), ("learning_rate", 1e-3)):
        tab.fields[name].setValue(value)

    qtbot.mouseClick(tab.train_button, Qt.MouseButton.LeftButton)
    assert tab.train_button.text() == "Train anyway"  # under the recommended 20,000 words: asked first
    qtbot.mouseClick(tab.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.progress.value() >= 1, timeout=600_000)
    assert tab.process.is_running()
    assert tab.chart.point_counts()[0] >= 1
    assert "tokens/s" in tab.status_label.text()
    _grab(tab, "trainer-mid-run.png")

    editor = window.editor
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor, " Typed while training.")
    assert editor.toPlainText().endswith("Typed while training.")

    qtbot.waitUntil(lambda: tab.adapter_list.table.rowCount() == 1, timeout=600_000)
    assert tab.progress.value() == 4
    train_points, eval_points = tab.chart.point_counts()
    assert train_points == 4 and eval_points == 2
    assert "ready" in tab.status_label.text()
    _grab(tab, "trainer-after-run.png")

    tab.adapter_list.table.selectRow(0)
    with qtbot.waitSignal(window.changed, check_params_cb=lambda changes: Change.ADAPTERS in changes):
        tab.adapter_list.activate_selected()
    qtbot.waitUntil(lambda: tab.adapter_list.table.item(0, 3).text() == "✓", timeout=10_000)
    assert window.db.run_sync(lambda lib: lib.active_adapter()).name == tab.adapter_list.adapters[0].name


@pytest.mark.slow
@pytest.mark.model
def test_cancel_stops_the_run_and_registers_nothing(qtbot, austen_window):
    window = austen_window
    tab = window.findChild(QWidget, "trainerTab")
    qtbot.waitUntil(lambda: tab.documents.topLevelItemCount() == 7)
    for name, value in (("seq_len", 32), ("batch_size", 1), ("grad_accum", 1), ("max_steps", 200),
                        ("eval_every", 100), ("eval_max_sequences", 2), ("style_samples", 0)):
        tab.fields[name].setValue(value)
    qtbot.mouseClick(tab.train_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tab.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.progress.value() >= 1, timeout=600_000)
    qtbot.mouseClick(tab.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.process.is_running(), timeout=120_000)
    assert tab.progress.format() == "Cancelled"
    assert tab.progress.value() < 200
    assert window.db.run_sync(lambda lib: lib.adapters()) == []
    assert tab.adapter_list.table.rowCount() == 0
    assert not any(window.paths.adapters.iterdir())
    assert tab.train_button.isEnabled()


@pytest.mark.slow
@pytest.mark.model
def test_interrupted_run_is_offered_and_resumes_to_a_registered_adapter(qtbot, tmp_path, embedded_model_dir):
    import subprocess
    import sys

    from tests.faults import trainer_faults_env
    from writer_app.training.config import TrainingConfig
    from writer_app.training.dataset import SourceDocument
    from writer_app.training.runs import prepare_job
    from writer_app.ui.app import build_main_window

    profile = tmp_path / "profile"
    paths = profile_paths(profile).ensure()
    with Library.open(paths.database) as lib:
        lib.create_project("Austen")
    config = TrainingConfig(rank=4, alpha=8, seq_len=32, overlap_tokens=4, batch_size=1, grad_accum=1, max_steps=4,
                            warmup_steps=1, eval_every=2, eval_max_sequences=2, checkpoint_every=2,
                            early_stopping_patience=0, style_samples=0)
    docs = [SourceDocument(title, text) for title, text in austen_chapters(6)]
    job_path = prepare_job(paths, docs, base_model="embedded", base_model_path=embedded_model_dir, config=config,
                           adapter_name="resumed-style", project_title="Austen", device="cpu")
    subprocess.run([sys.executable, "-m", "writer_app.training", str(job_path)], capture_output=True,
                   env=trainer_faults_env(nan_loss_at_step=3))  # stops after the step-2 checkpoint

    window = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(window)
    tab = window.trainer_tab
    qtbot.waitUntil(lambda: not tab.resume_button.isHidden(), timeout=10_000)
    assert "step 2 of 4" in tab.resume_button.text()
    steps = []
    tab.process.event.connect(lambda e: steps.append(e["step"]) if e["event"] == "progress" else None)
    qtbot.mouseClick(tab.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.adapter_list.table.rowCount() == 1, timeout=600_000)
    assert steps == [3, 4]
    assert tab.adapter_list.adapters[0].name == "resumed-style"
    window.close()


def _tiny_job(paths, embedded_model_dir, name, **overrides):
    from writer_app.training.config import TrainingConfig
    from writer_app.training.dataset import SourceDocument
    from writer_app.training.runs import prepare_job

    values = dict(rank=4, alpha=8, seq_len=32, overlap_tokens=4, batch_size=1, grad_accum=1, max_steps=2,
                  warmup_steps=1, eval_every=2, eval_max_sequences=2, checkpoint_every=2, early_stopping_patience=0,
                  style_samples=0)
    values.update(overrides)
    docs = [SourceDocument(title, text) for title, text in austen_chapters(6)]
    return prepare_job(paths, docs, base_model="embedded", base_model_path=embedded_model_dir,
                       config=TrainingConfig(**values), adapter_name=name, project_title="Austen", device="cpu")


def _austen_profile(tmp_path):
    profile = tmp_path / "profile"
    paths = profile_paths(profile).ensure()
    with Library.open(paths.database) as lib:
        project_id = lib.create_project("Austen").id
    return profile, paths, project_id


@pytest.mark.slow
@pytest.mark.model
def test_a_run_that_finished_while_the_editor_was_closed_is_registered_on_the_next_start(
        qtbot, tmp_path, embedded_model_dir):
    from writer_app.ui.app import build_main_window

    profile, paths, project_id = _austen_profile(tmp_path)
    job_path = _tiny_job(paths, embedded_model_dir, "Written while away")
    # The trainer runs to its end with no app to register its adapter (the editor was closed or crashed).
    finished = subprocess.run([sys.executable, "-m", "writer_app.training", str(job_path)], capture_output=True,
                              text=True)
    assert finished.returncode == 0, finished.stdout[-2000:]
    stale = Path(tempfile.mkdtemp(prefix=".tmp-killed-voice-", dir=paths.adapters))  # a trainer killed mid-write

    window = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(window)
    tab = window.trainer_tab
    qtbot.waitUntil(lambda: tab.adapter_list.table.rowCount() == 1, timeout=20_000)
    assert tab.adapter_list.adapters[0].name == "Written while away"
    assert tab.adapter_list.adapters[0].project_id == project_id
    assert "Registered the adapter “Written while away”" in tab.status_label.text()
    assert "Registered the adapter “Written while away”" in window.statusBar().currentMessage()
    assert tab.resume_button.isHidden()
    assert not stale.exists()
    window.close()

    again = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.db.pending == 0 and again.trainer_tab.adapter_list.table.rowCount() == 1,
                    timeout=20_000)
    assert "Registered" not in again.trainer_tab.status_label.text()
    with Library.open(paths.database) as lib:
        assert len(lib.adapters()) == 1  # registered once
    again.close()


@pytest.mark.slow
@pytest.mark.model
def test_a_run_still_training_in_another_process_is_neither_offered_nor_registered(
        qtbot, tmp_path, embedded_model_dir):
    from tests.faults import trainer_faults_env
    from writer_app.ui.app import build_main_window

    profile, paths, _ = _austen_profile(tmp_path)
    job_path = _tiny_job(paths, embedded_model_dir, "Still going", max_steps=200, eval_every=100)
    trainer = subprocess.Popen([sys.executable, "-m", "writer_app.training", str(job_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=trainer_faults_env(sleep_per_step_s=1.0))
    try:
        for line in trainer.stdout:  # wait until it has a checkpoint, i.e. would look resumable
            if json.loads(line)["event"] == "checkpoint":
                break
        window = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
        qtbot.addWidget(window)
        tab = window.trainer_tab
        qtbot.waitUntil(lambda: "still going in another process" in tab.status_label.text(), timeout=20_000)
        assert tab.resume_button.isHidden()
        assert tab.adapter_list.table.rowCount() == 0
    finally:
        trainer.send_signal(signal.SIGKILL)  # now it dies without a word, as when the computer froze
        trainer.wait()
        trainer.stdout.close()
    tab.recover_runs()  # what the tab's timer does while such a run goes on
    qtbot.waitUntil(lambda: not tab.resume_button.isHidden(), timeout=20_000)
    assert "Resume the interrupted run (step 2 of 200)" in tab.resume_button.text()
    assert "can resume from its last checkpoint" in tab.status_label.text()
    window.close()


def test_settings_from_an_older_version_move_the_active_adapter_into_the_library(qtbot, tmp_path):
    from writer_app.settings import load_settings
    from writer_app.ui.app import build_main_window

    profile = tmp_path / "profile"
    paths = profile_paths(profile).ensure()
    folder = paths.adapters / "my-voice"
    folder.mkdir()
    with Library.open(paths.database) as lib:
        project = lib.create_project("Austen")
        lib.create_node(project.id, "chapter", "One", text="It is a truth.")
        lib.register_adapter("My voice", folder, "embedded", project.id, {})
        lib.register_adapter("Other", paths.adapters / "other", "embedded", project.id, {})
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text(json.dumps({"model": "embedded", "adapter": "My voice", "editor_font_size": 15}))

    window = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(window)
    table = window.trainer_tab.adapter_list.table
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=10_000)
    marks = {table.item(row, 0).text(): table.item(row, 3).text() for row in range(2)}
    assert marks == {"My voice": "✓", "Other": ""}
    on_disk = json.loads(paths.settings_file.read_text())
    assert "adapter" not in on_disk and on_disk["editor_font_size"] == 15
    assert window.settings.editor_font_size == 15 and load_settings(paths).editor_font_size == 15
    window.close()

    # Once moved, the library decides: "Use none" stays none on the next start.
    with Library.open(paths.database) as lib:
        lib.set_active_adapter(None)
    again = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.trainer_tab.adapter_list.table.rowCount() == 2, timeout=10_000)
    assert again.db.run_sync(lambda lib: lib.active_adapter()) is None
    again.close()


def test_a_name_typed_in_the_tab_that_is_taken_is_refused_before_training(qtbot, austen_window):
    window = austen_window
    tab = window.trainer_tab
    qtbot.waitUntil(lambda: tab.documents.topLevelItemCount() == 7)
    window.db.run_sync(lambda lib: lib.register_adapter("Mine", window.paths.adapters / "mine", "embedded", None, {}))
    tab.name_edit.setText("  Mine ")
    tab.start_training()
    tab.start_training()  # "Train anyway" (under the recommended amount of text)
    qtbot.waitUntil(lambda: "already exists" in tab.status_label.text(), timeout=10_000)
    assert not tab.process.is_running() and tab.train_button.isEnabled()
    assert not window.paths.training_runs.exists() or not any(window.paths.training_runs.iterdir())


def test_a_cancelled_trainer_process_object_can_go_away_before_its_kill_timer(qtbot, tmp_path, monkeypatch):
    """Cancel arms a kill-after timer; closing the window deletes the process object before it fires."""
    from PySide6.QtCore import QObject

    from writer_app.ui import trainer_process

    monkeypatch.setattr(trainer_process, "KILL_AFTER_MS", 300)
    owner = QObject()
    process = trainer_process.TrainerProcess(owner)
    job = tmp_path / "job.json"
    job.write_text("{}")
    process.start(job)  # a real trainer process (it will refuse the empty job)
    qtbot.waitUntil(process.is_running, timeout=10_000)
    process.cancel()
    qtbot.waitUntil(lambda: not process.is_running(), timeout=30_000)
    owner.deleteLater()  # what closing the window does to the tab and its processes
    qtbot.wait(800)  # past the kill timer: it must not touch the deleted QProcess


def test_an_autosave_does_not_wait_behind_the_model_being_prepared_for_training(qtbot, austen_window, monkeypatch):
    """Resolving the base model can convert it (minutes); the author's save must not queue behind that."""
    import threading

    from writer_app.errors import UserError
    from writer_app.training import model_loading

    window = austen_window
    tab = window.trainer_tab
    qtbot.waitUntil(lambda: tab.documents.topLevelItemCount() == 7)
    converting, finish, ended = threading.Event(), threading.Event(), threading.Event()

    def slow_conversion(model: str, cache: Path) -> Path:
        converting.set()
        finish.wait(600)  # only a guard against a hang; the test sets it
        ended.set()
        raise UserError("the model could not be converted: no space left on the device")

    monkeypatch.setattr(model_loading, "resolve_base_model", slow_conversion)
    try:
        tab.start_training()
        tab.start_training()  # "Train anyway" (under the recommended amount of text)
        qtbot.waitUntil(converting.is_set, timeout=10_000)
        window.editor.moveCursor(QTextCursor.MoveOperation.End)
        window.editor.insertPlainText(" Typed while the model converts.")
        window.save_now()
        qtbot.waitUntil(lambda: window.autosave.state == "saved", timeout=10_000)
        assert stored_text(window.paths.data, window.current_node_id).endswith("Typed while the model converts.")
        assert not ended.is_set()  # the conversion was still going when the text was stored
    finally:
        finish.set()
    qtbot.waitUntil(lambda: "no space left" in tab.status_label.text(), timeout=10_000)
    assert tab.train_button.isEnabled() and not tab.process.is_running()


def test_deleting_an_adapter_forgets_it_and_removes_only_its_own_folder(qtbot, tmp_path):
    from writer_app.ui.app import build_main_window

    profile = tmp_path / "profile"
    paths = profile_paths(profile).ensure()
    own, elsewhere = paths.adapters / "my-voice", tmp_path / "kept-voice"
    for folder in (own, elsewhere):
        folder.mkdir()
        (folder / "adapter_config.json").write_text("{}")
    with Library.open(paths.database) as lib:
        project = lib.create_project("Austen")
        lib.create_node(project.id, "chapter", "One", text="It is a truth.")
        lib.register_adapter("My voice", own, "embedded", project.id, {})
        lib.register_adapter("Kept voice", elsewhere, "embedded", project.id, {})
    window = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(window)
    table = window.trainer_tab.adapter_list
    qtbot.waitUntil(lambda: table.table.rowCount() == 2, timeout=10_000)
    for adapter in list(table.adapters):
        with qtbot.waitSignal(window.changed, check_params_cb=lambda changes: Change.ADAPTERS in changes):
            table.delete(adapter)
    qtbot.waitUntil(lambda: table.table.rowCount() == 0 and not own.exists(), timeout=10_000)
    assert (elsewhere / "adapter_config.json").exists()  # not this profile's folder: only forgotten
    assert window.db.run_sync(lambda lib: lib.adapters()) == []
    window.close()
