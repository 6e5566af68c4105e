"""One-token decode steps on the CPU for Llama-shaped models, with 4-bit weights and no transformers forward.

Why: on the 2-core CPU this app targets, decoding the embedded model over a
2,000-token chapter through transformers' forward ran at ~33 tokens/s against
llama.cpp's ~90. A decode step reads every weight once and does ~30 small
operations per layer, so it is bound by memory traffic and by Python and
dispatch overhead. This module does the same arithmetic as
``LlamaForCausalLM.forward`` for one token with both cut down:

- weights as int4 in groups of 32 with a scale and an offset each (ATen's
  ``_weight_int4pack_mm_for_cpu``): a quarter of bf16's bytes. For the
  embedded model this is lossless: its GGUF stores Q4_1, which is exactly
  that format, so the decode reads the very numbers llama.cpp reads (up to
  bf16 rounding of the scales). The output projection, Q8_0 in that file, is
  int8 per row (``_weight_int8pack_mm``). "int8" keeps every matrix int8.
- q/k/v in one matmul, gate/up in another; rotary tables built once per
  256 positions, with the 1/sqrt(head_dim) of attention folded in.
- attention per key/value head as ``K @ q^T`` (keys in rows): for a handful of
  query rows this product runs 1.5-3x faster on the CPU kernels than
  ``q @ K^T``, and it needs no ``repeat_kv`` copy.

Prefill stays with transformers (its batched SDPA prefills 3x faster than
llama.cpp); both write one ``kv_cache`` cache, kept between requests. The
weights are copied out of the model, so a LoRA adapter (peft) is merged into
the copy when the decoder is built: attaching one rebuilds the decoder.
Unsupported models (other architectures, sliding windows, DoRA) are reported
by ``unsupported_reason`` and decode through transformers instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

WEIGHT_FORMATS = ("int4", "int8", "bf16")  # bf16: no quantization (a reference for tests and benchmarks)
GROUP_SIZE = 32  # int4 block length, as in GGUF's Q4_0/Q4_1
ROPE_CHUNK = 256  # rotary table rows computed at a time
SUPPORTED_MODEL_TYPES = ("llama", "mistral", "qwen2")  # same layer arithmetic (biases allowed)
STATIC_ROPE_TYPES = ("default", "linear", "llama3", "yarn")  # tables depend on the position only


class Unsupported(Exception):
    """The model (or its adapter) has something this decoder does not compute."""


def _rope_type(model: Any) -> str:
    rotary = getattr(getattr(model, "model", None), "rotary_emb", None)
    return str(getattr(rotary, "rope_type", "missing"))


def unsupported_reason(model: Any) -> str | None:
    """Why ``StepDecoder`` cannot run ``model`` (one phrase), or None when it can."""
    import torch

    config = getattr(model, "config", None)
    if getattr(config, "model_type", None) not in SUPPORTED_MODEL_TYPES:
        return f"architecture {getattr(config, 'model_type', '?')}"
    if getattr(config, "hidden_act", None) != "silu":
        return f"activation {getattr(config, 'hidden_act', '?')}"
    if _rope_type(model) not in STATIC_ROPE_TYPES:
        return f"rotary embedding {_rope_type(model)}"
    from writer_app.llm.kv_cache import growable_layer_class, make_growable_cache

    # The decoder writes into the growable cache; transformers builds other layers for sliding windows.
    if not all(type(layer) is growable_layer_class() for layer in make_growable_cache(config).layers):
        return "sliding-window attention"
    try:
        table = _embedding_table(model)
        if table.dtype != torch.bfloat16 or table.device.type != "cpu":
            return f"weights in {table.dtype} on {table.device.type} (bf16 on the CPU needed)"
        for layer in model.model.layers:
            attention = layer.self_attn
            if hasattr(attention, "q_norm") or hasattr(attention, "k_norm"):
                return "query/key norms"
            for module in (attention.q_proj, attention.k_proj, attention.v_proj, attention.o_proj,
                           layer.mlp.gate_proj, layer.mlp.up_proj, layer.mlp.down_proj):
                _adapters_of(module)
            for norm in (layer.input_layernorm, layer.post_attention_layernorm):
                if not hasattr(norm, "variance_epsilon"):
                    return "layer norm type"
        _adapters_of(model.lm_head)
    except AttributeError as exc:
        return f"layer layout ({exc})"
    except Unsupported as exc:
        return str(exc)
    return None


# ------------------------------------------------------------------ weights
def _adapters_of(module: Any) -> tuple[Any, list[str]]:
    """(the plain ``nn.Linear`` underneath, names of the LoRA adapters to merge); raises Unsupported."""
    import torch

    if type(module) is torch.nn.Linear:
        return module, []
    base = module.get_base_layer() if hasattr(module, "get_base_layer") else None
    if type(base) is not torch.nn.Linear or not hasattr(module, "lora_A"):
        raise Unsupported(f"layer type {type(module).__name__}")
    if getattr(module, "merged", False) or getattr(module, "disable_adapters", False):
        return base, []
    names = [name for name in module.active_adapters if name in module.lora_A]
    for name in names:
        if name in getattr(module, "lora_variant", {}) or getattr(module, "lora_bias", {}).get(name):
            raise Unsupported("a LoRA variant (DoRA or LoRA bias)")
    return base, names


def _effective_weight(module: Any) -> tuple[Any, Any]:
    """(weight in float32, bias or None) of a linear layer, with an attached LoRA adapter merged in."""
    base, adapters = _adapters_of(module)
    weight = base.weight.detach().float()
    for name in adapters:
        delta = module.lora_B[name].weight.detach().float() @ module.lora_A[name].weight.detach().float()
        if getattr(module, "fan_in_fan_out", False):
            delta = delta.T
        weight = weight + delta * module.scaling[name]
    return weight, base.bias


def _embedding_table(model: Any) -> Any:
    import torch

    embedding = model.model.embed_tokens
    if type(embedding) is not torch.nn.Embedding:
        raise Unsupported(f"embedding type {type(embedding).__name__}")
    return embedding.weight.detach()


def _int4_linear(weight: Any) -> tuple[Callable[[Any], Any], int]:
    """int4 blocks of GROUP_SIZE with a scale and offset each; returns (x -> x @ W.T, bytes)."""
    import torch

    rows, columns = weight.shape
    groups = weight.reshape(rows, columns // GROUP_SIZE, GROUP_SIZE)
    low, high = torch.aminmax(groups, dim=-1)
    scale = ((high - low) / 15).clamp_(min=1e-12)
    codes = groups.sub(low[..., None]).mul_(scale.reciprocal()[..., None]).round_().clamp_(0, 15)
    packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(codes.reshape(rows, columns).to(torch.int32), 1)
    # ATen dequantizes (code - 8) * scale + zero; Q4_1 is code * scale + low.
    scale_zero = torch.stack([scale, low + 8 * scale], dim=-1).transpose(0, 1).contiguous().to(torch.bfloat16)
    call = functools.partial(torch.ops.aten._weight_int4pack_mm_for_cpu, mat2=packed, qGroupSize=GROUP_SIZE,
                             qScaleAndZeros=scale_zero)
    return call, packed.numel() * packed.element_size() + scale_zero.numel() * 2


def _int8_linear(weight: Any) -> tuple[Callable[[Any], Any], int]:
    """int8 rows with one scale each."""
    import torch

    scale = weight.abs().amax(dim=1).clamp_(min=1e-12) / 127
    codes = weight.mul(scale.reciprocal()[:, None]).round_().clamp_(-127, 127).to(torch.int8)
    call = functools.partial(torch.ops.aten._weight_int8pack_mm, mat2=codes, scales=scale.to(torch.bfloat16))
    return call, codes.numel() + scale.numel() * 2


def _bf16_linear(weight: Any) -> tuple[Callable[[Any], Any], int]:
    import torch

    stored = weight.to(torch.bfloat16).contiguous()
    return functools.partial(torch.nn.functional.linear, weight=stored), stored.numel() * 2


def int4_available() -> bool:
    import torch

    return hasattr(torch.ops.aten, "_weight_int4pack_mm_for_cpu") and hasattr(
        torch.ops.aten, "_convert_weight_to_int4pack_for_cpu")


def _linear(parts: list[tuple[Any, Any]], weight_format: str) -> tuple[Callable[[Any], Any], int]:
    """One matmul for the stacked rows of ``parts`` ([(weight, bias)]), in ``weight_format``."""
    import torch

    weight = torch.cat([w for w, _ in parts]) if len(parts) > 1 else parts[0][0]
    rows, columns = weight.shape
    if weight_format == "int4" and int4_available() and rows % 16 == 0 and columns % GROUP_SIZE == 0:
        call, size = _int4_linear(weight)
    elif weight_format == "bf16":
        call, size = _bf16_linear(weight)
    else:  # int8, or int4 where the kernel's shape rules (rows % 16, columns % 32) do not hold
        call, size = _int8_linear(weight)
    biases = [b for _, b in parts]
    if all(b is None for b in biases):
        return call, size
    bias = torch.cat([
        (b.detach() if b is not None else torch.zeros(w.shape[0])).float() for (w, _), b in zip(parts, biases, strict=True)
    ]).to(torch.bfloat16)

    def with_bias(x: Any) -> Any:
        return call(x) + bias

    return with_bias, size + bias.numel() * 2


def _mirrored(norm_weight: Any) -> Any:
    """An RMSNorm weight for ``layer_norm`` over ``[x, -x]`` (see ``StepDecoder.step``)."""
    import torch

    weight = norm_weight.detach().to(torch.bfloat16)
    return torch.cat((weight, weight))


# ------------------------------------------------------------------ decoder
class StepDecoder:
    """Computes the next-token logits for one token, appending its keys and values to a ``kv_cache`` cache."""

    def __init__(self, model: Any, weight_format: str = "int4") -> None:
        import torch

        if weight_format not in WEIGHT_FORMATS:
            raise ValueError(f"weight format {weight_format!r}; use one of {WEIGHT_FORMATS}")
        reason = unsupported_reason(model)
        if reason is not None:
            raise Unsupported(reason)
        config = model.config
        self.weight_format = weight_format
        self.hidden = config.hidden_size
        self.heads = config.num_attention_heads
        self.kv_heads = getattr(config, "num_key_value_heads", None) or self.heads
        self.head_dim = getattr(config, "head_dim", None) or self.hidden // self.heads
        self.groups = self.heads // self.kv_heads
        self.intermediate = config.intermediate_size
        self.nbytes = 0
        self._layers: list[tuple[Any, ...]] = []
        with torch.inference_mode():
            for layer in model.model.layers:
                attention, mlp = layer.self_attn, layer.mlp
                qkv = self._build([_effective_weight(m) for m in (attention.q_proj, attention.k_proj,
                                                                  attention.v_proj)])
                out = self._build([_effective_weight(attention.o_proj)])
                gate_up = self._build([_effective_weight(mlp.gate_proj), _effective_weight(mlp.up_proj)])
                down = self._build([_effective_weight(mlp.down_proj)])
                self._layers.append((
                    _mirrored(layer.input_layernorm.weight), layer.input_layernorm.variance_epsilon, qkv, out,
                    _mirrored(layer.post_attention_layernorm.weight), layer.post_attention_layernorm.variance_epsilon,
                    gate_up, down,
                ))
            head_weight, head_bias = _effective_weight(model.lm_head)
            # The output projection stays int8 in the int4 format (the embedded GGUF keeps it Q8_0).
            self._head = self._build([(head_weight, head_bias)], "bf16" if weight_format == "bf16" else "int8")
            self._embedding = _embedding_table(model)
            self._norm_weight = _mirrored(model.model.norm.weight)
            self._norm_eps = model.model.norm.variance_epsilon
        self._rotary = model.model.rotary_emb
        # The query rows carry attention's 1/sqrt(head_dim), so scores need no extra multiply.
        self._row_scale = torch.cat([
            torch.full((self.heads, 1), self.head_dim**-0.5), torch.ones(self.kv_heads, 1)
        ]).to(torch.bfloat16)
        self._rope_start = -1
        self._cos: Any = None
        self._sin: Any = None

    def _build(self, parts: list[tuple[Any, Any]], weight_format: str | None = None) -> Callable[[Any], Any]:
        call, size = _linear(parts, weight_format or self.weight_format)
        self.nbytes += size
        return call

    def _rope_rows(self, position: int) -> tuple[Any, Any]:
        """cos and signed sin for one position, shaped (query + key heads, head_dim)."""
        import torch

        offset = position - self._rope_start
        if self._cos is None or not 0 <= offset < self._cos.shape[0]:
            start = position - position % ROPE_CHUNK
            positions = torch.arange(start, start + ROPE_CHUNK).unsqueeze(0)
            cos, sin = self._rotary(self._embedding[:1].unsqueeze(0).to(torch.bfloat16), positions)
            half = self.head_dim // 2
            sin = sin[0].float().clone()
            sin[:, :half] = -sin[:, :half]  # rotate_half(x) * sin == roll(x, half) * signed sin
            self._cos, self._sin = cos[0].to(torch.bfloat16), sin.to(torch.bfloat16)
            self._rope_start, offset = start, position - start
        return self._cos[offset] * self._row_scale, self._sin[offset] * self._row_scale

    def step(self, token: int, layers: list[Any]) -> Any:
        """Float32 logits (vocabulary,) after ``token``; ``layers`` are the cache's growable layers.

        Reserve room for the whole answer first (the layers' ``reserve``): a buffer that fills up is
        grown here, which copies it.

        RMSNorm(x) is computed as the first half of LayerNorm([x, -x]): the mirrored vector has zero
        mean and the same mean square, so the two agree exactly, and ATen's LayerNorm is one fused
        CPU kernel where rms_norm is seven small ops (half the time, and there are 61 per token).
        """
        import torch
        import torch.nn.functional as F  # noqa: N812

        position = layers[0]._length
        length = position + 1
        if length > layers[0]._kbuf.shape[-2]:
            for layer in layers:
                layer.reserve(length)
        heads, kv_heads, groups, dim = self.heads, self.kv_heads, self.groups, self.head_dim
        half, hidden, intermediate = dim // 2, self.hidden, self.intermediate
        rotated = heads + kv_heads
        cos, sin = self._rope_rows(position)
        mirrored = (2 * hidden,)
        layer_norm = torch.layer_norm
        with torch.inference_mode():
            h = self._embedding[token].view(1, hidden).to(torch.bfloat16)
            for (norm_in, eps_in, qkv_proj, out_proj, norm_post, eps_post, gate_up_proj, down_proj), layer in zip(
                self._layers, layers, strict=True
            ):
                keys, values = layer._kbuf[0], layer._vbuf[0]
                x = layer_norm(torch.cat((h, h.neg()), -1), mirrored, norm_in, None, eps_in)[:, :hidden]
                qkv = qkv_proj(x).view(rotated + kv_heads, dim)
                qk = qkv[:rotated]
                qk = qk * cos + qk.roll(half, -1) * sin
                keys[:, position] = qk[heads:]
                values[:, position] = qkv[rotated:]
                query = qk[:heads].view(kv_heads, groups, dim).transpose(1, 2)
                scores = torch.bmm(keys[:, :length], query).transpose(1, 2).contiguous()
                attended = torch.bmm(torch.softmax(scores, -1), values[:, :length])
                h = h + out_proj(attended.view(1, heads * dim))
                x = layer_norm(torch.cat((h, h.neg()), -1), mirrored, norm_post, None, eps_post)[:, :hidden]
                gate_up = gate_up_proj(x)
                h = h + down_proj(F.silu(gate_up[:, :intermediate]) * gate_up[:, intermediate:])
            h = layer_norm(torch.cat((h, h.neg()), -1), mirrored, self._norm_weight, None, self._norm_eps)[:, :hidden]
            logits = self._head(h)
        for layer in layers:
            layer.set_length(length)
        return logits[0].float()  # outside inference mode: a tensor the sampler may change in place
