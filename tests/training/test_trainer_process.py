"""The trainer process: kill -9 and resume, NaN stop, JSON-lines protocol."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults import trainer_faults_env
from writer_app.training.checkpoint import checkpoint_dirs
from writer_app.training.job import read_job

from .conftest import run_trainer


@pytest.mark.slow
@pytest.mark.model
def test_killed_run_resumes_from_its_last_complete_checkpoint(make_job):
    job_path = make_job(max_steps=6, checkpoint_every=2)
    job = read_job(job_path)
    proc = subprocess.Popen([sys.executable, "-m", "writer_app.training", str(job_path)],
                            stdout=subprocess.PIPE, text=True, env=trainer_faults_env(sleep_per_step_s=0.5))
    first_steps = []
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "progress":
            first_steps.append(event["step"])
        if event["event"] == "checkpoint" and event["step"] >= 2:
            os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up
            break
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    saved = checkpoint_dirs(Path(job.run_dir))
    assert saved and saved[-1][0] >= 2
    killed_at = saved[-1][0]
    # What a kill during a checkpoint write leaves (the rename never happened): the resume removes it.
    half_written = Path(job.run_dir) / "checkpoints" / ".tmp-abcd1234"
    half_written.mkdir()
    (half_written / "checkpoint.pt").write_bytes(b"truncated")

    code, events = run_trainer(job_path)
    assert code == 0, events[-1]
    resumed = next(e for e in events if e["event"] == "resumed")
    assert resumed["step"] == killed_at
    steps = [e["step"] for e in events if e["event"] == "progress"]
    assert steps == list(range(killed_at + 1, 7))  # never backwards, never repeated before the checkpoint
    done = events[-1]
    assert done["event"] == "done" and done["metrics"]["steps"] == 6
    adapter = Path(done["adapter_path"])
    assert (adapter / "adapter_config.json").is_file()
    meta = json.loads((adapter / "writer_app_adapter.json").read_text())
    assert meta["base_model"] == "embedded" and meta["hyperparameters"]["rank"] == 4
    assert meta["metrics"]["adapter_eval_loss"] < meta["metrics"]["base_eval_loss"]
    assert not half_written.exists()
    assert not [p for p in adapter.parent.iterdir() if p.name.startswith(".tmp")]


@pytest.mark.slow
@pytest.mark.model
def test_nan_loss_stops_within_the_step_and_keeps_the_good_checkpoint(make_job):
    job_path = make_job(max_steps=6, checkpoint_every=2)
    job = read_job(job_path)
    code, events = run_trainer(job_path, nan_loss_at_step=3)
    assert code == 1
    error = events[-1]
    assert error["event"] == "error" and error["reason"] == "nan"
    assert "step 3" in error["message"] and "step 2" in error["message"]
    assert max(e["step"] for e in events if e["event"] == "progress") == 2
    assert [step for step, _ in checkpoint_dirs(Path(job.run_dir))] == [2]
    assert not Path(job.output_dir).exists()


def test_bad_job_file_reports_one_error_line(tmp_path):
    bad = tmp_path / "job.json"
    bad.write_text("{not json")
    proc = subprocess.run([sys.executable, "-m", "writer_app.training", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    event = json.loads(proc.stdout.strip())
    assert event["event"] == "error" and "cannot read the training job" in event["message"]


@pytest.mark.slow
@pytest.mark.model
def test_a_run_that_finished_unwatched_is_registered_once_and_never_while_its_trainer_lives(make_job):
    from writer_app.paths import profile_paths
    from writer_app.storage import Library
    from writer_app.training import runs

    from .test_runs import hold_lock, kill

    job_path = make_job(max_steps=2, checkpoint_every=2, eval_every=2, name="Unwatched voice")
    job = read_job(job_path)
    paths = profile_paths(Path(job.run_dir).parents[1])
    code, events = run_trainer(job_path)  # as if the editor that started it had died: nobody registers it
    assert code == 0 and events[-1]["event"] == "done", events[-1]

    with Library.open(paths.database) as lib:
        holder = hold_lock(Path(job.run_dir))  # its trainer still alive (e.g. about to report): hands off
        try:
            report = runs.recover_runs(lib, paths)
            assert report.registered == [] and [r.job.run_id for r in report.running] == [job.run_id]
            assert report.interrupted == [] and lib.adapters() == []
        finally:
            kill(holder)
        report = runs.recover_runs(lib, paths)
        assert [a.name for a in report.registered] == ["Unwatched voice"]
        assert report.registered[0].path == job.output_dir
        assert runs.recover_runs(lib, paths).registered == []  # not twice
        assert len(lib.adapters()) == 1


@pytest.mark.slow
@pytest.mark.model
def test_the_trainer_finishes_its_adapter_when_the_app_reading_it_dies(make_job):
    """The editor (or the CLI) that reads the trainer's JSON lines is gone: the trainer keeps going."""
    job_path = make_job(max_steps=4, checkpoint_every=2, eval_every=2)
    job = read_job(job_path)
    proc = subprocess.Popen([sys.executable, "-m", "writer_app.training", str(job_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=trainer_faults_env(sleep_per_step_s=0.5))
    for line in proc.stdout:
        if json.loads(line)["event"] == "progress":
            break
    proc.stdout.close()  # what the reader's death does to the pipe: the next line written has nowhere to go
    _, log = proc.communicate()
    assert proc.returncode == 0, log[-2000:]
    assert "Traceback" not in log
    assert (Path(job.output_dir) / "adapter_model.safetensors").is_file()
