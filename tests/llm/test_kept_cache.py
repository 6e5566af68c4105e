"""The kept KV cache: reused for the prefix a new prompt shares with the last one, handed to one stream at a time."""

from __future__ import annotations

import pytest

from writer_app.llm.kv_cache import KeptCache

from .conftest import STORY

pytestmark = pytest.mark.model


def _forward(model, ids, cache=None):
    import torch

    with torch.inference_mode():
        return model(input_ids=torch.tensor([ids]), past_key_values=cache, use_cache=cache is not None).logits[0, -1]


def test_an_edited_prompt_reuses_the_shared_prefix_and_computes_what_a_fresh_prefill_computes(fresh_runtime):
    import torch

    model = fresh_runtime._base_model
    ids = fresh_runtime.encode(STORY)[:48]
    kept = KeptCache()
    cache, reused = kept.take(ids, model.config)
    assert reused == 0 and cache.get_seq_length() == 0  # nothing kept yet: a fresh cache
    _forward(model, ids, cache)
    kept.keep(cache, list(ids))

    edited = ids[:30] + fresh_runtime.encode(" Then the bell rang twice.")
    again, reused = kept.take(edited, model.config)
    assert again is cache and reused == 30 and cache.get_seq_length() == 30
    assert kept.empty  # handed over: a second stream cannot write into the same cache meanwhile
    on_kept = _forward(model, edited[30:], cache)
    torch.testing.assert_close(on_kept, _forward(model, edited), rtol=1e-4, atol=1e-4)

    kept.keep(cache, list(edited))
    same, reused = kept.take(edited, model.config)
    # The very same prompt: all but its last token, which is fed again for the next token's logits.
    assert same is cache and reused == len(edited) - 1 == cache.get_seq_length()

    kept.keep(cache, list(edited))
    fresh, reused = kept.take(fresh_runtime.encode("Nothing in common."), model.config)
    assert fresh is not cache and reused == 0


def test_clear_forgets_the_cache(fresh_runtime):
    model = fresh_runtime._base_model
    ids = fresh_runtime.encode(STORY)[:8]
    kept = KeptCache()
    cache, _ = kept.take(ids, model.config)
    _forward(model, ids, cache)
    kept.keep(cache, list(ids))
    assert not kept.empty
    kept.clear()
    assert kept.empty and kept.take(ids, model.config)[1] == 0
