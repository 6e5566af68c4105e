"""The decode loop: prefill (reusing the kept KV cache), then one forward per token.

Kept apart from ``runtime`` so the loop reads top to bottom; it gets what it
works on as arguments (the model, the kept cache, the step decoder, the stop
tokens) and writes its figures into a ``DecodeStats``, so it knows nothing of
the runtime and the runtime's state has one owner. Sampling follows
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from writer_app.errors import UserError
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.kv_cache import KeptCache, growable_layers

if TYPE_CHECKING:
    from peft import PeftModel
    from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

    from writer_app.llm.constraints import TokenMask
    from writer_app.llm.step_decoder import StepDecoder

REPEAT_WINDOW = 64
NUCLEUS_CANDIDATES = (256, 4096)  # tokens ranked before top-p sampling falls back to a full sort


@dataclass
class DecodeStats:
    """How the last stream went, as the status bar, the CLI and the benchmarks report it."""

    tokens_per_second: float | None = None  # decode speed after the first token
    time_to_first_token: float | None = None  # seconds from the call to the first sampled token
    prefill_tokens: int = 0  # prompt tokens the model had to read (the rest came from the kept cache)


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


def _step_decoder_layers(decoder: StepDecoder | None, cache: DynamicCache, total: int) -> list[Any] | None:
    """The cache layers for ``decoder`` with room for ``total`` tokens, or None to decode through transformers."""
    if decoder is None:
        return None
    layers = growable_layers(cache)
    if layers is not None:
        for layer in layers:
            layer.reserve(total)
    return layers


def decode_stream(
    model: PreTrainedModel | PeftModel,
    tokenizer: PreTrainedTokenizerBase,
    ids: list[int],
    settings: GenerationSettings,
    *,
    kept: KeptCache,
    decoder: StepDecoder | None,
    stop_ids: set[int],
    stats: DecodeStats,
    cancel: threading.Event | None,
    mask: TokenMask | None = None,
) -> Iterator[str]:
    """Yield the text that follows ``ids``, reusing and then refilling ``kept``.

    ``decoder`` (the CPU step decoder, or None) computes the decode steps after a
    transformers prefill; ``stats`` is reset at the start and filled as the stream goes.
    ``mask`` (``constraints.TokenMask``) removes the tokens the answer may not use before each sample.
    """
    import torch

    device = next(model.parameters()).device
    generator = torch.Generator(device="cpu")
    generator.manual_seed(settings.seed if settings.seed is not None else random.randrange(2**31))
    stats.tokens_per_second = None
    stats.time_to_first_token = None

    started = time.perf_counter()
    cache, reused = kept.take(ids, model.config)
    fed: list[int] = list(ids[:reused])
    kept_cache = False
    generated: list[int] = []
    emitted = ""
    first_token_at = None
    try:
        if cancel is not None and cancel.is_set():
            kept.keep(cache, fed)
            kept_cache = True
            return
        new = torch.tensor([ids[reused:]], dtype=torch.long, device=device)
        with torch.inference_mode():
            out = model(input_ids=new, past_key_values=cache, use_cache=True, logits_to_keep=1)
        fed = list(ids)
        stats.prefill_tokens = len(ids) - reused
        layers = _step_decoder_layers(decoder, cache, len(ids) + settings.max_new_tokens)
        logits = out.logits[0, -1].to("cpu", torch.float32, copy=True)
        recent: deque[int] = deque(ids[-REPEAT_WINDOW:], maxlen=REPEAT_WINDOW)
        for step in range(settings.max_new_tokens):
            if cancel is not None and cancel.is_set():
                break
            if mask is not None:
                mask(generated, logits)
            token = sample_token(logits, recent, settings, generator)
            if first_token_at is None:
                first_token_at = time.perf_counter()
                stats.time_to_first_token = first_token_at - started
            if token in stop_ids:
                break
            generated.append(token)
            recent.append(token)
            text = tokenizer.decode(generated, skip_special_tokens=True)
            if not text.endswith("\ufffd") and len(text) > len(emitted):
                delta, emitted = text[len(emitted):], text
                # State is consistent here, so a consumer that stops iterating leaves a usable cache.
                kept.keep(cache, fed)
                kept_cache = True
                yield delta
                kept.clear()
                kept_cache = False
            if step == settings.max_new_tokens - 1 or (cancel is not None and cancel.is_set()):
                break
            if layers is not None:
                logits = decoder.step(token, layers)
            else:
                with torch.inference_mode():
                    out = model(
                        input_ids=torch.tensor([[token]], dtype=torch.long, device=device),
                        past_key_values=cache,
                        use_cache=True,
                    )
                logits = out.logits[0, -1].to("cpu", torch.float32, copy=True)
            fed.append(token)
        kept.keep(cache, fed)
        kept_cache = True
    except torch.OutOfMemoryError as exc:
        kept.clear()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        raise UserError("the GPU ran out of memory while generating; use a shorter text or a smaller model") from exc
    finally:
        if not kept_cache:
            kept.clear()
        if first_token_at is not None and len(generated) > 1:
            elapsed = time.perf_counter() - first_token_at
            stats.tokens_per_second = (len(generated) - 1) / elapsed if elapsed > 0 else None
