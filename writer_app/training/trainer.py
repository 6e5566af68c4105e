"""The LoRA training loop, meant to be read top to bottom (after nanoGPT).

    job -> dataset -> model -> optimiser + schedule -> resume -> loop -> adapter
           `--------------- _set_up ---------------'  _resume  _step   _finish
                                                              _record_step

``_train`` is that line; what the pieces share (the model, the optimiser, the
counters a checkpoint saves) is one ``_Run``.

Accelerate drives devices, so ``accelerate launch -m writer_app.training
JOB.json`` runs the same code on several GPUs: each process takes its slice
of every global batch, and only the main process prints and writes files.
Under an FSDP config no process holds the whole model; what that changes
(the loss, checkpoints, the final adapter) is in ``sharding``.
Progress goes out as JSON lines through ``emit``; the loop stops cleanly on
SIGTERM/SIGINT (``stop_requested``, looked at before every micro-batch: a
half-done step is dropped and redone on resume, so a cancel waits for one
micro-batch, not a whole step), on a NaN/inf loss in any process (before the
bad step touches the weights, so the last checkpoint stays good), and early when the
held-out loss stops improving. Tests can make a step's loss NaN or slow each
step down through ``training.faults`` (a test seam in the environment, not in
the job).

Speed and memory on a CPU: the loss over the 49k vocabulary is computed in
chunks from the last hidden states (``chunked_loss``; never the whole batch's
fp32 logits), rows are packed without padding, bf16 autocast is used where the
CPU has native bf16 (``model_loading.cpu_autocast_enabled``) with the frozen
base stored in bf16 (``bf16_weights``), LoRA dropout draws a quarter of the
random numbers (``lora_dropout``), and the thread count leaves the editor a
core. Memory on a CPU: gradient checkpointing (each layer keeps only its
input), glibc told to return large freed blocks at once
(``model_loading.configure_cpu_memory``), 128-token loss chunks and small
held-out batches keep the embedded model's trainer process near 1.1 GB instead
of 3.2 GB. benchmarks/README.md has what each one buys.
"""

from __future__ import annotations

import math
import resource
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from writer_app.errors import UserError
from writer_app.training import checkpoint as ckpt
from writer_app.training.chunked_loss import causal_lm_loss, output_weight
from writer_app.training.dataset import (
    PackedDataset,
    build_dataset,
    read_dataset,
    read_sources,
    spread_rows,
    write_dataset,
)
from writer_app.training.eta import EtaClock
from writer_app.training.evaluate import EvaluationInterrupted, evaluate_peft_model, mean_loss
from writer_app.training.faults import InjectedFaults
from writer_app.training.job import TrainingJob
from writer_app.training.model_loading import (
    configure_cpu_memory,
    configure_cpu_threads,
    cpu_autocast_enabled,
    cpu_malloc_threshold,
    load_tokenizer,
    load_trainable_model,
    release_free_memory,
    wants_cuda,
)
from writer_app.training.multiprocess import (
    check_same_processes,
    cpu_threads_per_process,
    evaluation_stop,
    group_mean,
    nonfinite_losses,
    nonfinite_message,
    stop_agreed,
)
from writer_app.training.publish import existing_adapter, write_adapter
from writer_app.training.sharding import (
    adapter_state,
    fsdp_fallback_warning,
    load_optimizer_state,
    make_accelerator,
    optimizer_state,
    uses_fsdp,
    whole_peft_model,
)
from writer_app.training.time_budget import CosineSchedule, budget_eta, fit_run_to_budget

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator
    from transformers import PreTrainedTokenizerBase

    from writer_app.training.config import TrainingConfig

Emit = Callable[[dict[str, Any]], None]


class TrainingStopped(Exception):
    """The run ended without an adapter: cancelled, or a NaN/inf loss."""

    def __init__(self, reason: str, message: str, step: int, micro_batch: int = 0) -> None:
        super().__init__(message)
        # micro_batch: how many micro-batches of the unfinished step ``step + 1`` had run when it stopped
        self.reason, self.step, self.micro_batch = reason, step, micro_batch


