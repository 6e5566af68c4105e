"""``writer-app train --export-job DIR``: a training job as a folder that runs on another machine.

A novel trains in hours on a laptop CPU and in minutes on a rented GPU, but
the library (and the manuscript in it) stays on the laptop. So the job is
written as one self-contained folder, copied there by the author, run with
the commands in its README, and the finished adapter is brought back with
``writer-app adapters import DIR`` (``training.import_adapter``):

    DIR/job.json              the job; every path in it relative to DIR
    DIR/sources.json          the chosen documents' text (what the dataset was built from)
    DIR/dataset.npz           the packed token dataset, built here with the base model's tokenizer
    DIR/export.json           what the import checks: run id, base model and its shape
    DIR/accelerate_fsdp.yaml  an example accelerate config for FSDP (sharded) training
    DIR/README.txt            the exact launch commands
    DIR/adapter/              appears when the run has finished (whole, or not at all)

The other machine needs writer-app installed (the trainer is its
``writer_app.training`` module) and the base model: the folder recorded in the
job when it exists there, else the model setting resolved there (the embedded
model, a downloaded hub id) by :func:`with_local_base_model`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from writer_app import __version__
from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError
from writer_app.paths import display_path
from writer_app.training.config import TrainingConfig
from writer_app.training.dataset import SourceDocument, build_dataset, write_dataset, write_sources
from writer_app.training.job import TrainingJob, write_job
from writer_app.training.launch import MODULE, accelerate_launch_args, shell_line

EXPORT_FILE = "export.json"
FSDP_CONFIG_FILE = "accelerate_fsdp.yaml"
ADAPTER_FOLDER = "adapter"
# The base model's shape, as config.json states it: an adapter trained on a model that differs in any
# of these cannot be attached to it (the LoRA matrices would not fit).
SHAPE_KEYS = ("model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "vocab_size")

FSDP_CONFIG = """\
# An example accelerate config for FSDP (fully sharded data parallel) on one machine with 8 GPUs.
# Change num_processes to the number of GPUs. Run it with:
#   accelerate launch --config_file accelerate_fsdp.yaml -m writer_app.training job.json
# What writer-app has verified, and what not (its tests run on CPUs):
# - accelerate shards models on GPUs only. Tried on a CPU with 2 processes (use_cpu: true) under
#   accelerate 1.16 / torch 2.13: as written here (fsdp_sync_module_states: true) accelerate refuses
#   to start and the run says to use the --multi_gpu command; with that option false (fsdp_version
#   1 or 2) it trains as plain data parallel (each process holds the whole model, the same losses)
#   and the run says so in a "warning" event.
# - the trainer's FSDP code (the model's own loss instead of the chunked one, whose lm_head weight
#   is a shard outside the forward pass; LoRA weights and optimiser state gathered to the first
#   process for checkpoints; the adapter written from a whole copy of the base model) is tested on
#   a CPU under torch's own FSDP2 (fully_shard over gloo, 2 processes), not under accelerate's.
# - this config on GPUs has NOT been run: the plain --multi_gpu command in README.txt (DDP) is the
#   tested way to use several GPUs. At the end the first process loads one whole copy of the base
#   model to evaluate and write the adapter: a model that does not fit one GPU will not fit there.
compute_environment: LOCAL_MACHINE
distributed_type: FSDP
fsdp_config:
  fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP
  fsdp_backward_prefetch: BACKWARD_PRE
  fsdp_cpu_ram_efficient_loading: false
  fsdp_offload_params: false
  fsdp_sharding_strategy: FULL_SHARD
  fsdp_state_dict_type: FULL_STATE_DICT
  fsdp_sync_module_states: true
  fsdp_use_orig_params: true
