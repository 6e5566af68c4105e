"""``writer-app eval-tasks``: the task-quality harness from a terminal.

Runs the fixed suite of ``llm.eval_tasks`` (every writing task, English and
Chinese cases) with the model the editor would use, or the one given, and
prints pass rates per task and check (a Markdown table, or JSON with
``--json``), plus the median latency of each task. torch is imported inside
the handler so that other commands stay fast.
"""

from __future__ import annotations

import argparse
import json
import sys

from writer_app.errors import UserError
from writer_app.paths import profile_paths


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("eval-tasks", parents=[common],
                              help="score every writing task on a fixed suite (names, language, form, length)")
    p.add_argument("--model", help="'embedded', a Hugging Face id or a folder (default: the profile's setting)")
    p.add_argument("--adapter", metavar="PATH_OR_NAME", help="a LoRA adapter folder or a registered adapter name "
                   "(default: the active adapter, as in the editor)")
    p.add_argument("--no-adapter", action="store_true", help="evaluate the plain model, not the active adapter")
    p.add_argument("--cases", type=int, default=4, help="cases per task, English and Chinese in turn (default 4)")
    p.add_argument("--tasks", default="", help="comma-separated task keys to run (default: all), e.g. "
                   "continue,rewrite:vivid,summarise:scene")
    p.add_argument("--max-new-tokens", type=int, help="length limit of each answer, in tokens "
                   "(default: the profile's setting)")
    p.add_argument("--seed", type=int, default=1, help="base seed; case k of a task uses seed+k (default 1)")
    p.add_argument("--temperature", type=float, help="sampling temperature (default: the profile's setting)")
    p.add_argument("--guard", action="store_true", help="run each task through the guards (re-sample an answer "
                   "that fails a hard check), as generate does")
    p.add_argument("--json", action="store_true", help="print one JSON object (with every answer under 'cases')")
    p.set_defaults(func=cmd_eval_tasks)


def _task_keys(value: str) -> list[str]:
    from writer_app.llm.eval_tasks import TASK_KEYS

    if not value.strip():
        return list(TASK_KEYS)
    keys = [k.strip() for k in value.split(",") if k.strip()]
    expanded: list[str] = []
    for key in keys:
        matches = [k for k in TASK_KEYS if k == key or k.split(":")[0] == key]
        if not matches:
            raise UserError(f"unknown task '{key}' for --tasks; use any of {', '.join(TASK_KEYS)}")
        expanded += [m for m in matches if m not in expanded]
    return expanded


def cmd_eval_tasks(args: argparse.Namespace) -> int:
    from writer_app.cli_model import _active_adapter, _check_model_folder, _resolve_adapter, _stderr_progress
    from writer_app.llm import eval_tasks
    from writer_app.llm.generation import GenerationSettings
    from writer_app.llm.runtime import ModelRuntime
    from writer_app.settings import load_settings

    keys = _task_keys(args.tasks)
    suite = eval_tasks.build_suite(args.cases, keys)  # corpus problems are reported before the model loads
    paths = profile_paths(args.data_dir)
    app = load_settings(paths)
    if not args.adapter and not args.no_adapter:
        args.adapter = _active_adapter(paths, app)
    settings = GenerationSettings.from_app_settings(app, max_new_tokens=args.max_new_tokens, seed=args.seed,
                                                    temperature=args.temperature)
    if args.model:
        _check_model_folder(args.model, app.allow_pickle_weights)
    adapter = _resolve_adapter(args, args.adapter) if args.adapter else None
    runtime = ModelRuntime.load(
        args.model or app.model, paths.model_cache, device=app.device, quantization=app.quantization,
        allow_pickle=app.allow_pickle_weights, trust_remote_code=app.trust_remote_code,
        progress=None if args.json else _stderr_progress,
    )
    if adapter is not None:
        runtime.attach_adapter(adapter)

    def progress(done: int, total: int, outcome: eval_tasks.CaseResult) -> None:
        if sys.stderr.isatty():
            mark = "ok" if outcome.passed else "FAIL " + ", ".join(k for k, r in outcome.checks.items() if not r)
            print(f"[{done}/{total}] {outcome.case.key} ({outcome.case.language}): {mark}", file=sys.stderr)

    from writer_app.llm.guards import DEFAULT_POLICY

    results = eval_tasks.run_suite(runtime, suite, settings, progress=progress,
                                   policy=DEFAULT_POLICY if args.guard else None)
    summary = eval_tasks.summarise_results(results)
    summary["model"] = runtime.info.describe()
    summary["settings"] = {"max_new_tokens": settings.max_new_tokens, "temperature": settings.temperature,
                           "top_p": settings.top_p, "seed": settings.seed, "cases_per_task": args.cases,
                           "guard": args.guard}
    if args.json:
        summary["cases"] = [r.to_dict() for r in results]
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"{summary['model']}, {args.cases} cases per task, seed {settings.seed}, "
              f"max {settings.max_new_tokens} new tokens" + (", guarded" if args.guard else ""))
        print(eval_tasks.format_table(summary))
    return 0