class _StepAbandoned(Exception):
    """A stop was requested between two micro-batches of a step; the step's gradients were dropped."""

    def __init__(self, micro_batch: int) -> None:
        super().__init__(micro_batch)
        self.micro_batch = micro_batch


def _memory_mb(cuda: bool) -> float:
    if cuda:
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_dataset(job: TrainingJob, tokenizer: Any) -> Any:
    """Build the dataset file on the first start; a resume reuses it so the data never shifts."""
    path = Path(job.dataset)
    if not path.exists():
        documents = read_sources(Path(job.sources))
        data = build_dataset(documents, tokenizer, seq_len=job.config.seq_len,
                             overlap_tokens=job.config.overlap_tokens, base_model=job.base_model)
        write_dataset(path, data)
    return read_dataset(path)


def train(job: TrainingJob, emit: Emit, stop_requested: threading.Event) -> dict[str, Any]:
    """Run (or resume) the job; return the done event. Raises TrainingStopped or UserError."""
    try:
        return _train(job, emit, stop_requested)
    except EvaluationInterrupted:
        saved = ckpt.checkpoint_dirs(Path(job.run_dir))
        step = saved[-1][0] if saved else 0
        raise TrainingStopped("cancelled", f"training cancelled; it can resume from step {step}", step) from None


def _train(job: TrainingJob, emit: Emit, stop_requested: threading.Event) -> dict[str, Any]:
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    cfg = job.config
    cuda = wants_cuda(job.device)
    if not cuda:
        configure_cpu_threads(cpu_threads_per_process(cfg.cpu_threads))
        configure_cpu_memory(cpu_malloc_threshold(cfg))
    accelerator = make_accelerator(Accelerator, cuda)
    say: Emit = emit if accelerator.is_main_process else (lambda _event: None)
    if (done := existing_adapter(job)) is not None:
        return {"event": "done", "adapter_path": job.output_dir, "metrics": done.get("metrics", {})}
    set_seed(cfg.seed)
    if (warning := fsdp_fallback_warning(accelerator)) is not None:
        say({"event": "warning", "message": warning})
    run = _set_up(job, accelerator, cuda, say, stop_requested)
    sharded_optimizer = _resume(run)
    # After the resume: the checkpoint holds the unwrapped model's and optimiser's state
    # (under FSDP the optimiser's is keyed by parameter name and goes into the sharded optimiser).
    run.model, run.optimizer = accelerator.prepare(run.model, run.optimizer)
    if sharded_optimizer is not None:
        load_optimizer_state(run.model, run.optimizer, sharded_optimizer)
    run.output_weight = output_weight(accelerator.unwrap_model(run.model))  # None under FSDP: the model's loss
    faults = InjectedFaults.from_environment()
    run.model.train()
    run.started, run.first_step = time.monotonic(), run.state["step"]
    run.loop_s_before = float(run.state.get("loop_s", 0.0))  # a resumed run's budget counts what it used
    run.clock = EtaClock(run.max_steps, cfg.eval_every, run.started)
    while run.state["step"] < run.max_steps:
        if stop_agreed(accelerator, stop_requested):
            run.save(run.state["step"])
            raise _cancelled(run.state["step"])
        try:
            step_loss = _step(run, faults)
        except _StepAbandoned as abandoned:
            run.save(run.state["step"])  # the state of the last whole step: a resume redoes this one
            raise _cancelled(run.state["step"], abandoned.micro_batch) from None
        stop_early = _record_step(run, step_loss)
        if faults.sleep_per_step_s:
            time.sleep(faults.sleep_per_step_s)
        if stop_early:
            break
    return _finish(run)


