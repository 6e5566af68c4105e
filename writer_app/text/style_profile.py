"""Measurable fingerprints of a writing style, to tell whether an adapter took.

After training, the evaluation generates text with and without the adapter
and compares each to the author's own manuscript. Loss alone does not say
whether the model now *writes like the author*; these cheap stylometric
signals do, roughly: sentence length, how much is dialogue, vocabulary
richness, and the frequency profile of function words (the classic
authorship-attribution signal, because authors use "the", "of", "which"
at rates they do not control).

Everything here is plain numbers in dataclasses with ``to_dict``, so results
go straight into JSON metrics.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from writer_app.text.chunking import paragraph_spans, sentence_spans
from writer_app.text.counts import count_words

FUNCTION_WORDS: tuple[str, ...] = (
    "the", "of", "and", "to", "a", "in", "that", "is", "was", "he",
    "she", "it", "for", "with", "as", "his", "her", "on", "be", "at",
    "by", "i", "you", "had", "not", "but", "from", "or", "have", "an",
    "they", "which", "one", "were", "all", "we", "their", "been", "has", "there",
    "would", "what", "so", "if", "when", "no", "could", "my", "me", "him",
    "into", "then", "than", "this", "up", "out", "very", "upon", "should", "must",
)  # fmt: skip
TTR_WINDOW = 500  # tokens; type-token ratio depends on length, so it is measured on equal windows

_TOKEN_RE = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff]"  # one CJK character = one token
    r"|(?:(?![\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff])[^\W\d_])+(?:['’][^\W\d_]+)*"
)
_DIALOGUE_RE = re.compile(r"“[^”]*”?|「[^」]*」?|『[^』]*』?|«[^»]*»?|„[^“”]*[“”]?|\"[^\"]*\"?")


@dataclass(frozen=True)
class StyleProfile:
    words: int
    sentences: int
    mean_sentence_length: float  # words (CJK: characters) per sentence
    median_sentence_length: float
    dialogue_ratio: float  # share of non-space characters inside quotation marks
    type_token_ratio: float  # mean over TTR_WINDOW-token windows (whole text if shorter)
    function_words: dict[str, float] = field(default_factory=dict)  # per 1,000 tokens

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StyleProfile:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _TOKEN_RE.findall(text)]


def _type_token_ratio(tokens: list[str]) -> float:
    if not tokens:
        return 0.0
    if len(tokens) < TTR_WINDOW:
        return len(set(tokens)) / len(tokens)
    windows = [tokens[i : i + TTR_WINDOW] for i in range(0, len(tokens) - TTR_WINDOW + 1, TTR_WINDOW)]
    return statistics.fmean(len(set(w)) / TTR_WINDOW for w in windows)


def _dialogue_ratio(text: str, paragraphs: list[tuple[int, int]]) -> float:
    total = sum(1 for ch in text if not ch.isspace())
    if not total:
        return 0.0
    inside = 0
    for start, end in paragraphs:  # an unclosed quote ends with its paragraph
        for m in _DIALOGUE_RE.finditer(text, start, end):
            inside += sum(1 for ch in m.group(0) if not ch.isspace())
    return inside / total


def style_profile(text: str) -> StyleProfile:
    """The style fingerprint of ``text`` (any language; function words are English)."""
    paragraphs = paragraph_spans(text)
    lengths = []
    for start, end in paragraphs:
        for s_start, s_end in sentence_spans(text, start, end):
            words = count_words(text[s_start:s_end])
            if words:
                lengths.append(words)
    tokens = _tokens(text)
    counts = Counter(tokens)
    per_thousand = 1000 / len(tokens) if tokens else 0.0
    return StyleProfile(
        words=count_words(text),
        sentences=len(lengths),
        mean_sentence_length=statistics.fmean(lengths) if lengths else 0.0,
        median_sentence_length=float(statistics.median(lengths)) if lengths else 0.0,
        dialogue_ratio=_dialogue_ratio(text, paragraphs),
        type_token_ratio=_type_token_ratio(tokens),
        function_words={w: counts[w] * per_thousand for w in FUNCTION_WORDS},
    )


def cosine_distance(a: dict[str, float], b: dict[str, float]) -> float:
    """1 - cosine similarity over the union of keys (0 = same profile, 1 = nothing shared)."""
    keys = sorted(set(a) | set(b))
    dot = sum(a.get(k, 0.0) * b.get(k, 0.0) for k in keys)
    norm_a = math.sqrt(sum(a.get(k, 0.0) ** 2 for k in keys))
    norm_b = math.sqrt(sum(b.get(k, 0.0) ** 2 for k in keys))
    if not norm_a and not norm_b:
        return 0.0
    if not norm_a or not norm_b:
        return 1.0
    return max(0.0, 1.0 - dot / (norm_a * norm_b))


_SCALAR_METRICS = ("mean_sentence_length", "median_sentence_length", "dialogue_ratio", "type_token_ratio")


def compare_profiles(author: StyleProfile | dict, generated: StyleProfile | dict) -> dict[str, Any]:
    """How far ``generated`` is from ``author``, per metric and as one distance.

    ``distance`` is the mean of four parts, each in [0, 1]: the relative
    difference in mean sentence length (capped at 1), the absolute
    differences in dialogue ratio and type-token ratio, and the cosine
    distance between the function-word profiles. Lower is closer.
    """
    a = StyleProfile.from_dict(author) if isinstance(author, dict) else author
    g = StyleProfile.from_dict(generated) if isinstance(generated, dict) else generated
    result: dict[str, Any] = {}
    for name in _SCALAR_METRICS:
        av, gv = getattr(a, name), getattr(g, name)
        result[name] = {
            "author": av,
            "generated": gv,
            "difference": gv - av,
            "relative_difference": (gv - av) / av if av else (0.0 if gv == av else None),
        }
    fw_distance = cosine_distance(a.function_words, g.function_words)
    result["function_word_cosine_distance"] = fw_distance
    if a.mean_sentence_length:
        length_part = abs(g.mean_sentence_length - a.mean_sentence_length) / a.mean_sentence_length
    else:
        length_part = 0.0 if not g.mean_sentence_length else 1.0
    parts = [
        min(1.0, length_part),
        abs(g.dialogue_ratio - a.dialogue_ratio),
        abs(g.type_token_ratio - a.type_token_ratio),
        fw_distance,
    ]
    result["distance"] = statistics.fmean(parts)
    return result
