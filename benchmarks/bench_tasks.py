"""Task quality: the full suite of ``writer_app.llm.eval_tasks`` on the embedded model (or another).

The same runner as ``writer-app eval-tasks``, with the knobs a measurement
needs: the CPU quantization and thread count, every answer saved as JSON for
reading afterwards (``--out``), and the machine's load average next to the
figures (the dev VM is shared, and latency depends on it; pass rates do not).

    WRITER_APP_MODEL_CACHE=.cache/models python -m benchmarks.bench_tasks [--cases 6] [--max-new-tokens 200]
        [--seed 1] [--quantization auto] [--threads 1] [--guard] [--no-constrain] [--model embedded] [--tasks KEYS] [--out FILE] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent


def model_cache() -> Path:
    return Path(os.environ.get("WRITER_APP_MODEL_CACHE", REPO / ".cache" / "models"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--cases", type=int, default=6, help="cases per task (English and Chinese in turn)")
    parser.add_argument("--max-new-tokens", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=0.8, help="the editor's default")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quantization", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: torch's default)")
    parser.add_argument("--tasks", default="", help="comma-separated task keys (default: all)")
    parser.add_argument("--guard", action="store_true", help="through the guards (re-sampling hard failures)")
    parser.add_argument("--no-constrain", action="store_true",
                        help="without the token masks of llm.constraints (to measure what they do)")
    parser.add_argument("--out", help="write the summary and every answer to this JSON file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from writer_app.cli_eval import _task_keys
    from writer_app.llm import eval_tasks
    from writer_app.llm.generation import GenerationSettings
    from writer_app.llm.runtime import ModelRuntime, set_cpu_threads

    if args.threads:
        set_cpu_threads(args.threads)
    suite = eval_tasks.build_suite(args.cases, _task_keys(args.tasks))
    runtime = ModelRuntime.load(args.model, model_cache(), quantization=args.quantization)
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens, temperature=args.temperature, seed=args.seed,
                                  constrained=not args.no_constrain)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()

    def progress(done: int, total: int, outcome: eval_tasks.CaseResult) -> None:
        failed = [k for k, r in outcome.checks.items() if not r]
        print(f"[{done}/{total}] {outcome.case.key} ({outcome.case.language}) {outcome.latency_s:.1f}s "
              f"{'ok' if not failed else 'FAIL ' + ', '.join(failed)}", file=sys.stderr, flush=True)

    from writer_app.llm.guards import DEFAULT_POLICY

    results = eval_tasks.run_suite(runtime, suite, settings, progress=progress,
                                   policy=DEFAULT_POLICY if args.guard else None)
    summary = eval_tasks.summarise_results(results)
    summary["model"] = runtime.info.describe()
    summary["settings"] = {"max_new_tokens": args.max_new_tokens, "temperature": args.temperature,
                           "seed": args.seed, "cases_per_task": args.cases, "quantization": args.quantization,
                           "guard": args.guard, "constrained": not args.no_constrain}
    summary["machine"] = {"load_average_before": round(load_before, 2),
                          "load_average_after": round(os.getloadavg()[0], 2),
                          "wall_s": round(time.perf_counter() - started, 1)}
    if args.out:
        Path(args.out).write_text(json.dumps({**summary, "cases": [r.to_dict() for r in results]},
                                             ensure_ascii=False, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"{summary['model']}; {'guarded; ' if args.guard else ''}{'unconstrained; ' if args.no_constrain else ''}{args.cases} cases per task; seed {args.seed}; temperature "
              f"{args.temperature}; max {args.max_new_tokens} new tokens; load average "
              f"{summary['machine']['load_average_before']} -> {summary['machine']['load_average_after']}; "
              f"{summary['machine']['wall_s']} s")
        print(eval_tasks.format_table(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
