"""From the author's chapters to a file of packed token sequences.

Why a file: the trainer runs in its own process and must never open the
database (one writer: the app). The app exports the chosen documents as a
*sources* JSON (titles and text); this module cleans them, splits them into
token chunks at paragraph boundaries with a little overlap, packs the chunks
into full sequences (no padding: the tail wraps round to the start) and holds
out a deterministic 5–10 % of the *chapters* for evaluation: whole chapters
(a chapter's scenes go together), evenly spaced through the book, so the
held-out perplexity is measured on prose the adapter never saw. A manuscript
without chapters falls back to held-out tail blocks, and ``meta["heldout_mode"]``
says which. Front matter, tables of contents and notes never reach the
training text (``text.cleaning.is_apparatus_title`` / ``strip_apparatus``).
The result is one
``.npz`` (int32 token ids plus JSON metadata naming the tokenizer), written
atomically so a crash never leaves a half dataset that a resume would trust.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError
from writer_app.text.cleaning import clean_for_training, is_apparatus_title, strip_apparatus
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
    chapter: str = ""  # the chapter it belongs to ("" = its own): a chapter is held out whole
    kind: str = ""  # the binder kind ("chapter", "scene", "note"), "" when unknown


HELDOUT_CHAPTERS = "chapters"
HELDOUT_TAIL = "tail blocks"
TAIL_BLOCKS = 10  # a manuscript without chapters is cut into this many blocks; the last ones are held out


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


def spread_rows(rows: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of ``rows``, evenly spaced (0 = all).

    Why not the first ``limit``: the held-out rows are packed chapter after
    chapter, so the first 24 of Pride and Prejudice's 74 are all Chapter 7, and
    "perplexity on chapters the trainer never saw" would be measured on one.
    """
    if not limit or len(rows) <= limit:
        return rows
    return rows[np.linspace(0, len(rows) - 1, limit).round().astype(int)]


def chapter_groups(documents: Sequence[SourceDocument]) -> list[list[SourceDocument]]:
    """Documents grouped by chapter, in order: a chapter's scenes stay together (and are held out together)."""
    groups: list[list[SourceDocument]] = []
    keys: dict[str, int] = {}
    for index, doc in enumerate(documents):
        key = doc.chapter or f"#{index}"
        if key in keys:
            groups[keys[key]].append(doc)
        else:
            keys[key] = len(groups)
            groups.append([doc])
    return groups


def tail_blocks(doc: SourceDocument, parts: int = TAIL_BLOCKS) -> list[SourceDocument]:
    """One long document cut into ``parts`` blocks of whole paragraphs, in order."""
    paras = paragraphs(doc.text)
    parts = max(2, min(parts, len(paras)))
    size = math.ceil(len(paras) / parts)
    return [SourceDocument(f"{doc.title} ({i + 1})", "\n\n".join(paras[i * size:(i + 1) * size]), doc.node_id,
                           f"{doc.title} ({i + 1})", doc.kind)
            for i in range(parts) if paras[i * size:(i + 1) * size]]


def split_held_out(documents: Sequence[SourceDocument]) -> tuple[list[SourceDocument], list[SourceDocument], str]:
    """(train, held-out, mode): whole chapters evenly spaced through the book ("chapters"),
    or, for one long text without chapters, its last blocks ("tail blocks")."""
    docs = [d for d in documents if d.text.strip()]
    groups = chapter_groups(docs)
    if len(groups) == 1:
        blocks = tail_blocks(docs[0]) if len(docs) == 1 else docs
        n_held = max(1, round(len(blocks) * HELDOUT_FRACTION)) if len(blocks) >= 2 else 0
        cut = len(blocks) - n_held
        return list(blocks[:cut]), list(blocks[cut:]), HELDOUT_TAIL
    held = set(heldout_indices(len(groups)))
    train = [d for i, group in enumerate(groups) if i not in held for d in group]
    heldout = [d for i, group in enumerate(groups) if i in held for d in group]
    return train, heldout, HELDOUT_CHAPTERS


def split_chapters(documents: Sequence[SourceDocument]) -> tuple[list[SourceDocument], list[SourceDocument]]:
    """(train, held-out); see :func:`split_held_out`."""
    train, heldout, _mode = split_held_out(documents)
    return train, heldout


def drop_apparatus(documents: Sequence[SourceDocument]) -> tuple[list[SourceDocument], list[str], int]:
    """Front matter, contents and notes out: (the story's documents, titles left out, paragraphs removed)."""
    kept: list[SourceDocument] = []
    left_out: list[str] = []
    paragraphs_removed = 0
    for doc in documents:
        if doc.kind == "note" or is_apparatus_title(doc.title):
            left_out.append(doc.title)
            continue
        text, removed = strip_apparatus(doc.text)
        paragraphs_removed += removed
        kept.append(replace(doc, text=text))
    return kept, left_out, paragraphs_removed


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
                  base_model: str = "", allow_small: bool = True, keep_apparatus: bool = False) -> PackedDataset:
    """Clean, split, tokenize and pack; raises UserError for too little text.

    ``keep_apparatus`` keeps front matter, contents and notes (left out by default).
    """
    cleaned = [replace(d, text=clean_text(d.text)) for d in documents]
    left_out: list[str] = []
    removed = 0
    if not keep_apparatus:
        cleaned, left_out, removed = drop_apparatus(cleaned)
    words = sum(count_words(d.text) for d in cleaned)
    warning = check_size(words, allow_small=allow_small)
    train_docs, eval_docs, mode = split_held_out(cleaned)

    def encode(texts: list[str]) -> list[list[int]]:
        return tokenizer(texts, add_special_tokens=False)["input_ids"]

    eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    train_chunks, train_tokens = _tokenize_docs(train_docs, encode, seq_len, overlap_tokens)
    eval_chunks, eval_tokens = _tokenize_docs(eval_docs, encode, seq_len, overlap_tokens)
    train = pack(train_chunks, seq_len, eos)
    evaluation = pack(eval_chunks, seq_len, eos)
    # The opening of each held-out chapter (its first document), which the style comparison continues.
    openings = [" ".join(paragraphs(group[0].text)[:2])[:600] for group in chapter_groups(eval_docs)]
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
        "heldout_mode": mode,
        "heldout_chapters": [re.sub(r" \[\d+\]$", "", group[0].chapter or group[0].title)
                             for group in chapter_groups(eval_docs)],
        "train_titles": [d.title for d in train_docs],
        "excluded_titles": left_out,
        "excluded_paragraphs": removed,
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
    payload = [{"title": d.title, "text": d.text, "node_id": d.node_id, "chapter": d.chapter, "kind": d.kind}
               for d in documents]
    with atomic_write(path) as handle:
        json.dump(payload, handle, ensure_ascii=False)


def read_sources(path: Path) -> list[SourceDocument]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return [SourceDocument(d["title"], d["text"], d.get("node_id"), d.get("chapter", ""), d.get("kind", ""))
            for d in raw]


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
