"""Resumable checkpoints that are either complete or invisible.

A checkpoint is one dict, as in nanoGPT: adapter weights, optimiser,
scheduler, step, data position, best held-out loss, RNG state and config.
It is written into a temporary folder, fsynced, and renamed to
``step-000123``; a run killed half way leaves only a ``.tmp-*`` folder that
:func:`latest_checkpoint` ignores, so a resume always starts from the last
checkpoint that was written whole, and the step count never goes backwards.

A checkpoint is a pickle (``torch.save``), so it is only ever read with
``weights_only=True``: a file that holds anything but tensors and plain
values (a malicious one whose objects would run code, or one damaged on
disk) is refused with one sentence, and nothing in it is executed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from writer_app.atomic_write import fsync_folder
from writer_app.errors import UserError
from writer_app.paths import display_path

CHECKPOINT_FILE = "checkpoint.pt"
_NAME = re.compile(r"^step-(\d{9})$")


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
        fsync_folder(staging)
        if final.exists():  # the same step saved again after a resume: replace it whole
            shutil.rmtree(final)
        staging.rename(final)
        fsync_folder(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for _, old in checkpoint_dirs(run_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in folder.glob(".tmp-*"):
        if leftover != staging:
            shutil.rmtree(leftover, ignore_errors=True)
    return final


# What save_checkpoint writes and a resume needs; anything else is not our checkpoint.
REQUIRED_KEYS = ("adapter", "optimizer", "scheduler", "rng_cpu", "state")


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Tensors and plain values only (``weights_only``): a checkpoint cannot run code.

    Raises UserError (one sentence naming the file) for a checkpoint that
    holds other objects, is truncated or damaged, or lacks what a resume needs.
    """
    import pickle
    import zipfile

    import torch

    where = display_path(path)
    remedy = "delete its folder and resume again (from an earlier checkpoint, or from the start)"
    try:
        with warnings.catch_warnings():  # "Detected pickle protocol 4...": noise beside the refusal below
            warnings.simplefilter("ignore")
            saved = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # weights_only refused a global: code would have run
        raise UserError(f"the checkpoint {where} holds objects other than tensors (it may be malicious), "
                        f"so it was not loaded; {remedy}") from exc
    except OSError as exc:
        from writer_app.errors import os_error_reason

        raise UserError(f"cannot read the checkpoint {where}: {os_error_reason(exc)}") from exc
    except (RuntimeError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as exc:
        raise UserError(f"the checkpoint {where} is damaged (truncated or not written by writer-app); "
                        f"{remedy}") from exc
    if not isinstance(saved, dict) or any(key not in saved for key in REQUIRED_KEYS):
        raise UserError(f"the checkpoint {where} is not a writer-app training checkpoint; {remedy}")
    return saved
