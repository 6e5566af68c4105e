"""Training: writer-app's trainer against a plain Hugging Face ``Trainer`` + peft, each in its own process.

Same model (the embedded SmolLM2-135M unless --model), the same packed Austen
rows (one dataset file, built once by the trainer's own code), the same LoRA
settings (rank, alpha, dropout, all linear layers), optimiser settings and
number of steps. Three contestants:

* ``ours``: the real trainer process (``python -m writer_app.training JOB``)
  at its default CPU settings (``suggest_config``'s seq 256, 2 x 4 rows);
* ``hf``: ``transformers.Trainer`` at its default CPU settings (fp32);
* ``hf-bf16``: the same with ``bf16=True``, its best CPU setting (on a CPU
  without native bf16 it is emulated and slow; the table says which CPU it was).

Each run is a fresh child process, so its peak memory is that process's own
``ru_maxrss`` as the kernel reports it to the parent (``os.wait4``), model
loading and the held-out evaluation included. Tokens/s counts the optimiser
steps only (model loading excluded for both). The held-out loss after the
steps is ``training.evaluate.mean_loss`` over the same held-out rows for all.
Timings on a shared machine move by 2x, so the runs are interleaved (A B C A B
C ...) for ``--rounds`` rounds and the ratios are taken per round.

    nice -n 10 python -m benchmarks.bench_training [--steps 4] [--rounds 2] [--only ours] [--set dropout=0.05]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"
CONTESTANTS = ("ours", "hf", "hf-bf16")


def austen(chapters: int) -> list[Any]:
    from writer_app.training.dataset import SourceDocument

    text = CORPUS.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    parts = re.split(r"\n(Chapter \d+)\n", text)
    return [SourceDocument(parts[i], parts[i + 1].strip()) for i in range(1, 2 * chapters, 2)]


def bench_config(steps: int, overrides: list[str]) -> Any:
    """The trainer's default CPU settings for a novel (``suggest_config``), cut to ``steps`` steps."""
    from writer_app.training.config import TrainingConfig, suggest_config

    cfg = suggest_config(100_000)
    cfg.max_steps, cfg.warmup_steps = steps, 1
    cfg.eval_every, cfg.checkpoint_every = steps, 100_000  # one held-out evaluation, after the last step
    cfg.eval_max_sequences, cfg.early_stopping_patience, cfg.style_samples = 16, 0, 0
    types = {name: type(value) for name, value in TrainingConfig().to_dict().items()}
    for item in overrides:
        name, _, value = item.partition("=")
        if name not in types:
            raise SystemExit(f"--set: no training setting called {name!r}")
        kind = types[name]
        setattr(cfg, name, value.lower() in ("1", "true", "yes") if kind is bool else kind(value))
    cfg.validate()
    return cfg


def wait_with_rusage(proc: subprocess.Popen) -> tuple[int, float]:
    """Exit code and peak resident memory (MB) of the child, as the kernel accounts it."""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def run_ours(job_path: Path) -> dict[str, Any]:
    """The real trainer process on its job; tokens/s over the steps, peak memory, held-out loss."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "writer_app.training", str(job_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    events = [json.loads(line) for line in proc.stdout if line.strip()]
    code, peak_mb = wait_with_rusage(proc)
    progress = [e for e in events if e["event"] == "progress"]
    if code != 0 or not progress:
        raise SystemExit(f"the trainer failed (exit {code}): {events[-1] if events else 'no output'}")
    cfg = json.loads(job_path.read_text())["config"]
    tokens = len(progress) * cfg["seq_len"] * cfg["batch_size"] * cfg["grad_accum"]
    return {"tokens_per_s": tokens / sum(e["step_s"] for e in progress), "peak_mb": peak_mb,
            "heldout_loss": progress[-1]["eval_loss"]}


def run_hf(job_path: Path, bf16: bool) -> dict[str, Any]:
    """The baseline in a child of this script (``--child``)."""
    command = [sys.executable, "-m", "benchmarks.bench_training", "--child", str(job_path)] + (["--bf16"] if bf16 else [])
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout is not None
    lines = proc.stdout.read().strip().splitlines()
    code, peak_mb = wait_with_rusage(proc)
    if code != 0 or not lines:
        raise SystemExit(f"the HF baseline failed (exit {code})")
    return {**json.loads(lines[-1]), "peak_mb": peak_mb}


def hf_child(job_path: Path, bf16: bool) -> None:
    """Plain ``transformers.Trainer`` + peft on the job's dataset and settings; prints one JSON line."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    from writer_app.training.dataset import read_dataset, spread_rows
    from writer_app.training.evaluate import mean_loss
    from writer_app.training.job import read_job

    job = read_job(job_path)
    cfg = job.config
    data = read_dataset(Path(job.dataset))
    model = AutoModelForCausalLM.from_pretrained(job.base_model_path, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                                             target_modules="all-linear", task_type="CAUSAL_LM", bias="none"))
    rows = [{"input_ids": torch.as_tensor(r, dtype=torch.long), "labels": torch.as_tensor(r, dtype=torch.long)}
            for r in data.train]
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, per_device_train_batch_size=cfg.batch_size, gradient_accumulation_steps=cfg.grad_accum,
            max_steps=cfg.max_steps, learning_rate=cfg.learning_rate, lr_scheduler_type="cosine",
            warmup_steps=cfg.warmup_steps, weight_decay=cfg.weight_decay, max_grad_norm=cfg.max_grad_norm,
            logging_steps=1, save_strategy="no", report_to=[], use_cpu=True, bf16=bf16, seed=cfg.seed,
            dataloader_num_workers=0)
        trainer = Trainer(model=model, args=args, train_dataset=rows)
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
    eval_rows = spread_rows(data.eval, cfg.eval_max_sequences)  # the rows the trainer scores
    loss = mean_loss(model, eval_rows, max(cfg.batch_size * 2, 8), torch.device("cpu"))
    tokens = cfg.max_steps * cfg.batch_size * cfg.grad_accum * cfg.seq_len
    print(json.dumps({"tokens_per_s": tokens / seconds, "heldout_loss": loss}))


