"""Dataset building: refusal, deterministic held-out split, packing without padding."""

from __future__ import annotations

import numpy as np
import pytest

from writer_app.errors import UserError
from writer_app.training.dataset import (
    SourceDocument,
    build_dataset,
    chunk_document,
    estimate,
    heldout_indices,
    pack,
    read_dataset,
    split_chapters,
    write_dataset,
)

from .conftest import austen_chapters


@pytest.fixture(scope="module")
def tokenizer(embedded_model_dir):
    from writer_app.training.model_loading import load_tokenizer

    return load_tokenizer(embedded_model_dir)


def test_under_two_thousand_words_is_refused_with_a_clear_message(tokenizer):
    short = [SourceDocument("Only chapter", "The rain fell on the roofs of the town. " * 200)]
    with pytest.raises(UserError, match="at least 2,000 words"):
        build_dataset(short, tokenizer, seq_len=64, overlap_tokens=8)


def test_small_but_usable_text_trains_with_a_warning(tokenizer):
    data = build_dataset(austen_chapters(3), tokenizer, seq_len=64, overlap_tokens=8)
    assert data.meta["words"] < 20_000
    assert "recommended" in data.meta["warning"]


def test_heldout_split_is_deterministic_and_five_to_ten_percent():
    for count in (2, 7, 20, 61, 200):
        chosen = heldout_indices(count)
        assert chosen == heldout_indices(count)
        assert len(chosen) >= 1
        if count >= 20:
            assert 0.05 <= len(chosen) / count <= 0.10
    chapters = austen_chapters(20)
    train_a, held_a = split_chapters(chapters)
    train_b, held_b = split_chapters(list(chapters))
    assert [d.title for d in held_a] == [d.title for d in held_b]
    assert not {d.title for d in held_a} & {d.title for d in train_a}


def test_single_document_still_gets_a_heldout_part():
    whole = SourceDocument("Everything", "\n\n".join(d.text for d in austen_chapters(4)))
    train, held = split_chapters([whole])
    assert len(held) == 1 and len(train) >= 1


def test_chunks_overlap_and_respect_the_length():
    paragraphs = [list(range(i * 100, i * 100 + 30)) for i in range(6)]
    chunks = chunk_document(paragraphs, seq_len=64, overlap=8)
    assert all(len(c) <= 64 for c in chunks)
    for previous, current in zip(chunks, chunks[1:], strict=False):
        assert current[:8] == previous[-8:]


def test_packing_fills_every_row_without_padding():
    rows = pack([[1, 2, 3], [4, 5]], seq_len=4, eos_id=0)
    assert rows.tolist() == [[1, 2, 3, 0], [4, 5, 0, 1]]


def test_dataset_round_trips_through_its_file(tmp_path, tokenizer):
    data = build_dataset(austen_chapters(8), tokenizer, seq_len=64, overlap_tokens=8, base_model="embedded")
    assert data.meta["heldout_titles"] == ["Chapter 5"]
    assert data.train.shape[1] == 64 and data.eval.shape[0] >= 1
    write_dataset(tmp_path / "d.npz", data)
    again = read_dataset(tmp_path / "d.npz")
    assert np.array_equal(again.train, data.train) and again.meta["base_model"] == "embedded"
    assert not list(tmp_path.glob(".dataset-*"))


def test_estimate_refuses_or_warns_from_word_counts():
    assert estimate([900, 900]).refused
    small = estimate([5000, 5000])
    assert small.refused is None and small.warning and small.tokens > small.words
    assert estimate([30_000]).warning is None


def test_markdown_marks_and_scene_breaks_do_not_reach_the_tokens(tokenizer):
    prose = " ".join(d.text for d in austen_chapters(3))
    marked = [SourceDocument("One", f"# Chapter One\n\nIt was **very** _odd_.\n\n* * *\n\n{prose}"),
              SourceDocument("Two", f"## Two\n\n{prose}")]
    data = build_dataset(marked, tokenizer, seq_len=64, overlap_tokens=8)
    text = tokenizer.decode(np.concatenate([data.train.ravel(), data.eval.ravel()]))
    assert "It was very odd." in text
    assert "**" not in text and "* * *" not in text and "# " not in text
