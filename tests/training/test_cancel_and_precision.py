"""Cancel stops between micro-batches and resumes that very step; bf16 autocast follows the fp32 losses."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.faults import trainer_faults_env
from writer_app.training.checkpoint import checkpoint_dirs
from writer_app.training.job import read_job

from .conftest import run_trainer

GRAD_ACCUM = 6


def _losses(events: list[dict]) -> dict[int, float]:
    return {e["step"]: e["train_loss"] for e in events if e["event"] == "progress"}


@pytest.mark.slow
@pytest.mark.model
def test_cancel_stops_between_micro_batches_and_resume_redoes_that_step(make_job):
    # Steps of 6 micro-batches, each slowed down, so that the stop arrives in the middle of step 2.
    job_path = make_job(max_steps=3, checkpoint_every=10, eval_every=10, grad_accum=GRAD_ACCUM)
    job = read_job(job_path)
    proc = subprocess.Popen([sys.executable, "-m", "writer_app.training", str(job_path)], stdout=subprocess.PIPE,
                            text=True, env=trainer_faults_env(sleep_per_micro_batch_s=0.4))
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "progress" and events[-1]["step"] == 1:
            # Into step 2 (its first micro-batch sleeps 0.4 s after computing): a stop sent at once
            # can reach a trainer that a busy machine has not yet let past the step boundary, where
            # it stops too, but without showing the stop between micro-batches.
            time.sleep(0.6)
            proc.send_signal(signal.SIGTERM)
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == 130
    cancelled = events[-1]
    # Step 2 was not finished: the stop took effect after the micro-batch that was running
    # (before the fix, the whole step ran, then a checkpoint of step 2 was written).
    assert cancelled["event"] == "cancelled" and cancelled["step"] == 1
    assert 1 <= cancelled["micro_batch"] < GRAD_ACCUM - 1, events
    assert max(_losses(events)) == 1
    assert [step for step, _ in checkpoint_dirs(Path(job.run_dir))] == [1]

    code, resumed_events = run_trainer(job_path)
    assert code == 0, resumed_events[-1]
    assert next(e for e in resumed_events if e["event"] == "resumed")["step"] == 1
    assert sorted(_losses(resumed_events)) == [2, 3]

    # The same run without a cancel: the resumed steps are the very same steps (data, dropout, weights).
    code, straight = run_trainer(make_job(max_steps=3, checkpoint_every=10, eval_every=10,
                                          grad_accum=GRAD_ACCUM, name="austen-uninterrupted"))
    assert code == 0, straight[-1]
    expected = _losses(straight)
    assert _losses(events)[1] == pytest.approx(expected[1], rel=1e-5)
    for step in (2, 3):
        assert _losses(resumed_events)[step] == pytest.approx(expected[step], rel=1e-5)


@pytest.mark.model
def test_bf16_autocast_follows_the_fp32_loss_trajectory(make_job):
    from writer_app.training.model_loading import cpu_has_native_bf16
    from writer_app.training.trainer import train

    def losses(name: str, autocast: str) -> tuple[list[float], dict]:
        job = read_job(make_job(max_steps=4, eval_every=4, checkpoint_every=10, learning_rate=2e-3,
                                name=name, cpu_autocast=autocast))
        events: list[dict] = []
        done = train(job, events.append, threading.Event())
        return [e["train_loss"] for e in events if e["event"] == "progress"], done["metrics"]

    fp32, fp32_metrics = losses("austen-fp32", "off")
    bf16, bf16_metrics = losses("austen-bf16", "bf16")
    assert fp32_metrics["precision"] == "fp32" and bf16_metrics["precision"] == "bf16-autocast"
    assert fp32[-1] < fp32[0]  # it learns
    assert bf16 != fp32  # bf16 really ran
    for ours, reference in zip(bf16, fp32, strict=True):
        assert ours == pytest.approx(reference, rel=0.03)
    # 'auto' uses bf16 only on a CPU that computes it natively; elsewhere it falls back to fp32.
    _, auto_metrics = losses("austen-auto", "auto")
    assert auto_metrics["precision"] == ("bf16-autocast" if cpu_has_native_bf16() else "fp32")
