"""App-side helpers around a training run (used by the CLI and the Trainer tab).

These run in the application process, the single database writer: gather the
chosen documents from the library, write the job for the trainer process,
and register the finished adapter. No torch here, so the UI can import it.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from writer_app.errors import UserError
from writer_app.paths import ProfilePaths
from writer_app.training.config import TrainingConfig
from writer_app.training.dataset import SourceDocument, write_sources
from writer_app.training.job import TrainingJob, write_job

ADAPTER_METADATA = "writer_app_adapter.json"
TEXT_KINDS = ("chapter", "scene", "note")


def trainer_command(job_path: Path) -> list[str]:
    """The trainer process's command line (same interpreter as the app)."""
    return [sys.executable, "-m", "writer_app.training", str(job_path)]


def documents_from_library(library: Any, project_id: int, node_ids: Sequence[int] | None = None,
                           include_notes: bool = False) -> list[SourceDocument]:
    """The chosen documents in binder order; by default every chapter and scene, trash excluded."""
    kinds = TEXT_KINDS if include_notes else ("chapter", "scene")
    wanted = set(node_ids) if node_ids is not None else None
    documents = []
    for node in library.nodes(project_id):
        if node.trashed or (wanted is not None and node.id not in wanted):
            continue
        if wanted is None and node.kind not in kinds:
            continue
        text = library.get_text(node.id)
        if text.strip():
            documents.append(SourceDocument(node.title, text, node.id))
    return documents


def slug(text: str) -> str:
    cleaned = re.sub(r"[^\w-]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-")
    return cleaned[:40] or "adapter"


def unique_adapter_name(library: Any, project_title: str) -> str:
    base = f"{slug(project_title)}-style-{time.strftime('%Y%m%d-%H%M')}"
    name, n = base, 2
    while library.get_adapter_by_name(name) is not None:
        name, n = f"{base}-{n}", n + 1
    return name


def prepare_job(paths: ProfilePaths, documents: Sequence[SourceDocument], *, base_model: str,
                base_model_path: Path, config: TrainingConfig, adapter_name: str, project_title: str = "",
                device: str = "auto", fault_injection: dict[str, Any] | None = None) -> Path:
    """Write sources and job for a new run; return the job file path."""
    config.validate()
    run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    run_dir = paths.training_runs / run_id
    output_dir = paths.adapters / adapter_name
    if output_dir.exists():
        raise UserError(f"an adapter folder named {adapter_name!r} already exists")
    write_sources(run_dir / "sources.json", documents)
    job = TrainingJob(
        run_id=run_id, sources=str(run_dir / "sources.json"), dataset=str(run_dir / "dataset.npz"),
        run_dir=str(run_dir), output_dir=str(output_dir), adapter_name=adapter_name, base_model=base_model,
        base_model_path=str(base_model_path), device=device, project_title=project_title, config=config,
        fault_injection=dict(fault_injection or {}),
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
    """Register a completed adapter folder (metadata written by the trainer) in the library."""
    folder = Path(job.output_dir)
    meta_file = folder / ADAPTER_METADATA
    if not meta_file.is_file():
        raise UserError(f"the trainer reported success but {folder} has no adapter metadata")
    metadata = json.loads(meta_file.read_text(encoding="utf-8"))
    adapter = library.get_adapter_by_name(job.adapter_name)
    if adapter is None:
        adapter = library.register_adapter(job.adapter_name, str(folder), job.base_model, project_id, metadata)
    # Registered: the resumable checkpoints (optimiser state included) are no longer needed.
    shutil.rmtree(Path(job.run_dir) / "checkpoints", ignore_errors=True)
    return adapter


def run_trainer(job_path: Path, on_event: Callable[[dict[str, Any]], None],
                stop: threading.Event | None = None) -> tuple[int, dict[str, Any] | None]:
    """Run the trainer process to its end, passing each JSON event to ``on_event``.

    Setting ``stop`` sends SIGTERM: the trainer finishes its step, writes a
    checkpoint and exits with 130. Returns (exit code, last event).
    """
    log_path = Path(job_path).with_name("trainer.log")  # library chatter and tracebacks, not the terminal
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(trainer_command(job_path), stdout=subprocess.PIPE, stderr=log, text=True,
                                bufsize=1)
    last: dict[str, Any] | None = None
    watcher = None
    if stop is not None:
        def watch() -> None:
            while proc.poll() is None:
                if stop.wait(0.2):
                    proc.send_signal(signal.SIGTERM)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            last = event
            on_event(event)
        return proc.wait(), last
    except BaseException:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
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


def interrupted_runs(paths: ProfilePaths) -> list[tuple[Path, int, int]]:
    """Runs that stopped after a checkpoint and before their adapter: (job path, step, max steps).

    Newest first. A run whose adapter folder exists is finished (it only needs
    registering), so it is not listed.
    """
    from writer_app.training.checkpoint import checkpoint_dirs
    from writer_app.training.job import read_job

    found = []
    root = paths.training_runs
    if not root.is_dir():
        return []
    for run_dir in sorted(root.iterdir(), reverse=True):
        job_path = run_dir / "job.json"
        saved = checkpoint_dirs(run_dir)
        if not job_path.is_file() or not saved:
            continue
        try:
            job = read_job(job_path)
        except UserError:
            continue
        if Path(job.output_dir).exists():
            continue
        found.append((job_path, saved[-1][0], job.config.max_steps))
    return found
