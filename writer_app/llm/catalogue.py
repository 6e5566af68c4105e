"""A small catalogue of instruct models worth recommending, and model resolution.

The VRAM figures are approximate needs for 4-bit NF4 weights plus a few
thousand tokens of KV cache; they exist to steer an author towards a model
their GPU can hold, not to promise a fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from writer_app.errors import UserError

EMBEDDED_SETTING = "embedded"
EMBEDDED_CANONICAL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ModelChoice:
    repo_id: str
    label: str
    params_b: float  # billions of parameters
    vram_4bit_gb: float  # approximate GPU memory for 4-bit weights + a working KV cache


CATALOGUE: tuple[ModelChoice, ...] = (
    ModelChoice("HuggingFaceTB/SmolLM2-1.7B-Instruct", "SmolLM2 1.7B Instruct (light)", 1.7, 2.0),
    ModelChoice("Qwen/Qwen2.5-3B-Instruct", "Qwen2.5 3B Instruct", 3.1, 3.0),
    ModelChoice("Qwen/Qwen2.5-7B-Instruct", "Qwen2.5 7B Instruct", 7.6, 6.5),
    ModelChoice("mistralai/Mistral-7B-Instruct-v0.3", "Mistral 7B Instruct v0.3", 7.2, 6.0),
    ModelChoice("meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B Instruct (gated)", 8.0, 7.0),
)


def recommend_models(vram_gb: float | None) -> list[ModelChoice]:
    """Catalogue entries that fit ``vram_gb`` of GPU memory, largest first (none without a GPU)."""
    if not vram_gb:
        return []
    fitting = [choice for choice in CATALOGUE if choice.vram_4bit_gb <= vram_gb * 0.9]
    return sorted(fitting, key=lambda c: c.params_b, reverse=True)


def looks_like_hub_id(setting: str) -> bool:
    return bool(_HUB_ID.match(setting)) and not Path(setting).expanduser().exists()


def describe_setting(setting: str) -> str:
    setting = (setting or EMBEDDED_SETTING).strip()
    if setting == EMBEDDED_SETTING:
        return "embedded (SmolLM2-135M-Instruct)"
    if looks_like_hub_id(setting):
        return f"Hugging Face model {setting}"
    return f"local folder {setting}"


def validate_setting(setting: str) -> str:
    setting = (setting or EMBEDDED_SETTING).strip()
    if setting != EMBEDDED_SETTING and not looks_like_hub_id(setting) and not Path(setting).expanduser().is_dir():
        raise UserError(
            f"model '{setting}' is neither 'embedded', a Hugging Face id (owner/name) nor an existing folder"
        )
    return setting
