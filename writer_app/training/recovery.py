"""Training runs nobody saw finish: is the trainer alive, what did it leave behind.

The trainer outlives the editor or the terminal that started it (it is its own
process), so on the next start the app has to find out, from the files alone,
what became of each run in ``paths.training_runs``:

- ``running``: its trainer still holds ``trainer.lock`` (``fcntl.flock``; the
  kernel drops the lock when the process dies, kill -9 included, so there is
  no stale pid to guess about). Nothing of it is touched or registered.
- ``finished``: its adapter folder is complete (the metadata names this run)
  but no one registered it; the app registers it (``runs.recover_runs``).
- ``interrupted``: it stopped after a checkpoint and before its adapter; it can
  resume from there.
- ``registered``: done (``registered.json`` in the run folder, or, for runs
  registered by older versions, an adapter folder without the checkpoints that
  registering removes).
- ``idle``: none of these (e.g. it failed before its first checkpoint).

The same scan finds the leftovers of killed trainers: adapter staging folders
(``.tmp-NAME-XXXXXXXX`` beside the adapters, made by ``publish.write_adapter``)
and checkpoint staging (``checkpoints/.tmp-*``), and removes them unless their
trainer is alive. No torch here: the UI and the CLI import it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from writer_app.errors import UserError
from writer_app.paths import ProfilePaths
from writer_app.training.job import TrainingJob, read_job

log = logging.getLogger(__name__)

LOCK_FILE = "trainer.lock"
REGISTERED_MARKER = "registered.json"
ADAPTER_METADATA = "writer_app_adapter.json"
STAGING_PREFIX = ".tmp-"
# tempfile.mkdtemp(prefix=".tmp-NAME-") adds eight characters from this alphabet.
_STAGING = re.compile(r"^\.tmp-(.+)-[a-z0-9_]{8}$")


class RunLock:
    """Held by the trainer process for as long as it runs, so others can tell it is alive.

    Exclusive: a second trainer for the same run (the CLI's ``--resume`` while
    the Trainer tab runs it) is refused instead of writing the same checkpoints.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, attempts: int = 40, pause_s: float = 0.05) -> RunLock:
        """Take the lock; a short retry covers another process's liveness probe (which holds it briefly)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        for attempt in range(attempts):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == attempts - 1:
                    os.close(fd)
                    raise UserError("this training run is already going in another process") from None
                time.sleep(pause_s)
        with contextlib.suppress(OSError):  # the pid is for people reading the folder, not for the check
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()


def is_live(run_dir: Path) -> bool:
    """Whether a trainer process holds this run's lock right now."""
    try:
        fd = os.open(Path(run_dir) / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no lock file: this run's trainer never started (or predates the lock)
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also releases the shared lock taken just now
    return False


def finished_adapter(job: TrainingJob) -> dict | None:
    """The metadata of this run's complete adapter folder, or None (missing, someone else's, unreadable)."""
    meta_file = Path(job.output_dir) / ADAPTER_METADATA
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("run_id") == job.run_id else None


@dataclass(frozen=True)
class RunInfo:
    job_path: Path
    job: TrainingJob
    state: str  # running | finished | interrupted | registered | idle
    step: int = 0  # the last complete checkpoint (interrupted runs)
    max_steps: int = 0

    @property
    def run_dir(self) -> Path:
        return self.job_path.parent


def _run_state(run_dir: Path, job: TrainingJob) -> tuple[str, int]:
    from writer_app.training.checkpoint import checkpoint_dirs

    if (run_dir / REGISTERED_MARKER).exists():
        return "registered", 0
    if is_live(run_dir):
        return "running", 0
    if finished_adapter(job) is not None:
        # Registering removes the checkpoints folder, and a finished trainer always leaves it, so
        # a run registered by an older version (no marker) whose adapter the author has since
        # deleted from the library is not brought back.
        return ("finished" if (run_dir / "checkpoints").is_dir() else "registered"), 0
    if os.path.lexists(job.output_dir):  # someone else's folder: resuming would only fail at the end
        return "idle", 0
    saved = checkpoint_dirs(run_dir)
    return ("interrupted", saved[-1][0]) if saved else ("idle", 0)


def scan_runs(paths: ProfilePaths) -> list[RunInfo]:
    """Every run with a readable job file, newest first (run ids start with the date)."""
    try:
        run_dirs = sorted(paths.training_runs.iterdir(), reverse=True)
    except OSError:  # none yet, or unreadable: nothing to recover
        return []
    found = []
    for run_dir in run_dirs:
        job_path = run_dir / "job.json"
        try:
            if run_dir.is_symlink() or not job_path.is_file():
                continue
            job = read_job(job_path)
            state, step = _run_state(run_dir, job)
        except (UserError, OSError) as exc:  # one unreadable run must not hide the others
            log.warning("skipped the training run %s: %s", run_dir, exc)
            continue
        found.append(RunInfo(job_path, job, state, step, job.config.max_steps))
    return found


def staging_owner(name: str) -> str | None:
    """The adapter folder name a ``.tmp-NAME-XXXXXXXX`` staging folder was made for."""
    match = _STAGING.match(name)
    return match.group(1) if match else None


def remove_stale_staging(adapters_dir: Path, owner: str) -> int:
    """Remove staging folders left for ``owner`` (the caller holds that run's lock)."""
    removed = 0
    for entry in _staging_folders(adapters_dir):
        if staging_owner(entry.name) == owner:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def _staging_folders(folder: Path) -> list[Path]:
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    return [e for e in entries if e.name.startswith(STAGING_PREFIX) and e.is_dir() and not e.is_symlink()]


def _remove(folder: Path) -> bool:
    shutil.rmtree(folder, ignore_errors=True)  # read-only media: left for another day
    return not os.path.lexists(folder)


def clean_leftovers(paths: ProfilePaths, runs: list[RunInfo]) -> list[Path]:
    """Remove staging folders of trainers that are gone; those of live trainers are kept."""
    live = [r for r in runs if r.state == "running"]
    live_owners = {Path(r.job.output_dir).name for r in live}
    removed = []
    for entry in _staging_folders(paths.adapters):
        owner = staging_owner(entry.name)
        if owner is None or owner in live_owners:
            continue
        if _remove(entry):
            removed.append(entry)
    for run in runs:
        if run.state == "running" or is_live(run.run_dir):
            continue
        removed.extend(entry for entry in _staging_folders(run.run_dir / "checkpoints") if _remove(entry))
    if removed:
        log.info("removed %d staging folder(s) left by stopped trainers", len(removed))
    return removed
