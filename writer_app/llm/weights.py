"""Reading a model's weights into memory: bitsandbytes on CUDA, bf16 or fp32 on the CPU.

Kept apart from ``runtime`` (which decides what to load and says what went
wrong) because the how is long: a fast path that builds the model on the meta
device, the general loader as fallback, and the choice of CPU dtype.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from writer_app.errors import UserError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

log = logging.getLogger(__name__)


def cpu_has_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def build_on_meta(folder: Path, dtype: torch.dtype) -> PreTrainedModel | None:
    """Construct the model without initialising weights, then assign the safetensors tensors.

    ``from_pretrained`` spends most of its second on bookkeeping for a model
    this small; building on the meta device and assigning the loaded tensors
    takes ~0.1 s. Returns None when the folder needs the general loader
    (sharded weights, unknown leftovers), so the caller falls back.
    """
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForCausalLM

    shards = sorted(folder.glob("*.safetensors"))
    if len(shards) != 1:
        return None
    config = AutoConfig.from_pretrained(folder)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    state = load_file(str(shards[0]))
    state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    model.tie_weights()
    # Non-persistent buffers (rotary inverse frequencies) were never in the file: rebuild them.
    for name, module in list(model.named_modules()):
        if any(b.is_meta for b in module.buffers(recurse=False)):
            if hasattr(module, "rope_type") or name.endswith("rotary_emb"):
                try:
                    rebuilt = type(module)(config=getattr(module, "config", config))
                except TypeError:
                    return None
                parent_name, _, child = name.rpartition(".")
                setattr(model.get_submodule(parent_name) if parent_name else model, child, rebuilt)
    if any(p.is_meta for p in model.parameters()) or any(b.is_meta for b in model.buffers()):
        log.info("fast load left meta tensors (missing %s); using from_pretrained", missing[:3])
        return None
    if unexpected:
        log.info("fast load: unexpected keys %s; using from_pretrained", unexpected[:3])
        return None
    return model.eval()


def refuse_missing_weights(folder: Path, loading: dict) -> None:
    """Weights that do not match the architecture would load as random numbers: refuse instead."""
    missing = [k for k in loading.get("missing_keys", []) if not k.endswith("lm_head.weight")]
    if missing:
        raise UserError(
            f"the weights in {folder} do not match its config ({len(missing)} tensors missing, e.g. "
            f"{missing[0]}); the folder is damaged or mixes two models"
        )


def load_weights(
    folder: Path, device: str, quantization: str, allow_pickle: bool, trust_remote_code: bool
) -> tuple[PreTrainedModel, str, torch.dtype]:
    """(model in eval mode, quantization label for ModelInfo, compute dtype) for ``device`` ("cpu"/"cuda").

    Raises what the loaders raise (OSError, ValueError, RuntimeError, torch.OutOfMemoryError,
    pickle.UnpicklingError): the runtime turns each into one sentence naming the model.
    """
    import torch
    from transformers import AutoModelForCausalLM

    if device == "cuda":
        if quantization in ("auto", "4bit", "8bit"):
            from transformers import BitsAndBytesConfig

            if quantization == "8bit":
                quant = BitsAndBytesConfig(load_in_8bit=True)
                label = "8bit"
            else:
                quant = BitsAndBytesConfig(
                    load_in_4bit=True,
                    bnb_4bit_quant_type="nf4",
                    bnb_4bit_use_double_quant=True,
                    bnb_4bit_compute_dtype=torch.bfloat16,
                )
                label = "4bit-nf4"
            model = AutoModelForCausalLM.from_pretrained(
                folder,
                quantization_config=quant,
                dtype=torch.bfloat16,
                device_map={"": 0},
                use_safetensors=not allow_pickle,
                trust_remote_code=trust_remote_code,
            )
            return model.eval(), label, torch.bfloat16
        dtype = torch.float32 if quantization == "32bit" else torch.bfloat16
        model = AutoModelForCausalLM.from_pretrained(
            folder, dtype=dtype, device_map={"": 0}, use_safetensors=not allow_pickle,
            trust_remote_code=trust_remote_code,
        )
        return model.eval(), "none", dtype
    # CPU: bf16 where the CPU has bf16 instructions (prefill ~3x and decode ~1.7x faster than fp32,
    # see benchmarks/README.md); fp32 elsewhere, where bf16 is emulated and slow. 4bit/8bit (and
    # auto on a bf16 CPU) decode through step_decoder's quantized copy of the weights.
    if quantization in ("4bit", "8bit"):
        dtype = torch.bfloat16
    elif quantization == "auto":
        dtype = torch.bfloat16 if cpu_has_bf16() else torch.float32
    else:
        dtype = torch.bfloat16 if quantization == "16bit" else torch.float32
    model = None if trust_remote_code else build_on_meta(folder, dtype)
    if model is None:
        model, loading = AutoModelForCausalLM.from_pretrained(
            folder, dtype=dtype, use_safetensors=not allow_pickle, trust_remote_code=trust_remote_code,
            output_loading_info=True,
        )
        refuse_missing_weights(folder, loading)
        model = model.eval()
    return model, "none", dtype
