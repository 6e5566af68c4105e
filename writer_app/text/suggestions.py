"""A style suggestion tied to a span of the author's text.

Shared by the deterministic prose checks (``text.prose_checks``) and the
model critique (``llm``), so the editor underlines both the same way.
Offsets are Python ``str`` indices (code points) into the text that was
checked; the UI converts them to its own positions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Suggestion:
    start: int
    end: int
    category: str  # e.g. "repetition", "adverb", "filter-word", "passive", "long-sentence", "cliche", "model"
    problem: str  # what is wrong, for the author
    replacement: str | None = None  # a suggested replacement for text[start:end], if there is one
    source: str = "rule"  # "rule" (deterministic) or "model"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def applies_to(self, text: str) -> bool:
        return 0 <= self.start <= self.end <= len(text)
