"""From the author's chapters to a file of packed token sequences.

Why a file: the trainer runs in its own process and must never open the
database (one writer: the app). The app exports the chosen documents as a
*sources* JSON (titles and text); this module cleans them, splits them into
token chunks at paragraph boundaries with a little overlap, packs the chunks
into full sequences (no padding: the tail wraps round to the start) and holds
out a deterministic 5–10 % of the chapters for evaluation. The result is one
``.npz`` (int32 token ids plus JSON metadata naming the tokenizer), written
atomically so a crash never leaves a half dataset that a resume would trust.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError
from writer_app.text.cleaning import clean_for_training
from writer_app.text.counts import count_words

MIN_WORDS = 2_000
RECOMMENDED_WORDS = 20_000
HELDOUT_FRACTION = 0.075  # between the 5 % and 10 % the evaluation needs
DATASET_VERSION = 1
# Rough throughputs for the time estimate shown before a run (tokens/s).
ASSUMED_TOKENS_PER_S = {"cpu": 150.0, "cuda": 4000.0}

_PARAGRAPH_SPLIT = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class SourceDocument:
    """One chosen document: a chapter or scene, already plain text or Markdown."""

    title: str
    text: str
    node_id: int | None = None


@dataclass
class PackedDataset:
    train: np.ndarray  # int32 [n_train, seq_len]
    eval: np.ndarray  # int32 [n_eval, seq_len]
    meta: dict[str, Any] = field(default_factory=dict)


def clean_text(text: str) -> str:
    """Markdown marks and scene separators out, paragraphs kept (the text layer's cleaner)."""
    return clean_for_training(text)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPH_SPLIT.split(text) if p.strip()]


def heldout_indices(count: int, fraction: float = HELDOUT_FRACTION) -> list[int]:
    """Evenly spaced chapters (not random: the same manuscript always gives the same split).

    Spread through the book, so the held-out part is not just the ending.
    """
    if count < 2:
        return []
    n_heldout = max(1, round(count * fraction))
    return sorted({min(count - 1, int((i + 0.5) * count / n_heldout)) for i in range(n_heldout)})


def split_chapters(documents: Sequence[SourceDocument]) -> tuple[list[SourceDocument], list[SourceDocument]]:
    """(train, held-out). A single long document is cut into ten parts first."""
    docs = [d for d in documents if d.text.strip()]
    if len(docs) == 1:
        paras = paragraphs(docs[0].text)
        parts = max(2, min(10, len(paras)))
        size = math.ceil(len(paras) / parts)
        docs = [
            SourceDocument(f"{docs[0].title} ({i + 1})", "\n\n".join(paras[i * size:(i + 1) * size]), docs[0].node_id)
            for i in range(parts) if paras[i * size:(i + 1) * size]
        ]
    held = set(heldout_indices(len(docs)))
    return [d for i, d in enumerate(docs) if i not in held], [d for i, d in enumerate(docs) if i in held]


def check_size(words: int, *, allow_small: bool = True) -> str | None:
    """Refuse too little text; return a warning (or None) for a small-but-usable amount."""
    if words < MIN_WORDS:
        raise UserError(
            f"Only {words:,} words selected: a style adapter needs at least {MIN_WORDS:,} words of your "
            f"prose (about {RECOMMENDED_WORDS:,} or more for good results). Select more documents."
        )
    if words < RECOMMENDED_WORDS:
        return (f"{words:,} words is less than the recommended {RECOMMENDED_WORDS:,}: the adapter may "
                "learn little of your style, or copy phrases.")
    return None


def chunk_document(paragraph_ids: list[list[int]], seq_len: int, overlap: int) -> list[list[int]]:
    """Greedy paragraph-boundary chunks of at most ``seq_len`` tokens.

    Each chunk after the first starts with the previous chunk's last
    ``overlap`` tokens, so a sentence is never learnt without its lead-in.
    An over-long paragraph is cut into token slices.
    """
    chunks: list[list[int]] = []
    current: list[int] = []
    for ids in paragraph_ids:
        pieces = [ids[i:i + seq_len - overlap] for i in range(0, len(ids), seq_len - overlap)] or [[]]
        for piece in pieces:
            if current and len(current) + len(piece) > seq_len:
                chunks.append(current)
                current = current[-overlap:] if overlap else []
            current = current + piece
    if current:
        chunks.append(current)
    return chunks