@dataclass
class _Run:
    """One run while it trains: what the loop, its checkpoints and the finish share."""

    job: TrainingJob
    accelerator: Accelerator
    say: Emit
    stop_requested: threading.Event
    cuda: bool
    autocast: bool  # bf16 autocast on the CPU
    tokenizer: PreTrainedTokenizerBase
    data: PackedDataset  # the whole dataset (the adapter keeps its held-out rows)
    eval_rows: np.ndarray  # the held-out rows evaluated during training
    max_steps: int  # the last step: the epochs' count, or fewer when fitted to a time budget
    step_ceiling: int  # the epochs' (or max steps') count, which a time budget never exceeds
    schedule: CosineSchedule  # the learning-rate factor; its total follows max_steps
    rows_per_step: int  # rows one optimiser step takes, all processes together
    model: torch.nn.Module  # the peft model; wrapped by accelerate once prepared
    output_weight: torch.Tensor | None  # the frozen lm_head weight, for the chunked loss
    trainable: list[torch.nn.Parameter]
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    # What a checkpoint saves besides the weights (its "state"; the keys are the checkpoint format).
    state: dict[str, Any] = field(default_factory=lambda: {
        "step": 0, "samples_seen": 0, "best_eval": float("inf"), "bad_evals": 0, "history": []})
    best_weights: dict[str, torch.Tensor] | None = None  # the adapter at the best held-out loss
    eval_loss: float | None = None  # the latest held-out loss
    started: float = 0.0
    loop_s_before: float = 0.0  # seconds of training loop before this process resumed the run
    first_step: int = 0
    tokens_done: int = 0
    clock: EtaClock | None = None  # measured step and evaluation times -> the ETA
    permutations: dict[int, torch.Tensor] = field(default_factory=dict)  # epoch -> its shuffle

    @property
    def cfg(self) -> TrainingConfig:
        return self.job.config

    @property
    def eval_batch(self) -> int:
        """Held-out rows scored at once; on a CPU no more than two micro-batches' worth (8 rows of
        256 tokens added ~50 MB to the trainer's peak for no speed; the loss is the same)."""
        return max(self.cfg.batch_size * 2, 8 if self.cuda else 2)

    def precision(self) -> Any:
        """The context a forward pass runs in: bf16 autocast on a CPU that has it, else nothing."""
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16) if self.autocast and not self.cuda else nullcontext()

    def adapter_weights(self) -> dict[str, torch.Tensor]:
        """The LoRA weights now (under FSDP gathered to the first process: every process must call it)."""
        from peft import get_peft_model_state_dict

        if uses_fsdp(self.accelerator):
            return adapter_state(self.model)
        return get_peft_model_state_dict(self.accelerator.unwrap_model(self.model))

    def save(self, step: int) -> None:
        import torch

        fsdp = uses_fsdp(self.accelerator)
        adapter = self.adapter_weights()
        optimizer = optimizer_state(self.model, self.optimizer) if fsdp else None
        if self.accelerator.is_main_process:
            ckpt.save_checkpoint(Path(self.job.run_dir), step, {
                "adapter": adapter, "sharded": fsdp,
                "optimizer": optimizer if fsdp else self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "rng_cpu": torch.get_rng_state(), "best_adapter": self.best_weights,
                "rng_cuda": torch.cuda.get_rng_state_all() if self.cuda else [],
                "state": self.state, "config": self.cfg.to_dict(),
                "processes": self.accelerator.num_processes,
            }, keep=self.cfg.keep_checkpoints)
            self.say({"event": "checkpoint", "step": step})
        self.accelerator.wait_for_everyone()

    def row_index(self, sample: int) -> int:
        """The global sample counter -> a row; each epoch has its own seeded shuffle."""
        import torch

        epoch, offset = divmod(sample, len(self.data.train))
        if epoch not in self.permutations:
            self.permutations[epoch] = torch.randperm(
                len(self.data.train), generator=torch.Generator().manual_seed(self.cfg.seed + epoch))
        return int(self.permutations[epoch][offset])

    def micro_batch(self, first_sample: int) -> torch.Tensor:
        import torch

        start = first_sample + self.accelerator.process_index * self.cfg.batch_size
        rows = np.stack([self.data.train[self.row_index(s)] for s in range(start, start + self.cfg.batch_size)])
        return torch.as_tensor(rows, dtype=torch.long, device=self.accelerator.device)

    def held_out_loss(self) -> float:
        import torch

        device = self.accelerator.device
        # Under FSDP every forward pass is a collective, so every process scores all the rows (the same
        # number of passes in each); otherwise each scores its share.
        mine = self.eval_rows if uses_fsdp(self.accelerator) else \
            self.eval_rows[self.accelerator.process_index::self.accelerator.num_processes]
        stop = evaluation_stop(self.accelerator, self.stop_requested)
        loss = torch.tensor(mean_loss(self.model, mine, self.eval_batch, device, stop), device=device)
        return float(self.accelerator.reduce(loss, reduction="mean"))


