"""The packed grouped-query decode attention: same numbers as SDPA, same tokens as transformers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from writer_app.llm import fast_decode
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.tasks import TaskRequest, build_prompt

from .conftest import STORY


@pytest.mark.parametrize("mask_kind", ["none", "bool", "per-head float"])
def test_decode_attention_matches_sdpa_with_repeated_heads(mask_kind):
    import torch

    torch.manual_seed(0)
    heads, kv_heads, length, dim = 9, 3, 37, 64
    query = torch.randn(1, heads, 1, dim)
    key = torch.randn(1, kv_heads, 64, dim)[:, :, :length]  # a view of a longer buffer, like the cache
    value = torch.randn(1, kv_heads, 64, dim)[:, :, :length]
    mask = None
    if mask_kind == "bool":
        mask = torch.ones(1, 1, 1, length, dtype=torch.bool)
        mask[..., :5] = False  # e.g. left padding
    elif mask_kind == "per-head float":
        mask = torch.randn(1, heads, 1, length)
    module = SimpleNamespace(num_key_value_groups=heads // kv_heads)

    out, _ = fast_decode.decode_attention(module, query, key, value, mask, scaling=dim**-0.5)

    expected = torch.nn.functional.scaled_dot_product_attention(
        query, key.repeat_interleave(3, dim=1), value.repeat_interleave(3, dim=1), attn_mask=mask, scale=dim**-0.5
    ).transpose(1, 2)
    assert out.shape == (1, 1, heads, dim)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.model
@pytest.mark.slow
def test_fast_path_writes_the_same_greedy_tokens_as_transformers_generate(fresh_runtime):
    import torch

    runtime = fresh_runtime
    prompt = build_prompt(runtime, TaskRequest("continue", text=STORY * 4), 20)
    settings = GenerationSettings(max_new_tokens=20, temperature=0, repetition_penalty=1.0, seed=0)
    ours = runtime.generate(prompt, settings)
    assert runtime.fast_attention, "the CPU decode should use the packed attention"
    assert runtime._base_model.config._attn_implementation == fast_decode.ATTENTION_NAME

    model = runtime._base_model
    ids = runtime.encode(prompt.text)
    model.set_attn_implementation("sdpa")
    try:
        with torch.inference_mode():
            out = model.generate(torch.tensor([ids]), max_new_tokens=20, do_sample=False,
                                 repetition_penalty=1.0, top_p=None, top_k=None, temperature=None)
    finally:
        fast_decode.install(model)
    reference = runtime.tokenizer.decode(out[0, len(ids):], skip_special_tokens=True)
    assert len(out[0]) - len(ids) >= 10
    assert ours == reference


@pytest.mark.parametrize("dtype_name", ["float32", "bfloat16"])
@pytest.mark.parametrize("rows", [1, 9])  # one decode step (int8 kernel), a prompt (dequantized weights)
def test_int8_linear_stays_close_to_the_full_precision_layer(dtype_name, rows):
    import torch

    dtype = getattr(torch, dtype_name)
    torch.manual_seed(0)
    linear = torch.nn.Linear(96, 40, bias=True).to(dtype)
    x = torch.randn(2, rows, 96, dtype=dtype) if rows > 1 else torch.randn(1, 1, 96, dtype=dtype)
    quantized = fast_decode._int8_linear_class()(linear)

    with torch.inference_mode():
        expected, got = linear(x).float(), quantized(x).float()
    assert got.shape == expected.shape
    relative = (got - expected).norm() / expected.norm()
    assert relative < 0.02
    assert quantized.qweight.dtype == torch.int8


@pytest.mark.model
@pytest.mark.slow
def test_cpu_8bit_model_writes_text_close_to_the_full_model_and_refuses_adapters(embedded_model_dir, tmp_path):
    import os
    from pathlib import Path

    from writer_app.errors import UserError
    from writer_app.llm.runtime import ModelRuntime

    cache = Path(os.environ["WRITER_APP_MODEL_CACHE"])
    full = ModelRuntime.load("embedded", cache, device="cpu", quantization="16bit")
    small = ModelRuntime.load("embedded", cache, device="cpu", quantization="8bit")
    try:
        assert small.info.quantization == "int8"
        assert small.info.memory_bytes < 0.8 * full.info.memory_bytes
        prompt = build_prompt(full, TaskRequest("continue", text=STORY), 16)
        settings = GenerationSettings(max_new_tokens=16, temperature=0, seed=0)
        full_text, small_text = full.generate(prompt, settings), small.generate(prompt, settings)
        assert sum(c.isalpha() for c in small_text) >= 20
        assert full_text.split()[:2] == small_text.split()[:2]
        # A repeated Continue reuses the int8 model's kept cache (its wording may differ slightly:
        # the re-fed last token goes through the int8 kernel, the prompt through dequantized weights).
        again = small.generate(prompt, settings)
        assert small.last_prefill_tokens == 1 and sum(c.isalpha() for c in again) >= 20
        with pytest.raises(UserError, match="8bit"):
            small.attach_adapter(tmp_path)
    finally:
        full.close()
        small.close()
