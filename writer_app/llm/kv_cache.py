"""A KV cache that grows in place instead of concatenating every token.

transformers' ``DynamicLayer`` does ``torch.cat`` of the whole cache on each
step: with a 2,000-token document on a CPU that copies tens of megabytes per
token and halves the decode speed. This layer preallocates capacity (grown
geometrically) and hands attention a view of the filled part. It stays a
``DynamicLayer`` for everything else (masks, cropping, get_seq_length).

``step_decoder`` writes into the same buffers directly (``reserve`` first, so
that no buffer moves while it decodes), so a prefill done by transformers and
the decode steps done without it share one cache, which is kept between
requests either way (``KeptCache``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transformers import DynamicCache, PretrainedConfig

GROW_STEP = 256
_LAYER_CLASS: Any = None


def _grown(buffer: Any, needed: int) -> Any:
    import torch

    capacity = max(needed + GROW_STEP, int(needed * 1.5))
    shape = list(buffer.shape)
    shape[-2] = capacity
    fresh = torch.empty(shape, dtype=buffer.dtype, device=buffer.device)
    fresh[..., : buffer.shape[-2], :] = buffer
    return fresh


def growable_layer_class() -> Any:
    """The layer class, built on first use so that importing this module does not import transformers."""
    global _LAYER_CLASS
    if _LAYER_CLASS is not None:
        return _LAYER_CLASS
    from transformers.cache_utils import DynamicLayer

    class GrowableLayer(DynamicLayer):
        def lazy_initialization(self, key_states: Any, value_states: Any) -> None:
            super().lazy_initialization(key_states, value_states)
            self._length = 0
            self._kbuf = key_states.new_empty((*key_states.shape[:-2], 0, key_states.shape[-1]))
            self._vbuf = value_states.new_empty((*value_states.shape[:-2], 0, value_states.shape[-1]))

        def reserve(self, total: int) -> None:
            """Make room for ``total`` positions now, so that later writes never move the buffers."""
            if self.is_initialized and total > self._kbuf.shape[-2]:
                self._kbuf = _grown(self._kbuf[..., : self._length, :], total)
                self._vbuf = _grown(self._vbuf[..., : self._length, :], total)
                self.set_length(self._length)

        def set_length(self, length: int) -> None:
            """Declare the first ``length`` positions filled (after writing them into the buffers)."""
            self._length = length
            self.keys = self._kbuf[..., :length, :]
            self.values = self._vbuf[..., :length, :]

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
            self.set_length(end)
            return self.keys, self.values

        def crop(self, tokens_to_remove: int) -> None:
            if tokens_to_remove == 0 or not self.is_initialized:
                return
            self.set_length(max(0, self._length - abs(tokens_to_remove)))

    _LAYER_CLASS = GrowableLayer
    return _LAYER_CLASS


def make_growable_cache(config: PretrainedConfig) -> DynamicCache:
    """A DynamicCache whose full-attention layers grow in place (sliding layers unchanged)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    cache = DynamicCache(config=config)
    if cache.layers and all(type(layer) is DynamicLayer for layer in cache.layers):
        layer_class = growable_layer_class()
        cache.layers = [layer_class() for _ in cache.layers]
    return cache


def growable_layers(cache: DynamicCache) -> list[Any] | None:
    """The cache's layers when every one is a filled growable layer (what ``step_decoder`` needs), else None."""
    layers = list(getattr(cache, "layers", []) or [])
    layer_class = _LAYER_CLASS
    if not layers or layer_class is None:
        return None
    if not all(type(layer) is layer_class and layer.is_initialized for layer in layers):
        return None
    return layers


def common_prefix_length(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class KeptCache:
    """The KV cache of the last stream and the tokens whose keys and values it holds.

    Why an owner of its own: a repeated Continue on the same document only
    prefills what changed, so the cache outlives a stream; but a cache whose
    tokens are not known exactly would make the model attend to the wrong
    keys. Only ``keep`` pairs a cache with its tokens, and ``take`` empties
    the owner while a stream writes into the cache, so a stream that fails
    half way leaves nothing to reuse.
    """

    __slots__ = ("_cache", "_ids")

    def __init__(self) -> None:
        self._cache: DynamicCache | None = None
        self._ids: list[int] = []

    @property
    def empty(self) -> bool:
        return self._cache is None

    def keep(self, cache: DynamicCache, ids: list[int]) -> None:
        """Keep ``cache``, which holds the keys and values of exactly ``ids`` (the list is not copied)."""
        self._cache, self._ids = cache, ids

    def clear(self) -> None:
        self._cache, self._ids = None, []

    def take(self, ids: list[int], config: PretrainedConfig) -> tuple[DynamicCache, int]:
        """(cache, tokens of ``ids`` already in it) for a stream of ``ids``; the owner is left empty.

        The kept cache is cropped to the prefix it shares with ``ids``, less one token
        at least (the model needs one new token to compute the next one's logits); a
        fresh growable cache is made when nothing matches.
        """
        cache, kept_ids = self._cache, self._ids
        self.clear()
        reuse = min(common_prefix_length(kept_ids, ids), len(ids) - 1)
        if cache is None or reuse <= 0:
            return make_growable_cache(config), 0
        remove = cache.get_seq_length() - reuse
        if remove > 0:
            cache.crop(-remove)
        return cache, reuse