def _cancelled(step: int, micro_batch: int = 0) -> TrainingStopped:
    return TrainingStopped("cancelled", f"training cancelled at step {step}", step, micro_batch)


def _set_up(job: TrainingJob, accelerator: Accelerator, cuda: bool, say: Emit,
            stop_requested: threading.Event) -> _Run:
    """Data, model, optimiser and schedule for a fresh start (``_resume`` then restores a checkpoint)."""
    import torch

    cfg = job.config
    tokenizer = load_tokenizer(Path(job.base_model_path))
    with accelerator.main_process_first():  # one process builds the dataset file; the others read it
        data = prepare_dataset(job, tokenizer)
    eval_rows = spread_rows(data.eval, cfg.eval_max_sequences)
    rows_per_step = cfg.batch_size * cfg.grad_accum * accelerator.num_processes
    max_steps = cfg.max_steps or max(1, math.ceil(cfg.epochs * len(data.train) / rows_per_step))
    say({"event": "dataset", **{k: data.meta[k] for k in ("words", "tokens", "train_tokens", "eval_tokens",
                                                        "train_sequences", "eval_sequences", "heldout_titles")},
         "warning": data.meta.get("warning"), "max_steps": max_steps})

    model = load_trainable_model(Path(job.base_model_path), cfg, cuda=cuda,
                                 device_index=accelerator.local_process_index)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    schedule = CosineSchedule(cfg.warmup_steps, max_steps, cfg.min_lr_ratio)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    return _Run(job=job, accelerator=accelerator, say=say, stop_requested=stop_requested, cuda=cuda,
                autocast=cpu_autocast_enabled(cfg.cpu_autocast), tokenizer=tokenizer, data=data,
                eval_rows=eval_rows, max_steps=max_steps, step_ceiling=max_steps, schedule=schedule,
                rows_per_step=rows_per_step, model=model,
                output_weight=output_weight(model),
                trainable=trainable, optimizer=optimizer, scheduler=scheduler)


def _resume(run: _Run) -> dict[str, Any] | None:
    """Restore the latest complete checkpoint of this run, if any: weights, optimiser, schedule, RNG, state.

    Returns the optimiser state of a checkpoint written under FSDP, which goes into the optimiser
    once accelerate has sharded it (``sharding.load_optimizer_state``); else None.
    """
    import torch
    from peft import set_peft_model_state_dict

    latest = ckpt.latest_checkpoint(Path(run.job.run_dir))
    if latest is None:
        return None
    saved = ckpt.load_checkpoint(latest)
    check_same_processes(saved, run.accelerator)
    if bool(saved.get("sharded")) != uses_fsdp(run.accelerator):
        raise UserError("this run was checkpointed " + ("with" if saved.get("sharded") else "without") +
                        " FSDP; resume it with the same accelerate config it was started with")
    set_peft_model_state_dict(run.model, saved["adapter"])
    if not saved.get("sharded"):
        run.optimizer.load_state_dict(saved["optimizer"])
    run.scheduler.load_state_dict(saved["scheduler"])  # with the schedule's total, fitted to a time budget
    run.max_steps = run.schedule.total
    torch.set_rng_state(saved["rng_cpu"])
    if run.cuda and saved.get("rng_cuda"):
        torch.cuda.set_rng_state_all(saved["rng_cuda"])
    run.best_weights = saved.get("best_adapter")
    run.state = saved["state"]
    run.say({"event": "resumed", "step": run.state["step"], "max_steps": run.max_steps})
    return saved["optimizer"] if saved.get("sharded") else None


