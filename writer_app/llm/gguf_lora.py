"""A trained peft LoRA adapter as a GGUF LoRA file, for llama.cpp's server (``--lora FILE``).

llama.cpp cannot read a peft folder; its own ``convert_lora_to_gguf.py``
needs the llama.cpp source tree and the base model's config. This module does
what that script does for the one architecture writer-app trains on a CPU
(llama: SmolLM2, Llama, TinyLlama), with the ``gguf`` package alone:

- each ``…<module>.lora_A.weight`` / ``lora_B.weight`` pair becomes
  ``blk.N.<tensor>.weight.lora_a`` / ``.lora_b`` under llama.cpp's tensor
  name (``q_proj`` is ``attn_q``, ``down_proj`` is ``ffn_down``, …), kept in
  the peft layout: A is (rank, in), B is (out, rank), which the GGUF writer
  stores with its dimensions reversed, the order llama.cpp checks;
- the rows of ``q_proj``'s and ``k_proj``'s B are permuted the way llama.cpp's
  converter permutes the base model's Q and K weights (its rotary embedding
  pairs other dimensions than transformers' does), so the adapter's update
  lands on the same rows of the base model's GGUF;
- ``general.type = adapter``, ``adapter.type = lora`` and
  ``adapter.lora.alpha`` (llama.cpp scales each pair by alpha / rank, as peft
  does); where peft's scale is not alpha / rank (rsLoRA's alpha / sqrt(rank))
  the difference is folded into B, so the served adapter writes like the
  in-app one;
- tensors are written as float32: they are small (rank 8 on all seven
  projections of the 135M model is 9.3 MB), and rounding them to 16 bits would
  add an error that the in-app runtime's float32 adapter does not have.

Anything llama.cpp would apply differently is refused with one sentence
instead of converted into an adapter that quietly writes otherwise: another
architecture, DoRA, LoRA biases, per-module alpha patterns, trained
embeddings or output head, extra saved modules, pickle weights.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writer_app.errors import UserError, os_error_reason
from writer_app.llm.adapters import SAFETENSORS_WEIGHTS, read_adapter_config, safetensors_weights
from writer_app.llm.model_files import read_config
from writer_app.paths import display_path

GGUF_ARCHITECTURE = "llama"
LLAMA_MODEL_TYPES = ("llama",)

# peft module (the last two parts of its path) -> llama.cpp's tensor in block N (gguf's MODEL_TENSOR names).
LLAMA_TENSORS = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}

_KEY = re.compile(r"^(?:base_model\.model\.)?model\.layers\.(\d+)\.([a-z_]+\.[a-z_]+)\.lora_([AB])\.weight$")


@dataclass(frozen=True)
class GgufLoraResult:
    """What was written, for the CLI's report."""

    path: Path
    tensors: int  # LoRA pairs (each is two GGUF tensors)
    rank: int
    alpha: float
    bytes: int


