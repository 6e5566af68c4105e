"""``writer-app adapters import DIR``: an adapter trained elsewhere, checked, copied in and registered.

DIR is an exported job folder after its run (``training.export_job``; the
adapter is in ``DIR/adapter``) or a finished adapter folder itself. What comes
from another machine is checked before anything of it is kept, each problem
refused with one sentence: only safetensors weights (no pickle file anywhere
in it, since loading one can run code; no links, which a copy would follow
out of the folder), writer-app's metadata readable, the base model it names
available here and, when the job's ``export.json`` recorded it, of the same
shape as the one here. Then it is copied into the profile's adapters folder
(staging folder, fsync, rename: whole or not at all) and registered with its
metrics. No torch here: the check reads JSON and the safetensors header.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from writer_app.errors import UserError
from writer_app.paths import ProfilePaths, display_path
from writer_app.training.export_job import ADAPTER_FOLDER, EXPORT_FILE, model_shape
from writer_app.training.recovery import ADAPTER_METADATA

# Files a writer-app adapter folder holds; anything else is refused rather than copied unread.
KNOWN_FILES = {"adapter_config.json", "adapter_model.safetensors", ADAPTER_METADATA, "heldout.npz", "README.md"}
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


def find_adapter(folder: Path) -> tuple[Path, dict[str, Any] | None]:
    """(the adapter folder, the export record or None) for an exported job folder or an adapter folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{display_path(folder)} is not a folder")
    export = _read_json(folder / EXPORT_FILE, "the job's export record") if (folder / EXPORT_FILE).exists() else None
    if (folder / ADAPTER_METADATA).is_file():
        return folder, export
    if (folder / ADAPTER_FOLDER / ADAPTER_METADATA).is_file():
        return folder / ADAPTER_FOLDER, export
    if export is not None or (folder / "job.json").is_file():
        raise UserError(f"the job in {display_path(folder)} has not finished: it has no {ADAPTER_FOLDER}/ folder "
                        "with a finished adapter yet (run it to the end first)")
    raise UserError(f"{display_path(folder)} is neither a writer-app adapter nor an exported training job")


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{what} {display_path(path)} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{what} {display_path(path)} is not a JSON object")
    return data


def check_files(adapter: Path) -> dict[str, Any]:
    """Refuse pickles, links and unknown files; check the safetensors header; return the metadata."""
    from writer_app.llm.adapters import adapter_weights_file, read_adapter_config

    for entry in sorted(adapter.iterdir()):
        if entry.is_symlink():
            raise UserError(f"the adapter {display_path(adapter)} holds a link ({entry.name}); copy the real "
                            "files and import again")
        if entry.name.lower().endswith(PICKLE_SUFFIXES):
            raise UserError(f"the adapter {display_path(adapter)} holds a pickle file ({entry.name}), which can run "
                            "code when loaded; only safetensors adapters are imported")
        if entry.name not in KNOWN_FILES:
            raise UserError(f"the adapter {display_path(adapter)} holds {entry.name}, which is not part of a "
                            "writer-app adapter; remove it and import again")
    config = read_adapter_config(adapter)
    if config.get("peft_type", "LORA") != "LORA":
        raise UserError(f"{display_path(adapter)} is a {config.get('peft_type')} adapter; only LoRA is supported")
    adapter_weights_file(adapter)  # safetensors present, its header readable
    meta = _read_json(adapter / ADAPTER_METADATA, "the adapter's metadata")
    if not isinstance(meta.get("base_model"), str) or not meta["base_model"]:
        raise UserError(f"the adapter's metadata in {display_path(adapter)} does not name its base model")
    return meta


def check_base_model(meta: dict[str, Any], export: dict[str, Any] | None, paths: ProfilePaths) -> Path:
    """The base model folder here, which must be the model the adapter was trained on."""
    from writer_app.llm.catalogue import resolve_model

    base = meta["base_model"]
    if export is not None and export.get("base_model") != base:
        raise UserError(f"the adapter was trained on {base!r} but its job was exported for "
                        f"{export.get('base_model')!r}; it does not belong to this job")
    try:
        folder = resolve_model(base, paths.model_cache, convert_in_own_process=True).folder
    except UserError as exc:
        raise UserError(f"the adapter's base model {base!r} cannot be used on this machine: {exc}") from exc
    wanted = (export or {}).get("base_model_shape")
    if wanted:
        here = model_shape(folder)
        differs = sorted(key for key in wanted if here.get(key) != wanted[key])
        if differs:
            raise UserError(f"the adapter was trained on a {base!r} that differs from the one here "
                            f"({', '.join(differs)}); it would not fit")
    return folder


def import_adapter(library: Any, paths: ProfilePaths, folder: Path, name: str | None = None) -> Any:
    """Check, copy and register the adapter in ``folder`` (see the module text); the registered adapter."""
    from writer_app.storage.adapters import clean_name
    from writer_app.training.recovery import remove_stale_staging
    from writer_app.training.runs import adapter_folder

    adapter, export = find_adapter(Path(folder))
    meta = check_files(adapter)
    check_base_model(meta, export, paths)
    run_id = meta.get("run_id")
    for known in library.adapters():
        if run_id and (known.metadata or {}).get("run_id") == run_id:
            raise UserError(f"this adapter is already in the library as {known.name!r}")
    display = clean_name(name if name is not None else str(meta.get("name") or adapter.parent.name))
    paths.adapters.mkdir(parents=True, exist_ok=True)
    target = adapter_folder(paths, display)
    remove_stale_staging(paths.adapters, target.name)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=paths.adapters))
    try:
        for entry in adapter.iterdir():
            shutil.copyfile(entry, staging / entry.name)
            with open(staging / entry.name, "rb") as handle:
                os.fsync(handle.fileno())
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        from writer_app.errors import os_error_reason

        raise UserError(f"cannot copy the adapter into {display_path(paths.adapters)}: {os_error_reason(exc)}") from exc
    title = meta.get("project") or ""
    project = library.find_project(title) if title else None
    meta = {**meta, "imported_from": str(Path(folder).resolve())}
    try:
        return library.register_adapter(display, str(target), meta["base_model"], project.id if project else None,
                                        meta)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
