"""App-side helpers around a training run (used by the CLI and the Trainer tab).

These run in the application process, the single database writer: gather the
chosen documents from the library, write the job for the trainer process,
and register the finished adapter. No torch here, so the UI can import it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError
from writer_app.paths import ProfilePaths
from writer_app.training import events
from writer_app.training.config import TrainingConfig
from writer_app.training.dataset import SourceDocument, write_sources
from writer_app.training.job import TrainingJob, write_job
from writer_app.training.launch import starts_a_group
from writer_app.training.recovery import (
    ADAPTER_METADATA,
    REGISTERED_MARKER,
    RunInfo,
    clean_leftovers,
    is_live,
    scan_runs,
)

log = logging.getLogger(__name__)
TEXT_KINDS = ("chapter", "scene", "note")


def documents_from_library(library: Any, project_id: int, node_ids: Sequence[int] | None = None,
                           include_notes: bool = False) -> list[SourceDocument]:
    """The chosen documents in binder order; by default every chapter and scene, trash excluded.

    Each document carries the title of the chapter it belongs to (its top-most
    chapter ancestor, else the folder it is in, else itself), so that the
    held-out split takes whole chapters with all their scenes.
    """
    kinds = TEXT_KINDS if include_notes else ("chapter", "scene")
    wanted = set(node_ids) if node_ids is not None else None
    nodes = library.nodes(project_id)
    by_id = {node.id: node for node in nodes}
    documents = []
    for node in nodes:
        if node.trashed or (wanted is not None and node.id not in wanted):
            continue
        if wanted is None and node.kind not in kinds:
            continue
        text = library.get_text(node.id)
        if text.strip():
            documents.append(SourceDocument(node.title, text, node.id, _chapter_of(node, by_id), node.kind))
    return documents


def _chapter_of(node: Any, by_id: dict[int, Any]) -> str:
    """The unit a document is held out with: its top-most chapter ancestor, else its folder, else itself."""
    chapter, folder, current, seen = None, None, node, set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if current.kind == "chapter":
            chapter = current
        elif current.kind == "folder" and folder is None and current is not node:
            folder = current
        current = by_id.get(current.parent_id) if current.parent_id else None
    unit = chapter or folder or node
    return f"{unit.title} [{unit.id}]"


SLUG_LENGTH = 40


def slug(text: str) -> str:
    """A safe folder name from any text: lower-case letters, digits, ``_`` and ``-`` only.

    So a name such as ``../../evil``, ``/tmp/x``, ``.``, one with a NUL, a lone
    surrogate (a non-UTF-8 byte from the command line) or a right-to-left
    override cannot leave the adapters folder, hide as a dot file or fail to
    encode; never empty, at most ``SLUG_LENGTH`` characters.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    cleaned = re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE).strip("-_")
    return cleaned[:SLUG_LENGTH].strip("-_") or "adapter"


def unique_adapter_name(library: Any, project_title: str) -> str:
    base = f"{slug(project_title)}-style-{time.strftime('%Y%m%d-%H%M')}"
    name, n = base, 2
    while library.get_adapter_by_name(name) is not None:
        name, n = f"{base}-{n}", n + 1
    return name


def _reserved_folder_names(paths: ProfilePaths) -> set[str]:
    """Folder names in use: what is in the adapters folder, and what earlier runs will write there."""
    taken = set()
    with contextlib.suppress(OSError):
        taken.update(entry.name.casefold() for entry in paths.adapters.iterdir())
    for run in scan_runs(paths):
        taken.add(Path(run.job.output_dir).name.casefold())
    return taken


def inside_adapters(paths: ProfilePaths, folder: Path) -> bool:
    """Whether ``folder`` is a direct child of the profile's adapters folder (links resolved)."""
    try:
        return Path(folder).resolve().parent == paths.adapters.resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL
        return False


def adapter_folder(paths: ProfilePaths, display_name: str) -> Path:
    """A new, unused folder for the adapter called ``display_name``: ``adapters/SLUG`` (``-2``, ``-3``…)."""
    base = slug(display_name)
    taken = _reserved_folder_names(paths)
    for n in itertools.count(1):
        candidate = base if n == 1 else f"{base}-{n}"
        if candidate.casefold() not in taken and not os.path.lexists(paths.adapters / candidate):
            break
    folder = paths.adapters / candidate
    if not inside_adapters(paths, folder):
        raise UserError(f"the adapter folder {folder} would not be inside {paths.adapters}")
    return folder


