"""Top-p sampling draws only from the nucleus, the same one a full sort finds, and repeats with a seed."""

from __future__ import annotations

from collections import deque

import pytest
import torch

from writer_app.llm.decoding import NUCLEUS_CANDIDATES, _most_likely_first, sample_token
from writer_app.llm.generation import GenerationSettings

VOCAB = 49152


def _nucleus_by_full_sort(probs: torch.Tensor, top_p: float) -> set[int]:
    values, order = torch.sort(probs, descending=True)
    keep = torch.cumsum(values, 0) - values < top_p
    return set(order[keep].tolist())


@pytest.mark.parametrize("shape", ["peaked", "flat", "very flat"])
def test_ranked_candidates_hold_the_same_nucleus_as_a_full_sort(shape):
    torch.manual_seed(1)
    spread = {"peaked": 6.0, "flat": 1.5, "very flat": 0.01}[shape]
    probs = torch.softmax(torch.randn(VOCAB) * spread, 0)
    values, order = _most_likely_first(probs, 0.95)
    assert torch.all(values[:-1] >= values[1:])  # most likely first
    keep = torch.cumsum(values, 0) - values < 0.95
    assert set(order[keep].tolist()) == _nucleus_by_full_sort(probs, 0.95)
    if shape == "peaked":
        assert len(values) == NUCLEUS_CANDIDATES[0]  # found without sorting the vocabulary
    if shape == "very flat":
        assert len(values) == VOCAB  # nothing short of everything covers 95%


def test_sampling_stays_in_the_nucleus_and_repeats_with_a_seed():
    torch.manual_seed(2)
    logits = torch.randn(VOCAB) * 3
    settings = GenerationSettings(temperature=0.7, top_p=0.5, repetition_penalty=1.0)
    nucleus = _nucleus_by_full_sort(torch.softmax(logits / 0.7, 0), 0.5)

    def draws(seed: int) -> list[int]:
        generator = torch.Generator().manual_seed(seed)
        return [sample_token(logits.clone(), deque(), settings, generator) for _ in range(40)]

    first = draws(3)
    assert set(first) <= nucleus
    assert len(set(first)) > 1  # it samples, rather than always taking the top token
    assert draws(3) == first


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("temperature", [0.0, 0.8])
def test_invalid_numbers_in_the_logits_are_an_error_not_a_token(bad, temperature):
    """Greedy decoding used to pick the NaN's index silently (torch ranks NaN highest) and write gibberish;
    both paths now fail with the message the runtime turns into one sentence for the author."""
    logits = torch.randn(VOCAB)
    logits[123] = bad
    settings = GenerationSettings(temperature=temperature, top_p=0.95, repetition_penalty=1.0)
    with pytest.raises(RuntimeError, match="inf.*nan"):
        sample_token(logits, deque(), settings, torch.Generator().manual_seed(0))
