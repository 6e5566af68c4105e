"""Generation settings shared by the CLI, the UI worker and the tasks.

A plain dataclass (no torch) so that the UI can build one from the profile's
settings without importing the model stack.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from writer_app.errors import UserError


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 120  # how much text one request may produce, in tokens
    temperature: float = 0.8  # 0 means greedy (deterministic) decoding
    top_p: float = 0.95  # nucleus sampling: keep the smallest set of tokens with this much probability
    repetition_penalty: float = 1.1  # >1 discourages tokens already in the prompt or the output
    variants: int = 1  # how many alternatives the UI asks for (one stream() call each)
    seed: int | None = None  # fixed seed for reproducible sampling; None draws a fresh one

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise UserError("max_new_tokens must be at least 1")
        if self.temperature < 0:
            raise UserError("temperature cannot be negative")
        if not 0 < self.top_p <= 1:
            raise UserError("top_p must be in (0, 1]")
        if self.repetition_penalty <= 0:
            raise UserError("repetition_penalty must be positive")
        if self.variants < 1:
            raise UserError("variants must be at least 1")

    @classmethod
    def from_app_settings(cls, app_settings: Any, **overrides: Any) -> GenerationSettings:
        """Build from ``writer_app.settings.AppSettings`` (same field names)."""
        values = {
            name: getattr(app_settings, name)
            for name in ("max_new_tokens", "temperature", "top_p", "repetition_penalty", "variants", "seed")
            if hasattr(app_settings, name)
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def for_variant(self, index: int) -> GenerationSettings:
        """The settings for alternative number ``index``: a different seed each."""
        if self.seed is None:
            return self
        return replace(self, seed=self.seed + index)

    def with_(self, **changes: Any) -> GenerationSettings:
        return replace(self, **changes)
