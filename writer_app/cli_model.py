"""``writer-app generate``, ``writer-app doctor`` and ``writer-app download-model``.

The model from a terminal: every writing task streams to stdout (or prints
JSON with ``--json``); ``doctor`` says what this machine can run. torch and
transformers are imported inside the handlers so other commands stay fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
from pathlib import Path

from writer_app.errors import UserError
from writer_app.paths import display_path, profile_paths, require_dir, require_file

# A manuscript chapter is kilobytes; anything past this is a wrong file (a log, a disk image, /dev/zero).
MAX_TEXT_FILE_BYTES = 32 * 1024 * 1024
TASK_CHOICES = ("continue", "rewrite", "expand", "shorten", "describe", "brainstorm", "summarise", "suggest")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("generate", parents=[common], help="run a writing task with the model")
    p.add_argument("--task", choices=TASK_CHOICES, required=True)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--text", help="the text to work on")
    source.add_argument("--file", help="read the text from FILE ('-' for stdin)")
    source.add_argument("--project", metavar="TITLE", help="read from a document of this project (with --document)")
    p.add_argument("--document", metavar="NAME", help="the document's title in --project")
    p.add_argument("--instruction", default="", help="a free rewrite instruction, the thing to describe, or a topic")
    p.add_argument("--preset", default="", help="rewrite preset: rephrase, vivid, concise, formal, casual, "
                   "show-dont-tell, grammar")
    p.add_argument("--model", help="'embedded', a Hugging Face id or a folder (default: the profile's setting)")
    p.add_argument("--adapter", metavar="PATH_OR_NAME", help="a LoRA adapter folder or a registered adapter name "
                   "(default: the active adapter, as in the editor)")
    p.add_argument("--no-adapter", action="store_true", help="write with the plain model, not the active adapter")
    p.add_argument("--max-new-tokens", type=int, help="length limit of the answer, in tokens")
    p.add_argument("--temperature", type=float, help="0 for deterministic output")
    p.add_argument("--seed", type=int, help="fixed seed for reproducible output")
    p.add_argument("--no-guard", action="store_true", help="take the first answer even when it fails a hard check "
                   "(names, language, commentary); otherwise it is sampled again, up to twice")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of streaming text")
    _server_arguments(p)
    p.set_defaults(func=cmd_generate)

    d = subparsers.add_parser("doctor", parents=[common], help="report python, torch, GPU, engine, model and disk")
    _server_arguments(d)
    d.set_defaults(func=cmd_doctor)

    dl = subparsers.add_parser("download-model", parents=[common], help="download a Hugging Face model (safetensors)")
    dl.add_argument("repo_id", help="e.g. Qwen/Qwen2.5-3B-Instruct")
    dl.set_defaults(func=cmd_download)


def _server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", metavar="URL", help="write through an OpenAI-compatible server (llama.cpp, "
                        "Ollama, vLLM), e.g. http://127.0.0.1:8080/v1; the API key comes from the settings file "
                        "or $WRITER_APP_SERVER_API_KEY (default: the profile's server, if any)")
    parser.add_argument("--server-model", metavar="NAME", help="the served model's name (default: the profile's, "
                        "else the server's first)")


def _server_config(args: argparse.Namespace, app):
    """The server to write with: ``--server``, else the profile's unless ``--model`` chose a local one."""
    from writer_app.llm.engine import server_config_from_settings

    if args.server_model and not args.server and not app.server_url:
        raise UserError("--server-model needs --server URL (or a server in the settings)")
    if args.server is None and getattr(args, "model", None):
        return None  # --model asks for the in-process model even where the profile has a server
    return server_config_from_settings(app, args.server, args.server_model)


def _read_source(args: argparse.Namespace) -> tuple[str, list, str, str]:
    """(text, bible entries, story so far, language) from --text/--file/--project."""
    if args.text is not None:
        return args.text, [], "", "en"
    if args.file:
        return _read_text_file(args.file), [], "", "en"
    if args.project:
        if not args.document:
            raise UserError("--project needs --document NAME")
        return _read_document(args)
    if args.document:
        raise UserError("--document needs --project TITLE")
    raise UserError("give the text with --text, --file or --project/--document")


