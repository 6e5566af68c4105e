"""Load the base model for training: QLoRA on CUDA (or on a CPU when asked), plain LoRA on a CPU.

Why not the inference runtime: the trainer lives in its own process and
needs a different model (gradient-friendly, ``prepare_model_for_kbit_training``,
gradient checkpointing) from the one the editor streams text from. Only
safetensors weights are accepted and remote code is never trusted.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from writer_app.errors import UserError, one_line
from writer_app.llm.catalogue import resolve_model
from writer_app.paths import display_path


def resolve_base_model(setting: str, model_cache: Path) -> Path:
    """The local folder for a model setting ("embedded", a folder, or an already downloaded hub id).

    ``catalogue.resolve_model``, with a one-time conversion of the embedded model run in
    a process of its own: the editor calls this while preparing a training job, and the
    conversion imports torch and de-quantises in Python for seconds.
    """
    return resolve_model(setting, model_cache, convert_in_own_process=True).folder


def configure_cpu_threads(requested: int = 0) -> int:
    """Use all cores but one unless told otherwise.

    Why: torch's OpenMP threads busy-wait; on a machine where the editor (or
    anything else) also wants a core, one thread too many makes a training
    step 5-50x slower, measured on a 2-core machine.
    """
    import torch

    threads = requested or max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(threads)
    return threads


MMAP_THRESHOLD_BYTES = 64 * 1024  # fp32 weights: the lean setting
MMAP_THRESHOLD_BF16_BYTES = 4 * 1024 * 1024  # bf16 weights: their activations churn far less


def cpu_weight_dtype(config: Any) -> str:
    """'bfloat16' or 'float32': the frozen base weights' type for a CPU run of ``config``.

    'auto' stores them in bf16 exactly when bf16 autocast is on: autocast rounds them to bf16 on
    every call anyway, so the result is the same and the fp32 copy is only memory and casts.
    """
    if config.cpu_dtype == "auto":
        return "bfloat16" if cpu_autocast_enabled(config.cpu_autocast) else "float32"
    return config.cpu_dtype


def cpu_malloc_threshold(config: Any) -> int:
    """The glibc mmap threshold for a CPU run of ``config`` (:func:`configure_cpu_memory`).

    Measured on the embedded model, 2 x 256 tokens, 2 threads (benchmarks/README.md): with fp32
    weights 64 KB keeps the peak at 1.1 GB (4 MB: 1.95 GB) at half the speed; with bf16 weights
    and the fast dropout 4 MB keeps the training below the loading peak at full speed, where
    64 KB still costs 9 million page faults and half the speed.
    """
    return MMAP_THRESHOLD_BF16_BYTES if cpu_weight_dtype(config) == "bfloat16" else MMAP_THRESHOLD_BYTES


def configure_cpu_memory(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Have glibc give every freed block over ``threshold`` bytes back to the system at once.

    Why: a training step allocates and frees hundreds of activation tensors of
    1-50 MB. glibc's malloc raises its mmap threshold (up to 32 MB) after the
    first such frees and then serves them from its heap, which fragments and
    never shrinks: the embedded model's trainer held ~600 MB of freed memory
    after one micro-batch (peak 1.7 GB instead of 1.2 GB with gradient
    checkpointing, measured with ``ru_maxrss``). A fixed threshold keeps large
    blocks in their own mappings, returned on free. True when set (glibc only;
    elsewhere the allocator is left as it is).
    """
    libc = _glibc()
    if libc is None:
        return False
    m_mmap_threshold = -3  # from malloc.h; setting it also turns off the dynamic adjustment
    try:
        return bool(libc.mallopt(m_mmap_threshold, threshold))
    except AttributeError:
        return False


def release_free_memory() -> bool:
    """Give the heap's free pages back to the system (glibc ``malloc_trim``); True when it could.

    Why, between optimiser steps: blocks under the mmap threshold come from the heap, which
    otherwise creeps up step by step with freed but kept memory. Trimming after each step took
    the trainer's peak from 1,268-1,275 MB to 1,148-1,205 MB (bench_training's job, 2 threads)
    at no measurable cost in tokens/s (benchmarks/README.md).
    """
    libc = _glibc()
    if libc is None:
        return False
    try:
        libc.malloc_trim(0)
    except AttributeError:
        return False
    return True


