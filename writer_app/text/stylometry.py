"""Stylometry for the adapter's report: does the model now write *like the author*?

Perplexity says the adapter predicts the author's words better; it does not
say that what it writes reads like them. These four classic measures do,
and each is compared with the author's real text as a distance in [0, 1]:

- **sentence length** as a distribution (a histogram, not only the mean:
  Austen alternates long periods and short replies), compared with the
  Jensen–Shannon distance;
- **dialogue share**: the part of the text inside quotation marks;
- **function-word profile**: the rates of "the", "of", "which"… (for Chinese
  the function characters 的, 了, 是, 之…), the authorship-attribution
  signal, compared with the Jensen–Shannon distance;
- **type-token ratio** on equal windows (words; characters for Chinese),
  as a relative difference.

Chinese text is measured per character (sentence length in characters, a
window of characters), since it has no spaces to find words by. Pure
functions on strings, no model: the evaluation calls them on the author's
held-out chapters and on the base model's and the adapter's continuations.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from writer_app.text.chunking import paragraph_spans, sentence_spans
from writer_app.text.style_profile import FUNCTION_WORDS

FEATURES = ("sentence_length", "dialogue_share", "function_words", "type_token_ratio")
FEATURE_LABELS = {"sentence_length": "Sentence length", "dialogue_share": "Dialogue share",
                  "function_words": "Function words", "type_token_ratio": "Vocabulary (type-token)"}
# Upper edges of the sentence-length bins: words for English, characters for Chinese.
WORD_BINS = (5, 10, 15, 20, 30, 40, 60)
CHAR_BINS = (5, 10, 15, 20, 30, 45, 70)
TTR_WINDOW = 200  # tokens (Chinese: characters); short continuations still fill a few windows
CHINESE_FUNCTION_CHARS: tuple[str, ...] = (
    "的", "了", "是", "在", "不", "我", "他", "你", "这", "也", "就", "都", "而", "之", "着", "与",
    "和", "说", "道", "便", "却", "又", "只", "那", "个", "有", "去", "来", "得", "地", "么", "呢",
    "吧", "把", "被", "因", "所", "以", "其", "此", "乃", "亦", "且", "则", "若", "如", "已", "将",
)  # fmt: skip

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_QUOTE_RE = re.compile(r"“[^”]*”?|「[^」]*」?|『[^』]*』?|«[^»]*»?|\"[^\"]*\"?")


@dataclass(frozen=True)
class Stylometry:
    """The measures of one text; ``to_dict`` goes straight into the JSON report."""

    language: str  # "zh" (measured per character) or "en"
    tokens: int  # words, or CJK characters
    sentences: int
    mean_sentence_length: float
    sentence_length_histogram: list[float] = field(default_factory=list)  # shares per bin, sum 1
    dialogue_share: float = 0.0
    function_words: dict[str, float] = field(default_factory=dict)  # per 1,000 tokens
    type_token_ratio: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stylometry:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def detect_language(text: str) -> str:
    """"zh" when most letters are CJK characters, else "en" (the measures are per character then)."""
    cjk = len(_CJK_RE.findall(text))
    words = len(_WORD_RE.findall(_CJK_RE.sub(" ", text)))
    return "zh" if cjk > words else "en"


def tokens(text: str, language: str) -> list[str]:
    """Lower-case words, or the CJK characters of a Chinese text."""
    if language == "zh":
        return _CJK_RE.findall(text)
    return [w.lower().replace("’", "'") for w in _WORD_RE.findall(text)]


def sentence_lengths(text: str, language: str) -> list[int]:
    """Tokens per sentence (words; CJK characters for Chinese), sentences found paragraph by paragraph."""
    lengths = []
    for start, end in paragraph_spans(text):
        for s_start, s_end in sentence_spans(text, start, end):
            n = len(tokens(text[s_start:s_end], language))
            if n:
                lengths.append(n)
    return lengths


def histogram(lengths: list[int], edges: tuple[int, ...]) -> list[float]:
    """Shares of ``lengths`` in the bins ``<= edges[0]``, …, ``> edges[-1]`` (all zero when empty)."""
    counts = [0] * (len(edges) + 1)
    for n in lengths:
        counts[next((i for i, edge in enumerate(edges) if n <= edge), len(edges))] += 1
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def dialogue_share(text: str) -> float:
    """The share of non-space characters inside quotation marks (an unclosed quote ends with its paragraph)."""
    total = sum(1 for ch in text if not ch.isspace())
    if not total:
        return 0.0
    inside = 0
    for start, end in paragraph_spans(text):
        for match in _QUOTE_RE.finditer(text, start, end):
            inside += sum(1 for ch in match.group(0) if not ch.isspace())
    return inside / total


def type_token_ratio(items: list[str], window: int = TTR_WINDOW) -> float:
    """Distinct/total on consecutive ``window``-token windows, averaged (the whole text when shorter)."""
    if not items:
        return 0.0
    if len(items) < window:
        return len(set(items)) / len(items)
    spans = range(0, len(items) - window + 1, window)
    return statistics.fmean(len(set(items[i:i + window])) / window for i in spans)


def measure(text: str, language: str | None = None) -> Stylometry:
    """All four measures of ``text``; ``language`` is detected when not given."""
    language = language or detect_language(text)
    items = tokens(text, language)
    lengths = sentence_lengths(text, language)
    vocabulary = CHINESE_FUNCTION_CHARS if language == "zh" else FUNCTION_WORDS
    counts = Counter(items)
    per_thousand = 1000 / len(items) if items else 0.0
    return Stylometry(
        language=language, tokens=len(items), sentences=len(lengths),
        mean_sentence_length=statistics.fmean(lengths) if lengths else 0.0,
        sentence_length_histogram=histogram(lengths, CHAR_BINS if language == "zh" else WORD_BINS),
        dialogue_share=dialogue_share(text),
        function_words={w: counts[w] * per_thousand for w in vocabulary},
        type_token_ratio=type_token_ratio(items),
    )


def jensen_shannon_distance(p: list[float] | dict[str, float], q: list[float] | dict[str, float]) -> float:
    """The square root of the base-2 Jensen–Shannon divergence: 0 for the same shape, 1 for nothing shared.

    Both are normalised first; an empty side against a non-empty one is 1.
    """
    if isinstance(p, dict) or isinstance(q, dict):
        keys = sorted(set(p) | set(q))  # type: ignore[arg-type]
        p = [p.get(k, 0.0) for k in keys]  # type: ignore[union-attr]
        q = [q.get(k, 0.0) for k in keys]  # type: ignore[union-attr]
    sum_p, sum_q = sum(p), sum(q)
    if not sum_p and not sum_q:
        return 0.0
    if not sum_p or not sum_q:
        return 1.0
    p = [x / sum_p for x in p]
    q = [x / sum_q for x in q]
    divergence = 0.0
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        if a:
            divergence += 0.5 * a * math.log2(a / m)
        if b:
            divergence += 0.5 * b * math.log2(b / m)
    return math.sqrt(max(0.0, min(1.0, divergence)))


def distances(author: Stylometry, generated: Stylometry) -> dict[str, float]:
    """Per feature, how far ``generated`` is from ``author`` (each in [0, 1]), and ``overall`` (their mean)."""
    if author.type_token_ratio:
        ttr = min(1.0, abs(generated.type_token_ratio - author.type_token_ratio) / author.type_token_ratio)
    else:
        ttr = 0.0 if not generated.type_token_ratio else 1.0
    parts = {
        "sentence_length": jensen_shannon_distance(author.sentence_length_histogram,
                                                   generated.sentence_length_histogram),
        "dialogue_share": abs(generated.dialogue_share - author.dialogue_share),
        "function_words": jensen_shannon_distance(author.function_words, generated.function_words),
        "type_token_ratio": ttr,
    }
    parts["overall"] = statistics.fmean(parts[name] for name in FEATURES)
    return parts


def percent_closer(base: float, adapter: float) -> float | None:
    """How much closer to the author the adapter is than the base, in % of the base's distance
    (negative: further away; None when the base was already at distance 0)."""
    if base <= 0:
        return None
    return 100.0 * (base - adapter) / base


def compare(author_text: str, base_text: str, adapter_text: str) -> dict[str, Any]:
    """The report's stylometry: the three profiles, the distances base → adapter, the percentage closer.

    All three texts are measured in the author's language (a Chinese book is
    compared per character even if a continuation slipped into English).
    """
    author = measure(author_text)
    base = measure(base_text, author.language)
    adapter = measure(adapter_text, author.language)
    base_distance, adapter_distance = distances(author, base), distances(author, adapter)
    return {
        "language": author.language,
        "profiles": {"author": author.to_dict(), "base": base.to_dict(), "adapter": adapter.to_dict()},
        "distance": {name: {"base": base_distance[name], "adapter": adapter_distance[name],
                            "percent_closer": percent_closer(base_distance[name], adapter_distance[name])}
                     for name in (*FEATURES, "overall")},
    }
