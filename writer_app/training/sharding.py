"""The trainer under FSDP (fully sharded data parallel): what changes when no process holds the whole model.

``accelerate launch --config_file accelerate_fsdp.yaml`` wraps the model in
torch's FSDP (``fsdp_version: 1`` or ``2``). Under FULL_SHARD each process
keeps 1/N of every parameter; a wrapped module's whole weights exist only
inside its forward and backward passes. Three places of the data parallel
trainer read weights outside them, and each would be wrong under FSDP:

- the chunked loss (``chunked_loss``) multiplies the last hidden states by
  lm_head's weight *after* the forward pass: a shard there (FSDP1: a slice of
  a flat parameter; FSDP2: a DTensor). ``chunked_loss.output_weight`` answers
  None for a sharded model (:func:`is_sharded`), so the loss is the model's
  own, computed inside the forward where FSDP has gathered the weight (more
  memory for the logits, the price of being right);
- the adapter in a checkpoint and the one published at the end: a peft state
  dict of a sharded module is made of shards. :func:`adapter_state` gathers
  the LoRA weights (a collective: every process must call it) to the first
  process, the only one that writes;
- the optimiser state (AdamW's moments) is sharded too: :func:`optimizer_state`
  gathers it, :func:`load_optimizer_state` puts it back into the sharded
  optimiser on resume (torch's ``distributed.checkpoint.state_dict`` API,
  which knows FSDP1, FSDP2 and plain modules).

What ran where: accelerate turns FSDP on only for GPU-like devices (its
``AcceleratorState`` switches to FSDP for MULTI_GPU/XPU/NPU/... and never for
MULTI_CPU), so on a CPU the FSDP config trains as plain data parallel (DDP over
gloo); :func:`fsdp_fallback_warning` says so in the run's events instead of
leaving the author to believe the model was sharded. The functions here are
exercised on the CPU under torch's own FSDP2 (``fully_shard`` over gloo, two
processes: tests/training/test_sharding.py); the trainer's whole FSDP path
under ``accelerate launch`` needs GPUs and has not been run by writer-app's
tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator

    from writer_app.training.config import TrainingConfig

FSDP_ENV = "ACCELERATE_USE_FSDP"  # what ``accelerate launch`` sets for a config with distributed_type: FSDP


def is_sharded(model: Any) -> bool:
    """Whether any part of ``model`` is wrapped by torch FSDP (version 1 or 2)."""
    import torch

    if not torch.distributed.is_available():
        return False
    from torch.distributed import fsdp

    kinds = tuple(kind for kind in (getattr(fsdp, "FullyShardedDataParallel", None), getattr(fsdp, "FSDPModule", None))
                  if kind is not None)
    return bool(kinds) and any(isinstance(module, kinds) for module in model.modules())


def fsdp_requested() -> bool:
    """Whether the launcher was asked for FSDP (an accelerate config with ``distributed_type: FSDP``)."""
    return os.environ.get(FSDP_ENV, "false").strip().lower() in ("1", "true", "yes")


def uses_fsdp(accelerator: Accelerator) -> bool:
    """Whether accelerate will wrap the model in FSDP in this run."""
    from accelerate.utils import DistributedType

    return accelerator.distributed_type == DistributedType.FSDP


def fsdp_fallback_warning(accelerator: Accelerator) -> str | None:
    """The sentence for a run launched with an FSDP config that accelerate runs without FSDP (a CPU)."""
    if not fsdp_requested() or uses_fsdp(accelerator):
        return None
    return (f"the accelerate config asks for FSDP, but accelerate shards models on GPUs only; these "
            f"{accelerator.num_processes} process(es) on {accelerator.device.type} train as plain data parallel "
            "(each holds the whole model), with the same result")


def make_accelerator(accelerator_class: type[Accelerator], cuda: bool) -> Accelerator:
    """The run's ``Accelerator`` (on the CPU unless ``cuda``); an FSDP config that accelerate refuses
    on a CPU is told in one sentence rather than as accelerate's RuntimeError.

    accelerate 1.16 raises "FSDP parameter initialization with `sync_module_states=True` is not
    supported on cpu" for the exported config (``fsdp_sync_module_states: true``, right for GPUs).
    """
    try:
        return accelerator_class(cpu=not cuda)
    except RuntimeError as exc:
        if cuda or not fsdp_requested():
            raise
        from writer_app.errors import UserError

        raise UserError(f"accelerate refuses this FSDP config on a CPU ({exc}); FSDP shards models on GPUs "
                        "only, so on a CPU use the plain data parallel command in README.txt (accelerate "
                        "launch --multi_gpu --num_processes N ...)") from exc


def _full_options() -> Any:
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    # The whole tensors, on the CPU, in the first process only (the others get an empty dict); only the
    # trainable (LoRA) weights: the frozen base model is never gathered.
    return StateDictOptions(full_state_dict=True, cpu_offload=True, ignore_frozen_params=True)


def adapter_state(model: Any) -> dict[str, torch.Tensor]:
    """The LoRA weights of a sharded peft ``model`` as peft saves them, whole, in the first process
    (an empty dict in the others). A collective: every process of the group must call it."""
    from peft import get_peft_model_state_dict
    from torch.distributed.checkpoint.state_dict import get_model_state_dict

    full = get_model_state_dict(model, options=_full_options())
    if not full:
        return {}
    peft_model = _peft_model(model)
    return {key: value.detach().clone() for key, value in get_peft_model_state_dict(peft_model, state_dict=full).items()}


def optimizer_state(model: Any, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """The optimiser's whole state keyed by parameter name, in the first process (empty in the others).
    A collective, like :func:`adapter_state`."""
    from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

    return get_optimizer_state_dict(model, optimizer, options=_full_options())


def load_optimizer_state(model: Any, optimizer: torch.optim.Optimizer, saved: dict[str, Any]) -> None:
    """Put :func:`optimizer_state`'s whole state back into the sharded optimiser (every process passes
    the same ``saved``; each keeps its own shard)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

    # torch makes the optimiser's (lazily created) state first with a zero-gradient step, which it
    # skips when any gradient is held; a fresh optimiser's empty state then fails to load.
    optimizer.zero_grad(set_to_none=True)
    set_optimizer_state_dict(model, optimizer, saved,
                             options=StateDictOptions(full_state_dict=True, ignore_frozen_params=True))


