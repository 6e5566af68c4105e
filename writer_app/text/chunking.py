"""Token-aware splitting of manuscripts, for prompts and training data.

The model layer needs text that fits a token budget: chunks for hierarchical
summaries and training examples, and the most recent part of a chapter for
"continue". Cutting at paragraph boundaries keeps each piece readable (and
keeps the model from learning half-sentences); a paragraph too big for one
chunk falls back to sentence boundaries, and a sentence too big for one chunk
to word (then character) boundaries.

The token counter is passed in (``count_tokens(str) -> int``, e.g. a
tokenizer's ``len(tok.encode(s, add_special_tokens=False))``), so this module
needs no tokenizer itself. Counts of joined pieces are checked on the real
joined text, because tokenizers are not additive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TokenCounter = Callable[[str], int]

_LINE_RE = re.compile(r"[^\n]*\S[^\n]*")  # a non-blank line
_BLOCK_RE = re.compile(r"(?:[^\n]*\S[^\n]*(?:\n|$))+")  # non-blank lines up to a blank line
_NOT_AN_END = "".join(
    rf"(?<!\b{a})" for a in ("Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Mt", "Prof", "Capt", "Col")
)
_SENTENCE_RE = re.compile(
    rf"\S.*?(?:{_NOT_AN_END}[.!?…。！？．｡]+[\"'”’」』)\]]*(?=\s|$)|[。！？．｡]+[”’」』]*|$)", re.DOTALL
)
_WORD_START_RE = re.compile(r"(?<=\s)\S")
_PARAGRAPH_END_RE = re.compile(r"[.!?…:;。！？．｡\"'”’」』)\]*_]$")
_CJK_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


@dataclass(frozen=True)
class Chunk:
    """A piece of the text: ``text == source[start:end]``."""

    text: str
    start: int
    end: int
    tokens: int


def approx_token_count(text: str) -> int:
    """A tokenizer-free estimate (about 4 characters a token; one per CJK character).

    For budgeting before a tokenizer is loaded; pass a real counter when one is.
    """
    cjk = len(_CJK_RE.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


def _stripped_spans(text: str, pattern: re.Pattern[str], offset: int = 0) -> list[tuple[int, int]]:
    spans = []
    for m in pattern.finditer(text):
        piece = m.group(0)
        lead = len(piece) - len(piece.lstrip())
        end = m.start() + len(piece.rstrip())
        if end > m.start() + lead:
            spans.append((offset + m.start() + lead, offset + end))
    return spans


def is_hard_wrapped(text: str) -> bool:
    """True when paragraphs are blocks of several lines separated by blank lines.

    Project Gutenberg texts and many Markdown files wrap lines at ~70
    characters; the editor writes one paragraph per line. Wrapped lines are
    short, and a line followed by another line usually stops mid-sentence,
    where an editor paragraph ends with punctuation.
    """
    lines = [line.strip() for line in text.split("\n")]
    nonblank = [bool(line) for line in lines]
    pairs = list(zip(lines, lines[1:], strict=False))
    continued = [a for a, b in pairs if a and b]
    if not continued or not any(a and not b for a, b in pairs):
        return False
    lengths = sorted(len(line) for line in lines if line)
    typical_long_line = lengths[int(0.9 * (len(lengths) - 1))]
    mid_sentence = sum(1 for line in continued if not _PARAGRAPH_END_RE.search(line))
    return (
        4 * len(continued) >= sum(nonblank)
        and typical_long_line <= 100
        and 2 * mid_sentence >= len(continued)
    )


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph, surrounding whitespace excluded.

    A paragraph is a line, or a block of lines up to a blank line when the
    text is hard-wrapped (see ``is_hard_wrapped``).
    """
    return _stripped_spans(text, _BLOCK_RE if is_hard_wrapped(text) else _LINE_RE)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence inside ``text[start:end]``, as offsets into ``text``."""
    end = len(text) if end is None else end
    return _stripped_spans(text[start:end], _SENTENCE_RE, start)


def _longest_fitting_prefix(text: str, start: int, end: int, max_tokens: int, count: TokenCounter) -> int:
    """The end of the longest ``text[start:cut]`` within ``max_tokens``, cut before a word if possible."""
    lo, hi = start + 1, end  # text[start:lo] is at least one character: always make progress
    if count(text[start:hi]) <= max_tokens:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[start:mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    # Prefer to cut at the last word start inside the fitting prefix.
    word_starts = [m.start() for m in _WORD_START_RE.finditer(text, start, lo + 1)]
    if word_starts and word_starts[-1] > start:
        kept = text[start : word_starts[-1]].rstrip()
        return start + len(kept) if kept else lo
    return lo


def _hard_split(
    text: str, start: int, end: int, max_tokens: int, count: TokenCounter
) -> list[tuple[int, int]]:
    pieces = []
    while start < end:
        cut = _longest_fitting_prefix(text, start, end, max_tokens, count)
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    return pieces


def _units(text: str, max_tokens: int, count: TokenCounter) -> list[tuple[int, int, int]]:
    """Paragraphs, or sentences/fragments of paragraphs that are too big: (start, end, tokens)."""
    units = []
    for p_start, p_end in paragraph_spans(text):
        tokens = count(text[p_start:p_end])
        if tokens <= max_tokens:
            units.append((p_start, p_end, tokens))
            continue
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            tokens = count(text[s_start:s_end])
            if tokens <= max_tokens:
                units.append((s_start, s_end, tokens))
            else:
                units += [
                    (a, b, count(text[a:b])) for a, b in _hard_split(text, s_start, s_end, max_tokens, count)
                ]
    return units


def split_into_chunks(
    text: str, max_tokens: int, count_tokens: TokenCounter, *, overlap_tokens: int = 0
) -> list[Chunk]:
    """Consecutive chunks of at most ``max_tokens`` tokens, cut at paragraph boundaries.

    With ``overlap_tokens``, each chunk after the first starts with the last
    whole paragraphs (or sentences) of the previous one, up to that many
    tokens, so a summary or a training example keeps some context.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    units = _units(text, max_tokens, count_tokens)
    chunks: list[Chunk] = []
    i = 0
    chunks_first = 0  # index of the first unit of the previous chunk
    while i < len(units):
        first = i
        if chunks and overlap_tokens > 0:  # step back over the previous chunk's tail
            budget = overlap_tokens
            while first - 1 > chunks_first and units[first - 1][2] <= budget:
                budget -= units[first - 1][2]
                first -= 1
        chunks_first = first
        j = max(i, first) + 1  # at least one new unit, so the loop always advances
        total = sum(u[2] for u in units[first:j])
        while j < len(units) and total + units[j][2] <= max_tokens:
            total += units[j][2]
            j += 1
        # Check the joined text (separators and merges can add tokens); drop units until it fits.
        while True:
            piece = text[units[first][0] : units[j - 1][1]]
            tokens = count_tokens(piece)
            if tokens <= max_tokens or j - 1 <= max(first, i):
                break
            j -= 1
        if tokens > max_tokens and first < i:  # the overlap itself made it too big: drop it
            first = chunks_first = i
            piece = text[units[first][0] : units[j - 1][1]]
            tokens = count_tokens(piece)
        chunks.append(Chunk(piece, units[first][0], units[j - 1][1], tokens))
        i = j
    return chunks