def pack(chunks: list[list[int]], seq_len: int, eos_id: int) -> np.ndarray:
    """Concatenate chunks (each ended by EOS) and cut into full rows; the tail wraps round."""
    stream: list[int] = []
    for chunk in chunks:
        stream.extend(chunk)
        stream.append(eos_id)
    if not stream:
        return np.zeros((0, seq_len), dtype=np.int32)
    rows = math.ceil(len(stream) / seq_len)
    needed = rows * seq_len
    while len(stream) < needed:
        stream.extend(stream[: needed - len(stream)])
    return np.asarray(stream[:needed], dtype=np.int32).reshape(rows, seq_len)


def _tokenize_docs(docs: Sequence[SourceDocument], encode: Callable[[list[str]], list[list[int]]],
                   seq_len: int, overlap: int) -> tuple[list[list[int]], int]:
    chunks: list[list[int]] = []
    tokens = 0
    for doc in docs:
        paras = paragraphs(doc.text)
        if not paras:
            continue
        ids = encode([p + "\n\n" for p in paras])
        tokens += sum(len(x) for x in ids)
        chunks.extend(chunk_document(ids, seq_len, overlap))
    return chunks, tokens


def build_dataset(documents: Sequence[SourceDocument], tokenizer: Any, *, seq_len: int, overlap_tokens: int,
                  base_model: str = "", allow_small: bool = True) -> PackedDataset:
    """Clean, split, tokenize and pack; raises UserError for too little text."""
    cleaned = [SourceDocument(d.title, clean_text(d.text), d.node_id) for d in documents]
    words = sum(count_words(d.text) for d in cleaned)
    warning = check_size(words, allow_small=allow_small)
    train_docs, eval_docs = split_chapters(cleaned)

    def encode(texts: list[str]) -> list[list[int]]:
        return tokenizer(texts, add_special_tokens=False)["input_ids"]

    eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    train_chunks, train_tokens = _tokenize_docs(train_docs, encode, seq_len, overlap_tokens)
    eval_chunks, eval_tokens = _tokenize_docs(eval_docs, encode, seq_len, overlap_tokens)
    train = pack(train_chunks, seq_len, eos)
    evaluation = pack(eval_chunks, seq_len, eos)
    openings = [" ".join(paragraphs(d.text)[:2])[:600] for d in eval_docs]
    meta = {
        "version": DATASET_VERSION,
        "base_model": base_model,
        "tokenizer": getattr(tokenizer, "name_or_path", ""),
        "seq_len": seq_len,
        "overlap_tokens": overlap_tokens,
        "words": words,
        "tokens": train_tokens + eval_tokens,
        "train_tokens": train_tokens,
        "eval_tokens": eval_tokens,
        "train_sequences": int(train.shape[0]),
        "eval_sequences": int(evaluation.shape[0]),
        "documents": [d.title for d in documents],
        "heldout_titles": [d.title for d in eval_docs],
        "heldout_openings": openings,
        "heldout_text": "\n\n".join(d.text for d in eval_docs)[:50_000],
        "warning": warning,
    }
    return PackedDataset(train, evaluation, meta)


def write_dataset(path: Path, dataset: PackedDataset) -> None:
    """Atomic: written beside the target, fsynced, then renamed over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        np.savez(handle, train=dataset.train, eval=dataset.eval, meta=np.array(json.dumps(dataset.meta)))


def read_dataset(path: Path) -> PackedDataset:
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            return PackedDataset(data["train"], data["eval"], json.loads(str(data["meta"])))
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"the training dataset {path} cannot be read: {exc}") from exc


def write_sources(path: Path, documents: Sequence[SourceDocument]) -> None:
    """The app's export for the trainer process (which never opens the database)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = [{"title": d.title, "text": d.text, "node_id": d.node_id} for d in documents]
    with atomic_write(path) as handle:
        json.dump(payload, handle, ensure_ascii=False)


def read_sources(path: Path) -> list[SourceDocument]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return [SourceDocument(d["title"], d["text"], d.get("node_id")) for d in raw]


@dataclass(frozen=True)
class DatasetEstimate:
    """What the author sees before pressing Train."""

    words: int
    tokens: int
    documents: int
    estimated_seconds: float
    warning: str | None
    refused: str | None


def estimate(word_counts: Sequence[int], *, tokens_per_word: float = 1.35, epochs: float = 2.0,
             device: str = "cpu") -> DatasetEstimate:
    """A fast estimate from word counts alone (no tokenizer): safe on the GUI thread."""
    words = int(sum(word_counts))
    tokens = int(words * tokens_per_word)
    seconds = tokens * (1 - HELDOUT_FRACTION) * epochs / ASSUMED_TOKENS_PER_S.get(device, 150.0)
    try:
        warning, refused = check_size(words), None
    except UserError as exc:
        warning, refused = None, str(exc)
    return DatasetEstimate(words, tokens, len(word_counts), seconds, warning, refused)
