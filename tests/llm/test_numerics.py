"""The tolerant comparisons of tests/numerics.py pass a correct decoder and fail a broken one.

Each broken variant is a bug a decoder has had or could have (a wrong rotary sign, query heads
in the wrong order, dropped biases, a cache that does not advance its length), made on tiny
random models that have the biases to drop; each must fail even the loosest (int4) tolerance.
On the embedded model, a kept cache that is not cut back must fail the greedy comparison.
"""

from __future__ import annotations

import pytest
import torch

from tests import numerics
from writer_app.llm import step_decoder
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.kv_cache import growable_layer_class, growable_layers, make_growable_cache
from writer_app.llm.tasks import TaskRequest, build_prompt

from .conftest import STORY
from .test_step_decoder import _teacher_forced, _tiny


def _wrong_rotary_sign(monkeypatch, model) -> None:
    original = step_decoder.StepDecoder._rope_rows

    def rope_rows(self, position):
        cos, sin = original(self, position)
        return cos, -sin

    monkeypatch.setattr(step_decoder.StepDecoder, "_rope_rows", rope_rows)


def _wrong_head_order(monkeypatch, model) -> None:
    """The query heads rotated by one: each meets another head's keys and feeds another o_proj slice."""
    original = step_decoder._linear
    head_dim = model.config.hidden_size // model.config.num_attention_heads

    def linear(parts, weight_format):
        if len(parts) == 3:  # the fused q, k, v projection
            (query, bias), *rest = parts
            heads = query.shape[0] // head_dim

            def rotated(x):
                return x.reshape(heads, head_dim, *x.shape[1:]).roll(1, 0).reshape(x.shape)

            parts = [(rotated(query), None if bias is None else rotated(bias)), *rest]
        return original(parts, weight_format)

    monkeypatch.setattr(step_decoder, "_linear", linear)


def _dropped_biases(monkeypatch, model) -> None:
    original = step_decoder._effective_weight
    monkeypatch.setattr(step_decoder, "_effective_weight", lambda module: (original(module)[0], None))


def _stale_cache_length(monkeypatch, model) -> None:
    """The step writes its keys but the cache length does not move on: the next token overwrites them."""
    original = step_decoder.StepDecoder.step

    def step(self, token, layers):
        logits = original(self, token, layers)
        for layer in layers:
            layer.set_length(layer._length - 1)
        return logits

    monkeypatch.setattr(step_decoder.StepDecoder, "step", step)


BROKEN = {
    "wrong rotary sign": _wrong_rotary_sign,
    "wrong head order": _wrong_head_order,
    "dropped biases": _dropped_biases,
    "stale cache length": _stale_cache_length,
}


def _ids(count: int) -> list[int]:
    torch.manual_seed(1)
    return torch.randint(0, 256, (count,)).tolist()


