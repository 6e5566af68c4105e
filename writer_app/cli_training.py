"""``writer-app train`` and ``writer-app eval``: the style adapter from a terminal.

``train`` gathers the project's documents (this process is the database
writer), runs the trainer as a child process (``python -m
writer_app.training JOB.json``), shows its progress, and registers the
adapter only when the trainer says it finished. Ctrl-C cancels cleanly and
the run can be resumed with ``--resume RUN``. ``eval`` compares base and
adapter on held-out text. torch is imported only inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import Any

from writer_app.errors import UserError
from writer_app.paths import ProfilePaths, profile_paths


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    train = subparsers.add_parser("train", parents=[common], help="train a personal style adapter on a project")
    train.add_argument("--project", metavar="TITLE", help="the project whose prose to learn")
    train.add_argument("--documents", nargs="+", metavar="DOC",
                       help="document titles or ids (default: every chapter and scene, trash excluded)")
    train.add_argument("--preset", choices=("thorough", "quick"), default="thorough",
                       help="thorough: the whole text, settings scaled to its size (default); quick: about "
                       "ten minutes of training on a CPU, fitted to this machine's measured speed")
    train.add_argument("--time-budget", type=float, metavar="MINUTES",
                       help="train for about this many minutes (0 = no limit)")
    train.add_argument("--max-steps", type=int, help="stop after N optimiser steps")
    train.add_argument("--epochs", type=float, help="passes over the training text")
    train.add_argument("--seq-len", type=int, help="tokens per training sequence")
    train.add_argument("--batch-size", type=int, help="sequences per micro-batch")
    train.add_argument("--grad-accum", type=int, help="micro-batches per optimiser step")
    train.add_argument("--learning-rate", type=float, help="peak learning rate")
    train.add_argument("--rank", type=int, help="LoRA rank")
    train.add_argument("--eval-every", type=int, help="measure held-out loss every N steps")
    train.add_argument("--eval-sequences", type=int, help="held-out sequences per evaluation (0 = all)")
    train.add_argument("--style-samples", type=int, help="continuations for the style comparison")
    train.add_argument("--style-tokens", type=int, help="length of each style continuation in tokens")
    train.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where to train")
    train.add_argument("--name", help="the adapter's name (default: project and date)")
    train.add_argument("--resume", metavar="RUN", help="resume an interrupted run (its id or job file)")
    train.add_argument("--processes", type=int, metavar="N",
                       help="train in N data-parallel processes (accelerate launch; one per GPU, or gloo on a CPU)")
    train.add_argument("--export-job", metavar="DIR",
                       help="write a self-contained job folder to train on another machine, instead of training")
    train.add_argument("--json", action="store_true", help="print the trainer's JSON events")
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser("eval", parents=[common], help="held-out perplexity and style: base vs adapter")
    evaluate.add_argument("--adapter", metavar="NAME",
                          help="the adapter (default: the active one, else the project's most recent)")
    evaluate.add_argument("--project", metavar="TITLE", help="evaluate on this project's held-out chapters")
    evaluate.add_argument("--style-samples", type=int, default=2, help="continuations to compare (0 = none)")
    evaluate.add_argument("--eval-sequences", type=int, default=64, help="held-out sequences to score (0 = all)")
    evaluate.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    evaluate.add_argument("--json", action="store_true", help="print the result as JSON")
    evaluate.set_defaults(func=run_eval)


def _open_library(paths: ProfilePaths, *, write: bool) -> Any:
    """``train`` registers its adapter (a writer: refused on a damaged library, like ``import``);
    ``eval`` only reads (works on read-only media)."""
    from writer_app.cli_library import open_for_reading, open_for_writing

    return open_for_writing(paths) if write else open_for_reading(paths)


def _project(library: Any, title: str | None) -> Any:
    if not title:
        raise UserError("say which project: --project TITLE")
    project = library.find_project(title)
    if project is None:
        known = ", ".join(p.project.title for p in library.list_projects()) or "none yet"
        raise UserError(f"no project called {title!r} (projects: {known})")
    return project


def _pick_nodes(library: Any, project_id: int, wanted: list[str]) -> list[int]:
    nodes = library.nodes(project_id)
    chosen = []
    for item in wanted:
        match = [n for n in nodes if str(n.id) == item or n.title == item]
        if not match:
            raise UserError(f"no document {item!r} in this project")
        chosen.extend(n.id for n in match)
    return chosen


def _config_from_args(args: argparse.Namespace, train_tokens: int, cuda: bool) -> Any:
    from writer_app.training.config import preset_config

    config = _apply_arguments(preset_config(getattr(args, "preset", "thorough"), train_tokens, cuda=cuda), args)
    config.validate()
    return config


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse out-of-range numbers (``--seq-len 0``, ``--epochs nan``) before reading or loading anything."""
    from writer_app.training.config import TrainingConfig

    _apply_arguments(TrainingConfig(), args).validate()


