"""Fitting text into a token budget: keeping the most recent prose, chunking, bible notes.

Everything is counted in the model's own tokens (a ``count_tokens`` callable),
because the same 2,000 words are 2,600 tokens for one tokenizer and 3,400 for
another. Cuts fall on paragraph or sentence starts where possible, so the
model never sees half a word at the edge of its window.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from writer_app.storage.models import BibleEntry
from writer_app.text import chunking

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class BibleNote:
    name: str
    description: str
    aliases: tuple[str, ...] = ()


BibleInput = BibleNote | BibleEntry | dict | tuple | list


def as_bible_notes(entries: Iterable[BibleInput] | None) -> list[BibleNote]:
    """Accept (name, description) pairs, dicts (from scripts and the CLI) or storage ``BibleEntry`` rows."""
    notes: list[BibleNote] = []
    for entry in entries or ():
        if isinstance(entry, BibleNote):
            notes.append(entry)
        elif isinstance(entry, dict):
            notes.append(BibleNote(str(entry.get("name", "")), str(entry.get("description", "")),
                                   tuple(entry.get("aliases", ()) or ())))
        elif isinstance(entry, (tuple, list)) and len(entry) >= 2:
            notes.append(BibleNote(str(entry[0]), str(entry[1])))
        elif isinstance(entry, BibleEntry):
            notes.append(BibleNote(entry.name, entry.description or "", tuple(entry.aliases or ())))
    return [n for n in notes if n.name.strip()]


def mentioned_notes(notes: list[BibleNote], nearby_text: str) -> list[BibleNote]:
    """The notes whose name or an alias appears (as a whole word) in ``nearby_text``."""
    found = []
    for note in notes:
        for name in (note.name, *note.aliases):
            name = name.strip()
            if name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", nearby_text, re.IGNORECASE):
                found.append(note)
                break
    return found


def keep_recent(text: str, max_tokens: int, count_tokens: CountTokens) -> tuple[str, bool]:
    """The end of ``text`` that fits ``max_tokens``, starting at a paragraph or sentence; (text, cut?)."""
    if max_tokens <= 0:
        return "", bool(text)
    start = chunking.tail_start(text, max_tokens, count_tokens)
    return text[start:], start > 0


def keep_start(text: str, max_tokens: int, count_tokens: CountTokens) -> str:
    """The beginning of ``text`` that fits ``max_tokens`` (for context after a selection)."""
    if max_tokens <= 0:
        return ""
    if count_tokens(text) <= max_tokens:
        return text
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if count_tokens(text[:mid]) <= max_tokens:
            low = mid
        else:
            high = mid - 1
    head = text[:low]
    cut = max(head.rfind(". "), head.rfind("\n"))
    return head[: cut + 1] if cut > len(head) // 2 else head


def split_into_chunks(text: str, max_tokens: int, count_tokens: CountTokens) -> list[tuple[int, str]]:
    """Split ``text`` into (offset, chunk) pieces of at most ``max_tokens``, at paragraph breaks.

    Offsets index ``text`` so that suggestions found in a chunk map back to it.
    """
    return [(chunk.start, chunk.text) for chunk in chunking.split_into_chunks(text, max_tokens, count_tokens)]
