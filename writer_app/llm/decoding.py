"""The decode loop: prefill (reusing the kept KV cache), then one forward per token.

Kept apart from ``runtime`` so the loop reads top to bottom. Sampling follows
llama.cpp's choices where transformers' defaults hurt prose: the repetition
penalty looks at the last ``REPEAT_WINDOW`` tokens only (penalising every
token of a 2,000-token chapter would suppress "the" and "she").
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from writer_app.errors import UserError
from writer_app.llm.generation import GenerationSettings

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

REPEAT_WINDOW = 64
NUCLEUS_CANDIDATES = (256, 4096)  # tokens ranked before top-p sampling falls back to a full sort


def common_prefix_length(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _most_likely_first(probs: Any, top_p: float) -> tuple[Any, Any]:
    """(probabilities, token ids), most likely first, covering at least ``top_p`` of the mass.

    Sorting a 49k vocabulary took ~4 ms per token on the CPU, more than the
    rest of a decode step; the nucleus almost always lies in the top few
    hundred tokens, which ``topk`` finds in ~70 us. Only a very flat
    distribution is sorted in full, as before.
    """
    import torch

    for count in NUCLEUS_CANDIDATES:
        if probs.numel() > count:
            values, order = torch.topk(probs, count)
            if float(values.sum()) >= top_p:
                return values, order
    return torch.sort(probs, descending=True)


def sample_token(logits: Any, recent: deque[int], settings: GenerationSettings, generator: Any) -> int:
    """Pick the next token from ``logits`` (1-D float tensor), in torch."""
    import torch

    if settings.repetition_penalty != 1.0 and recent:
        idx = torch.tensor(sorted(set(recent)), dtype=torch.long)
        vals = logits[idx]
        penalty = settings.repetition_penalty
        logits[idx] = torch.where(vals < 0, vals * penalty, vals / penalty)
    if settings.temperature <= 0:
        best = int(torch.argmax(logits))  # torch ranks NaN above every number, so one NaN is picked here
        if not math.isfinite(float(logits[best])):
            # The same words torch.multinomial uses when sampling, so the runtime says it once for both.
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        return best
    logits = logits / settings.temperature
    if settings.top_p < 1.0:
        probs, order = _most_likely_first(torch.softmax(logits, dim=-1), settings.top_p)
        cumulative = torch.cumsum(probs, dim=-1)
        keep = cumulative - probs < settings.top_p  # always keeps the most likely token
        probs = probs * keep
        choice = torch.multinomial(probs / probs.sum(), 1, generator=generator)
        return int(order[choice])
    probs = torch.softmax(logits, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


def _prepare_cache(runtime: ModelRuntime, ids: list[int]) -> tuple[Any, int]:
    """Return (cache, tokens already in it) reusing the runtime's kept cache where it matches."""
    from writer_app.llm.kv_cache import make_growable_cache

    cache, cached_ids = runtime._cache, runtime._cache_ids
    runtime._cache, runtime._cache_ids = None, []
    keep = min(common_prefix_length(cached_ids, ids), len(ids) - 1)
    if cache is None or keep <= 0:
        return make_growable_cache(runtime._model.config), 0
    remove = cache.get_seq_length() - keep
    if remove > 0:
        cache.crop(-remove)
    return cache, keep


def _use_fast_attention(runtime: ModelRuntime, device: Any) -> None:
    """Switch a CPU model to the packed-GQA decode attention once (see ``fast_decode``)."""
    if device.type != "cpu" or getattr(runtime, "_fast_attention_checked", False):
        return
    from writer_app.llm import fast_decode

    runtime.fast_attention = fast_decode.install(runtime._base_model)
    runtime._fast_attention_checked = True


def _step_decoder_layers(runtime: ModelRuntime, cache: Any, total: int) -> list[Any] | None:
    """The cache layers for ``step_decoder`` with room for ``total`` tokens, or None to decode through transformers."""
    from writer_app.llm.kv_cache import growable_layers

    if runtime._decoder is None:
        return None
    layers = growable_layers(cache)
    if layers is not None:
        for layer in layers:
            layer.reserve(total)
    return layers


def decode_stream(
    runtime: ModelRuntime,
    ids: list[int],
    settings: GenerationSettings,
    cancel: threading.Event | None,
) -> Iterator[str]:
    import torch

    model = runtime._model
    tokenizer = runtime.tokenizer
    device = next(model.parameters()).device
    _use_fast_attention(runtime, device)
    generator = torch.Generator(device="cpu")
    generator.manual_seed(settings.seed if settings.seed is not None else random.randrange(2**31))
    stop_ids = runtime._stop_ids
    runtime.last_tokens_per_second = None
    runtime.last_time_to_first_token = None

    started = time.perf_counter()
    cache, reused = _prepare_cache(runtime, ids)
    fed: list[int] = list(ids[:reused])
    kept_cache = False
    generated: list[int] = []
    emitted = ""
    first_token_at = None
    try:
        if cancel is not None and cancel.is_set():
            runtime._cache, runtime._cache_ids = cache, fed
            kept_cache = True
            return
        new = torch.tensor([ids[reused:]], dtype=torch.long, device=device)
        with torch.inference_mode():
            out = model(input_ids=new, past_key_values=cache, use_cache=True, logits_to_keep=1)
        fed = list(ids)
        runtime.last_prefill_tokens = len(ids) - reused
        layers = _step_decoder_layers(runtime, cache, len(ids) + settings.max_new_tokens)
        logits = out.logits[0, -1].to("cpu", torch.float32, copy=True)
        recent: deque[int] = deque(ids[-REPEAT_WINDOW:], maxlen=REPEAT_WINDOW)
        for step in range(settings.max_new_tokens):
            if cancel is not None and cancel.is_set():
                break
            token = sample_token(logits, recent, settings, generator)
            if first_token_at is None:
                first_token_at = time.perf_counter()
                runtime.last_time_to_first_token = first_token_at - started
            if token in stop_ids:
                break
            generated.append(token)
            recent.append(token)
            text = tokenizer.decode(generated, skip_special_tokens=True)
            if not text.endswith("\ufffd") and len(text) > len(emitted):
                delta, emitted = text[len(emitted):], text
                # State is consistent here, so a consumer that stops iterating leaves a usable cache.
                runtime._cache, runtime._cache_ids = cache, fed
                kept_cache = True
                yield delta
                runtime._cache, runtime._cache_ids = None, []
                kept_cache = False
            if step == settings.max_new_tokens - 1 or (cancel is not None and cancel.is_set()):
                break
            if layers is not None:
                logits = runtime._decoder.step(token, layers)
            else:
                with torch.inference_mode():
                    out = model(
                        input_ids=torch.tensor([[token]], dtype=torch.long, device=device),
                        past_key_values=cache,
                        use_cache=True,
                    )
                logits = out.logits[0, -1].to("cpu", torch.float32, copy=True)
            fed.append(token)
        runtime._cache, runtime._cache_ids = cache, fed
        kept_cache = True
    except torch.OutOfMemoryError as exc:
        runtime.reset_cache()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        raise UserError("the GPU ran out of memory while generating; use a shorter text or a smaller model") from exc
    finally:
        if not kept_cache:
            runtime.reset_cache()
        if first_token_at is not None and len(generated) > 1:
            elapsed = time.perf_counter() - first_token_at
            runtime.last_tokens_per_second = (len(generated) - 1) / elapsed if elapsed > 0 else None
