"""The trainer under FSDP: when the chunked loss is used, and the FSDP helpers on a real sharded model.

accelerate shards a model only on GPUs (on a CPU an FSDP config trains as
plain data parallel), so the two-process test wraps the embedded model in
torch's own FSDP2 (``fully_shard``, gloo) and drives ``training.sharding`` on
it: what the trainer does under ``accelerate launch`` with an FSDP config on
GPUs, minus accelerate's wrapping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.training.launch import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_an_fsdp_config_on_a_cpu_is_reported_as_plain_data_parallel(monkeypatch):
    from accelerate import Accelerator

    from writer_app.training.sharding import FSDP_ENV, fsdp_fallback_warning, fsdp_requested, uses_fsdp

    accelerator = Accelerator(cpu=True)  # one process, as a CPU machine has it
    monkeypatch.delenv(FSDP_ENV, raising=False)
    assert not fsdp_requested() and fsdp_fallback_warning(accelerator) is None
    monkeypatch.setenv(FSDP_ENV, "true")  # what accelerate launch sets for distributed_type: FSDP
    assert fsdp_requested() and not uses_fsdp(accelerator)
    warning = fsdp_fallback_warning(accelerator)
    assert warning is not None and "GPUs only" in warning and "plain data parallel" in warning


@pytest.mark.model
def test_the_chunked_loss_is_used_on_a_whole_model_only(embedded_model_dir):
    from writer_app.training.chunked_loss import output_weight
    from writer_app.training.model_loading import load_trainable_model
    from writer_app.training.sharding import is_sharded

    from .conftest import tiny_config

    model = load_trainable_model(embedded_model_dir, tiny_config(), cuda=False)
    assert not is_sharded(model)
    assert output_weight(model) is model.get_base_model().lm_head.weight


@pytest.mark.slow
@pytest.mark.model
def test_two_fsdp2_processes_on_the_cpu_train_gather_and_write_an_adapter_the_app_loads(tmp_path, embedded_model_dir):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(free_port()),
         "-m", "tests.training.sharded_worker", str(embedded_model_dir), str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads((tmp_path / "report.json").read_text())
    # Whole, the model's loss is taken in chunks from lm_head's weight; sharded, that weight is a DTensor
    # holding half the rows outside the forward pass, which the chunked loss cannot use ...
    assert report["chunked_before"] and report["sharded"] and not report["chunked_after"]
    assert report["head_is_dtensor"] and report["head_local_rows"] == report["head_rows"] // 2
    assert report["chunked_on_shard"] != "ran"
    # ... so the model's own loss is taken inside the forward: the same loss as the whole model's.
    assert report["sharded_loss"] == pytest.approx(report["plain_loss"], abs=1e-4)
    # The adapter gathered to the first process is whole, and changed by the step ...
    assert report["gathered_keys_match"] and report["gathered_shapes_match"] and report["gathered_changed_by_step"]
    # ... and a whole model with it scores the rows as the sharded model did after the step.
    assert report["whole_loss"] == pytest.approx(report["sharded_loss_after_step"], abs=1e-4)
    # The optimiser state went out whole and back into each process's shard unchanged.
    assert report["optimizer_saved_params"] > 0 and report["optimizer_round_trip_processes"] == 2

    from writer_app.llm.runtime import ModelRuntime

    runtime = ModelRuntime.load("embedded", Path(os.environ["WRITER_APP_MODEL_CACHE"]), device="cpu")
    assert runtime.attach_adapter(tmp_path / "adapter") == "adapter"


def _launch_with_config(job_path: Path, config_text: str, folder: Path) -> tuple[int, list[dict]]:
    """``accelerate launch --config_file`` (the exported README's FSDP command) on this job, to its end."""
    config = folder / "accelerate_fsdp.yaml"
    config.write_text(config_text)
    proc = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(config),
                           "--main_process_port", str(free_port()), "-m", "writer_app.training", str(job_path)],
                          capture_output=True, text=True)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert events, proc.stderr[-3000:]
    return proc.returncode, events


@pytest.mark.slow
@pytest.mark.model
def test_the_exported_fsdp_config_on_a_cpu_is_refused_in_a_sentence_or_trains_as_data_parallel(make_job, tmp_path):
    from writer_app.training.export_job import FSDP_CONFIG

    on_this_cpu = FSDP_CONFIG.replace("num_processes: 8", "num_processes: 2").replace(
        "use_cpu: false", "use_cpu: true").replace("mixed_precision: bf16", "mixed_precision: 'no'")
    assert on_this_cpu != FSDP_CONFIG and "fsdp_sync_module_states: true" in on_this_cpu
    job_path = make_job(processes=2, max_steps=2, eval_every=2, checkpoint_every=2, dropout=0.0)
    # As exported (for GPUs): accelerate refuses sync_module_states on a CPU; the run says what to do instead.
    code, events = _launch_with_config(job_path, on_this_cpu, tmp_path)
    assert code != 0 and events[-1]["event"] == "error"
    assert "refuses this FSDP config on a CPU" in events[-1]["message"] and "--multi_gpu" in events[-1]["message"]
    # FSDP2 without that option: accelerate accepts it and trains unsharded; the run says so and finishes.
    fsdp2 = on_this_cpu.replace("fsdp_sync_module_states: true", "fsdp_sync_module_states: false").replace(
        "fsdp_config:\n", "fsdp_config:\n  fsdp_version: 2\n")
    code, events = _launch_with_config(job_path, fsdp2, tmp_path)
    assert code == 0, events[-1]
    warnings = [e["message"] for e in events if e["event"] == "warning"]
    assert len(warnings) == 1 and "plain data parallel" in warnings[0]
    assert [e["step"] for e in events if e["event"] == "progress"] == [1, 2]
    done = events[-1]
    assert done["event"] == "done" and done["metrics"]["processes"] == 2 and done["metrics"]["fsdp"] is False
    assert (Path(done["adapter_path"]) / "adapter_model.safetensors").is_file()
