"""Where the trainer's memory goes: peak and current resident memory after each phase of a step.

Builds a run exactly as the trainer does (``trainer._set_up`` on six Austen
chapters, the default CPU settings of ``suggest_config`` unless ``--set``),
then runs one micro-batch forward, its backward, an optimiser step, a second
micro-batch and a held-out evaluation, printing ``ru_maxrss`` (the peak, what
the issue's 1.2 GB is about) and the current RSS after each. One process per
setting: run it again with other flags to compare.

    nice -n 10 python -m benchmarks.bench_training_memory [--set gradient_checkpointing=false]
        [--malloc-default] [--chunk-tokens 256] [--eval-batch 8]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent


def _report(what: str) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open("/proc/self/statm") as handle:
        now = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    print(f"{what:32s} peak {peak:6.0f} MB   now {now:6.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--malloc-default", action="store_true", help="leave glibc's malloc as it is")
    parser.add_argument("--chunk-tokens", type=int, default=0, help="the chunked loss's chunk (0 = its default)")
    parser.add_argument("--eval-batch", type=int, default=0, help="held-out rows at once (0 = the trainer's)")
    args = parser.parse_args()

    import torch
    from accelerate import Accelerator

    from benchmarks.bench_training import austen, bench_config
    from writer_app.paths import profile_paths
    from writer_app.training import chunked_loss, trainer
    from writer_app.training.evaluate import mean_loss
    from writer_app.training.job import read_job
    from writer_app.training.model_loading import (
        configure_cpu_memory,
        configure_cpu_threads,
        cpu_malloc_threshold,
        resolve_base_model,
    )
    from writer_app.training.runs import prepare_job

    _report("imports")
    cfg = bench_config(1, args.set)
    configure_cpu_threads(cfg.cpu_threads)
    if not args.malloc_default:
        configure_cpu_memory(cpu_malloc_threshold(cfg))
    if args.chunk_tokens:
        chunked_loss.chunked_cross_entropy.__defaults__ = (args.chunk_tokens,)
    with tempfile.TemporaryDirectory() as tmp:
        model_path = resolve_base_model("embedded", Path(os.environ.get("WRITER_APP_MODEL_CACHE",
                                                                        REPO / ".cache" / "models")))
        job = read_job(prepare_job(profile_paths(tmp).ensure(), austen(6), base_model="embedded",
                                   base_model_path=model_path, config=cfg, adapter_name="memory", device="cpu"))
        accelerator = Accelerator(cpu=True)
        run = trainer._set_up(job, accelerator, False, lambda _event: None, threading.Event())
        _report("model and data loaded")
        run.model, run.optimizer = accelerator.prepare(run.model, run.optimizer)
        run.model.train()
        for micro, label in ((0, "first micro-batch"), (1, "second micro-batch")):
            batch = run.micro_batch(micro * cfg.batch_size)
            started = time.monotonic()
            with run.precision():
                loss = chunked_loss.causal_lm_loss(run.model, batch, run.output_weight)
            _report(f"{label}: forward")
            loss.backward()
            _report(f"{label}: backward ({time.monotonic() - started:.1f} s)")
            if micro == 0:
                run.optimizer.step()
                run.optimizer.zero_grad(set_to_none=True)
                _report("optimiser step")
        rows = run.data.eval[:8]
        with torch.no_grad():
            mean_loss(run.model, rows, args.eval_batch or run.eval_batch, accelerator.device)
        _report(f"held-out rows, {args.eval_batch or run.eval_batch} at once")


if __name__ == "__main__":
    main()
