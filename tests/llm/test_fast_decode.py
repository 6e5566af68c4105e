"""The packed grouped-query decode attention: same numbers as SDPA, same tokens as transformers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import numerics
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
    # Unconstrained: this compares the attention kernel with transformers', which knows nothing of
    # the task's token masks (they set forbidden tokens' logits to -inf before the choice).
    settings = GenerationSettings(max_new_tokens=20, temperature=0, repetition_penalty=1.0, seed=0,
                                  constrained=False)
    with numerics.recorded_choices() as ours:
        runtime.generate(prompt, settings)
    assert runtime.fast_attention, "the CPU decode should use the packed attention"
    assert runtime._base_model.config._attn_implementation == fast_decode.ATTENTION_NAME

    model = runtime._base_model
    ids = runtime.encode(prompt.text)
    model.set_attn_implementation("sdpa")
    try:
        with torch.inference_mode():
            out = model.generate(torch.tensor([ids]), max_new_tokens=20, do_sample=False,
                                 repetition_penalty=1.0, top_p=None, top_k=None, temperature=None,
                                 output_scores=True, return_dict_in_generate=True)
    finally:
        fast_decode.install(model)
    tokens = out.sequences[0, len(ids):].tolist()
    assert len(tokens) >= 10
    ends = [i for i, token in enumerate(tokens) if token in runtime._stop_ids]
    count = ends[0] + 1 if ends else len(tokens)  # up to the first token the runtime stops at
    reference = numerics.Choices(tokens[:count], [scores[0] for scores in out.scores[:count]])
    # Another attention kernel (float32): the same tokens, up to a near tie.
    parted = numerics.assert_greedy_agrees(ours, reference, numerics.FP32)
    print(f"\n[numerics] packed attention against transformers generate: {parted}")
