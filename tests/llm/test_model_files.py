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


# --------------------------------------------------------------------------- damaged numbers in the weights
def _with_weight(embedded_model_dir: Path, folder: Path, name: str, value: float, index=(0, 0)) -> Path:
    """A copy of the embedded model with one entry of tensor ``name`` set to ``value``."""
    from safetensors.torch import load_file, save_file

    _copy_model(embedded_model_dir, folder)
    tensors = load_file(embedded_model_dir / "model.safetensors")
    tensors[name][index] = value
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


@pytest.mark.model
@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_weights_holding_nan_or_infinity_are_refused_in_one_sentence(embedded_model_dir, tmp_path, value):
    folder = _with_weight(embedded_model_dir, tmp_path / "model", "model.layers.3.mlp.down_proj.weight", value)
    with pytest.raises(UserError) as refused:
        _load(folder, device="cpu", quantization="32bit")
    assert str(refused.value) == (
        f"the model's weights in {folder} are damaged (model.layers.3.mlp.down_proj.weight holds NaN or "
        "infinite numbers); download or convert the model again")


@pytest.mark.model
def test_huge_but_finite_weights_load_and_an_overflow_while_writing_is_one_sentence(embedded_model_dir, tmp_path):
    """3e38 is finite (so the load check must not call it damaged), but the logits overflow to infinity."""
    from writer_app.llm.generation import GenerationSettings

    folder = _with_weight(embedded_model_dir, tmp_path / "model", "model.norm.weight", 3e38, index=slice(None))
    runtime = _load(folder, device="cpu", quantization="32bit")
    try:
        with pytest.raises(UserError, match=r"^model produced invalid numbers \(NaN or infinity\) while writing; "
                                            r"download the model again if its files may be damaged$"):
            runtime.generate("Once upon a time", GenerationSettings(max_new_tokens=4, temperature=0.8, seed=1))
        assert runtime._kept.empty  # the broken cache is not reused by the next request
    finally:
        runtime.close()


def test_refusal_names_the_first_damaged_tensor_without_loading_a_model():
    import torch

    from writer_app.llm.model_files import refuse_non_finite_weights

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 4))
    refuse_non_finite_weights(model, Path("m"))  # healthy
    with torch.no_grad():
        model[1].bias[2] = float("-inf")
    with pytest.raises(UserError, match=r"\(1\.bias holds NaN or infinite numbers\)"):
        refuse_non_finite_weights(model, Path("m"))
    with torch.no_grad():
        model[1].bias.fill_(3e38)  # finite: the sum overflows, the weights do not
    refuse_non_finite_weights(model, Path("m"))


# --------------------------------------------------------------------------- pickle adapters, everywhere
def _pickle_adapter(folder: Path, marker: Path) -> Path:
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct", "r": 4}))
    (folder / "adapter_model.bin").write_bytes(pickle.dumps({"weights": Evil()}))
    return folder


def test_pickle_adapter_is_refused_by_every_loader_before_anything_loads(embedded_model_dir, tmp_path):
    from writer_app.llm.adapters import adapter_weights_file
    from writer_app.training.compare import compare
    from writer_app.training.evaluate import evaluate_adapter

    marker = tmp_path / "code-ran"
    adapter = _pickle_adapter(tmp_path / "pickled", marker)
    expected = r"adapter 'pickled' has only pickle weights \(adapter_model\.bin\), which can run code"
    with pytest.raises(UserError, match=expected):
        adapter_weights_file(adapter)
    import numpy as np

    with pytest.raises(UserError, match=expected):
        evaluate_adapter(adapter, embedded_model_dir, np.zeros((1, 8), dtype=np.int64), {}, device="cpu")
    with pytest.raises(UserError, match=expected):
        compare(embedded_model_dir, adapter, "Once upon a time", 4, 1)
    assert not marker.exists()
    assert adapter_weights_file(adapter, allow_pickle=True) == adapter / "adapter_model.bin"


def test_compare_process_reports_a_pickle_adapter_as_one_json_line(embedded_model_dir, tmp_path):
    import subprocess
    import sys

    adapter = _pickle_adapter(tmp_path / "pickled", tmp_path / "code-ran")
    done = subprocess.run([sys.executable, "-m", "writer_app.training.compare", "--base", str(embedded_model_dir),
                           "--adapter", str(adapter)], input="Once", capture_output=True, text=True)
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"].startswith("adapter 'pickled' has only pickle weights")
    assert not (tmp_path / "code-ran").exists()


def test_a_model_folder_that_is_a_symlink_loop_says_so(tmp_path):
    from writer_app.training.model_loading import resolve_base_model

    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(UserError, match=r"the model folder .*/a cannot be used: it is a symbolic link loop"):
        resolve_base_model(str(tmp_path / "a"), tmp_path)


def test_allowed_pickle_weights_that_hold_code_are_refused_and_nothing_runs(embedded_model_dir, tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "code-ran"), "w"))

    folder = _copy_model(embedded_model_dir, tmp_path / "model")
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"model.embed_tokens.weight": Evil()}))
    with pytest.raises(UserError) as refused:
        _load(folder, device="cpu", quantization="32bit", allow_pickle=True)
    assert str(refused.value) == (f"the pickle weights in {folder} hold objects other than tensors, so they were "
                                  "not loaded (even 'allow pickle weights' reads tensors only)")
    assert not (tmp_path / "code-ran").exists()
