"""``python -m writer_app.training.calibrate`` — time a warm-up of the real training loop here, now.

The estimate shown before training used a constant (150 tokens/s) and was
off threefold on a loaded two-core laptop. This measures instead, on this
machine, with this model, these settings and a sample of the author's own
text: it builds a small run exactly as the trainer does (``trainer._set_up``,
the same ``trainer._step``, so mixed precision or any other speed-up of the
loop is measured too), runs one warm-up micro-batch (not counted:
allocations, kernel choice), times the next ones (a step is ``grad_accum``
of them), scores two held-out rows and generates a few tokens. ``training.eta.estimate_seconds`` turns the result into "about
N min". A child process, like the trainer: the editor never loads a model
for it and never waits on it (the Trainer tab runs it in the background).

stdin: ``{"config": {...}, "sample": [{"title", "text"}...]}``; stdout: one
JSON object (``load_s``, ``step_s``, ``eval_row_s``, ``token_s``,
``tokens_per_word``) or ``{"error": sentence}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from writer_app.errors import UserError, one_line
from writer_app.training.config import TrainingConfig
from writer_app.training.dataset import SourceDocument, write_sources
from writer_app.training.faults import InjectedFaults
from writer_app.training.job import TrainingJob

TIMED_STEPS = 2  # micro-batches timed after the warm-up one
EVAL_ROWS = 2
SAMPLE_WORDS = 4_000  # enough for a few rows and a held-out part; tokenizing it takes a moment


def sample_documents(documents: list[SourceDocument], words: int = SAMPLE_WORDS) -> list[SourceDocument]:
    """The first documents up to about ``words`` words (the calibration needs the author's kind of text)."""
    chosen, total = [], 0
    for doc in documents:
        chosen.append(doc)
        total += len(doc.text.split()) + sum(1 for ch in doc.text if "\u4e00" <= ch <= "\u9fff")
        if total >= words:
            break
    return chosen


def calibrate(base_model_path: Path, config: TrainingConfig, sample: list[SourceDocument],
              device: str = "auto") -> dict[str, float]:
    """Seconds for loading, one optimiser step, one held-out row and one generated token; tokens per word."""
    from accelerate import Accelerator

    from writer_app.training import trainer
    from writer_app.training.evaluate import generate_continuation
    from writer_app.training.model_loading import (
        configure_cpu_memory,
        configure_cpu_threads,
        cpu_malloc_threshold,
        wants_cuda,
    )

    cuda = wants_cuda(device)
    if not cuda:  # as the trainer does: its allocator settings change a step's time too
        configure_cpu_threads(config.cpu_threads)
        configure_cpu_memory(cpu_malloc_threshold(config))
    accumulation = config.grad_accum
    config.grad_accum = 1  # one micro-batch per timed step: a step of the real run is ``accumulation`` of them
    config.max_steps = TIMED_STEPS + 1
    config.warmup_steps = min(config.warmup_steps, 1)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="writer-calibrate-") as folder:
        run_dir = Path(folder)
        write_sources(run_dir / "sources.json", sample)
        job = TrainingJob(run_id="calibration", sources=str(run_dir / "sources.json"),
                          dataset=str(run_dir / "dataset.npz"), run_dir=str(run_dir),
                          output_dir=str(run_dir / "adapter"), adapter_name="calibration",
                          base_model="", base_model_path=str(base_model_path), device=device, config=config)
        accelerator = Accelerator(cpu=not cuda)
        run = trainer._set_up(job, accelerator, cuda, lambda _event: None, threading.Event())
        run.model, run.optimizer = accelerator.prepare(run.model, run.optimizer)
        run.model.train()
        load_s = time.monotonic() - started
        no_faults = InjectedFaults()
        trainer._step(run, no_faults)  # warm-up: not counted
        times = []
        for _ in range(TIMED_STEPS):
            begin = time.monotonic()
            trainer._step(run, no_faults)
            times.append(time.monotonic() - begin)
        rows = run.data.eval[:EVAL_ROWS] if len(run.data.eval) else run.data.train[:EVAL_ROWS]
        run.eval_rows = rows
        begin = time.monotonic()
        run.held_out_loss()
        eval_row_s = (time.monotonic() - begin) / max(1, len(rows))
        tokens = 8
        opening = " ".join(sample[0].text.split()[:40])
        begin = time.monotonic()
        generate_continuation(accelerator.unwrap_model(run.model), run.tokenizer, opening, tokens, config.seed)
        token_s = (time.monotonic() - begin) / tokens
        meta = run.data.meta
    return {"load_s": round(load_s, 3), "step_s": round(accumulation * statistics.fmean(times), 3),
            "eval_row_s": round(eval_row_s, 4), "token_s": round(token_s, 4),
            "tokens_per_word": round(meta["tokens"] / max(1, meta["words"]), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m writer_app.training.calibrate")
    parser.add_argument("--base", required=True, help="base model folder")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args(argv)
    try:
        request: dict[str, Any] = json.loads(sys.stdin.read())
        config = TrainingConfig.from_dict(request["config"])
        sample = [SourceDocument(d["title"], d["text"]) for d in request["sample"]]
        result: dict[str, Any] = calibrate(Path(args.base), config, sample, args.device)
    except UserError as exc:
        print(json.dumps({"error": one_line(exc)}))
        return 1
    except Exception as exc:  # noqa: BLE001 - one line for the UI
        print(json.dumps({"error": one_line(f"{exc.__class__.__name__}: {exc}")}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
