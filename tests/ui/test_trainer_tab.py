"""The Trainer tab drives a real (tiny) training run while the author keeps typing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget

from writer_app.paths import profile_paths
from writer_app.storage import Library

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
    tab.adapter_list.activate_selected()
    qtbot.waitUntil(lambda: tab.adapter_list.table.item(0, 3).text() == "✓", timeout=10_000)
    assert window.settings.adapter == tab.adapter_list.adapters[0].name
    assert window.db.run_sync(lambda lib: lib.active_adapter()).name == window.settings.adapter


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

    from writer_app.training.config import TrainingConfig
    from writer_app.training.dataset import SourceDocument
    from writer_app.training.job import read_job, write_job
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
                           adapter_name="resumed-style", project_title="Austen", device="cpu",
                           fault_injection={"nan_loss_at_step": 3})  # stops after the step-2 checkpoint
    subprocess.run([sys.executable, "-m", "writer_app.training", str(job_path)], capture_output=True)
    job = read_job(job_path)
    job.fault_injection = {}
    write_job(job_path, job)

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
