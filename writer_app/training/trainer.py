"""The LoRA training loop, meant to be read top to bottom (after nanoGPT).

    job -> dataset -> model -> optimiser + schedule -> resume -> loop -> adapter

Accelerate drives devices, so ``accelerate launch -m writer_app.training
JOB.json`` runs the same code on several GPUs: each process takes its slice
of every global batch, and only the main process prints and writes files.
Progress goes out as JSON lines through ``emit``; the loop stops cleanly on
SIGTERM/SIGINT (``stop_requested``), on a NaN/inf loss (before the bad step
touches the weights, so the last checkpoint stays good), and early when the
held-out loss stops improving.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from writer_app.errors import UserError
from writer_app.training import checkpoint as ckpt
from writer_app.training.dataset import (
    PackedDataset,
    build_dataset,
    read_dataset,
    read_sources,
    write_dataset,
)
from writer_app.training.evaluate import EvaluationInterrupted, evaluate_peft_model, mean_loss
from writer_app.training.job import TrainingJob
from writer_app.training.model_loading import (
    configure_cpu_threads,
    load_tokenizer,
    load_trainable_model,
    wants_cuda,
)
from writer_app.training.recovery import remove_stale_staging

Emit = Callable[[dict[str, Any]], None]
ADAPTER_METADATA = "writer_app_adapter.json"
HELDOUT_FILE = "heldout.npz"


class TrainingStopped(Exception):
    """The run ended without an adapter: cancelled, or a NaN/inf loss."""

    def __init__(self, reason: str, message: str, step: int) -> None:
        super().__init__(message)
        self.reason, self.step = reason, step


def _memory_mb(cuda: bool) -> float:
    if cuda:
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _lr_factor(step: int, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warm-up, then cosine decay to ``min_ratio`` of the peak."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def prepare_dataset(job: TrainingJob, tokenizer: Any) -> Any:
    """Build the dataset file on the first start; a resume reuses it so the data never shifts."""
    path = Path(job.dataset)
    if not path.exists():
        documents = read_sources(Path(job.sources))
        data = build_dataset(documents, tokenizer, seq_len=job.config.seq_len,
                             overlap_tokens=job.config.overlap_tokens, base_model=job.base_model)
        write_dataset(path, data)
    return read_dataset(path)


def existing_adapter(job: TrainingJob) -> dict[str, Any] | None:
    """The finished adapter of this very run (killed after writing it, before reporting)."""
    meta_file = Path(job.output_dir) / ADAPTER_METADATA
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("run_id") == job.run_id:
            return meta
    return None


def write_adapter(model: Any, output_dir: Path, metadata: dict[str, Any], heldout: PackedDataset | None = None) -> Path:
    """peft folder + metadata (+ the held-out set, for ``writer-app eval``) into a temporary
    folder, fsynced, then renamed into place: a half adapter is never visible."""
    output_dir = Path(output_dir)
    if output_dir.exists():
        raise UserError(f"an adapter folder already exists at {output_dir}")
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    # A staging folder for this very folder name is from an earlier attempt of this run that was
    # killed while writing (this process holds the run's lock, and folder names are unique per run).
    remove_stale_staging(output_dir.parent, output_dir.name)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{output_dir.name}-", dir=output_dir.parent))
    try:
        model.save_pretrained(str(staging), safe_serialization=True)
        if heldout is not None:
            write_dataset(staging / HELDOUT_FILE, heldout)
        (staging / ADAPTER_METADATA).write_text(json.dumps(metadata, indent=2, ensure_ascii=False), "utf-8")
        for item in staging.iterdir():
            with open(item, "rb") as handle:
                os.fsync(handle.fileno())
        staging.rename(output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return output_dir


def train(job: TrainingJob, emit: Emit, stop_requested: threading.Event) -> dict[str, Any]:
    """Run (or resume) the job; return the done event. Raises TrainingStopped or UserError."""
    try:
        return _train(job, emit, stop_requested)
    except EvaluationInterrupted:
        saved = ckpt.checkpoint_dirs(Path(job.run_dir))
        step = saved[-1][0] if saved else 0
        raise TrainingStopped("cancelled", f"training cancelled; it can resume from step {step}", step) from None


def _train(job: TrainingJob, emit: Emit, stop_requested: threading.Event) -> dict[str, Any]:
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from peft import get_peft_model_state_dict, set_peft_model_state_dict

    cfg = job.config
    cuda = wants_cuda(job.device)
    if not cuda:
        configure_cpu_threads(cfg.cpu_threads)
    accelerator = Accelerator(cpu=not cuda)
    main = accelerator.is_main_process
    say: Emit = emit if main else (lambda _event: None)
    if (done := existing_adapter(job)) is not None:
        return {"event": "done", "adapter_path": job.output_dir, "metrics": done.get("metrics", {})}
    set_seed(cfg.seed)

    # -- data ---------------------------------------------------------------
    tokenizer = load_tokenizer(Path(job.base_model_path))
    data = prepare_dataset(job, tokenizer)
    train_rows, eval_rows, meta = data.train, data.eval, data.meta
    if cfg.eval_max_sequences:
        eval_rows = eval_rows[: cfg.eval_max_sequences]
    n_proc, rank = accelerator.num_processes, accelerator.process_index
    rows_per_step = cfg.batch_size * cfg.grad_accum * n_proc
    max_steps = cfg.max_steps or max(1, math.ceil(cfg.epochs * len(train_rows) / rows_per_step))
    say({"event": "dataset", **{k: meta[k] for k in ("words", "tokens", "train_tokens", "eval_tokens",
                                                   "train_sequences", "eval_sequences", "heldout_titles")},
         "warning": meta.get("warning"), "max_steps": max_steps})

    # -- model, optimiser, schedule -------------------------------------------
    model = load_trainable_model(Path(job.base_model_path), cfg, cuda=cuda,
                                 device_index=accelerator.local_process_index)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: _lr_factor(s, cfg.warmup_steps, max_steps, cfg.min_lr_ratio))

    # -- resume ---------------------------------------------------------------
    state = {"step": 0, "samples_seen": 0, "best_eval": float("inf"), "bad_evals": 0, "history": []}
    best_weights: dict[str, Any] | None = None
    latest = ckpt.latest_checkpoint(Path(job.run_dir))
    if latest is not None:
        saved = ckpt.load_checkpoint(latest)
        set_peft_model_state_dict(model, saved["adapter"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        torch.set_rng_state(saved["rng_cpu"])
        if cuda and saved.get("rng_cuda"):
            torch.cuda.set_rng_state_all(saved["rng_cuda"])
        best_weights = saved.get("best_adapter")
        state = saved["state"]
        say({"event": "resumed", "step": state["step"], "max_steps": max_steps})
    model, optimizer = accelerator.prepare(model, optimizer)
    device = accelerator.device

    def save(step: int) -> None:
        if main:
            ckpt.save_checkpoint(Path(job.run_dir), step, {
                "adapter": get_peft_model_state_dict(accelerator.unwrap_model(model)),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "rng_cpu": torch.get_rng_state(), "best_adapter": best_weights,
                "rng_cuda": torch.cuda.get_rng_state_all() if cuda else [],
                "state": state, "config": cfg.to_dict(),
            }, keep=cfg.keep_checkpoints)
            say({"event": "checkpoint", "step": step})
        accelerator.wait_for_everyone()

    permutations: dict[int, Any] = {}

    def row_index(sample: int) -> int:
        """The global sample counter -> a row; each epoch has its own seeded shuffle."""
        epoch, offset = divmod(sample, len(train_rows))
        if epoch not in permutations:
            permutations[epoch] = torch.randperm(
                len(train_rows), generator=torch.Generator().manual_seed(cfg.seed + epoch))
        return int(permutations[epoch][offset])

    def micro_batch(first_sample: int) -> Any:
        start = first_sample + rank * cfg.batch_size
        rows = np.stack([train_rows[row_index(s)] for s in range(start, start + cfg.batch_size)])
        return torch.as_tensor(rows, dtype=torch.long, device=device)

    eval_batch = max(cfg.batch_size * 2, 8)

    def held_out_loss() -> float:
        mine = eval_rows[rank::n_proc]
        loss = torch.tensor(mean_loss(model, mine, eval_batch, device, stop_requested), device=device)
        return float(accelerator.reduce(loss, reduction="mean"))

    # -- the loop ---------------------------------------------------------------
    nan_step = int(job.fault_injection.get("nan_loss_at_step", -1))
    step_sleep = float(job.fault_injection.get("sleep_per_step_s", 0.0))
    model.train()
    started, tokens_done, eval_loss = time.monotonic(), 0, None
    first_step = state["step"]
    while state["step"] < max_steps:
        if stop_requested.is_set():
            save(state["step"])
            raise TrainingStopped("cancelled", f"training cancelled at step {state['step']}", state["step"])
        step_loss = 0.0
        for micro in range(cfg.grad_accum):
            sample = state["samples_seen"] + micro * cfg.batch_size * n_proc
            batch = micro_batch(sample)
            sync = accelerator.no_sync(model) if micro < cfg.grad_accum - 1 else nullcontext()
            with sync:
                loss = model(input_ids=batch, labels=batch).loss
                if state["step"] + 1 == nan_step:
                    loss = loss * float("nan")
                if not torch.isfinite(loss):
                    last = ckpt.checkpoint_dirs(Path(job.run_dir))
                    kept = f"the last good checkpoint (step {last[-1][0]}) was kept" if last else \
                        "no checkpoint had been written yet"
                    raise TrainingStopped(
                        "nan", f"the training loss became {float(loss)} at step {state['step'] + 1}, so "
                        f"training stopped before that step changed anything; {kept}. Try a lower "
                        "learning rate.", state["step"])
                accelerator.backward(loss / cfg.grad_accum)
            step_loss += float(loss.detach()) / cfg.grad_accum
            tokens_done += batch.numel() * n_proc
        if cfg.max_grad_norm:
            accelerator.clip_grad_norm_(trainable, cfg.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        state["step"] += 1
        state["samples_seen"] += rows_per_step
        step = state["step"]

        evaluated = step % cfg.eval_every == 0 or step == max_steps
        if evaluated:
            eval_loss = held_out_loss()
            if eval_loss < state["best_eval"] - 1e-4:
                state["best_eval"], state["bad_evals"] = eval_loss, 0
                best_weights = {k: v.detach().clone() for k, v in
                                get_peft_model_state_dict(accelerator.unwrap_model(model)).items()}
            else:
                state["bad_evals"] += 1
        state["history"].append({"step": step, "train_loss": step_loss,
                                 "eval_loss": eval_loss if evaluated else None})
        elapsed = time.monotonic() - started
        say({"event": "progress", "step": step, "max_steps": max_steps,
             "epoch": round(state["samples_seen"] / len(train_rows), 3), "train_loss": round(step_loss, 4),
             "eval_loss": round(eval_loss, 4) if evaluated else None,
             "lr": scheduler.get_last_lr()[0], "tokens_per_s": round(tokens_done / max(elapsed, 1e-6), 1),
             "eta_s": round(elapsed / max(1, step - first_step) * (max_steps - step), 1),
             "memory_mb": round(_memory_mb(cuda), 1)})
        if step % cfg.checkpoint_every == 0 or step == max_steps:
            save(step)
        if step_sleep:
            time.sleep(step_sleep)
        if evaluated and cfg.early_stopping_patience and state["bad_evals"] >= cfg.early_stopping_patience:
            say({"event": "early_stop", "step": step, "best_eval_loss": state["best_eval"]})
            break

    # -- the adapter ------------------------------------------------------------
    if stop_requested.is_set():
        raise TrainingStopped("cancelled", f"training cancelled at step {state['step']}", state["step"])
    peft_model = accelerator.unwrap_model(model)
    if best_weights is not None and (eval_loss is None or state["best_eval"] < eval_loss):
        set_peft_model_state_dict(peft_model, best_weights)
    four_bit = any(type(module).__name__ == "Linear4bit" for module in peft_model.modules())
    metrics: dict[str, Any] = {"steps": state["step"], "max_steps": max_steps,
                               "device": "cuda" if cuda else "cpu", "quantization": "nf4" if four_bit else "none",
                               "processes": n_proc, "memory_mb": round(_memory_mb(cuda), 1),
                               "final_train_loss": state["history"][-1]["train_loss"] if state["history"] else None,
                               "best_eval_loss": state["best_eval"], "seconds": round(time.monotonic() - started, 1),
                               "tokens_per_s": round(tokens_done / max(time.monotonic() - started, 1e-6), 1)}
    if main:
        say({"event": "evaluating"})
        metrics.update(evaluate_peft_model(
            peft_model, tokenizer, eval_rows, meta, batch_size=eval_batch, style_samples=cfg.style_samples,
            style_tokens=cfg.style_tokens, seed=cfg.seed, device=device, stop=stop_requested))
        summary = {k: meta.get(k) for k in ("words", "tokens", "train_tokens", "eval_tokens", "train_sequences",
                                            "eval_sequences", "documents", "heldout_titles")}
        write_adapter(peft_model, Path(job.output_dir), {
            "run_id": job.run_id, "name": job.adapter_name, "base_model": job.base_model,
            "base_model_path": job.base_model_path, "project": job.project_title, "dataset": summary,
            "hyperparameters": cfg.to_dict(), "metrics": metrics, "history": state["history"],
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }, heldout=PackedDataset(data.train[:0], data.eval, meta))
    accelerator.wait_for_everyone()
    return {"event": "done", "adapter_path": job.output_dir, "metrics": metrics}

