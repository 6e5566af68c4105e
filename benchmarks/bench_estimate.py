"""The estimate before training and the ETA during it, against the real duration of a real run.

    WRITER_APP_MODEL_CACHE=.cache/models python -m benchmarks.bench_estimate [--chapters 20] [--max-steps 24]
        [--seq-len 64] [--batch-size 1] [--grad-accum 2] [--eval-every 8] [--style-samples 2] [--json]
    python -m benchmarks.bench_estimate --chapters 61 --preset quick     # the Quick preset on the whole novel

Imports the first ``--chapters`` chapters of Pride and Prejudice into a fresh
profile, measures this machine with ``training.calibrate`` (what the Trainer
tab does before training), turns it into the estimate
(``training.eta.estimate_seconds``), then runs ``writer-app train`` with the
same settings and times it from start to the registered adapter. Printed:
the old constant-based estimate, the calibrated one, the real duration and
their ratios, and the ETA the trainer reported at its first progress event
and after its first minute against the time that was really left then.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"


def main() -> int:
    from writer_app.paths import profile_paths
    from writer_app.storage import Library
    from writer_app.text.counts import count_words
    from writer_app.training.calibrate import sample_documents
    from writer_app.training.config import TrainingConfig, preset_config
    from writer_app.training.dataset import HELDOUT_FRACTION, clean_text, estimate
    from writer_app.training.eta import estimate_seconds
    from writer_app.training.model_loading import resolve_base_model
    from writer_app.training.runs import documents_from_library

    parser = argparse.ArgumentParser()
    parser.add_argument("--chapters", type=int, default=20)
    parser.add_argument("--max-steps", type=int, default=24)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--grad-accum", type=int, default=2)
    parser.add_argument("--eval-every", type=int, default=8)
    parser.add_argument("--eval-sequences", type=int, default=8)
    parser.add_argument("--style-samples", type=int, default=2)
    parser.add_argument("--style-tokens", type=int, default=24)
    parser.add_argument("--preset", choices=("quick", "thorough"),
                        help="a preset on the whole novel instead of the settings above (--chapters 61)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    text = CORPUS.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    parts = re.split(r"\n(Chapter \d+)\n", text.split("*** END OF")[0])
    chapters = [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)][: args.chapters]
    profile = Path(tempfile.mkdtemp(prefix="bench-estimate-"))
    paths = profile_paths(profile).ensure()
    with Library.open(paths.database) as lib:
        project = lib.create_project("Austen")
        for title, body in chapters:
            lib.create_node(project.id, "chapter", title, text=body)
        documents = documents_from_library(lib, project.id)
    words = sum(count_words(clean_text(d.text)) for d in documents)
    config = TrainingConfig(seq_len=args.seq_len, batch_size=args.batch_size, grad_accum=args.grad_accum,
                            max_steps=args.max_steps, eval_every=args.eval_every, checkpoint_every=args.eval_every,
                            eval_max_sequences=args.eval_sequences, style_samples=args.style_samples,
                            style_tokens=args.style_tokens, early_stopping_patience=0, rank=8, alpha=16,
                            overlap_tokens=min(32, args.seq_len // 4), warmup_steps=2)
    if args.preset:  # what `train --preset` does for this text (trainer: suggest_config's 0.92 of the tokens)
        config = preset_config(args.preset, int(words * 1.3 * 0.92))
    base = resolve_base_model("embedded", paths.model_cache)

    started = time.monotonic()
    request = {"config": config.to_dict(),
               "sample": [{"title": d.title, "text": d.text} for d in sample_documents(documents)]}
    done = subprocess.run([sys.executable, "-m", "writer_app.training.calibrate", "--base", str(base),
                           "--device", "cpu"], input=json.dumps(request), capture_output=True, text=True, check=True)
    calibration = json.loads(done.stdout.strip().splitlines()[-1])
    calibration_s = time.monotonic() - started
    calibrated = estimate_seconds(calibration, config, words, HELDOUT_FRACTION)
    old = estimate([words], epochs=config.epochs).estimated_seconds  # the constant: 150 tokens/s

    command = [sys.executable, "-m", "writer_app", "train", "--data-dir", str(profile), "--project", "Austen",
               "--json", "--device", "cpu", "--max-steps", str(args.max_steps), "--seq-len", str(args.seq_len),
               "--batch-size", str(args.batch_size), "--grad-accum", str(args.grad_accum),
               "--eval-every", str(args.eval_every), "--eval-sequences", str(args.eval_sequences),
               "--style-samples", str(args.style_samples), "--style-tokens", str(args.style_tokens),
               "--rank", "8", "--name", "bench"]
    if args.preset:
        command = [sys.executable, "-m", "writer_app", "train", "--data-dir", str(profile), "--project", "Austen",
                   "--json", "--device", "cpu", "--preset", args.preset, "--name", "bench"]
    started = time.monotonic()
    etas: list[tuple[float, float]] = []  # (seconds since start, eta_s reported)
    metrics: dict = {}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "progress":
                etas.append((time.monotonic() - started, float(event["eta_s"])))
            if event.get("event") == "registered":
                metrics = event.get("metrics", {})
    actual = time.monotonic() - started
    if proc.returncode != 0:
        print(f"training failed (exit {proc.returncode})", file=sys.stderr)
        return 1

    def eta_check(at: float) -> dict:
        when, eta = next(((t, e) for t, e in etas if t >= at), etas[-1])
        return {"at_s": round(when, 1), "eta_s": round(eta, 1), "really_left_s": round(actual - when, 1),
                "ratio": round(eta / max(1e-6, actual - when), 3)}

    report = {
        "words": words, "steps": args.max_steps, "calibration": calibration, "calibration_s": round(calibration_s, 1),
        "estimate_constant_s": round(old, 1), "estimate_calibrated_s": round(calibrated, 1),
        "actual_s": round(actual, 1), "calibrated_over_actual": round(calibrated / actual, 3),
        "constant_over_actual": round(old / actual, 3),
        "eta_first_progress": eta_check(0.0), "eta_after_60s": eta_check(60.0),
        "perplexity": [metrics.get("base_perplexity"), metrics.get("adapter_perplexity")],
        "perplexity_change_percent": metrics.get("perplexity_change_percent"),
        "trained_steps": metrics.get("steps"), "trainer_peak_mb": metrics.get("memory_mb"),
        "style": {k: v for k, v in (metrics.get("style") or {}).items() if k != "samples"},
        "profile": str(profile),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
