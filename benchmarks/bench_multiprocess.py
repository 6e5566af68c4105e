"""Training tokens/s: two data-parallel trainer processes (accelerate launch, gloo on the CPU) vs one.

The same job both ways, with the same global batch: one process takes
``--accum`` micro-batches per step; N processes take ``--accum / N`` each.
Each run is the real trainer command (``training.launch.trainer_command``),
model loading and start-up excluded: tokens/s is the trainer's own figure at
its last step, and the final losses of both are printed as a check that they
trained the same run. Expect little on a 2-core machine (each process gets one
thread, and the all-reduce and the held-out evaluation are shared); the point
of several processes is several GPUs or a many-core machine.

    nice -n 10 python -m benchmarks.bench_multiprocess [--steps 6] [--seq-len 64] [--processes 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent


def run(job_path: Path) -> dict:
    from writer_app.training.launch import trainer_command

    done = subprocess.run(trainer_command(job_path), capture_output=True, text=True, cwd=REPO)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not events or events[-1].get("event") != "done":
        raise SystemExit(f"the trainer failed ({done.returncode}): {done.stderr[-2000:]}")
    progress = [e for e in events if e["event"] == "progress"]
    return {"tokens_per_s": progress[-1]["tokens_per_s"], "final_loss": progress[-1]["train_loss"],
            "seconds": events[-1]["metrics"]["seconds"], "processes": events[-1]["metrics"]["processes"]}


def main() -> None:
    from benchmarks.bench_training import austen
    from writer_app.llm.embedded import ensure_embedded_model
    from writer_app.paths import profile_paths
    from writer_app.training.config import TrainingConfig
    from writer_app.training.runs import prepare_job

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--accum", type=int, default=2, help="micro-batches per step with one process")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--chapters", type=int, default=8)
    args = parser.parse_args()
    if args.accum % args.processes:
        raise SystemExit("--accum must be a multiple of --processes (the same global batch both ways)")
    cache = Path(os.environ.get("WRITER_APP_MODEL_CACHE", REPO / ".cache" / "models"))
    model = ensure_embedded_model(cache)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for processes in (1, args.processes):
            config = TrainingConfig(rank=8, alpha=16, dropout=0.0, seq_len=args.seq_len, overlap_tokens=8,
                                    batch_size=1, grad_accum=args.accum // processes, max_steps=args.steps,
                                    warmup_steps=1, eval_every=args.steps, eval_max_sequences=2,
                                    checkpoint_every=args.steps, early_stopping_patience=0, style_samples=0)
            paths = profile_paths(Path(tmp) / f"p{processes}").ensure()
            job = prepare_job(paths, austen(args.chapters), base_model="embedded", base_model_path=model,
                              config=config, adapter_name=f"bench-{processes}", device="cpu", processes=processes)
            results[processes] = run(job)
            print(json.dumps(results[processes]), flush=True)
    one, many = results[1], results[args.processes]
    print(f"{args.processes} processes vs 1, global batch {args.accum} x {args.seq_len} tokens, {args.steps} steps: "
          f"{many['tokens_per_s']:.1f} vs {one['tokens_per_s']:.1f} tokens/s "
          f"({many['tokens_per_s'] / one['tokens_per_s']:.2f}x); final loss {many['final_loss']:.4f} vs "
          f"{one['final_loss']:.4f}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