def prepare_job(paths: ProfilePaths, documents: Sequence[SourceDocument], *, base_model: str,
                base_model_path: Path, config: TrainingConfig, adapter_name: str, project_title: str = "",
                device: str = "auto", processes: int = 1) -> Path:
    """Write sources and job for a new run; return the job file path.

    ``adapter_name`` is the display name (any text, cleaned to one line); the
    folder is a slug of it, unique and inside ``paths.adapters``.
    """
    from writer_app.storage.adapters import clean_name

    config.validate()
    adapter_name = clean_name(adapter_name)
    paths.adapters.mkdir(parents=True, exist_ok=True)
    output_dir = adapter_folder(paths, adapter_name)
    run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    run_dir = paths.training_runs / run_id
    write_sources(run_dir / "sources.json", documents)
    job = TrainingJob(
        run_id=run_id, sources=str(run_dir / "sources.json"), dataset=str(run_dir / "dataset.npz"),
        run_dir=str(run_dir), output_dir=str(output_dir), adapter_name=adapter_name, base_model=base_model,
        base_model_path=str(base_model_path), device=device, project_title=project_title, config=config,
        processes=processes,
    )
    job_path = run_dir / "job.json"
    write_job(job_path, job)
    return job_path


def find_run(paths: ProfilePaths, run: str) -> Path:
    """A run id (or a job file path) -> its job file, for --resume."""
    candidate = Path(run)
    if candidate.is_file():
        return candidate
    job_path = paths.training_runs / run / "job.json"
    if not job_path.is_file():
        raise UserError(f"no training run {run!r} in {paths.training_runs}")
    return job_path


def register_finished(library: Any, job: TrainingJob, project_id: int | None) -> Any:
    """Register a completed adapter folder (metadata written by the trainer) in the library.

    A folder is registered once (again: its existing adapter is returned); a
    display name taken meanwhile by another adapter gets ``-2``, ``-3``… The
    run folder is marked ``registered.json`` so later scans leave it alone.
    """
    folder = Path(job.output_dir)
    meta_file = folder / ADAPTER_METADATA
    try:
        metadata = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"the trainer reported success but {folder} has no readable adapter metadata") from exc
    adapter = next((a for a in library.adapters() if a.path == str(folder)), None)
    if adapter is None:
        name, n = job.adapter_name, 2
        while library.get_adapter_by_name(name) is not None:
            name, n = f"{job.adapter_name}-{n}", n + 1
        adapter = library.register_adapter(name, str(folder), job.base_model, project_id, metadata)
    _mark_registered(Path(job.run_dir), adapter)
    # Registered: the resumable checkpoints (optimiser state included) are no longer needed.
    shutil.rmtree(Path(job.run_dir) / "checkpoints", ignore_errors=True)
    return adapter


def _mark_registered(run_dir: Path, adapter: Any) -> None:
    try:
        with atomic_write(run_dir / REGISTERED_MARKER) as handle:
            json.dump({"adapter_id": adapter.id, "name": adapter.name, "path": adapter.path,
                       "registered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, handle,
                      ensure_ascii=True)
    except OSError as exc:  # the library knows the folder, so a later scan still skips it
        log.warning("could not mark %s as registered: %s", run_dir, exc)


def run_trainer(job_path: Path, on_event: Callable[[dict[str, Any]], None],
                stop: threading.Event | None = None) -> tuple[int, dict[str, Any] | None]:
    """Run the trainer process to its end, passing each JSON event to ``on_event``.

    Setting ``stop`` sends SIGTERM: the trainer finishes its step, writes a
    checkpoint and exits with 130. Returns (exit code, last event).
    """
    if is_live(Path(job_path).parent):
        raise UserError("this training run is already going in another process")
    log_path = Path(job_path).with_name("trainer.log")  # library chatter and tracebacks, not the terminal
    with open(log_path, "ab") as log:
        # Bytes, parsed as the Trainer tab parses them: a line that is not UTF-8 (a native library
        # printing on stdout) is skipped, where a text pipe raised UnicodeDecodeError and ended the run.
        command = events.trainer_command(job_path)
        # Several processes (``training.launch``): a process group of their own, so that a stop or a
        # kill reaches every worker and not only the launcher (``events.signal_trainer``).
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log,
                                start_new_session=starts_a_group(command))
    last: dict[str, Any] | None = None
    watcher = None
    if stop is not None:
        def watch() -> None:
            while proc.poll() is None:
                if stop.wait(0.2):
                    events.signal_trainer(proc, signal.SIGTERM)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            event = events.parse_event(line)
            if event is None:
                continue
            last = event
            on_event(event)
        return proc.wait(), last
    except BaseException:
        events.stop_process(proc)
        raise


