"""LoRA adapters attach and detach without reloading; adapters for another model are refused."""

from __future__ import annotations

import json

import pytest
import torch

from writer_app.errors import UserError
from writer_app.llm.generation import GenerationSettings

pytestmark = [pytest.mark.model, pytest.mark.slow]
GREEDY = GenerationSettings(max_new_tokens=5, temperature=0)
PROMPT = "<|im_start|>user\nWrite one sentence about the sea.<|im_end|>\n<|im_start|>assistant\nThe sea"


def _copy(adapter_dir, tmp_path, name="copy"):
    target = tmp_path / name
    target.mkdir()
    for item in adapter_dir.iterdir():
        (target / item.name).write_bytes(item.read_bytes())
    return target


def test_attach_changes_the_output_and_detach_restores_it(fresh_runtime, adapter_dir):
    before = fresh_runtime.generate(PROMPT, GREEDY)
    name = fresh_runtime.attach_adapter(adapter_dir)
    assert name == "my-voice" and fresh_runtime.info.adapter == "my-voice"
    with_adapter = fresh_runtime.generate(PROMPT, GREEDY)
    assert with_adapter != before
    fresh_runtime.detach_adapter()
    assert fresh_runtime.info.adapter is None
    assert fresh_runtime.generate(PROMPT, GREEDY) == before
    # Attaching again (twice in a row) works and gives the same adapted text.
    fresh_runtime.attach_adapter(adapter_dir)
    fresh_runtime.attach_adapter(adapter_dir)
    assert fresh_runtime.generate(PROMPT, GREEDY) == with_adapter


def test_adapter_for_another_base_model_is_refused(fresh_runtime, adapter_dir, tmp_path):
    other = _copy(adapter_dir, tmp_path)
    config = json.loads((other / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = "meta-llama/Llama-3.1-8B-Instruct"
    (other / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match="trained for meta-llama/Llama-3.1-8B-Instruct"):
        fresh_runtime.attach_adapter(other)
    assert fresh_runtime.info.adapter is None


def test_adapter_with_other_shapes_is_refused(fresh_runtime, adapter_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    other = _copy(adapter_dir, tmp_path)
    config = json.loads((other / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = ""  # nothing recorded: the shapes must catch it
    (other / "adapter_config.json").write_text(json.dumps(config))
    tensors = load_file(other / "adapter_model.safetensors")
    tensors = {k: (torch.zeros(v.shape[0], 999) if ".lora_A." in k else v) for k, v in tensors.items()}
    save_file(tensors, other / "adapter_model.safetensors")
    with pytest.raises(UserError, match="does not fit"):
        fresh_runtime.attach_adapter(other)


def test_missing_or_broken_adapter_folders_are_refused(fresh_runtime, adapter_dir, tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        fresh_runtime.attach_adapter(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="adapter_config.json is missing"):
        fresh_runtime.attach_adapter(tmp_path / "empty")
    truncated = _copy(adapter_dir, tmp_path, "truncated")
    data = (truncated / "adapter_model.safetensors").read_bytes()
    (truncated / "adapter_model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="truncated"):
        fresh_runtime.attach_adapter(truncated)
