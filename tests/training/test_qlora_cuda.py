"""QLoRA on a CUDA GPU: 4-bit NF4 base, k-bit preparation, gradient checkpointing (skipped without CUDA)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from writer_app.training.job import read_job, write_job

from .conftest import run_trainer


@pytest.mark.cuda
@pytest.mark.slow
@pytest.mark.model
def test_qlora_run_on_cuda_trains_a_4bit_base_and_writes_an_adapter(make_job):
    job_path = make_job(max_steps=4, checkpoint_every=2, quantization="4bit")
    job = read_job(job_path)
    job.device = "cuda"
    write_job(job_path, job)
    code, events = run_trainer(job_path)
    assert code == 0, events[-1]
    done = events[-1]
    assert done["metrics"]["device"] == "cuda" and done["metrics"]["quantization"] == "nf4"
    assert all(e["memory_mb"] > 0 for e in events if e["event"] == "progress")
    meta = json.loads((Path(done["adapter_path"]) / "writer_app_adapter.json").read_text())
    assert meta["metrics"]["adapter_eval_loss"] < meta["metrics"]["base_eval_loss"]