def train_and_register(library: Any, job_path: Path, project_id: int | None,
                       on_event: Callable[[dict[str, Any]], None], stop: threading.Event | None = None) -> Any:
    """Run the job; register the adapter only if the trainer finished (exit 0 and a done event)."""
    from writer_app.training.job import read_job

    code, last = run_trainer(job_path, on_event, stop)
    if code == 0 and last is not None and last.get("event") == "done":
        return register_finished(library, read_job(job_path), project_id)
    if code == 130 or (last or {}).get("event") == "cancelled":
        raise TrainingCancelled(f"training cancelled; resume it with --resume {Path(job_path).parent.name}")
    message = (last or {}).get("message") or (
        f"the trainer stopped unexpectedly (exit code {code}); see {Path(job_path).with_name('trainer.log')}")
    raise UserError(message)


class TrainingCancelled(UserError):
    exit_code = 130


@dataclass
class Recovery:
    """What :func:`recover_runs` found and did, for the Trainer tab to show."""

    registered: list[Any] = field(default_factory=list)  # adapters registered just now
    interrupted: list[RunInfo] = field(default_factory=list)  # resumable, newest first
    running: list[RunInfo] = field(default_factory=list)  # trainers still alive (not ours)
    cleaned: list[Path] = field(default_factory=list)  # staging folders removed
    problems: list[str] = field(default_factory=list)  # runs that could not be registered, one line each


def recover_runs(library: Any, paths: ProfilePaths, own_job: Path | None = None) -> Recovery:
    """Register adapters that finished while no app was watching; list resumable and live runs.

    ``own_job`` is the run this app is training right now (its trainer may not
    hold the lock yet while Python starts): it is neither registered nor
    offered here. Runs whose trainer is alive are only listed. Stale staging
    folders of dead trainers are removed. The three steps are also separate
    (:func:`scan_for_recovery`, :func:`register_recovered`,
    :func:`clean_after_recovery`) so that the editor reads and cleans the run
    folders off its database thread and holds that thread only to register.
    """
    found = scan_for_recovery(paths)
    report = register_recovered(library, paths, found, own_job)
    report.cleaned = clean_after_recovery(paths, found, own_job)
    return report


def scan_for_recovery(paths: ProfilePaths) -> list[RunInfo]:
    """Every run folder and its state; reads files only, never the library."""
    return scan_runs(paths)


def register_recovered(library: Any, paths: ProfilePaths, found: list[RunInfo],
                       own_job: Path | None = None) -> Recovery:
    """Register the finished runs of ``found`` (the only step that needs the library)."""
    report = Recovery()
    known = {a.path for a in library.adapters()}
    for run in found:
        if own_job is not None and run.job_path == Path(own_job):
            continue
        if run.state == "running":
            report.running.append(run)
        elif run.state == "interrupted":
            report.interrupted.append(run)
        elif run.state == "finished":
            if not inside_adapters(paths, Path(run.job.output_dir)):
                log.warning("run %s wrote its adapter outside %s; not registered", run.run_dir, paths.adapters)
                continue
            title = run.job.project_title
            project = library.find_project(title) if title else None
            try:
                adapter = register_finished(library, run.job, project.id if project else None)
            except UserError as exc:  # one bad run must not hide the others
                report.problems.append(f"{run.run_dir.name}: {exc}")
                continue
            if run.job.output_dir not in known:
                report.registered.append(adapter)
    return report


def clean_after_recovery(paths: ProfilePaths, found: list[RunInfo], own_job: Path | None = None) -> list[Path]:
    """Remove the staging folders that stopped trainers left; files only, never the library."""
    # This app's own trainer counts as alive even before its process took the lock.
    return clean_leftovers(paths, [replace(r, state="running") if own_job is not None and
                                   r.job_path == Path(own_job) else r for r in found])


def interrupted_runs(paths: ProfilePaths) -> list[tuple[Path, int, int]]:
    """Runs that stopped after a checkpoint and before their adapter: (job path, step, max steps).

    Newest first; runs whose trainer is still alive are not listed.
    """
    return [(r.job_path, r.step, r.max_steps) for r in scan_runs(paths) if r.state == "interrupted"]
