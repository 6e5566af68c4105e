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
    paragraphs,
    read_dataset,
    split_chapters,
    split_held_out,
    write_dataset,
)

from .conftest import FIXTURE, austen_chapters


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


def _imported_austen(tmp_path):
    """Pride and Prejudice imported as the app imports it (61 chapters, some split into scenes)."""
    from writer_app.storage import Library
    from writer_app.storage.importer import import_path
    from writer_app.training.runs import documents_from_library

    lib = Library.open(tmp_path / "library.db")
    project = import_path(lib, FIXTURE)
    nodes = {n.id: n for n in lib.nodes(project.id)}
    documents = documents_from_library(lib, project.id)
    lib.close()
    return nodes, documents


def test_the_heldout_split_never_overlaps_the_training_chapters(tmp_path, tokenizer):
    nodes, documents = _imported_austen(tmp_path)
    assert any(n.kind == "scene" for n in nodes.values())  # chapters with scenes: the case to get right
    train, held, mode = split_held_out(documents)
    assert mode == "chapters"

    def chapter_of(doc):  # the top-level chapter node each document lives in
        node = nodes[doc.node_id]
        while node.parent_id:
            node = nodes[node.parent_id]
        return node.id

    held_chapters = {chapter_of(d) for d in held}
    train_chapters = {chapter_of(d) for d in train}
    assert held_chapters and not held_chapters & train_chapters
    assert 0.05 <= len(held_chapters) / 61 <= 0.10
    # Whole chapters: every scene of a held-out chapter is held out, none trained on.
    scenes = [n for n in nodes.values() if n.kind == "scene"]
    for scene in scenes:
        assert (chapter_of(SourceDocument("", "", scene.id)) in held_chapters) == (
            scene.id in {d.node_id for d in held})
    data = build_dataset(documents, tokenizer, seq_len=128, overlap_tokens=16)
    assert data.meta["heldout_mode"] == "chapters"
    assert set(data.meta["heldout_titles"]).isdisjoint(data.meta["train_titles"]) or all(
        t.startswith("Scene") for t in set(data.meta["heldout_titles"]) & set(data.meta["train_titles"]))
    assert len(data.meta["heldout_openings"]) == len(held_chapters)
    # No held-out sentence is in the training text.
    train_text = "\n".join(d.text for d in train)
    for doc in held:
        first = paragraphs(doc.text)[0]
        assert first not in train_text


def test_a_manuscript_without_chapters_holds_out_its_tail_and_says_so(tokenizer):
    whole = SourceDocument("Everything", "\n\n".join(d.text for d in austen_chapters(6)))
    train, held, mode = split_held_out([whole])
    assert mode == "tail blocks"
    last_paragraph = paragraphs(whole.text)[-1]
    assert held[-1].text.endswith(last_paragraph)
    assert not any(last_paragraph in d.text for d in train)
    data = build_dataset([whole], tokenizer, seq_len=128, overlap_tokens=16)
    assert data.meta["heldout_mode"] == "tail blocks"


def test_front_matter_contents_and_notes_are_left_out_of_the_training_text(tokenizer):
    chapters = austen_chapters(8)
    contents = "CONTENTS\n\n" + "\n\n".join(f"Chapter {i}" for i in range(1, 9))
    first = SourceDocument(chapters[0].title, "[Illustration: Mr. Bennet in his library]\n\n" + chapters[0].text)
    documents = [
        SourceDocument("Preface", "This edition was prepared from the 1813 text by a zealous editor. " * 30),
        SourceDocument("Title page", contents),
        first, *chapters[1:],
        SourceDocument("Notes", "Transcriber's note: spelling has been kept as in the original. " * 30),
    ]
    data = build_dataset(documents, tokenizer, seq_len=128, overlap_tokens=16)
    tokens = tokenizer.decode(np.concatenate([data.train.ravel(), data.eval.ravel()]).tolist())
    for gone in ("zealous editor", "CONTENTS", "Illustration", "Transcriber", "Chapter 7\n"):
        assert gone not in tokens
    assert "It is a truth universally acknowledged" in tokens
    assert data.meta["excluded_titles"] == ["Preface", "Notes"]
    assert data.meta["excluded_paragraphs"] >= 10
    kept = build_dataset(documents, tokenizer, seq_len=128, overlap_tokens=16, keep_apparatus=True)
    assert "zealous editor" in tokenizer.decode(np.concatenate([kept.train.ravel(), kept.eval.ravel()]).tolist())


def test_held_out_rows_are_taken_from_every_held_out_chapter_not_the_first_one():
    import numpy as np

    from writer_app.training.dataset import spread_rows

    rows = np.arange(74).reshape(74, 1)  # packed chapter after chapter: rows 0-14 are the first chapter
    chosen = spread_rows(rows, 24)[:, 0]
    assert len(set(chosen)) == 24 and chosen[0] == 0 and chosen[-1] == 73
    assert list(spread_rows(rows, 0)[:, 0]) == list(range(74)) == list(spread_rows(rows, 100)[:, 0])