def tail_start(text: str, max_tokens: int, count_tokens: TokenCounter) -> int:
    """Where the longest tail of ``text`` within ``max_tokens`` begins.

    The tail starts at a paragraph start if one fits, else at a sentence start
    inside the last paragraph, else at a word start, else anywhere.
    """
    if max_tokens < 1 or not text.strip():
        return len(text)
    if count_tokens(text) <= max_tokens:
        return 0
    paragraphs = paragraph_spans(text)
    candidates = [s for s, _ in paragraphs]
    found = _earliest_fitting(text, candidates, max_tokens, count_tokens)
    if found is not None:
        return found
    last_start, last_end = paragraphs[-1]
    candidates = [s for s, _ in sentence_spans(text, last_start, last_end)]
    found = _earliest_fitting(text, candidates, max_tokens, count_tokens)
    if found is not None:
        return found
    sentence_start = candidates[-1] if candidates else last_start
    candidates = [sentence_start] + [m.start() for m in _WORD_START_RE.finditer(text, sentence_start)]
    found = _earliest_fitting(text, candidates, max_tokens, count_tokens)
    if found is not None:
        return found
    found = _earliest_fitting(text, range(candidates[-1], len(text)), max_tokens, count_tokens)
    return len(text) if found is None else found


def _earliest_fitting(text: str, starts: Sequence[int], max_tokens: int, count: TokenCounter) -> int | None:
    """The smallest start in ``starts`` (ascending) whose tail fits; tails shrink as starts grow."""
    lo, hi = 0, len(starts)  # answer index in [lo, hi); hi means none fits
    while lo < hi:
        mid = (lo + hi) // 2
        if count(text[starts[mid] :]) <= max_tokens:
            hi = mid
        else:
            lo = mid + 1
    return starts[lo] if lo < len(starts) else None


def tail_within(text: str, max_tokens: int, count_tokens: TokenCounter) -> str:
    """The most recent part of ``text`` within ``max_tokens``, from a paragraph or sentence start."""
    return text[tail_start(text, max_tokens, count_tokens) :]


__all__ = [
    "Chunk",
    "TokenCounter",
    "approx_token_count",
    "paragraph_spans",
    "sentence_spans",
    "split_into_chunks",
    "tail_start",
    "tail_within",
]
