"""The frozen base model in bfloat16 on a CPU that computes it natively, loaded one tensor at a time.

Why bfloat16 weights at all: under bf16 autocast every linear layer rounds its
fp32 weight to bf16 on every call anyway, so the fp32 copy only costs memory
(540 MB instead of 270 MB for the embedded model) and a cast per call (with
the activations' casts, 3 GB of copies a micro-batch of 2 x 256 tokens in the
torch profiler). The LoRA weights stay fp32 (peft keeps adapters in fp32 over a
bf16 base), so the optimiser's arithmetic is unchanged.

Why not ``from_pretrained(dtype=torch.bfloat16)``: transformers keeps the whole
fp32 file mapped while it converts, so the trainer process peaked at 1.12 GB
just loading the 135M model. Loading fp32 first maps the file without reading
it; each tensor is then read in a mapping of its own (``safetensors.safe_open``,
closed at once) and converted, so at most one fp32 tensor is resident at a
time: 0.62 GB at the peak (benchmarks/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SINGLE_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"


def weight_files(model_path: Path) -> dict[str, Path]:
    """Tensor name -> the safetensors file holding it (one file, or the shards of an index)."""
    from safetensors import safe_open

    index = model_path / INDEX_FILE
    if index.is_file():
        mapping = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
        return {name: model_path / file for name, file in mapping.items()}
    single = model_path / SINGLE_FILE
    if not single.is_file():
        return {}
    with safe_open(str(single), "pt") as handle:
        return {name: single for name in handle.keys()}


def convert_to_bfloat16(model: Any, model_path: Path) -> int:
    """Make every floating-point parameter of ``model`` bfloat16, reading each from the file alone.

    A parameter the files do not name as it is (a tied output layer, a renamed key) is converted
    from the loaded tensor. Parameters shared between modules stay shared (the same Parameter
    object gets the new data). Buffers (rotary frequencies) are left as they are. Returns how many
    parameters were read from the files.
    """
    import torch
    from safetensors import safe_open

    files = weight_files(model_path)
    read = 0
    for name, parameter in model.named_parameters():  # each shared parameter once
        if not parameter.is_floating_point() or parameter.dtype == torch.bfloat16:
            continue
        source = files.get(name)
        fresh = None
        if source is not None:
            with safe_open(str(source), "pt") as handle:
                stored = handle.get_tensor(name)
            if stored.shape == parameter.shape:
                fresh, read = stored.to(torch.bfloat16), read + 1
            del stored
        parameter.data = fresh if fresh is not None else parameter.data.to(torch.bfloat16)
    return read
