"""The job file: everything the trainer process needs, written by the app.

The app (CLI or UI) is the only database writer, so it resolves the model,
exports the chosen documents and picks the folders; the trainer reads this
JSON and nothing else. Re-running the same job file resumes the run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError
from writer_app.training.config import TrainingConfig

LEGACY_FAULTS_KEY = "fault_injection"


@dataclass
class TrainingJob:
    run_id: str
    sources: str  # JSON of SourceDocument dicts (exported by the app)
    dataset: str  # .npz built from the sources on the first start, reused on resume
    run_dir: str  # checkpoints and logs
    output_dir: str  # final adapter folder (appears only when complete)
    adapter_name: str
    base_model: str  # the model setting ("embedded", hub id, folder), recorded in the adapter
    base_model_path: str  # resolved local folder
    device: str = "auto"
    project_title: str = ""
    config: TrainingConfig = field(default_factory=TrainingConfig)
    processes: int = 1  # data-parallel trainer processes (``training.launch``); the global batch depends on it

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["config"] = self.config.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingJob:
        data = dict(data)
        # Test hooks that older versions kept in the job file; they are a test seam now
        # (``training.faults``), and a run written then must still resume.
        data.pop(LEGACY_FAULTS_KEY, None)
        data["config"] = TrainingConfig.from_dict(data.get("config") or {})
        try:
            return cls(**data)
        except TypeError as exc:
            raise UserError(f"the training job file is not valid: {exc}") from exc


def write_job(path: Path, job: TrainingJob) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        json.dump(job.to_dict(), handle, indent=2)


PATH_FIELDS = ("sources", "dataset", "run_dir", "output_dir", "base_model_path")


def read_job(path: Path) -> TrainingJob:
    """The job in ``path``; relative paths in it are relative to its folder.

    Why relative paths: an exported job (``training.export_job``) is a folder
    that is copied to another machine, where the absolute paths of this one
    mean nothing.
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the training job {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise UserError(f"the training job {path} is not a JSON object")
    job = TrainingJob.from_dict(raw)
    if not isinstance(job.processes, int) or isinstance(job.processes, bool) or not 1 <= job.processes <= 1024:
        raise UserError(f"the training job {path} asks for {job.processes!r} processes; give a whole number from 1")
    folder = Path(path).resolve().parent
    for name in PATH_FIELDS:
        value = getattr(job, name)
        if value and not Path(value).is_absolute():
            setattr(job, name, str(folder / value))
    return job
