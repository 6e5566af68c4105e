"""The finished adapter, put into place whole or not at all, and found again after a crash.

The trainer writes the peft folder, its metadata and the held-out rows into a
staging folder beside the final one, fsyncs them and renames the folder: the
app (or ``adapters import``) never sees half an adapter. A run killed after
the rename and before it reported finds its own adapter here on the restart.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from writer_app.errors import UserError
from writer_app.training.dataset import PackedDataset, write_dataset
from writer_app.training.job import TrainingJob
from writer_app.training.recovery import remove_stale_staging

ADAPTER_METADATA = "writer_app_adapter.json"
HELDOUT_FILE = "heldout.npz"


def existing_adapter(job: TrainingJob) -> dict[str, Any] | None:
    """The finished adapter of this very run (killed after writing it, before reporting)."""
    meta_file = Path(job.output_dir) / ADAPTER_METADATA
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("run_id") == job.run_id:
            return meta
    return None


def write_adapter(model: Any, output_dir: Path, metadata: dict[str, Any], heldout: PackedDataset | None = None) -> Path:
    """peft folder + metadata (+ the held-out set, for ``writer-app eval``) into a temporary
    folder, fsynced, then renamed into place: a half adapter is never visible."""
    output_dir = Path(output_dir)
    if output_dir.exists():
        raise UserError(f"an adapter folder already exists at {output_dir}")
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    # A staging folder for this very folder name is from an earlier attempt of this run that was
    # killed while writing (this process holds the run's lock, and folder names are unique per run).
    remove_stale_staging(output_dir.parent, output_dir.name)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{output_dir.name}-", dir=output_dir.parent))
    try:
        model.save_pretrained(str(staging), safe_serialization=True)
        if heldout is not None:
            write_dataset(staging / HELDOUT_FILE, heldout)
        (staging / ADAPTER_METADATA).write_text(json.dumps(metadata, indent=2, ensure_ascii=False), "utf-8")
        for item in staging.iterdir():
            with open(item, "rb") as handle:
                os.fsync(handle.fileno())
        staging.rename(output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return output_dir