def _step(run: _Run, faults: InjectedFaults) -> float:
    """One optimiser step over ``grad_accum`` micro-batches; its mean loss.

    A NaN/inf loss stops the run before its backward pass, so the weights and
    the last checkpoint stay good (``faults.nan_loss_at_step`` is the test
    seam's way to cause one, see ``training.faults``). A stop requested
    between micro-batches drops the step's gradients and puts the random state
    back to the step's start (raises ``_StepAbandoned``): the weights, the
    optimiser and the data position are those of the last whole step, so a
    resume redoes this step exactly. Several processes only stop between
    steps (each must take part in every gradient all-reduce).
    """
    import torch
    from peft.helpers import disable_input_dtype_casting

    cfg, state, accelerator = run.cfg, run.state, run.accelerator
    step_loss = 0.0
    rng_at_start = torch.get_rng_state()
    for micro in range(cfg.grad_accum):
        if micro and accelerator.num_processes == 1 and run.stop_requested.is_set():
            run.optimizer.zero_grad(set_to_none=True)
            torch.set_rng_state(rng_at_start)
            raise _StepAbandoned(micro)
        sample = state["samples_seen"] + micro * cfg.batch_size * accelerator.num_processes
        batch = run.micro_batch(sample)
        sync = accelerator.no_sync(run.model) if micro < cfg.grad_accum - 1 else nullcontext()
        # Under CPU autocast peft's cast of each adapter's bf16 input to fp32 is undone by autocast at
        # once: 1.5 GB of copies a micro-batch (the backward's recompute too), the same numbers without.
        with sync, disable_input_dtype_casting(run.model, active=run.autocast and not run.cuda):
            with run.precision():
                loss = causal_lm_loss(run.model, batch, run.output_weight)
            if faults.nan_at(state["step"] + 1, accelerator.process_index):
                loss = loss * float("nan")
            if bad := nonfinite_losses(accelerator, loss):  # the group's answer: all stop, or none
                last = ckpt.checkpoint_dirs(Path(run.job.run_dir))
                raise TrainingStopped("nan", nonfinite_message(
                    bad, state["step"] + 1, accelerator.num_processes, last[-1][0] if last else None), state["step"])
            accelerator.backward(loss / cfg.grad_accum)
        step_loss += float(loss.detach()) / cfg.grad_accum
        run.tokens_done += batch.numel() * accelerator.num_processes
        if faults.sleep_per_micro_batch_s:
            time.sleep(faults.sleep_per_micro_batch_s)
    if cfg.max_grad_norm:
        # Under FSDP accelerate clips by the norm over every shard only when given all the model's
        # parameters (FSDP1: else each process would clip its shard by its own part of the norm).
        params = list(run.model.parameters()) if uses_fsdp(accelerator) else run.trainable
        accelerator.clip_grad_norm_(params, cfg.max_grad_norm)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    if not run.cuda:
        release_free_memory()  # the heap's freed activations, before the next step or an evaluation
    state["step"] += 1
    state["samples_seen"] += run.rows_per_step
    return group_mean(accelerator, step_loss)


def _record_step(run: _Run, step_loss: float) -> bool:
    """After a step: evaluate when due, report progress, checkpoint when due; True to stop early
    (the held-out loss stopped improving)."""
    cfg, state = run.cfg, run.state
    step = state["step"]
    clock = run.clock or EtaClock(run.max_steps, cfg.eval_every, run.started)
    step_s = clock.step_done(time.monotonic())
    state["loop_s"] = run.loop_s_before + time.monotonic() - run.started
    if cfg.time_budget_minutes:
        fit_run_to_budget(run, clock)
    evaluated = step % cfg.eval_every == 0 or step == run.max_steps
    if evaluated:
        run.eval_loss = run.held_out_loss()
        clock.eval_done(time.monotonic())
        if run.eval_loss < state["best_eval"] - 1e-4:  # the same in every process (a reduced loss)
            state["best_eval"], state["bad_evals"] = run.eval_loss, 0
            run.best_weights = {k: v.detach().clone() for k, v in run.adapter_weights().items()}
        else:
            state["bad_evals"] += 1
    eval_loss = run.eval_loss if evaluated else None
    state["history"].append({"step": step, "train_loss": step_loss, "eval_loss": eval_loss})
    elapsed = time.monotonic() - run.started
    run.say({"event": "progress", "step": step, "max_steps": run.max_steps,
             "epoch": round(state["samples_seen"] / len(run.data.train), 3), "train_loss": round(step_loss, 4),
             "eval_loss": round(eval_loss, 4) if eval_loss is not None else None,
             "lr": run.scheduler.get_last_lr()[0], "tokens_per_s": round(run.tokens_done / max(elapsed, 1e-6), 1),
             "eta_s": round(budget_eta(clock.eta_s(step) or 0.0, cfg.time_budget_minutes * 60, state["loop_s"],
                                      step == run.max_steps), 1), "step_s": round(step_s, 3),
             "memory_mb": round(_memory_mb(run.cuda), 1)})
    if step % cfg.checkpoint_every == 0 or step == run.max_steps:
        run.save(step)
    if evaluated and cfg.early_stopping_patience and state["bad_evals"] >= cfg.early_stopping_patience:
        run.say({"event": "early_stop", "step": step, "best_eval_loss": state["best_eval"]})
        return True
    return False


