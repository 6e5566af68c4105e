"""Checking and attaching peft LoRA adapters to the loaded model.

An adapter trained on another base model either fails deep inside peft with
a shape error or, worse, loads and produces nonsense. So before attaching we
read ``adapter_config.json`` (the recorded base model) and the adapter's
safetensors header (the LoRA matrix shapes) and compare both with the model
that is loaded, refusing with one sentence that names the mismatch.

An adapter whose only weights are a pickle (``adapter_model.bin``) is refused
before anything loads it, here and in every other place that attaches an
adapter (``training.evaluate``, ``training.compare``): peft would otherwise
fall back to ``torch.load`` on it, which can run code or, with
``weights_only``, fails with a page of text.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

from writer_app.errors import UserError, one_line
from writer_app.llm.model_files import safetensors_header
from writer_app.paths import display_path, require_dir

SAFETENSORS_WEIGHTS = "adapter_model.safetensors"
PICKLE_WEIGHTS = "adapter_model.bin"

if TYPE_CHECKING:
    from collections.abc import Iterable

    from peft import PeftModel
    from transformers import PreTrainedModel


def _normalise(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1].lower()


def read_adapter_config(folder: Path) -> dict:
    require_dir(folder, "the adapter folder")
    config_path = folder / "adapter_config.json"
    if not config_path.is_file():
        raise UserError(f"{display_path(folder)} is not a LoRA adapter (adapter_config.json is missing)")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{display_path(config_path)} is damaged") from exc
    if not isinstance(config, dict):
        raise UserError(f"{display_path(config_path)} is damaged")
    return config


def adapter_weights_file(folder: Path, allow_pickle: bool = False) -> Path:
    """The adapter's weights file, its header checked; a pickle-only adapter is refused unless allowed.

    Call it before handing ``folder`` to peft: peft loads ``adapter_model.bin``
    with ``torch.load`` whenever the safetensors file is missing.
    """
    folder = Path(folder)
    weights = folder / SAFETENSORS_WEIGHTS
    if weights.is_file():
        safetensors_header(weights)
        return weights
    name = display_path(folder.name)
    if (folder / PICKLE_WEIGHTS).is_file():
        if allow_pickle:
            return folder / PICKLE_WEIGHTS
        raise UserError(
            f"adapter '{name}' has only pickle weights ({PICKLE_WEIGHTS}), which can run code when loaded; "
            "only safetensors adapters are loaded (convert it, or enable 'allow pickle weights' in the settings)"
        )
    raise UserError(f"adapter '{name}' has no weights ({SAFETENSORS_WEIGHTS} is missing)")


def safetensors_weights(folder: Path, purpose: str) -> Path:
    """The adapter's safetensors weights for ``purpose`` (e.g. "converted to GGUF"), pickle never allowed.

    A server or converter loads ``adapter_model.bin`` with ``torch.load``, so the
    "allow pickle weights" setting (which is about this app's own loading) does not apply.
    """
    folder = Path(folder)
    if not (folder / SAFETENSORS_WEIGHTS).is_file() and (folder / PICKLE_WEIGHTS).is_file():
        raise UserError(f"adapter '{display_path(folder.name)}' has only pickle weights ({PICKLE_WEIGHTS}), "
                        f"which can run code when loaded; only safetensors adapters are {purpose}")
    return adapter_weights_file(folder)


def check_adapter(
    folder: Path,
    base_model: PreTrainedModel,
    model_name: str,
    identities: Iterable[str],
    allow_pickle: bool = False,
) -> dict:
    """Raise UserError unless the adapter in ``folder`` fits ``base_model``; return its config.

    ``model_name`` is how the model is named to the author; ``identities`` are the
    names under which it may be recorded as an adapter's base (see ``ModelRuntime.identities``).
    """
    config = read_adapter_config(folder)
    name = display_path(folder.name)
    if config.get("peft_type", "LORA") != "LORA":
        raise UserError(f"{name} is a {config.get('peft_type')} adapter; only LoRA adapters are supported")
    weights = adapter_weights_file(folder, allow_pickle)
    base = str(config.get("base_model_name_or_path") or "")
    if base and _normalise(base) not in {_normalise(n) for n in identities}:
        raise UserError(
            f"adapter '{name}' was trained for {base}, but the loaded model is {model_name}; "
            "load that model or pick an adapter made for this one"
        )
    if weights.suffix == ".safetensors":
        _check_shapes(base_model, model_name, name, safetensors_header(weights))
    return config


def _check_shapes(model: PreTrainedModel, model_name: str, name: str, header: dict) -> None:
    for key, entry in header.items():
        if key == "__metadata__" or ".lora_" not in key:
            continue
        module_path, _, rest = key.partition(".lora_")
        module_path = module_path.removeprefix("base_model.model.")
        try:
            module = model.get_submodule(module_path)
        except AttributeError:
            raise UserError(
                f"adapter '{name}' targets a layer ({module_path}) that the loaded model "
                f"{model_name} does not have; it was made for another model"
            ) from None
        shape = entry.get("shape", [])
        in_features = getattr(module, "in_features", None)
        out_features = getattr(module, "out_features", None)
        if len(shape) != 2 or in_features is None:
            continue
        if rest.startswith("A") and shape[1] != in_features or rest.startswith("B") and shape[0] != out_features:
            raise UserError(
                f"adapter '{name}' does not fit {model_name}: layer {module_path} has other "
                "dimensions; it was made for another model"
            )


def load_peft(base_model: PreTrainedModel, folder: Path) -> PeftModel:
    """Wrap ``base_model`` with the adapter (inference only)."""
    from peft import PeftModel

    try:
        model = PeftModel.from_pretrained(base_model, str(folder), is_trainable=False)
    except (pickle.UnpicklingError, EOFError) as exc:  # allowed pickle weights that hold more than tensors
        raise UserError(f"cannot attach adapter '{display_path(folder.name)}': its pickle weights are damaged "
                        "or hold objects other than tensors, so they were not loaded") from exc
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise UserError(f"cannot attach adapter '{display_path(folder.name)}': {one_line(exc)[:300]}") from exc
    return model.eval()
