"""The CPU step decoder predicts what the full model predicts, shares its cache, and follows adapters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from tests import numerics
from writer_app.llm import step_decoder
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.kv_cache import growable_layers, make_growable_cache
from writer_app.llm.tasks import TaskRequest, build_prompt

from .conftest import STORY

needs_int4 = pytest.mark.skipif(not step_decoder.int4_available(), reason="this torch has no int4 CPU kernel")


def _group_quantized(rows: int, columns: int) -> torch.Tensor:
    """Weights that are exactly code * scale + low per 32-column block, like a Q4_1 GGUF tensor."""
    torch.manual_seed(0)
    codes = torch.randint(0, 16, (rows, columns // 32, 32)).float()
    codes[..., 0], codes[..., 1] = 0, 15  # Q4_1 puts a block's minimum at code 0 and its maximum at 15
    scale = torch.rand(rows, columns // 32, 1) * 0.02 + 0.001
    low = torch.randn(rows, columns // 32, 1) * 0.05
    return (codes * scale + low).reshape(rows, columns)


@needs_int4
def test_int4_weights_reproduce_q4_1_blocks():
    weight = _group_quantized(64, 96)
    call, size = step_decoder._int4_linear(weight)
    x = torch.randn(1, 96, dtype=torch.bfloat16)
    expected = x.float() @ weight.T
    got = call(x).float()
    # Only bf16 rounding (of the output, and of each block's scale and offset) separates them: about
    # as much as a plain bf16 matmul of the same weights is off (~0.3%).
    assert (got - expected).norm() / expected.norm() < 0.005
    assert size < weight.numel()  # a nibble per weight plus scales: under a byte each


def test_shapes_the_int4_kernel_refuses_fall_back_to_int8():
    weight = torch.randn(40, 96)  # 40 rows: the int4 kernel wants a multiple of 16
    call, size = step_decoder._linear([(weight, None)], "int4")
    x = torch.randn(1, 96, dtype=torch.bfloat16)
    expected = x.float() @ weight.T
    assert (call(x).float() - expected).norm() / expected.norm() < 0.02
    assert size == 40 * 96 + 40 * 2  # int8 codes and a bf16 scale per row


def test_other_architectures_are_reported_not_run():
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=128, hidden_act="gelu")
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    assert step_decoder.unsupported_reason(model) == "activation gelu"
    config.hidden_act, config.model_type = "silu", "granite"
    assert step_decoder.unsupported_reason(model) == "architecture granite"
    config.model_type = "llama"
    assert step_decoder.unsupported_reason(model.float()).startswith("weights in torch.float32")
    assert step_decoder.unsupported_reason(model.to(torch.bfloat16)) is None
    with pytest.raises(step_decoder.Unsupported):
        step_decoder.StepDecoder(model.float())


def _tiny(model_type: str) -> torch.nn.Module:
    """A small random model of ``model_type``, with the biases Qwen2 (and Llama's options) add.

    Its weights are spread 10x wider than transformers' default (initializer_range 0.02): at the
    default, every token attends almost evenly to all the others, and a wrong rotary sign, head
    order or cache length moved the logits by under 3% of their spread; here by over 100%
    (tests/llm/test_numerics.py), while bf16 rounding still moves them by about 3%.
    """
    from transformers import AutoConfig, AutoModelForCausalLM

    extra = {"llama": {"attention_bias": True, "mlp_bias": True}, "mistral": {"sliding_window": None}}.get(
        model_type, {})
    config = AutoConfig.for_model(model_type, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, vocab_size=256,
                                  max_position_embeddings=512, tie_word_embeddings=False, initializer_range=0.2,
                                  **extra)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config).eval()
    with torch.no_grad():  # random biases (they start at zero), so a dropped bias would show
        for name, parameter in model.named_parameters():
            if name.endswith(".bias"):
                parameter.normal_(0, 0.5)
    return model.to(torch.bfloat16)


@pytest.mark.parametrize("model_type", ["llama", "qwen2", "mistral"])
def test_decoder_computes_what_each_supported_architecture_computes(model_type):
    model = _tiny(model_type)
    assert step_decoder.unsupported_reason(model) is None
    torch.manual_seed(1)
    ids = torch.randint(0, 256, (60,)).tolist()
    full, stepped = _teacher_forced(model, step_decoder.StepDecoder(model, "bf16"), ids, 30)
    report = numerics.assert_logits_match(stepped, full[30:], numerics.BF16)
    print(f"\n[numerics] {model_type} bf16 decoder against the full forward: {report.describe()}")


def test_sliding_window_models_are_left_to_transformers():
    model = _tiny("mistral")
    model.config.sliding_window = 32
    assert step_decoder.unsupported_reason(model) == "sliding-window attention"


# ---------------------------------------------------------------- the embedded model


@pytest.fixture(scope="module")
def bf16_runtime(embedded_model_dir):
    from writer_app.llm.runtime import ModelRuntime

    runtime = ModelRuntime.load("embedded", Path(os.environ["WRITER_APP_MODEL_CACHE"]), device="cpu",
                                quantization="16bit")
    yield runtime
    runtime.close()


def _novel_excerpt() -> str:
    from writer_app.resources import resource_path

    text = resource_path("samples", "pride-and-prejudice.txt").read_text(encoding="utf-8-sig")
    start = text.index("It is a truth universally acknowledged")
    return text[start : start + 3000]


def _teacher_forced(model, decoder, ids: list[int], prefix: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Full-forward logits for ``ids`` and the decoder's logits for positions ``prefix`` onwards."""
    with torch.inference_mode():
        full = model(input_ids=torch.tensor([ids])).logits[0].float()
    cache = make_growable_cache(model.config)
    with torch.inference_mode():
        model(input_ids=torch.tensor([ids[:prefix]]), past_key_values=cache, use_cache=True, logits_to_keep=1)
    layers = growable_layers(cache)
    assert layers is not None
    for layer in layers:
        layer.reserve(len(ids))
    stepped = [decoder.step(token, layers) for token in ids[prefix:]]
    return full, stepped


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("weight_format", [pytest.param("int4", marks=needs_int4), "int8", "bf16"])
def test_decoder_predicts_the_next_token_like_the_full_model(bf16_runtime, weight_format):
    model = bf16_runtime._base_model
    decoder = step_decoder.StepDecoder(model, weight_format)
    ids = bf16_runtime.encode(_novel_excerpt())[:400]
    prefix = len(ids) - 60
    full, stepped = _teacher_forced(model, decoder, ids, prefix)

    reference = full[prefix:]
    ours = torch.stack(stepped)
    tolerance = {"int4": numerics.INT4, "int8": numerics.INT8, "bf16": numerics.BF16}[weight_format]
    report = numerics.assert_logits_match(ours, reference, tolerance)
    targets = torch.tensor(ids[prefix + 1:])
    reference_loss = numerics.cross_entropy(reference[:-1], targets)
    our_loss = numerics.cross_entropy(ours[:-1], targets)
    print(f"\n[numerics] {weight_format} decoder against the full forward: {report.describe()}; "
          f"loss {our_loss:.4f} against {reference_loss:.4f}")
    assert abs(our_loss - reference_loss) < 0.05 * reference_loss
    assert decoder.nbytes < {"int4": 0.4, "int8": 0.6, "bf16": 1.1}[weight_format] * model.get_memory_footprint()


@pytest.mark.model
@pytest.mark.slow
def test_keys_written_by_the_decoder_serve_a_later_transformers_forward(bf16_runtime):
    """A kept cache mixes both writers: a later Continue prefills on top of decoded tokens.

    Decoding ~300 tokens without ``reserve`` also crosses the cache's first capacity (the buffer
    grows inside ``step``) and a rotary table boundary (position 256).
    """
    model = bf16_runtime._base_model
    decoder = step_decoder.StepDecoder(model, "bf16")
    ids = bf16_runtime.encode(_novel_excerpt())[:330]
    cache = make_growable_cache(model.config)
    with torch.inference_mode():
        model(input_ids=torch.tensor([ids[:20]]), past_key_values=cache, use_cache=True)
    layers = growable_layers(cache)
    first_capacity = layers[0]._kbuf.shape[-2]
    for token in ids[20:-5]:
        decoder.step(token, layers)
    assert cache.get_seq_length() == len(ids) - 5 > first_capacity
    with torch.inference_mode():
        tail = model(input_ids=torch.tensor([ids[-5:]]), past_key_values=cache, use_cache=True).logits[0].float()
        full = model(input_ids=torch.tensor([ids])).logits[0, -5:].float()
    # Not the exact argmax: position 4 is a near tie (8.312 against 8.312) that flips between machines.
    report = numerics.assert_logits_match(tail, full, numerics.BF16)
    print(f"\n[numerics] transformers on the decoder's cache against a fresh forward: {report.describe()}")


@pytest.fixture(scope="module")
def int4_runtime(embedded_model_dir):
    from writer_app.llm.runtime import ModelRuntime

    runtime = ModelRuntime.load("embedded", Path(os.environ["WRITER_APP_MODEL_CACHE"]), device="cpu",
                                quantization="4bit")
    yield runtime
    runtime.close()


@pytest.mark.model
@pytest.mark.slow
@needs_int4  # the int4_runtime fixture loads quantization 4bit
def test_cpu_4bit_runtime_writes_through_the_decoder_and_keeps_its_cache(int4_runtime, bf16_runtime):
    assert int4_runtime.info.quantization == "int4"
    assert int4_runtime._decoder is not None
    prompt = build_prompt(int4_runtime, TaskRequest("continue", text=STORY), 16)
    settings = GenerationSettings(max_new_tokens=16, temperature=0, seed=0)
    with numerics.recorded_choices() as int4_choices:
        text = int4_runtime.generate(prompt, settings)
    assert sum(c.isalpha() for c in text) >= 20
    with numerics.recorded_choices() as bf16_choices:
        bf16_runtime.generate(prompt, settings)
    # The same greedy tokens as unquantized bf16, up to a tie that int4 rounding may tip.
    parted = numerics.assert_greedy_agrees(int4_choices, bf16_choices, numerics.INT4)
    print(f"\n[numerics] int4 and bf16 greedy decoding: {parted}")
    # Continue again after accepting the text: only the new tail is prefilled, the rest was kept.
    again = int4_runtime.generate(prompt.text + text, settings)
    assert int4_runtime.last_prefill_tokens <= 3
    assert sum(c.isalpha() for c in again) >= 20
    # Sampling (the editor's default settings) goes through the same path and is reproducible.
    sampled = GenerationSettings(max_new_tokens=12, temperature=0.8, top_p=0.95, seed=7)
    int4_runtime.reset_cache()
    first = int4_runtime.generate(prompt, sampled)
    int4_runtime.reset_cache()
    assert int4_runtime.generate(prompt, sampled) == first


@pytest.mark.model
@pytest.mark.slow
@needs_int4  # the int4_runtime fixture loads quantization 4bit
def test_adapter_is_merged_into_the_decoder_and_detaching_restores_it(int4_runtime, adapter_dir):
    runtime = int4_runtime
    ids = runtime.encode(STORY)
    prefix = len(ids) - 12

    def forward_and_steps(decoder) -> tuple[torch.Tensor, torch.Tensor]:
        full, stepped = _teacher_forced(runtime._model, decoder, ids, prefix)  # _model: peft's, when attached
        return full[prefix:], torch.stack(stepped)

    base_full, base_steps = forward_and_steps(runtime._decoder)
    runtime.attach_adapter(adapter_dir)
    try:
        assert runtime._decoder is not None and runtime.info.quantization == "int4"
        adapted_full, adapted_steps = forward_and_steps(runtime._decoder)
        # The adapter changes what the model predicts, and the rebuilt decoder changes with it.
        changed = numerics.compare_logits(adapted_full, base_full)
        assert changed.rms_error > 5 * numerics.INT4 and changed.max_gap > 1, changed.describe()
        assert not numerics.logits_match(adapted_steps, base_steps, numerics.INT4)[0]
        # Merged without quantization, the decoder computes what peft's adapted forward computes.
        # (This test adapter is random and 16x scaled, far rougher than a trained one, so int4
        # rounding of its merged weights moves more tokens than it would for a real adapter.)
        _, merged_steps = forward_and_steps(step_decoder.StepDecoder(runtime._base_model, "bf16"))
        merged = numerics.assert_logits_match(merged_steps, adapted_full, numerics.BF16)
        quantized = numerics.compare_logits(adapted_steps, adapted_full)
        print(f"\n[numerics] adapter merged into a bf16 decoder against peft: {merged.describe()}; "
              f"into the int4 decoder: {quantized.describe()}; the adapter itself moved {changed.describe()}")
    finally:
        runtime.detach_adapter()
    _, restored_steps = forward_and_steps(runtime._decoder)
    # Exact: the decoder is rebuilt from the very weights it was built from first (the same path).
    assert torch.equal(restored_steps.argmax(-1), base_steps.argmax(-1))


@pytest.mark.model
@pytest.mark.slow
@needs_int4  # the int4_runtime fixture loads quantization 4bit
def test_cancel_and_an_abandoned_stream_leave_the_decoder_usable(int4_runtime):
    import threading

    runtime = int4_runtime
    prompt = build_prompt(runtime, TaskRequest("continue", text=STORY), 30)
    greedy = GenerationSettings(max_new_tokens=30, temperature=0, repetition_penalty=1.0)
    runtime.reset_cache()
    with numerics.recorded_choices() as expected_choices:
        expected = runtime.generate(prompt, greedy)

    cancel = threading.Event()
    pieces = []
    for piece in runtime.stream(prompt, GenerationSettings(max_new_tokens=200, seed=3), cancel):
        pieces.append(piece)
        cancel.set()  # the next token is not computed
    assert len(pieces) == 1

    stream = runtime.stream(prompt, greedy)
    next(stream)
    stream.close()  # the consumer walked away half way: the kept cache must still match its tokens
    # The kept cache is reused (the last prompt token is fed again on its own, whose bf16 rounding
    # differs from the batched prefill's, so the greedy text may part at a near tie; a cache out
    # of step with its tokens would derail it at once, far from any tie).
    with numerics.recorded_choices() as again_choices:
        runtime.generate(prompt, greedy)
    assert runtime.last_prefill_tokens == 1
    parted = numerics.assert_greedy_agrees(again_choices, expected_choices, numerics.BF16)
    print(f"\n[numerics] greedy decoding on the kept cache against a fresh prefill: {parted}")
    runtime.reset_cache()
    assert runtime.generate(prompt, greedy) == expected  # a fresh prefill again: the same path, exact