def _apply_arguments(config: Any, args: argparse.Namespace) -> Any:
    for arg, name in (("max_steps", "max_steps"), ("epochs", "epochs"), ("seq_len", "seq_len"),
                      ("batch_size", "batch_size"), ("grad_accum", "grad_accum"), ("rank", "rank"),
                      ("learning_rate", "learning_rate"), ("eval_every", "eval_every"),
                      ("style_samples", "style_samples"), ("style_tokens", "style_tokens"),
                      ("eval_sequences", "eval_max_sequences"), ("time_budget", "time_budget_minutes")):
        value = getattr(args, arg, None)
        if value is not None:
            setattr(config, name, value)
    if args.rank is not None:
        config.alpha = 2 * args.rank
    if args.eval_every is not None:
        config.checkpoint_every = args.eval_every
    config.overlap_tokens = min(config.overlap_tokens, config.seq_len // 4)
    config.warmup_steps = min(config.warmup_steps, max(1, (config.max_steps or 10**9) // 10))
    return config


def _printer(as_json: bool) -> Any:
    def show(event: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(event), flush=True)
            return
        kind = event.get("event")
        if kind == "dataset":
            print(f"dataset: {event['words']:,} words, {event['tokens']:,} tokens "
                  f"({event['train_sequences']} training and {event['eval_sequences']} held-out sequences; "
                  f"held out: {', '.join(event['heldout_titles'])}); {event['max_steps']} steps", flush=True)
            if event.get("warning"):
                print(f"warning: {event['warning']}", flush=True)
        elif kind == "progress":
            held = f" held-out {event['eval_loss']:.3f}" if event.get("eval_loss") is not None else ""
            print(f"step {event['step']}/{event['max_steps']} loss {event['train_loss']:.3f}{held} "
                  f"{event['tokens_per_s']:.0f} tok/s eta {event['eta_s']:.0f}s", flush=True)
        elif kind == "warning":
            print(f"warning: {event['message']}", flush=True)
        elif kind in ("resumed", "early_stop", "evaluating", "cancelled"):
            print(f"{kind}: " + ", ".join(f"{k}={v}" for k, v in event.items() if k != "event"), flush=True)
    return show


def _check_checkpoint(run_dir: Path) -> None:
    """Read the checkpoint a resume would start from here, so a damaged or malicious one is refused
    in one sentence before the trainer process spends time loading the model (it checks again)."""
    from writer_app.training.checkpoint import latest_checkpoint, load_checkpoint

    latest = latest_checkpoint(run_dir)
    if latest is not None:
        load_checkpoint(latest)


def run_train(args: argparse.Namespace) -> int:
    from writer_app.settings import load_settings
    from writer_app.storage.adapters import clean_name
    from writer_app.text.counts import count_words
    from writer_app.training import runs
    from writer_app.training.dataset import check_size, clean_text
    from writer_app.training.job import read_job
    from writer_app.training.model_loading import resolve_base_model, wants_cuda

    processes = getattr(args, "processes", None)
    if processes is not None and not 1 <= processes <= 1024:
        raise UserError(f"--processes must be a whole number from 1 to 1024, not {processes}")
    if args.resume and (processes is not None or getattr(args, "export_job", None)):
        raise UserError("a resumed run keeps its own process count and cannot be exported; "
                        "leave out --processes and --export-job with --resume")
    if not args.resume:
        _check_arguments(args)
    paths = profile_paths(args.data_dir).ensure()
    library = _open_library(paths, write=True)
    try:
        if args.resume:
            job_path = runs.find_run(paths, args.resume)
            job = read_job(job_path)
            _check_checkpoint(Path(job.run_dir))
            project = library.find_project(job.project_title) if job.project_title else None
        else:
            project = _project(library, args.project)
            node_ids = _pick_nodes(library, project.id, args.documents) if args.documents else None
            documents = runs.documents_from_library(library, project.id, node_ids)
            words = sum(count_words(clean_text(d.text)) for d in documents)
            check_size(words)  # refuse before loading anything heavy
            settings = load_settings(paths)
            device = args.device or settings.device
            cuda = wants_cuda(device)
            config = _config_from_args(args, int(words * 1.3), cuda)
            name = clean_name(args.name) if args.name is not None else runs.unique_adapter_name(library, project.title)
            if library.get_adapter_by_name(name) is not None:
                raise UserError(f"an adapter called {name!r} already exists")
            if getattr(args, "export_job", None):
                return _export(args, documents, settings, paths, config, name, project.title, device)
            job_path = runs.prepare_job(
                paths, documents, base_model=settings.model,
                base_model_path=resolve_base_model(settings.model, paths.model_cache), config=config,
                adapter_name=name, project_title=project.title, device=device, processes=processes or 1)
            if not args.json:
                print(f"run {job_path.parent.name}: training adapter {name!r}", flush=True)
        stop = threading.Event()
        try:
            adapter = runs.train_and_register(library, job_path, project.id if project else None,
                                              _printer(args.json), stop)
        except KeyboardInterrupt:
            stop.set()
            raise
        metrics = adapter.metadata.get("metrics", {})
        if args.json:
            print(json.dumps({"event": "registered", "adapter": adapter.name, "path": adapter.path,
                              "metrics": metrics}), flush=True)
        else:
            print(f"adapter {adapter.name!r} registered: held-out perplexity "
                  f"{metrics.get('base_perplexity', float('nan')):.2f} (base) -> "
                  f"{metrics.get('adapter_perplexity', float('nan')):.2f} (adapter)")
        return 0
    finally:
        library.close()


def _export(args: argparse.Namespace, documents: Any, settings: Any, paths: ProfilePaths, config: Any,
            name: str, project_title: str, device: str) -> int:
    """``train --export-job DIR``: the job folder for another machine (``training.export_job``)."""
    from writer_app.training.export_job import export_job
    from writer_app.training.model_loading import resolve_base_model

    folder = Path(args.export_job).expanduser()
    job_path = export_job(folder, documents, base_model=settings.model,
                          base_model_path=resolve_base_model(settings.model, paths.model_cache), config=config,
                          adapter_name=name, project_title=project_title, device=device)
    if args.json:
        print(json.dumps({"event": "exported", "job": str(job_path), "folder": str(folder)}), flush=True)
    else:
        print(f"exported the training job for {name!r} to {folder}: see {folder / 'README.txt'} for the commands; "
              f"bring the adapter back with: writer-app adapters import {folder}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from writer_app.training.dataset import build_dataset, read_dataset
    from writer_app.training.evaluate import check_eval_folders, evaluate_adapter
    from writer_app.training.model_loading import load_tokenizer, resolve_base_model
    from writer_app.training.publish import HELDOUT_FILE
    from writer_app.training.runs import documents_from_library

    for option, value in (("--style-samples", args.style_samples), ("--eval-sequences", args.eval_sequences)):
        if value < 0:
            raise UserError(f"{option} cannot be negative (0 means {'none' if option == '--style-samples' else 'all'})")
    paths = profile_paths(args.data_dir).ensure()
    library = _open_library(paths, write=False)
    try:
        project = _project(library, args.project) if args.project else None
        if args.adapter:
            adapter = library.get_adapter_by_name(args.adapter)
            if adapter is None:
                raise UserError(f"no adapter called {args.adapter!r}")
        else:  # the active adapter (the one the editor uses), when it belongs to this project
            active = library.active_adapter()
            found = library.adapters(project.id if project else None)
            if active is not None and (project is None or active.project_id in (None, project.id)):
                found.insert(0, active)
            if not found:
                raise UserError("no adapter has been trained yet" + (f" for {project.title!r}" if project else ""))
            adapter = found[0]
        folder = Path(adapter.path)
        meta = adapter.metadata or {}
        base_path = meta.get("base_model_path") or ""
        if not base_path or not Path(base_path).is_dir():
            base_path = str(resolve_base_model(adapter.base_model, paths.model_cache))
        check_eval_folders(Path(base_path), folder)  # pickle-only or damaged: refused before any loading
        seq_len = int(meta.get("hyperparameters", {}).get("seq_len", 256))
        if project is not None:
            documents = documents_from_library(library, project.id)
            heldout = build_dataset(documents, load_tokenizer(Path(base_path)), seq_len=seq_len,
                                    overlap_tokens=min(32, seq_len // 4), base_model=adapter.base_model)
        elif (folder / HELDOUT_FILE).is_file():
            heldout = read_dataset(folder / HELDOUT_FILE)
        else:
            raise UserError("this adapter has no stored held-out text; pass --project TITLE")
        result = evaluate_adapter(folder, base_path, heldout.eval, heldout.meta, device=args.device,
                                  style_samples=args.style_samples, max_sequences=args.eval_sequences,
                                  style_tokens=int(meta.get("hyperparameters", {}).get("style_tokens", 60)))
        result = {"adapter": adapter.name, **result}
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            _print_report(result)
        return 0
    finally:
        library.close()



def _print_report(result: dict[str, Any]) -> None:
    """The eval report for a person: what was held out, perplexity and stylometry base -> adapter."""
    from writer_app.text.stylometry import FEATURE_LABELS

    held = result.get("heldout") or {}
    what = (f"{len(held.get('chapters', []))} held-out chapters ({', '.join(held.get('chapters', []))})"
            if held.get("mode") == "chapters" else "held-out tail blocks (the manuscript has no chapters)")
    print(f"adapter {result['adapter']!r} on {what}, {result['heldout_sequences']} sequences:")
    change = result.get("perplexity_change_percent")
    print(f"  perplexity  base {result['base_perplexity']:.2f} -> adapter {result['adapter_perplexity']:.2f}"
          + (f"  ({change:+.1f} %)" if change is not None else ""))
    stylo = (result.get("style") or {}).get("stylometry")
    if not stylo:
        return
    print(f"  style distance to the author's real text ({stylo['language']}), base -> adapter:")
    for name, row in stylo["distance"].items():
        closer = row["percent_closer"]
        label = FEATURE_LABELS.get(name, "Overall")
        print(f"    {label:<24} {row['base']:.3f} -> {row['adapter']:.3f}"
              + (f"  ({closer:+.0f} % closer)" if closer is not None else ""))
