"""Damaged or unsafe model folders are refused with one clear message, before any heavy loading."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from writer_app.errors import UserError


def _copy_model(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for item in src.iterdir():
        if item.name != "model.safetensors":
            shutil.copy(item, dst / item.name)
    return dst


def _load(folder: Path, **kwargs):
    from writer_app.llm.runtime import ModelRuntime

    return ModelRuntime.load(str(folder), Path(os.environ["WRITER_APP_MODEL_CACHE"]), **kwargs)


def test_truncated_safetensors_is_refused_with_redownload_message(embedded_model_dir, tmp_path):
    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    with (embedded_model_dir / "model.safetensors").open("rb") as src, (folder / "model.safetensors").open("wb") as dst:
        dst.write(src.read(5_000_000))  # a download cut short
    with pytest.raises(UserError, match="truncated.*download the model again"):
        _load(folder)


def test_garbage_weights_file_is_refused(embedded_model_dir, tmp_path):
    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    (folder / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}" + b"\0" * 64)
    with pytest.raises(UserError, match="damaged header"):
        _load(folder)


def test_empty_weights_file_is_refused(embedded_model_dir, tmp_path):
    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    (folder / "model.safetensors").write_bytes(b"")
    with pytest.raises(UserError, match="empty or truncated"):
        _load(folder)


def test_pickle_only_weights_are_refused_unless_allowed(embedded_model_dir, tmp_path):
    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    (folder / "pytorch_model.bin").write_bytes(b"not really a pickle")
    with pytest.raises(UserError, match="pickle weights"):
        _load(folder)


def test_folder_without_config_is_not_a_model(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    with pytest.raises(UserError, match="config.json is missing"):
        _load(tmp_path / "notes")


def test_corrupt_config_is_refused(embedded_model_dir, tmp_path):
    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    (folder / "config.json").write_text("{ this is not json")
    with pytest.raises(UserError, match="damaged"):
        _load(folder)


def test_unsupported_architecture_is_refused(embedded_model_dir, tmp_path):
    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    os.link(embedded_model_dir / "model.safetensors", folder / "model.safetensors")
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "resnet"  # an image model: cannot write prose
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match="model type 'resnet' is not a text-generation model"):
        _load(folder)


def test_weights_of_another_architecture_are_refused(embedded_model_dir, tmp_path):
    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    os.link(embedded_model_dir / "model.safetensors", folder / "model.safetensors")
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "qwen2"  # needs attention biases the llama weights lack
    config["architectures"] = ["Qwen2ForCausalLM"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match="do not match its config"):
        _load(folder)


def test_hub_id_that_is_not_downloaded_gives_a_clear_error():
    with pytest.raises(UserError, match="not downloaded yet"):
        _load(Path("SomeOrg/Some-Model-That-Is-Not-Cached"))


def test_nonsense_setting_is_refused():
    with pytest.raises(UserError, match="neither 'embedded'"):
        _load(Path("/no/such/folder/anywhere"))


@pytest.mark.model
def test_4bit_on_cpu_decodes_through_transformers_when_the_step_decoder_cannot(embedded_model_dir, tmp_path):
    """A Llama with another activation: the int4 decoder does not compute it, so it is not used (and not claimed)."""
    from writer_app.llm.generation import GenerationSettings

    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    (folder / "model.safetensors").symlink_to(embedded_model_dir / "model.safetensors")
    config = json.loads((folder / "config.json").read_text())
    config["hidden_act"] = "gelu"
    (folder / "config.json").write_text(json.dumps(config))

    runtime = _load(folder, device="cpu", quantization="4bit")
    try:
        assert runtime.info.quantization == "none" and runtime._decoder is None
        text = runtime.generate("Once upon a time", GenerationSettings(max_new_tokens=4, temperature=0))
        assert text.strip()
    finally:
        runtime.close()