def _finish(run: _Run) -> dict[str, Any]:
    """The best adapter, evaluated against the base model, written into place; the done event."""
    from peft import set_peft_model_state_dict

    if stop_agreed(run.accelerator, run.stop_requested):
        raise _cancelled(run.state["step"])
    job, cfg, state, meta = run.job, run.cfg, run.state, run.data.meta
    peft_model = run.accelerator.unwrap_model(run.model)
    four_bit = any(type(module).__name__ == "Linear4bit" for module in peft_model.modules())
    use_best = run.best_weights is not None and (run.eval_loss is None or state["best_eval"] < run.eval_loss)
    if uses_fsdp(run.accelerator):  # no process holds the trained model whole: the first builds one
        weights = run.best_weights if use_best else run.adapter_weights()
        peft_model = whole_peft_model(Path(job.base_model_path), cfg, run.accelerator, run.cuda, weights or {})
    elif use_best:
        set_peft_model_state_dict(peft_model, run.best_weights)
    seconds = time.monotonic() - run.started
    metrics: dict[str, Any] = {
        "steps": state["step"], "max_steps": run.max_steps, "device": "cuda" if run.cuda else "cpu",
        "quantization": "nf4" if four_bit else "none", "processes": run.accelerator.num_processes,
        "fsdp": uses_fsdp(run.accelerator),
        "precision": "bf16-autocast" if run.autocast and not run.cuda else "bf16" if run.cuda else "fp32",
        "memory_mb": round(_memory_mb(run.cuda), 1),
        "final_train_loss": state["history"][-1]["train_loss"] if state["history"] else None,
        "best_eval_loss": state["best_eval"], "seconds": round(seconds, 1),
        "tokens_per_s": round(run.tokens_done / max(seconds, 1e-6), 1)}
    if run.accelerator.is_main_process:
        run.say({"event": "evaluating"})
        metrics.update(evaluate_peft_model(
            peft_model, run.tokenizer, run.eval_rows, meta, batch_size=run.eval_batch,
            style_samples=cfg.style_samples, style_tokens=cfg.style_tokens, seed=cfg.seed,
            device=run.accelerator.device, stop=run.stop_requested))
        summary = {k: meta.get(k) for k in ("words", "tokens", "train_tokens", "eval_tokens", "train_sequences",
                                            "eval_sequences", "documents", "heldout_titles", "train_titles",
                                            "heldout_mode", "heldout_chapters", "excluded_titles")}
        write_adapter(peft_model, Path(job.output_dir), {
            "run_id": job.run_id, "name": job.adapter_name, "base_model": job.base_model,
            "base_model_path": job.base_model_path, "project": job.project_title, "dataset": summary,
            "hyperparameters": cfg.to_dict(), "metrics": metrics, "history": state["history"],
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }, heldout=PackedDataset(run.data.train[:0], run.data.eval, meta))
    run.accelerator.wait_for_everyone()
    return {"event": "done", "adapter_path": job.output_dir, "metrics": metrics}