def _read_text_file(name: str) -> str:
    """The UTF-8 text of ``--file`` (``-`` is stdin), read with a cap so a device or a huge file cannot hang us."""
    where = "standard input" if name == "-" else display_path(name)
    if name != "-":
        require_file(name, "the text file")
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_TEXT_FILE_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(MAX_TEXT_FILE_BYTES + 1)
    except OSError as exc:
        from writer_app.errors import os_error_reason

        raise UserError(f"cannot read {where}: {os_error_reason(exc)}") from exc
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise UserError(f"{where} is larger than {MAX_TEXT_FILE_BYTES // 2**20} MB; give a chapter, not a whole disk")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{where} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                        "save it as UTF-8 or import it into a project first") from exc


def _read_document(args: argparse.Namespace) -> tuple[str, list, str, str]:
    from writer_app.cli_library import open_for_reading

    with open_for_reading(profile_paths(args.data_dir)) as lib:
        project = lib.find_project(args.project)
        if project is None:
            raise UserError(f"no project titled “{args.project}”")
        wanted = " ".join(args.document.split()).casefold()
        nodes = [n for n in lib.nodes(project.id) if n.title.casefold() == wanted]
        if not nodes:
            raise UserError(f"no document titled “{args.document}” in “{project.title}”")
        node = nodes[0]
        text = lib.get_text(node.id)
        bible = lib.bible_entries_mentioned(project.id, text[-4000:])
        # Only summaries the author approved are the story so far (an unreviewed one may invent names).
        earlier = [n.summary for n in lib.nodes(project.id) if n.position < node.position
                   and n.parent_id == node.parent_id and n.kind != "folder" and n.summary_approved]
        return text, list(bible), "\n".join(s for s in earlier if s), project.language


def _resolve_adapter(args: argparse.Namespace, value: str) -> Path:
    """``--adapter``: a folder (anything that exists as a path, even a broken link), else a registered name."""
    path = Path(value).expanduser()
    if os.path.lexists(path):
        return require_dir(path, "the adapter folder")
    paths = profile_paths(args.data_dir)
    if paths.database.exists():
        from writer_app.cli_library import open_for_reading

        with open_for_reading(paths) as lib:
            adapter = lib.get_adapter_by_name(value)
        if adapter is not None:
            return Path(adapter.path)
    raise UserError(f"no adapter folder or registered adapter called “{display_path(value)}”")


def _check_model_folder(value: str, allow_pickle: bool) -> None:
    """``--model`` naming a path (even a broken link or a loop): say what is wrong with it before loading."""
    from writer_app.llm import catalogue, model_files

    path = Path(value).expanduser()
    if value.strip() == catalogue.EMBEDDED_SETTING or not os.path.lexists(path):
        return  # "embedded" or a Hugging Face id: ModelRuntime.load resolves those

    folder = require_dir(path, "the model folder")
    model_files.read_config(folder)
    model_files.weight_files(folder, allow_pickle)


def _active_adapter(paths, app) -> str | None:
    """The library's active adapter (the one the editor uses); an unusable one is an error, not a skip."""
    from writer_app.cli_library import open_for_reading
    from writer_app.settings import legacy_adapter_name
    from writer_app.storage.adapters import folder_problem

    if not paths.database.exists():
        return None
    with open_for_reading(paths) as lib:
        adapter = lib.active_adapter()
        if adapter is None and legacy_adapter_name(app):  # a settings file the editor has not migrated yet
            adapter = lib.get_adapter_by_name(legacy_adapter_name(app))
    if adapter is None:
        return None
    problem = folder_problem(adapter.path)
    if problem:
        raise UserError(f"the active adapter “{adapter.name}” cannot be used: {problem} (--no-adapter writes "
                        "without it)")
    return adapter.path


