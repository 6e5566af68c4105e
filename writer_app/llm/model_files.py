"""Checks on a model folder before anything heavy touches it.

A truncated download makes safetensors fail deep inside the loader (or, for
memory-mapped files, crash later); reading each file's header and comparing
the sizes it declares with the file size catches that in milliseconds and
lets us tell the author to download again. Pickle weights (``.bin``/``.pt``)
can run code when loaded, so they are refused unless explicitly allowed.
Weights whose numbers are damaged (NaN or infinity, from a bad conversion or
a flipped bit on disk) pass every header check; :func:`refuse_non_finite_weights`
finds them once the model is loaded, before they turn into "probability
tensor contains inf/nan" deep in sampling, or into silent gibberish.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from writer_app.errors import UserError, os_error_reason
from writer_app.paths import display_path

MAX_HEADER_BYTES = 100 * 1024 * 1024
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt")


def safetensors_header(path: Path) -> dict:
    """Return the parsed header of a safetensors file, or raise UserError if it is damaged."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            raw_len = handle.read(8)
            if len(raw_len) < 8:
                raise UserError(f"{path.name} is empty or truncated; download the model again")
            (header_len,) = struct.unpack("<Q", raw_len)
            if header_len > MAX_HEADER_BYTES or 8 + header_len > size:
                raise UserError(f"{path.name} is truncated or not a safetensors file; download the model again")
            header = json.loads(handle.read(header_len))
    except OSError as exc:
        raise UserError(f"cannot read {display_path(path)}: {os_error_reason(exc)}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path.name} has a damaged header; download the model again") from exc
    if not isinstance(header, dict):
        raise UserError(f"{path.name} has a damaged header; download the model again")
    data_end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            data_end = max(data_end, int(entry["data_offsets"][1]))
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise UserError(f"{path.name} has a damaged header; download the model again") from exc
    if 8 + header_len + data_end > size:
        missing = 8 + header_len + data_end - size
        raise UserError(
            f"{path.name} is truncated ({missing:,} bytes missing); download the model again"
        )
    return header


def weight_files(folder: Path, allow_pickle: bool = False) -> list[Path]:
    """The weight files of a model or adapter folder, validated; pickle refused unless allowed."""
    tensors = sorted(folder.glob("*.safetensors"))
    if tensors:
        for path in tensors:
            safetensors_header(path)
        index = folder / "model.safetensors.index.json"
        if index.is_file():
            try:
                shards = set(json.loads(index.read_text())["weight_map"].values())
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise UserError(f"{index.name} is damaged; download the model again") from exc
            missing = sorted(s for s in shards if not (folder / s).is_file())
            if missing:
                raise UserError(f"model shard {missing[0]} is missing; download the model again")
        return tensors
    try:
        pickles = sorted(p for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    except OSError as exc:
        raise UserError(f"cannot read the model folder {display_path(folder)}: {os_error_reason(exc)}") from exc
    if pickles and not allow_pickle:
        raise UserError(
            f"{display_path(folder)} holds only pickle weights ({display_path(pickles[0].name)}), which can run "
            "code when loaded; convert them to safetensors or enable 'allow pickle weights' in the settings"
        )
    if pickles:
        return pickles
    raise UserError(f"{display_path(folder)} contains no model weights (*.safetensors); download the model again")


def read_config(folder: Path) -> dict:
    """config.json as a dict, with a clear error for a missing or corrupt file."""
    path = folder / "config.json"
    if not path.is_file():
        raise UserError(f"{display_path(folder)} is not a model folder (config.json is missing)")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{display_path(path)} is damaged; download the model again") from exc
    if not isinstance(config, dict) or "model_type" not in config:
        raise UserError(f"{display_path(path)} does not describe a model (no model_type)")
    return config


def check_supported_architecture(config: dict, trust_remote_code: bool) -> None:
    """Refuse architectures transformers cannot build without remote code."""
    from transformers import CONFIG_MAPPING
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    model_type = config.get("model_type")
    if model_type in CONFIG_MAPPING and model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return
    if trust_remote_code and config.get("auto_map"):
        return
    raise UserError(
        f"model type '{model_type}' is not a text-generation model this version of transformers supports"
    )


def refuse_non_finite_weights(model: Any, folder: Path, remedy: str = "download the model again") -> None:
    """Raise UserError if any floating-point weight of the loaded ``model`` is NaN or infinite.

    One sum per tensor (no temporary as large as the tensor), all added up
    before a single check, so a healthy model pays one pass over its weights
    (about 0.1 s for the 135M embedded model in fp32 on a CPU) and one device
    sync. NaN and infinity survive a sum; a sum that merely overflowed (huge
    but finite weights) is confirmed element-wise before anything is refused.
    Quantised weights (integer storage) are skipped. Buffers are not checked:
    some models keep -inf masks there.
    """
    import torch

    params = [(name, p) for name, p in model.named_parameters() if p.is_floating_point() and not p.is_meta]
    if not params:
        return
    with torch.no_grad():
        sums = [p.detach().sum(dtype=torch.float32) for _, p in params]
        if bool(torch.isfinite(torch.stack([s.to(sums[0].device) for s in sums]).sum())):
            return
        bad = next((name for (name, p), total in zip(params, sums, strict=True)
                    if not bool(torch.isfinite(total)) and not bool(torch.isfinite(p).all())), None)
    if bad is None:  # every weight is finite; only sums overflowed
        return
    raise UserError(
        f"the model's weights in {display_path(folder)} are damaged ({bad} holds NaN or infinite numbers); {remedy}"
    )