@dataclass(frozen=True)
class _Shapes:
    """The base model's dimensions, to check each LoRA pair against (llama.cpp would refuse it later)."""

    layers: int
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    head_dim: int

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> _Shapes:
        try:
            hidden = int(config["hidden_size"])
            heads = int(config["num_attention_heads"])
            return cls(layers=int(config["num_hidden_layers"]), hidden=hidden,
                       intermediate=int(config["intermediate_size"]), heads=heads,
                       kv_heads=int(config.get("num_key_value_heads") or heads),
                       head_dim=int(config.get("head_dim") or hidden // heads))
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            raise UserError("the base model's config.json lacks the llama dimensions (hidden_size, "
                            "num_attention_heads, …); it is damaged or not a llama model") from exc

    def in_out(self, module: str) -> tuple[int, int]:
        """(in_features, out_features) of a peft target module."""
        attention, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        return {
            "self_attn.q_proj": (self.hidden, attention), "self_attn.k_proj": (self.hidden, kv),
            "self_attn.v_proj": (self.hidden, kv), "self_attn.o_proj": (attention, self.hidden),
            "mlp.gate_proj": (self.hidden, self.intermediate), "mlp.up_proj": (self.hidden, self.intermediate),
            "mlp.down_proj": (self.intermediate, self.hidden),
        }[module]


def llama_rope_permute(rows: Any, heads: int) -> Any:
    """llama.cpp's Q/K row order: each head's two rotary halves interleaved (``LlamaModel.permute``)."""
    return (rows.reshape(heads, 2, rows.shape[0] // heads // 2, *rows.shape[1:])
            .swapaxes(1, 2).reshape(rows.shape))


def check_architecture(base_config: dict[str, Any], adapter_name: str) -> None:
    """Refuse a base model llama.cpp would not run with this mapping (one sentence)."""
    model_type = str(base_config.get("model_type") or "").lower()
    architectures = base_config.get("architectures") or []
    if model_type not in LLAMA_MODEL_TYPES and "LlamaForCausalLM" not in architectures:
        what = model_type or (architectures[0] if architectures else "an unknown")
        raise UserError(f"adapter '{adapter_name}' was trained on a {what} model; converting to a GGUF LoRA "
                        "works for llama-architecture models only (SmolLM2, Llama, TinyLlama)")


def _check_config(config: dict[str, Any], name: str) -> tuple[float, bool]:
    """(lora_alpha, use_rslora) from adapter_config.json, or UserError for what llama.cpp cannot apply."""
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise UserError(f"'{name}' is a {config.get('peft_type')} adapter; only LoRA adapters convert to GGUF")
    refusals = (
        ("use_dora", "a DoRA adapter (llama.cpp applies plain LoRA only)"),
        ("lora_bias", "an adapter with LoRA biases (llama.cpp's LoRA has none)"),
        ("alpha_pattern", "an adapter with a different alpha per module (a GGUF LoRA has one alpha)"),
        ("modules_to_save", "an adapter that also saved whole modules (a GGUF LoRA holds LoRA pairs only)"),
        ("fan_in_fan_out", "an adapter for transposed (Conv1D) weights, which llama models do not have"),
    )
    for key, what in refusals:
        if config.get(key):
            raise UserError(f"'{name}' is {what}; it cannot be converted to a GGUF LoRA")
    try:
        alpha = float(config.get("lora_alpha", 8))
    except (TypeError, ValueError):
        raise UserError(f"'{name}' has a lora_alpha that is not a number in adapter_config.json") from None
    if not math.isfinite(alpha) or alpha <= 0:
        raise UserError(f"'{name}' has lora_alpha {alpha:g}, so it changes nothing; train it again")
    return alpha, bool(config.get("use_rslora"))


def _pairs(weights: dict[str, Any], name: str, shapes: _Shapes) -> dict[tuple[int, str], dict[str, Any]]:
    """{(layer, module): {"A": tensor, "B": tensor}}, every key and shape checked."""
    pairs: dict[tuple[int, str], dict[str, Any]] = {}
    for key, tensor in weights.items():
        match = _KEY.match(key)
        if match is None or match.group(2) not in LLAMA_TENSORS:
            if "embed_tokens" in key or "lm_head" in key:
                raise UserError(f"'{name}' trains the token embeddings or the output head ({key}); "
                                "llama.cpp applies LoRA to the layers' projections only")
            raise UserError(f"'{name}' holds a tensor a llama GGUF LoRA has no place for ({key[:120]})")
        layer, module, side = int(match.group(1)), match.group(2), match.group(3)
        if layer >= shapes.layers:
            raise UserError(f"'{name}' has layer {layer}, but the base model has {shapes.layers}; "
                            "it was made for another model")
        pairs.setdefault((layer, module), {})[side] = tensor
    if not pairs:
        raise UserError(f"'{name}' holds no LoRA weights ({SAFETENSORS_WEIGHTS} is empty)")
    for (layer, module), pair in pairs.items():
        if set(pair) != {"A", "B"}:
            raise UserError(f"'{name}' is damaged: layer {layer} {module} has lora_A or lora_B but not both")
        a, b = pair["A"], pair["B"]
        in_features, out_features = shapes.in_out(module)
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1] or a.shape[1] != in_features \
                or b.shape[0] != out_features:
            raise UserError(f"'{name}' does not fit the base model: layer {layer} {module} has other "
                            "dimensions; it was made for another model")
    return pairs


def convert_adapter(folder: Path, base_config: dict[str, Any], out: Path, *, overwrite: bool = False,
                    adapter_name: str | None = None) -> GgufLoraResult:
    """Write the peft adapter in ``folder`` (for the base model whose config.json is ``base_config``) to ``out``.

    The file appears whole or not at all (written beside ``out``, then renamed); an existing
    ``out`` is kept unless ``overwrite``.
    """
    import gguf
    import torch
    from safetensors.torch import load_file

    folder = Path(folder)
    name = adapter_name or display_path(folder.name)
    config = read_adapter_config(folder)
    alpha, rslora = _check_config(config, name)
    check_architecture(base_config, name)
    shapes = _Shapes.from_config(base_config)
    weights_path = safetensors_weights(folder, "converted to GGUF")  # a pickle is never loaded
    out = Path(out)
    if out.is_dir():
        raise UserError(f"{display_path(out)} is a folder; give a file name such as adapter.gguf")
    if out.exists() and not overwrite:
        raise UserError(f"{display_path(out)} already exists; pass --force to replace it")
    if not out.parent.is_dir():
        raise UserError(f"cannot write {display_path(out)}: the folder {display_path(out.parent)} does not exist")
    try:
        weights = load_file(str(weights_path), device="cpu")
    except (OSError, ValueError, RuntimeError) as exc:
        raise UserError(f"cannot read {display_path(weights_path)}: it is damaged ({str(exc)[:120]})") from exc
    pairs = _pairs(weights, name, shapes)

    writer = gguf.GGUFWriter(None, GGUF_ARCHITECTURE)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    writer.add_name(name)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    ranks = set()
    for (layer, module), pair in sorted(pairs.items()):
        a = pair["A"].to(torch.float32)
        b = pair["B"].to(torch.float32)
        rank = int(a.shape[0])
        ranks.add(rank)
        if rslora:  # peft scales by alpha / sqrt(rank); llama.cpp by alpha / rank
            b = b * math.sqrt(rank)
        if module == "self_attn.q_proj":
            b = llama_rope_permute(b, shapes.heads)
        elif module == "self_attn.k_proj":
            b = llama_rope_permute(b, shapes.kv_heads)
        base = f"blk.{layer}.{LLAMA_TENSORS[module]}.weight"
        writer.add_tensor(f"{base}.lora_a", a.contiguous().numpy())
        writer.add_tensor(f"{base}.lora_b", b.contiguous().numpy())
    _write_whole(writer, out)
    return GgufLoraResult(path=out, tensors=len(pairs), rank=max(ranks), alpha=alpha, bytes=out.stat().st_size)


def _write_whole(writer: Any, out: Path) -> None:
    """Write the GGUF beside ``out`` and rename it there, so a crash leaves no half file under that name."""
    from writer_app.atomic_write import fsync_folder

    temp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        writer.write_header_to_file(temp)
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(temp, out)
        fsync_folder(out.parent)
    except OSError as exc:
        writer.close()
        temp.unlink(missing_ok=True)
        raise UserError(f"cannot write {display_path(out)}: {os_error_reason(exc)}") from exc


def base_config_of(model_folder: Path) -> dict[str, Any]:
    """The base model's config.json (the converter needs its architecture and dimensions, not its weights)."""
    return read_config(Path(model_folder))