def cmd_generate(args: argparse.Namespace) -> int:
    from writer_app.llm import guards, tasks
    from writer_app.llm.engine import describe_engine, engine_kind
    from writer_app.llm.generation import GenerationSettings
    from writer_app.llm.runtime import ModelRuntime
    from writer_app.settings import load_settings

    text, bible, story_so_far, language = _read_source(args)
    if not text.strip() and args.task not in ("brainstorm", "describe"):
        raise UserError("the text is empty")
    paths = profile_paths(args.data_dir)
    app = load_settings(paths)
    server = _server_config(args, app)
    if server is not None and args.model:
        raise UserError("give either --server or --model, not both")
    if server is not None and args.adapter:
        raise UserError("a server writes with its own model and adapters; leave out --adapter with --server")
    if server is None and not args.adapter and not args.no_adapter:  # the active adapter, as in the editor
        args.adapter = _active_adapter(paths, app)
    settings = GenerationSettings.from_app_settings(
        app, max_new_tokens=args.max_new_tokens, seed=args.seed, temperature=args.temperature
    )
    # Everything that can be checked on disk is checked before the model loads (seconds, gigabytes).
    if args.model:
        _check_model_folder(args.model, app.allow_pickle_weights)
    adapter = _resolve_adapter(args, args.adapter) if args.adapter else None
    if adapter is not None:
        from writer_app.llm.adapters import adapter_weights_file, read_adapter_config

        read_adapter_config(adapter)
        adapter_weights_file(adapter, app.allow_pickle_weights)
    progress = None if args.json else _stderr_progress
    if server is not None:
        from writer_app.llm.server_engine import ServerEngine

        runtime = ServerEngine.connect(server, progress)
    else:
        runtime = ModelRuntime.load(
            args.model or app.model, paths.model_cache, device=app.device, quantization=app.quantization,
            allow_pickle=app.allow_pickle_weights, trust_remote_code=app.trust_remote_code, progress=progress,
        )
    if adapter is not None:
        runtime.attach_adapter(adapter)
    request = tasks.TaskRequest(
        task=args.task, text=text, instruction=args.instruction, preset=args.preset,
        bible=bible, story_so_far=story_so_far, language=language,
    )
    cancel = threading.Event()
    printer = _SentencePrinter() if not args.json and args.task == "continue" else None
    try:
        if printer is not None or args.no_guard:  # what was streamed to the terminal cannot be re-sampled
            result = tasks.run_task(runtime, request, settings, cancel,
                                    on_delta=printer.feed if printer else None, progress=progress)
            result.warnings = guards.hard_failures(guards.task_checks(request, result))
        else:
            result = guards.run_guarded(runtime, request, settings, cancel, progress=progress)
    except KeyboardInterrupt:
        cancel.set()
        raise
    if printer is not None:
        printer.finish(result.text)
        _warn(result.warnings)
        return 0
    if args.json:
        payload = {
            "task": args.task, "text": result.text, "items": result.items,
            "suggestions": [s.to_dict() for s in result.suggestions], "truncated": result.truncated,
            "warnings": result.warnings, "tries": result.tries,
            "model": describe_engine(runtime), "engine": engine_kind(runtime),
            "tokens_per_second": runtime.last_tokens_per_second,
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif args.task == "suggest":
        for s in result.suggestions:
            fix = f" -> {s.replacement!r}" if s.replacement else ""
            print(f"{s.start}-{s.end} [{s.category}] {text[s.start:s.end]!r}{fix}: {s.problem}")
        if not result.suggestions:
            print("no suggestions")
    elif args.task == "brainstorm" and result.items:
        print("\n".join(f"- {item}" for item in result.items))
    else:
        print(result.text)
    if not args.json:
        _warn(result.warnings)
    return 0


def _warn(warnings: list[str]) -> None:
    """The guards' findings, on stderr: the answer is printed, but the author is told what is wrong with it."""
    for warning in warnings:
        print(f"writer-app: warning: {warning}", file=sys.stderr)


class _SentencePrinter:
    """Streams a continuation to stdout a whole sentence at a time.

    The final text drops a dangling half sentence (``tasks.clean_output``);
    printing only up to sentence ends while streaming means what the author
    saw is always a prefix of that final text.
    """

    _END = re.compile(r"[.!?…][\"”’)]?\s")

    def __init__(self) -> None:
        self.pending = ""
        self.printed = ""

    def feed(self, delta: str) -> None:
        self.pending += delta
        ends = [m.end() for m in self._END.finditer(self.pending)]
        if ends:
            self._emit(self.pending[: ends[-1]])
            self.pending = self.pending[ends[-1]:]

    def _emit(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
        self.printed += text

    def finish(self, final: str) -> None:
        rest = final[len(self.printed):] if final.startswith(self.printed) else ""
        self._emit(rest.rstrip() + "\n")


def _stderr_progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{fraction:4.0%}] {message}", end="", file=sys.stderr, flush=True)
        if fraction >= 1.0:
            print(file=sys.stderr)


def cmd_download(args: argparse.Namespace) -> int:
    from writer_app.llm.download import download_model

    folder = download_model(args.repo_id, progress=_stderr_progress)
    print(f"downloaded {args.repo_id} to {folder}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from writer_app.llm.diagnostics import doctor_report

    print(doctor_report(profile_paths(args.data_dir), args.server, args.server_model))
    return 0