def fresh_job(paths: Any, docs: list[Any], model_path: Path, cfg: Any, dataset: Path, name: str) -> Path:
    """A new run folder (a finished run is never re-trained) sharing the one packed dataset."""
    from writer_app.training.job import read_job
    from writer_app.training.runs import prepare_job

    job_path = prepare_job(paths, docs, base_model="embedded", base_model_path=model_path, config=cfg,
                           adapter_name=name, device="cpu")
    shutil.copyfile(dataset, read_job(job_path).dataset)
    return job_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--chapters", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=CONTESTANTS, action="append", help="run only these (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a training setting for every contestant (e.g. dropout=0.05, batch_size=1)")
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bf16", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        hf_child(args.child, args.bf16)
        return

    from writer_app.paths import profile_paths
    from writer_app.training.dataset import build_dataset, write_dataset
    from writer_app.training.model_loading import cpu_has_native_bf16, load_tokenizer, resolve_base_model

    contestants = args.only or list(CONTESTANTS)
    cfg = bench_config(args.steps, args.set)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in contestants}
    with tempfile.TemporaryDirectory() as tmp:
        paths = profile_paths(tmp).ensure()
        model_path = resolve_base_model(args.model, Path(os.environ.get("WRITER_APP_MODEL_CACHE",
                                                                        REPO / ".cache" / "models")))
        docs = austen(args.chapters)
        dataset = Path(tmp) / "dataset.npz"
        write_dataset(dataset, build_dataset(docs, load_tokenizer(model_path), seq_len=cfg.seq_len,
                                             overlap_tokens=cfg.overlap_tokens, base_model=args.model))
        for round_index in range(args.rounds):
            for name in contestants:
                job = fresh_job(paths, docs, model_path, cfg, dataset, f"bench-{name}-{round_index}")
                result = run_ours(job) if name == "ours" else run_hf(job, bf16=name == "hf-bf16")
                results[name].append(result)
                print(f"round {round_index + 1} {name:8s} {result['tokens_per_s']:7.1f} tokens/s "
                      f"{result['peak_mb']:7.0f} MB  held-out loss {result['heldout_loss']:.4f}", flush=True)
    summary: dict[str, Any] = {
        "steps": args.steps, "seq_len": cfg.seq_len, "batch_size": cfg.batch_size, "grad_accum": cfg.grad_accum,
        "rank": cfg.rank, "dropout": cfg.dropout, "overrides": args.set, "cpu_native_bf16": cpu_has_native_bf16(),
        "cpu_count": os.cpu_count()}
    for name, runs in results.items():
        summary[name] = {"tokens_per_s": round(statistics.median(r["tokens_per_s"] for r in runs), 1),
                         "peak_mb": round(max(r["peak_mb"] for r in runs)),
                         "heldout_loss": round(statistics.fmean(r["heldout_loss"] for r in runs), 4)}
    if "ours" in results:
        for name in ("hf", "hf-bf16"):
            if name in results:  # per round: both ran within minutes of each other
                ratios = [a["tokens_per_s"] / b["tokens_per_s"] for a, b in zip(results["ours"], results[name], strict=True)]
                summary[f"ratio_ours_over_{name}"] = [round(r, 2) for r in ratios]
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
