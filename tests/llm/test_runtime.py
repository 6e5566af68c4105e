"""Loading, streaming, cancellation and the kept KV cache, on the real embedded model (CPU)."""

from __future__ import annotations

import threading

import pytest

from tests import numerics
from writer_app.errors import UserError
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.tasks import TaskRequest, build_prompt

from .conftest import STORY

pytestmark = [pytest.mark.model, pytest.mark.slow]
GREEDY = GenerationSettings(max_new_tokens=12, temperature=0, seed=0)


def _prompt(runtime):
    return build_prompt(runtime, TaskRequest("continue", text=STORY), GREEDY.max_new_tokens)


def test_load_reports_what_was_loaded_and_where(runtime):
    info = runtime.info
    assert info.name == "SmolLM2-135M-Instruct"
    assert info.device == "cpu"
    assert info.quantization == "none"
    assert info.context_window == 8192
    assert 100 * 2**20 < info.memory_bytes < 1024 * 2**20
    assert info.has_chat_template
    assert "SmolLM2-135M-Instruct on cpu" in info.describe()


def test_default_cpu_load_picks_the_fastest_dtype_and_writes_text(embedded_model_dir):
    import os
    from pathlib import Path

    from writer_app.llm.runtime import ModelRuntime
    from writer_app.llm.weights import cpu_has_bf16

    rt = ModelRuntime.load("embedded", Path(os.environ["WRITER_APP_MODEL_CACHE"]))
    try:
        assert rt.info.dtype == ("bfloat16" if cpu_has_bf16() else "float32")
        text = rt.generate(_prompt(rt), GREEDY)
        assert sum(c.isalpha() for c in text) >= 10
    finally:
        rt.close()


def test_stream_yields_text_pieces_and_measures_speed(fresh_runtime):
    pieces = list(fresh_runtime.stream(_prompt(fresh_runtime), GREEDY))
    assert len(pieces) >= 3
    text = "".join(pieces)
    assert any(c.isalpha() for c in text) and "<|im_end|>" not in text
    assert fresh_runtime.last_tokens_per_second and fresh_runtime.last_tokens_per_second > 0
    assert fresh_runtime.last_time_to_first_token > 0


def test_same_seed_same_text_and_kept_cache_does_not_change_the_result(fresh_runtime):
    prompt = _prompt(fresh_runtime)
    sampled = GenerationSettings(max_new_tokens=10, temperature=0.9, seed=7)
    first = fresh_runtime.generate(prompt, sampled)
    assert fresh_runtime.last_prefill_tokens == prompt.input_tokens
    fresh_runtime.reset_cache()
    assert fresh_runtime.generate(prompt, sampled) == first  # the same path twice: exactly the same text
    # The kept cache of the same prompt feeds only its last token again, on its own (float32 rounds
    # a one-token forward differently from the batched prefill): the same choices, up to a near tie.
    fresh_runtime.reset_cache()
    with numerics.recorded_choices() as fresh:
        fresh_runtime.generate(prompt, GREEDY)
    with numerics.recorded_choices() as kept:
        fresh_runtime.generate(prompt, GREEDY)
    assert fresh_runtime.last_prefill_tokens == 1
    parted = numerics.assert_greedy_agrees(kept, fresh, numerics.FP32)
    print(f"\n[numerics] kept cache of the same prompt: {parted}")


def test_repeated_continue_after_an_edit_prefills_only_what_changed(fresh_runtime):
    base = _prompt(fresh_runtime)
    fresh_runtime.generate(base, GREEDY)
    longer = build_prompt(fresh_runtime, TaskRequest("continue", text=STORY + " She picked it up."), 12)
    with numerics.recorded_choices() as reused:
        fresh_runtime.generate(longer, GREEDY)
    assert fresh_runtime.last_prefill_tokens < 12
    fresh_runtime.reset_cache()
    with numerics.recorded_choices() as fresh:
        fresh_runtime.generate(longer, GREEDY)
    parted = numerics.assert_greedy_agrees(reused, fresh, numerics.FP32)
    print(f"\n[numerics] kept cache after an edit: {parted}")


def test_cancel_before_start_produces_nothing(fresh_runtime):
    cancel = threading.Event()
    cancel.set()
    assert list(fresh_runtime.stream(_prompt(fresh_runtime), GREEDY, cancel)) == []


def test_cancel_from_another_thread_stops_within_one_token(fresh_runtime):
    cancel = threading.Event()
    first_piece = threading.Event()
    settings = GenerationSettings(max_new_tokens=200, temperature=0.8, seed=3)
    after_cancel: list[str] = []

    def canceller():
        first_piece.wait(timeout=600)
        cancel.set()

    thread = threading.Thread(target=canceller)
    thread.start()
    for piece in fresh_runtime.stream(_prompt(fresh_runtime), settings, cancel):
        if cancel.is_set():
            after_cancel.append(piece)
        first_piece.set()
        if not cancel.is_set():
            cancel.wait(timeout=600)  # hold the loop until the other thread has cancelled
    thread.join()
    assert len(after_cancel) <= 1


def test_model_stays_usable_after_cancel_error_and_abandoned_stream(fresh_runtime):
    prompt = _prompt(fresh_runtime)
    with numerics.recorded_choices() as expected:
        fresh_runtime.generate(prompt, GREEDY)
    stream = fresh_runtime.stream(prompt, GenerationSettings(max_new_tokens=50, temperature=0))
    next(stream)
    stream.close()  # the consumer walked away half way
    with pytest.raises(UserError, match="does not fit"):
        fresh_runtime.generate("word " * 9000, GREEDY)
    with numerics.recorded_choices() as again:  # on the kept cache the abandoned stream left
        fresh_runtime.generate(prompt, GREEDY)
    parted = numerics.assert_greedy_agrees(again, expected, numerics.FP32)
    print(f"\n[numerics] kept cache after an abandoned stream: {parted}")


def test_empty_prompt_is_refused(fresh_runtime):
    with pytest.raises(UserError, match="empty"):
        fresh_runtime.generate("", GREEDY)


def test_cpu_threads_can_be_limited():
    import torch

    from writer_app.llm.runtime import set_cpu_threads

    before = torch.get_num_threads()
    try:
        set_cpu_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_bad_generation_settings_are_refused():
    with pytest.raises(UserError):
        GenerationSettings(max_new_tokens=0)
    with pytest.raises(UserError):
        GenerationSettings(top_p=1.5)


def test_generation_settings_follow_the_profile():
    from writer_app.settings import AppSettings

    settings = GenerationSettings.from_app_settings(AppSettings(temperature=0.5, seed=4), max_new_tokens=9)
    assert (settings.temperature, settings.seed, settings.max_new_tokens) == (0.5, 4, 9)
    assert settings.for_variant(2).seed == 6
