"""Training throughput: writer-app's trainer vs a plain Hugging Face Trainer + peft baseline.

Same model (the embedded SmolLM2-135M unless --model), same packed Austen
sequences, same LoRA and optimiser settings, same number of steps; both on
the CPU unless CUDA is present. Reports tokens/s for each and the ratio
(ours / baseline). Model loading is excluded from both timings.

    python -m benchmarks.bench_training [--steps 8] [--seq-len 128] [--chapters 12]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"


def austen(chapters: int):
    from writer_app.training.dataset import SourceDocument

    text = CORPUS.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    parts = re.split(r"\n(Chapter \d+)\n", text)
    return [SourceDocument(parts[i], parts[i + 1].strip()) for i in range(1, 2 * chapters, 2)]


def run_ours(job_path: Path) -> float:
    from writer_app.training.job import read_job
    from writer_app.training.trainer import train

    events: list[dict] = []
    train(read_job(job_path), events.append, threading.Event())
    progress = [e for e in events if e["event"] == "progress"]
    return float(progress[-1]["tokens_per_s"])


def run_baseline(model_path: Path, rows, cfg, steps: int) -> float:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    cuda = torch.cuda.is_available()
    model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32 if not cuda else torch.bfloat16)
    model = get_peft_model(model, LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                                             target_modules="all-linear", task_type="CAUSAL_LM"))
    data = [{"input_ids": torch.as_tensor(r, dtype=torch.long), "labels": torch.as_tensor(r, dtype=torch.long)}
            for r in rows]
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, per_device_train_batch_size=cfg.batch_size,
            gradient_accumulation_steps=cfg.grad_accum, max_steps=steps, learning_rate=cfg.learning_rate,
            lr_scheduler_type="cosine", warmup_steps=cfg.warmup_steps, logging_steps=1, save_strategy="no",
            report_to=[], use_cpu=not cuda, bf16=cuda, seed=cfg.seed, dataloader_num_workers=0,
            max_grad_norm=cfg.max_grad_norm,
        )
        trainer = Trainer(model=model, args=args, train_dataset=data)
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
    return steps * cfg.batch_size * cfg.grad_accum * cfg.seq_len / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--chapters", type=int, default=12)
    parser.add_argument("--model", default="embedded")
    args = parser.parse_args()

    from writer_app.paths import profile_paths
    from writer_app.training.config import TrainingConfig
    from writer_app.training.dataset import build_dataset
    from writer_app.training.model_loading import load_tokenizer, resolve_base_model
    from writer_app.training.runs import prepare_job

    with tempfile.TemporaryDirectory() as tmp:
        paths = profile_paths(tmp).ensure()
        model_path = resolve_base_model(args.model, Path(os.environ.get("WRITER_APP_MODEL_CACHE",
                                                                        REPO / ".cache" / "models")))
        cfg = TrainingConfig(rank=8, alpha=16, seq_len=args.seq_len, overlap_tokens=16, batch_size=2,
                             grad_accum=2, max_steps=args.steps, warmup_steps=1, eval_every=100_000,
                             eval_max_sequences=1, checkpoint_every=100_000, early_stopping_patience=0,
                             style_samples=0)
        docs = austen(args.chapters)
        job = prepare_job(paths, docs, base_model=args.model, base_model_path=model_path, config=cfg,
                          adapter_name="bench", device="auto")
        ours = run_ours(job)
        rows = build_dataset(docs, load_tokenizer(model_path), seq_len=cfg.seq_len,
                             overlap_tokens=cfg.overlap_tokens).train
        # Same rows in the same amount; the baseline shuffles with its own sampler.
        baseline = run_baseline(model_path, rows, cfg, args.steps)
    result = {"steps": args.steps, "seq_len": args.seq_len, "tokens_per_step": cfg.batch_size * cfg.grad_accum
              * cfg.seq_len, "ours_tokens_per_s": round(ours, 1), "hf_trainer_tokens_per_s": round(baseline, 1),
              "ratio_ours_over_hf": round(ours / baseline, 3)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