@functools.cache
def _glibc() -> Any:
    """The C library when it is glibc (looked up once: the trainer trims after every step), else None."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX).

    Why it matters: bf16 autocast is ~1.75x faster than fp32 on such a CPU, but
    on one without it (AVX2 only) every bf16 matrix product is emulated and a
    training step gets several times slower, so 'auto' only uses it here.
    """
    import torch

    cpu = getattr(torch, "cpu", None)
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        check = getattr(cpu, probe, None)
        try:
            if check is not None and check():
                return True
        except RuntimeError:
            continue
    return False


def cpu_autocast_enabled(setting: str) -> bool:
    """The trainer's ``cpu_autocast`` setting ('auto', 'bf16', 'off') -> use bf16 autocast on the CPU."""
    return setting == "bf16" or (setting == "auto" and cpu_has_native_bf16())


def wants_cuda(device: str) -> bool:
    import torch

    if device == "cpu":
        return False
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("training on CUDA was requested but no CUDA GPU is available")
    return torch.cuda.is_available()


def load_tokenizer(model_path: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(model_path), trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise UserError(f"the tokenizer in {display_path(model_path)} cannot be read ({one_line(exc)[:200]}); "
                        "download the model again") from exc


def refuse_damaged_weights(model: Any, model_path: Path) -> Any:
    """``model`` unless a weight is NaN or infinite (training on it would stop at its first NaN loss)."""
    from writer_app.llm.model_files import refuse_non_finite_weights

    refuse_non_finite_weights(model, model_path, "download or convert the model again")
    return model


def _bitsandbytes_config(compute_dtype: Any) -> Any:
    from transformers import BitsAndBytesConfig

    try:
        import bitsandbytes  # noqa: F401 - transformers needs it for 4-bit; say so in one sentence
    except ImportError as exc:
        raise UserError("4-bit (QLoRA) training needs the bitsandbytes package; install writer-app's "
                        "dependencies again or choose quantization 'none'") from exc
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=compute_dtype)


def load_trainable_model(model_path: Path, config: Any, *, cuda: bool, device_index: int = 0) -> Any:
    """Base model with a fresh LoRA adapter; a 4-bit NF4 base on CUDA unless told otherwise.

    QLoRA runs on a CPU too when asked for (``quantization='4bit'``; bitsandbytes has CPU
    kernels): the same code path as on a GPU, only the device and the compute type differ
    (float32 on a CPU without native bfloat16), so the suite exercises it without a GPU.
    """
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    from writer_app.training.bf16_weights import convert_to_bfloat16
    from writer_app.training.lora_dropout import use_fast_dropout

    common = {"trust_remote_code": False, "use_safetensors": True}
    four_bit = config.quantization == "4bit" or (cuda and config.quantization == "auto")
    if four_bit:
        compute = torch.bfloat16 if cuda or cpu_autocast_enabled(config.cpu_autocast) else torch.float32
        model = AutoModelForCausalLM.from_pretrained(
            str(model_path), quantization_config=_bitsandbytes_config(compute), dtype=compute,
            device_map={"": device_index if cuda else "cpu"}, **common,
        )
        # On a CPU, recomputing activations buys memory the small model does not need at a third of
        # the speed; on CUDA it is what lets a larger model fit.
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=config.gradient_checkpointing and cuda)
    elif cuda:
        model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.bfloat16, **common)
        if config.gradient_checkpointing:
            model.gradient_checkpointing_enable()
            model.enable_input_require_grads()
    elif cpu_weight_dtype(config) == "bfloat16":
        # The stored type first (an fp32 file is mapped, not read), then one tensor at a time.
        model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype="auto", **common)
        convert_to_bfloat16(model, model_path)
    else:
        model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32, **common)
    if not cuda and not four_bit and config.gradient_checkpointing:
        # Each layer keeps only its input and recomputes the rest in the backward pass: the
        # embedded model's trainer process peaks at ~1.1 GB instead of ~3.2 GB (2 x 256 tokens),
        # for a slower step (benchmarks/README.md). Non-reentrant: no input needs a gradient.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    refuse_damaged_weights(model, model_path)
    model.config.use_cache = False
    targets: str | list[str] = config.target_modules
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    lora = LoraConfig(
        r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
        target_modules=targets, task_type="CAUSAL_LM", bias="none",
    )
    peft_model = get_peft_model(model, lora)
    if not cuda:  # CUDA's dropout kernel is fast; a CPU's nn.Dropout is a quarter of a step
        use_fast_dropout(peft_model)
    return peft_model
