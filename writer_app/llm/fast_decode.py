"""Faster one-token decode steps on the CPU: grouped-query attention without the slow kernel path.

Profiling a decode step of SmolLM2-135M over a 2,000-token cache on a 2-core
CPU showed two thirds of the time in ``scaled_dot_product_attention`` called
with ``enable_gqa=True`` (transformers' choice on torch >= 2.13): for a single
query that kernel is 2x (fp32) to 6x (bf16) slower than the same attention
with the query heads folded onto their key/value head
(``(1, 9, 1, 64) -> (1, 3, 3, 64)``), which needs no ``repeat_kv`` copy
either. ``install`` registers that variant as an attention implementation
and switches a loaded model to it; prompts of more than one token keep the
stock SDPA path (prefill speed unchanged).
"""

from __future__ import annotations

from typing import Any

ATTENTION_NAME = "writer_app_decode_sdpa"


def decode_attention(
    module: Any,
    query: Any,
    key: Any,
    value: Any,
    attention_mask: Any,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[Any, None]:
    """SDPA with grouped query heads packed per key/value head when one token is decoded."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    groups = getattr(module, "num_key_value_groups", 1)
    batch, heads, q_length, dim = query.shape
    if q_length != 1 or groups == 1 or kwargs.get("position_bias") is not None or key.shape[-1] != dim:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, **kwargs)
    kv_heads = heads // groups
    packed = query.reshape(batch, kv_heads, groups, dim)
    mask = attention_mask
    if mask is not None:
        if mask.dtype == torch.bool and bool(mask.all()):
            mask = None  # nothing masked: the unmasked kernel is faster
        elif mask.shape[1] == heads:
            mask = mask.reshape(batch, kv_heads, groups, mask.shape[-1])
        else:
            mask = mask[..., :1, :]  # one query row, broadcast over the packed group rows
    out = torch.nn.functional.scaled_dot_product_attention(packed, key, value, attn_mask=mask, scale=scaling)
    return out.reshape(batch, heads, 1, dim).transpose(1, 2).contiguous(), None


def install(model: Any) -> bool:
    """Use ``decode_attention`` in ``model`` when it runs stock SDPA; returns whether it did."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    config = getattr(model, "config", None)
    if config is None or getattr(config, "_attn_implementation", None) != "sdpa":
        return False
    AttentionInterface.register(ATTENTION_NAME, decode_attention)
    # Without SDPA's mask builder a custom name gets no mask at all, and a prompt tail prefilled
    # after a kept cache would attend to the wrong keys.
    ALL_MASK_ATTENTION_FUNCTIONS.register(ATTENTION_NAME, sdpa_mask)
    try:
        model.set_attn_implementation(ATTENTION_NAME)
    except (ValueError, AttributeError, KeyError):
        return False
    return getattr(model.config, "_attn_implementation", None) == ATTENTION_NAME


# ------------------------------------------------------------ int8 weights (CPU, opt-in)
INT8_LABEL = "int8"
_INT8_CLASS: Any = None
SMALL_BATCH_ROWS = 4  # up to this many token rows use the int8 kernel; longer prompts dequantize


def _int8_linear_class() -> Any:
    """Build the module class on first use, so importing this module does not import torch."""
    global _INT8_CLASS
    if _INT8_CLASS is not None:
        return _INT8_CLASS
    import torch

    class Int8WeightLinear(torch.nn.Module):
        """A linear layer keeping int8 weights with one scale per output row (weight-only).

        Decoding one token reads every weight once, so it is bound by memory
        bandwidth: int8 weights halve what bf16 reads. ATen's
        ``_weight_int8pack_mm`` multiplies a few rows by them directly; a long
        prompt instead multiplies by the dequantized weights (one transient
        copy per layer), which keeps prefill on the fast BLAS path.
        """

        def __init__(self, linear: Any) -> None:
            super().__init__()
            weight = linear.weight.detach().float()
            scales = weight.abs().amax(dim=1).clamp(min=1e-8) / 127
            self.in_features, self.out_features = linear.in_features, linear.out_features
            self.register_buffer("qweight", torch.round(weight / scales[:, None]).clamp(-127, 127).to(torch.int8))
            self.register_buffer("scales", scales.to(linear.weight.dtype))
            self.bias = linear.bias

        def forward(self, x: Any) -> Any:
            shape = x.shape
            flat = x.reshape(-1, shape[-1])
            if flat.shape[0] <= SMALL_BATCH_ROWS and flat.dtype == self.scales.dtype:
                out = torch.ops.aten._weight_int8pack_mm(flat, self.qweight, self.scales)
            else:
                out = torch.nn.functional.linear(flat, self.qweight.to(flat.dtype) * self.scales[:, None].to(flat.dtype))
            if self.bias is not None:
                out = out + self.bias
            return out.reshape(*shape[:-1], self.out_features)

    _INT8_CLASS = Int8WeightLinear
    return _INT8_CLASS


def quantize_linears_int8(model: Any) -> int:
    """Replace every ``nn.Linear`` of ``model`` (lm_head included) by int8 weights; returns how many.

    The tied input embedding keeps its floating-point table (a lookup reads one row per token).
    """
    import torch

    int8_linear = _int8_linear_class()
    replaced = 0
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(module, name, int8_linear(child))
                replaced += 1
    return replaced
