"""The Trainer tab's process object with a trainer of two processes (``accelerate launch``).

The launcher and its workers run in a session of their own, so the tab's
kill (after a cancel that did not finish in time) reaches every worker: none
is left behind training on alone, holding the run's lock.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.training.conftest import austen_chapters, tiny_config
from writer_app.paths import profile_paths
from writer_app.training.faults import FAULTS_ENV
from writer_app.training.recovery import is_live
from writer_app.training.runs import prepare_job

pytestmark = [pytest.mark.slow, pytest.mark.model]


def _processes_running(job_path: Path) -> list[int]:
    """Processes whose command line names this job (the launcher and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(job_path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_kill_after_cancel_ends_every_process_of_the_group(qtbot, tmp_path, monkeypatch, embedded_model_dir):
    from PySide6.QtCore import QObject

    from writer_app.ui import trainer_process

    paths = profile_paths(tmp_path / "profile").ensure()
    job_path = prepare_job(paths, austen_chapters(6), base_model="embedded", base_model_path=embedded_model_dir,
                           config=tiny_config(max_steps=50, checkpoint_every=100), adapter_name="group",
                           device="cpu", processes=2)
    # Steps slow enough that the cancel cannot finish one before the (shortened) kill timer fires.
    monkeypatch.setenv(FAULTS_ENV, json.dumps({"sleep_per_step_s": 30}))
    monkeypatch.setattr(trainer_process, "KILL_AFTER_MS", 2_000)
    owner = QObject()
    process = trainer_process.TrainerProcess(owner)
    events: list[dict] = []
    process.event.connect(events.append)
    process.start(job_path)
    qtbot.waitUntil(lambda: any(e.get("event") == "progress" for e in events), timeout=600_000)
    assert len(_processes_running(job_path)) == 3  # the launcher and two workers
    with qtbot.waitSignal(process.finished, timeout=60_000):
        process.cancel()
    qtbot.waitUntil(lambda: not _processes_running(job_path), timeout=10_000)
    assert not is_live(job_path.parent)
