"""A small catalogue of instruct models worth recommending, and model resolution.

The VRAM figures are approximate needs for 4-bit NF4 weights plus a few
thousand tokens of KV cache; they exist to steer an author towards a model
their GPU can hold, not to promise a fit.

``resolve_model`` is the one place that turns the author's model setting
("embedded", a folder, or a Hugging Face id) into a folder of files, for the
runtime and the trainer alike, so both refuse a bad setting with the same
sentence.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from writer_app.errors import UserError
from writer_app.llm.download import cached_model_path, looks_like_hub_id
from writer_app.paths import require_dir

EMBEDDED_SETTING = "embedded"
EMBEDDED_CANONICAL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
ProgressCallback = Callable[[float, str], None]


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


def _understood(setting: str) -> str:
    """The setting as resolved: blank means the embedded model, surrounding spaces are dropped."""
    return (setting or "").strip() or EMBEDDED_SETTING


def describe_setting(setting: str) -> str:
    setting = _understood(setting)
    if setting == EMBEDDED_SETTING:
        return "embedded (SmolLM2-135M-Instruct)"
    if looks_like_hub_id(setting):
        return f"Hugging Face model {setting}"
    return f"local folder {setting}"


@dataclass(frozen=True)
class ResolvedModel:
    setting: str  # the setting as understood ("" is "embedded", surrounding spaces dropped)
    name: str  # what the author is shown, e.g. "SmolLM2-135M-Instruct" or "Qwen/Qwen2.5-3B-Instruct"
    folder: Path  # the folder with the config, tokenizer and weights

    @property
    def embedded(self) -> bool:
        return self.setting == EMBEDDED_SETTING


def resolve_model(
    setting: str,
    model_cache: Path,
    progress: ProgressCallback | None = None,
    *,
    convert_in_own_process: bool = False,
) -> ResolvedModel:
    """Map a model setting to its folder; raises UserError with one sentence for the author.

    The embedded model is converted on first use (``embedded.ensure_embedded_model``).
    With ``convert_in_own_process`` that conversion runs in a process of its own
    (``llm.isolated``), for a caller that must not import torch: the editor prepares a
    training job on a background thread, and importing torch there would freeze typing.
    """
    setting = _understood(setting)
    if setting == EMBEDDED_SETTING:
        from writer_app.llm.embedded import EMBEDDED_MODEL_NAME

        return ResolvedModel(setting, EMBEDDED_MODEL_NAME,
                             _embedded_folder_elsewhere(model_cache) if convert_in_own_process
                             else embedded_model_folder(model_cache, progress))
    folder = Path(setting).expanduser()
    if os.path.lexists(folder):  # meant as a folder: say what is wrong with it (a loop is not "not downloaded")
        return ResolvedModel(setting, folder.name, require_dir(folder, "the model folder").resolve())
    if not looks_like_hub_id(setting):
        raise UserError(
            f"model '{setting}' is neither 'embedded', a Hugging Face id (owner/name) nor an existing folder"
        )
    try:
        cached = cached_model_path(setting)
    except ImportError:  # huggingface_hub missing: nothing can have been downloaded with it
        cached = None
    if cached is None:
        raise UserError(
            f"model {setting} is not downloaded yet; download it first "
            f"(Settings > Model > Download, or: writer-app download-model {setting})"
        )
    return ResolvedModel(setting, setting, Path(cached))


def embedded_model_folder(model_cache: Path, progress: ProgressCallback | None = None) -> Path:
    """The embedded model's safetensors folder, converted now if needed (imports torch then)."""
    from writer_app.llm import embedded

    try:
        return embedded.ensure_embedded_model(Path(model_cache), progress)
    except embedded.EmbeddedModelMissing as exc:
        raise UserError(str(exc)) from exc


def _embedded_folder_elsewhere(model_cache: Path) -> Path:
    """``embedded_model_folder``, with a conversion still to do run in a process of its own."""
    from writer_app.llm import embedded, isolated

    if embedded.is_converted(Path(model_cache)):
        return embedded_model_folder(model_cache)
    try:
        return Path(isolated.call(embedded_model_folder, Path(model_cache)))
    except isolated.IsolatedCallFailed as exc:
        raise UserError(f"the built-in model could not be prepared: {exc}") from exc