def _mixed_cache_tail(model, ids: list[int], prefix: int, tail: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits of transformers' forward on a cache the decoder filled, and of a fresh full forward."""
    decoder = step_decoder.StepDecoder(model, "bf16")
    cache = make_growable_cache(model.config)
    with torch.inference_mode():
        model(input_ids=torch.tensor([ids[:prefix]]), past_key_values=cache, use_cache=True)
    layers = growable_layers(cache)
    for token in ids[prefix:-tail]:
        decoder.step(token, layers)
    with torch.inference_mode():
        later = model(input_ids=torch.tensor([ids[-tail:]]), past_key_values=cache, use_cache=True).logits[0]
        full = model(input_ids=torch.tensor([ids])).logits[0, -tail:]
    return later.float(), full.float()


@pytest.mark.parametrize("model_type", ["llama", "qwen2"])
@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_broken_decoder_fails_the_tolerant_comparisons(model_type, broken, monkeypatch):
    model = _tiny(model_type)
    ids = _ids(60)
    full, stepped = _teacher_forced(model, step_decoder.StepDecoder(model, "bf16"), ids, 30)
    assert numerics.logits_match(stepped, full[30:], numerics.BF16)[0]
    later, fresh = _mixed_cache_tail(model, ids, 20, 5)
    assert numerics.logits_match(later, fresh, numerics.BF16)[0]

    BROKEN[broken](monkeypatch, model)
    full, stepped = _teacher_forced(model, step_decoder.StepDecoder(model, "bf16"), ids, 30)
    ok, report = numerics.logits_match(stepped, full[30:], numerics.INT4)
    print(f"\n[numerics] {model_type} with {broken}, decoder steps: {report.describe()}")
    assert not ok, report.describe()
    later, fresh = _mixed_cache_tail(model, ids, 20, 5)
    ok, report = numerics.logits_match(later, fresh, numerics.INT4)
    print(f"[numerics] {model_type} with {broken}, a later forward on its cache: {report.describe()}")
    assert not ok, report.describe()


def test_a_near_tie_may_part_greedy_texts_and_a_decisive_difference_may_not():
    vocabulary = 50
    reference = numerics.Choices()
    for step, best in enumerate([3, 7, 11, 13]):
        row = torch.linspace(-3, 3, vocabulary)[torch.randperm(vocabulary, generator=torch.Generator().manual_seed(step))]
        row[best] = 5.0
        if step == 2:
            row[12] = 5.0 - 1e-3  # a near tie: 12 scores a hair below 11
        reference.tokens.append(best)
        reference.logits.append(row)
    assert numerics.assert_greedy_agrees([3, 7, 11, 13], reference, 0.05).step is None
    assert numerics.assert_greedy_agrees([3, 7, 12, 40], reference, 0.05).step == 2  # parted at the tie
    with pytest.raises(AssertionError, match="decisive"):
        numerics.assert_greedy_agrees([3, 8, 11, 13], reference, 0.05)
    with pytest.raises(AssertionError, match="stopped"):
        numerics.assert_greedy_agrees([3, 7], reference, 0.05)
    # The same picks from other logits (a decode out of step that happened to pick the same tokens).
    stale = numerics.Choices(list(reference.tokens), [row.roll(1) for row in reference.logits])
    with pytest.raises(AssertionError, match="logits of the first 4 greedy steps"):
        numerics.assert_greedy_agrees(stale, reference, 0.05)


@pytest.mark.model
@pytest.mark.slow
def test_a_kept_cache_that_is_not_cut_back_fails_the_greedy_comparison(fresh_runtime, monkeypatch):
    prompt = build_prompt(fresh_runtime, TaskRequest("continue", text=STORY), 12)
    greedy = GenerationSettings(max_new_tokens=12, temperature=0, seed=0)
    with numerics.recorded_choices() as fresh:
        fresh_runtime.generate(prompt, greedy)
    # The next request keeps the prompt's cache but no longer crops the answer's tokens off it.
    monkeypatch.setattr(growable_layer_class(), "crop", lambda self, tokens_to_remove: None)
    try:
        with numerics.recorded_choices() as kept:
            fresh_runtime.generate(prompt, greedy)
        assert fresh_runtime.last_prefill_tokens == 1
    finally:
        fresh_runtime.reset_cache()
    with pytest.raises(AssertionError, match="differ beyond tolerance"):
        numerics.assert_greedy_agrees(kept, fresh, numerics.BF16)  # even bf16's tolerance, 100x float32's


def test_logit_comparison_tolerates_rounding_and_ties_but_not_a_shift():
    torch.manual_seed(0)
    reference = torch.randn(8, 1000) * 3
    reference[0, :2] = torch.tensor([20.3125, 20.3120])  # a near tie, like the one that flipped between machines
    rounded = reference.to(torch.bfloat16).float()
    rounded[0, :2] = torch.tensor([20.3115, 20.3125])  # the tie tipped the other way
    ok, report = numerics.logits_match(rounded, reference, numerics.BF16)
    assert ok, report.describe()
    assert report.gaps[0] > 0 and report.agreement < 1
    shifted = torch.cat([reference[1:], reference[:1]])  # every row the next position's logits
    assert not numerics.logits_match(shifted, reference, numerics.INT4)[0]