machine_rank: 0
main_training_function: main
mixed_precision: bf16
num_machines: 1
num_processes: 8
rdzv_backend: static
same_network: true
use_cpu: false
"""


def model_shape(model_folder: Path) -> dict[str, Any]:
    """The fields of ``SHAPE_KEYS`` in the model's config.json (those it has)."""
    try:
        config = json.loads((Path(model_folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the base model's config.json in {display_path(model_folder)}: {exc}") from exc
    return {key: config[key] for key in SHAPE_KEYS if key in config}


def launch_commands(processes: int = 8) -> dict[str, str]:
    """The commands README.txt gives, run inside the job folder (tests run the first one for real)."""
    launch = ["accelerate", "launch", *accelerate_launch_args(processes)]
    return {
        "single process": shell_line(["python", "-m", MODULE, "job.json"]),
        "several GPUs (DDP)": shell_line([*launch, "-m", MODULE, "job.json"]),
        "several CPU processes (gloo)": shell_line(
            ["accelerate", "launch", *accelerate_launch_args(2), "-m", MODULE, "job.json"]),
        "FSDP": shell_line(["accelerate", "launch", "--config_file", FSDP_CONFIG_FILE, "-m", MODULE, "job.json"]),
    }


def _readme(job: TrainingJob) -> str:
    commands = launch_commands()
    lines = [
        f"writer-app training job {job.run_id}: adapter {job.adapter_name!r} on {job.base_model}",
        f"(exported by writer-app {__version__}; {job.config.seq_len}-token sequences, "
        f"batch {job.config.batch_size} x {job.config.grad_accum} accumulation per process)",
        "",
        "On the machine that trains: install writer-app (pip install writer-app, or the source), copy this",
        "folder there, and run ONE of these inside it. The base model is the folder named in job.json when",
        f"it exists there, else the model setting {job.base_model!r} resolved there.",
        "",
    ]
    for title, command in commands.items():
        lines += [f"  {title}:", f"    {command}", ""]
    lines += [
        f"FSDP ({FSDP_CONFIG_FILE}): not run on GPUs by writer-app's tests; on a CPU accelerate does not shard",
        f"(see the comments in {FSDP_CONFIG_FILE}). Prefer the DDP command unless the model does not fit one GPU",
        "for training; the first process still loads one whole copy of it at the end to write the adapter.",
        "",
        "The global batch is batch x accumulation x processes: with N processes the run takes N times the",
        "rows per step and so about N times fewer steps. Resume an interrupted run with the same command",
        "(the same number of processes); checkpoints are in checkpoints/. The finished adapter appears in",
        f"{ADAPTER_FOLDER}/. Copy the whole folder back and run:",
        "",
        "    writer-app adapters import THIS_FOLDER",
        "",
    ]
    return "\n".join(lines)


def export_job(folder: Path, documents: Sequence[SourceDocument], *, base_model: str, base_model_path: Path,
               config: TrainingConfig, adapter_name: str, project_title: str = "", device: str = "auto") -> Path:
    """Write the job folder (see the module text); return its job.json. ``folder`` must be new or empty."""
    from writer_app.storage.adapters import clean_name
    from writer_app.training.model_loading import load_tokenizer

    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UserError(f"{display_path(folder)} already exists and is not an empty folder; choose a new one")
    config.validate()
    adapter_name = clean_name(adapter_name)
    shape = model_shape(base_model_path)
    tokenizer = load_tokenizer(Path(base_model_path))  # refuses a folder without a usable tokenizer first
    data = build_dataset(documents, tokenizer, seq_len=config.seq_len, overlap_tokens=config.overlap_tokens,
                         base_model=base_model)
    folder.mkdir(parents=True, exist_ok=True)
    run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    write_sources(folder / "sources.json", documents)
    write_dataset(folder / "dataset.npz", data)
    job = TrainingJob(run_id=run_id, sources="sources.json", dataset="dataset.npz", run_dir=".",
                      output_dir=ADAPTER_FOLDER, adapter_name=adapter_name, base_model=base_model,
                      base_model_path=str(Path(base_model_path).resolve()), device=device,
                      project_title=project_title, config=config)
    write_job(folder / "job.json", job)
    _write_text(folder / FSDP_CONFIG_FILE, FSDP_CONFIG)
    _write_text(folder / "README.txt", _readme(job))
    with atomic_write(folder / EXPORT_FILE) as handle:
        json.dump({"format": 1, "run_id": run_id, "adapter_name": adapter_name, "project": project_title,
                   "base_model": base_model, "base_model_shape": shape, "writer_app": __version__,
                   "dataset": {k: data.meta.get(k) for k in ("words", "tokens", "train_sequences", "eval_sequences")},
                   "commands": launch_commands(), "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                  handle, indent=2, ensure_ascii=False)
    return folder / "job.json"


def _write_text(path: Path, text: str) -> None:
    with atomic_write(path) as handle:
        handle.write(text)


def with_local_base_model(job: TrainingJob) -> TrainingJob:
    """The job with a base model folder that exists on this machine.

    The recorded folder when it is there (always, for a job made on this
    machine); else the model setting resolved here, so an exported job runs on
    another machine that has the same model under another path.
    """
    if Path(job.base_model_path).is_dir():
        return job
    from writer_app.llm.catalogue import resolve_model
    from writer_app.paths import profile_paths

    try:
        folder = resolve_model(job.base_model, profile_paths(None).model_cache).folder
    except UserError as exc:
        raise UserError(f"the job's base model folder {job.base_model_path} is not on this machine, and "
                        f"its model setting {job.base_model!r} cannot be used here: {exc}") from exc
    return replace(job, base_model_path=str(folder))