def _peft_model(model: Any) -> Any:
    """The PeftModel inside accelerate's / torch's wrappers (FSDP1 keeps it as ``module``)."""
    while not hasattr(type(model), "get_base_model") and hasattr(model, "module"):
        model = model.module
    return model


def whole_peft_model(model_path: Path, config: TrainingConfig, accelerator: Accelerator, cuda: bool,
                     weights: dict[str, torch.Tensor]) -> Any:
    """In the first process: a fresh, unsharded copy of the base model with the trained LoRA
    ``weights`` (:func:`adapter_state`) set, on its device, to evaluate and save; None in the others.

    Why a fresh copy: the trained model exists only as shards, and peft's ``save_pretrained`` and the
    held-out comparison both need a whole one. The price is one whole base model in the first process
    at the end: room that a model sharded because it does not fit one device does not have (the
    exported README says so).
    """
    if not accelerator.is_main_process:
        return None
    from peft import set_peft_model_state_dict

    from writer_app.training.model_loading import load_trainable_model

    if not weights:
        raise RuntimeError("no LoRA weights came back from the FSDP processes; the adapter was not written")
    model = load_trainable_model(Path(model_path), config, cuda=cuda, device_index=accelerator.local_process_index)
    result = set_peft_model_state_dict(model, weights)
    if result.unexpected_keys:
        raise RuntimeError(f"the gathered LoRA weights do not fit the model: {result.unexpected_keys[:3]}")
    if not any(type(module).__name__ == "Linear4bit" for module in model.modules()):  # 4-bit: placed on load
        model.to(accelerator.device)
    return model
