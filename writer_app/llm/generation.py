"""Generation settings shared by the CLI, the UI worker and the tasks.

A plain dataclass (no torch) so that the UI can build one from the profile's
settings without importing the model stack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from writer_app.errors import UserError
from writer_app.settings import DEFAULT_MAX_NEW_TOKENS, AppSettings

# No model this app loads has a longer window (runtime.MAX_PRACTICAL_CONTEXT), so asking for more
# new tokens can never succeed; refused here, before a model is loaded for nothing.
MAX_NEW_TOKENS = 32768
MAX_TEMPERATURE = 2.0  # beyond this the text is noise (and OpenAI-compatible servers refuse it)
MAX_SEED = 2**63 - 1  # torch seeds are 64-bit


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS  # how much text one request may produce, in tokens
    temperature: float = 0.8  # 0 means greedy (deterministic) decoding
    top_p: float = 0.95  # nucleus sampling: keep the smallest set of tokens with this much probability
    repetition_penalty: float = 1.1  # >1 discourages tokens already in the prompt or the output
    variants: int = 1  # how many alternatives the UI asks for (one stream() call each)
    seed: int | None = None  # fixed seed for reproducible sampling; None draws a fresh one
    # Mask the tokens that would break a hard check (``llm.constraints``); off only to measure them.
    constrained: bool = True

    def __post_init__(self) -> None:
        # NaN compares false with everything, so each range is written to fail for it too.
        if not 1 <= self.max_new_tokens <= MAX_NEW_TOKENS:
            raise UserError(f"max_new_tokens must be between 1 and {MAX_NEW_TOKENS}, not {self.max_new_tokens}")
        if not 0 <= self.temperature <= MAX_TEMPERATURE:
            raise UserError(f"temperature must be between 0 and {MAX_TEMPERATURE:g}, not {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise UserError(f"top_p must be above 0 and at most 1, not {self.top_p}")
        if not (math.isfinite(self.repetition_penalty) and self.repetition_penalty > 0):
            raise UserError(f"repetition_penalty must be a positive number, not {self.repetition_penalty}")
        if self.variants < 1:
            raise UserError("variants must be at least 1")
        if self.seed is not None and not -MAX_SEED <= self.seed <= MAX_SEED - self.variants:
            raise UserError(f"seed must be between -{MAX_SEED:,} and {MAX_SEED:,}, not {self.seed}")

    @classmethod
    def from_app_settings(cls, app_settings: AppSettings, **overrides: Any) -> GenerationSettings:
        """The profile's generation defaults, with ``overrides`` that are not None on top."""
        values: dict[str, Any] = {
            "max_new_tokens": app_settings.max_new_tokens, "temperature": app_settings.temperature,
            "top_p": app_settings.top_p, "repetition_penalty": app_settings.repetition_penalty,
            "variants": app_settings.variants, "seed": app_settings.seed,
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
