"""QLoRA: a 4-bit NF4 base, k-bit preparation, a LoRA adapter; the same run on a CPU and on CUDA.

bitsandbytes has CPU kernels for NF4, so the suite runs the whole QLoRA path (loading
4-bit, ``prepare_model_for_kbit_training``, training, a kill and resume from the
checkpoint, publishing and evaluating the adapter) without a GPU; the CUDA case is the
same test with only the device changed (and skipped without CUDA).
"""

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
from writer_app.training.job import read_job, write_job

from .conftest import run_trainer

pytest.importorskip("bitsandbytes")


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_qlora_trains_a_4bit_base_resumes_and_publishes_an_evaluated_adapter(make_job, device):
    job_path = make_job(max_steps=4, checkpoint_every=2, eval_every=2, quantization="4bit")
    job = read_job(job_path)
    job.device = device
    write_job(job_path, job)
    proc = subprocess.Popen([sys.executable, "-m", "writer_app.training", str(job_path)],
                            stdout=subprocess.PIPE, text=True, env=trainer_faults_env(sleep_per_step_s=0.5))
    for line in proc.stdout:
        if json.loads(line)["event"] == "checkpoint":
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    proc.stdout.close()
    assert [step for step, _ in checkpoint_dirs(Path(job.run_dir))] == [2]

    code, events = run_trainer(job_path)
    assert code == 0, events[-1]
    assert next(e for e in events if e["event"] == "resumed")["step"] == 2
    progress = [e for e in events if e["event"] == "progress"]
    assert [e["step"] for e in progress] == [3, 4]
    assert all(1.0 < e["train_loss"] < 8.0 for e in progress)  # a sane 4-bit model, not noise
    done = events[-1]
    assert done["metrics"]["device"] == device and done["metrics"]["quantization"] == "nf4"
    assert all(e["memory_mb"] > 0 for e in progress)
    adapter = Path(done["adapter_path"])
    assert (adapter / "adapter_model.safetensors").is_file()
    meta = json.loads((adapter / "writer_app_adapter.json").read_text())
    assert meta["metrics"]["adapter_eval_loss"] < meta["metrics"]["base_eval_loss"]
