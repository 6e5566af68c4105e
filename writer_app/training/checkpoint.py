"""Resumable checkpoints that are either complete or invisible.

A checkpoint is one dict, as in nanoGPT: adapter weights, optimiser,
scheduler, step, data position, best held-out loss, RNG state and config.
It is written into a temporary folder, fsynced, and renamed to
``step-000123``; a run killed half way leaves only a ``.tmp-*`` folder that
:func:`latest_checkpoint` ignores, so a resume always starts from the last
checkpoint that was written whole, and the step count never goes backwards.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

CHECKPOINT_FILE = "checkpoint.pt"
_NAME = re.compile(r"^step-(\d{9})$")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def checkpoint_dirs(run_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints, oldest first."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match and (entry / CHECKPOINT_FILE).is_file():
            found.append((int(match.group(1)), entry))
    return sorted(found)


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = checkpoint_dirs(run_dir)
    return found[-1][1] / CHECKPOINT_FILE if found else None


def save_checkpoint(run_dir: Path, step: int, state: dict[str, Any], keep: int = 2) -> Path:
    """Write ``state`` as the checkpoint for ``step``; only then prune older ones."""
    import torch

    folder = Path(run_dir) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
    final = folder / f"step-{step:09d}"
    try:
        with open(staging / CHECKPOINT_FILE, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_dir(staging)
        if final.exists():  # the same step saved again after a resume: replace it whole
            shutil.rmtree(final)
        staging.rename(final)
        _fsync_dir(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for _, old in checkpoint_dirs(run_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in folder.glob(".tmp-*"):
        if leftover != staging:
            shutil.rmtree(leftover, ignore_errors=True)
    return final


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Tensors and plain values only (``weights_only``): a checkpoint cannot run code."""
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)
