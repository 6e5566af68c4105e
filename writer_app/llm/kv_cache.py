"""A KV cache that grows in place instead of concatenating every token.

transformers' ``DynamicLayer`` does ``torch.cat`` of the whole cache on each
step: with a 2,000-token document on a CPU that copies tens of megabytes per
token and halves the decode speed. This layer preallocates capacity (grown
geometrically) and hands attention a view of the filled part. It stays a
``DynamicLayer`` for everything else (masks, cropping, get_seq_length).
"""

from __future__ import annotations

from typing import Any

GROW_STEP = 256


def _grown(buffer: Any, needed: int) -> Any:
    import torch

    capacity = max(needed + GROW_STEP, int(needed * 1.5))
    shape = list(buffer.shape)
    shape[-2] = capacity
    fresh = torch.empty(shape, dtype=buffer.dtype, device=buffer.device)
    fresh[..., : buffer.shape[-2], :] = buffer
    return fresh


def make_growable_cache(config: Any) -> Any:
    """A DynamicCache whose full-attention layers grow in place (sliding layers unchanged)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    class GrowableLayer(DynamicLayer):
        def lazy_initialization(self, key_states: Any, value_states: Any) -> None:
            super().lazy_initialization(key_states, value_states)
            self._length = 0
            self._kbuf = key_states.new_empty((*key_states.shape[:-2], 0, key_states.shape[-1]))
            self._vbuf = value_states.new_empty((*value_states.shape[:-2], 0, value_states.shape[-1]))

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            start, count = self._length, key_states.shape[-2]
            end = start + count
            if end > self._kbuf.shape[-2]:
                self._kbuf = _grown(self._kbuf[..., :start, :], end)
                self._vbuf = _grown(self._vbuf[..., :start, :], end)
            self._kbuf[..., start:end, :] = key_states
            self._vbuf[..., start:end, :] = value_states
            self._length = end
            self.keys = self._kbuf[..., :end, :]
            self.values = self._vbuf[..., :end, :]
            return self.keys, self.values

        def crop(self, tokens_to_remove: int) -> None:
            if tokens_to_remove == 0 or not self.is_initialized:
                return
            self._length = max(0, self._length - abs(tokens_to_remove))
            self.keys = self._kbuf[..., : self._length, :]
            self.values = self._vbuf[..., : self._length, :]

    cache = DynamicCache(config=config)
    if cache.layers and all(type(layer) is DynamicLayer for layer in cache.layers):
        cache.layers = [GrowableLayer() for _ in cache.layers]
    return cache
