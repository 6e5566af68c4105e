"""What the training loop needs to be the same loop in every process of an ``accelerate launch`` group.

Data parallel training is a lock-step: every process must join every
gradient all-reduce, every held-out loss reduction and every barrier, or the
others wait for it forever. A decision one process takes alone (to stop, to
skip an evaluation) has to become the group's decision first. With one
process each helper here is free (no collective call at all).
"""

from __future__ import annotations

import math
import os
import threading
from typing import TYPE_CHECKING, Any

from writer_app.errors import UserError

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator


def stop_agreed(accelerator: Accelerator, stop_requested: threading.Event) -> bool:
    """Whether any process was asked to stop: all of them then stop at the same step.

    Signals reach the processes of a group at slightly different times (a
    terminal's Ctrl-C, the launcher passing on SIGTERM); a process that left the
    loop alone would leave the others blocked in the next step's all-reduce.
    """
    if accelerator.num_processes == 1:
        return stop_requested.is_set()
    import torch

    flag = torch.tensor([1.0 if stop_requested.is_set() else 0.0], device=accelerator.device)
    return bool(accelerator.reduce(flag, reduction="sum").item() > 0)


def nonfinite_losses(accelerator: Accelerator, loss: torch.Tensor) -> dict[int, float]:
    """process index -> loss for each process whose micro-batch loss is NaN or infinite: the same
    answer in every process (empty when all are finite).

    Why: a NaN in one process alone, met with a local check, made that process stop while the
    others went on into the backward pass's gradient all-reduce and failed there with an opaque
    gloo/NCCL "connection closed by peer". Gathered first (one float per process, before the
    backward pass), the whole group stops at the same point with the trainer's own error.
    """
    if accelerator.num_processes == 1:
        value = float(loss.detach())
        return {} if math.isfinite(value) else {0: value}
    gathered = accelerator.gather(loss.detach().float().reshape(1))
    return {index: value for index, value in enumerate(gathered.tolist()) if not math.isfinite(value)}


def nonfinite_message(bad: dict[int, float], step: int, processes: int, last_checkpoint: int | None) -> str:
    """What the run says when ``bad`` (process index -> loss, from :func:`nonfinite_losses`) stopped
    ``step``; the processes are numbered from 1 for people, as "2 of 2"."""
    kept = (f"the last good checkpoint (step {last_checkpoint}) was kept" if last_checkpoint is not None
            else "no checkpoint had been written yet")
    where = "" if processes == 1 else " in training process " + ", ".join(
        f"{index + 1} of {processes}" for index in sorted(bad))
    every = "" if processes == 1 else " in every process"
    return (f"the training loss became {bad[min(bad)]}{where} at step {step}, so training stopped{every} "
            f"before that step changed anything; {kept}. Try a lower learning rate.")


def group_mean(accelerator: Accelerator, value: float) -> float:
    """The mean of ``value`` over the processes (each process's loss is over its own slice of the batch),
    so the loss a run reports is that of the whole global batch, as with one process."""
    if accelerator.num_processes == 1:
        return value
    import torch

    return float(accelerator.reduce(torch.tensor([value], device=accelerator.device), reduction="mean").item())


def group_min(accelerator: Accelerator, value: int) -> int:
    """The smallest ``value`` of the processes: a step count each measured for itself (its own clock)
    must be one count for all, or the process that stops first leaves the others in an all-reduce."""
    if accelerator.num_processes == 1:
        return value
    import torch

    counts = accelerator.gather(torch.tensor([value], dtype=torch.long, device=accelerator.device))
    return int(counts.min().item())


def evaluation_stop(accelerator: Accelerator, stop_requested: threading.Event) -> threading.Event:
    """The event a held-out evaluation watches: with several processes one that is never set, since a
    process that broke off its share of the evaluation would leave the others waiting in the reduce
    (the group stops at the next step boundary instead, see :func:`stop_agreed`)."""
    return stop_requested if accelerator.num_processes == 1 else threading.Event()


def cpu_threads_per_process(requested: int) -> int:
    """Threads for one process on a CPU: what was asked, else all cores but one shared among the
    processes of this machine (``LOCAL_WORLD_SIZE``, set by the launcher), at least one each.

    Why: the one-process default (all cores but one) in each of N processes makes N times too many
    busy-waiting OpenMP threads, which on a small machine slows every step many times over.
    """
    if requested:
        return requested
    local = max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1))
    return max(1, ((os.cpu_count() or 2) - 1) // local)


def check_same_processes(saved: dict[str, Any], accelerator: Accelerator) -> None:
    """Refuse to resume a checkpoint with another process count: the global batch, the data position
    and the step count all depend on it, so the run would quietly skip or repeat text."""
    before = int(saved.get("processes", 1))
    if before != accelerator.num_processes:
        raise UserError(f"this run was checkpointed with {before} training process(es) and is now started with "
                        f"{accelerator.num_processes}; resume it with --processes {before} (the global batch "
                        "depends on it)")
