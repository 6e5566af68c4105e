"""One resolver for the model setting: the editor's runtime and the trainer read a setting alike
and refuse a bad one with the same sentence (they used to say different things, or nothing useful)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from writer_app.errors import UserError


def _symlink_loop(tmp_path: Path) -> str:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    return str(tmp_path / "a")


def _a_file(tmp_path: Path) -> str:
    (tmp_path / "weights.gguf").write_bytes(b"GGUF")
    return str(tmp_path / "weights.gguf")


CASES = [
    pytest.param(lambda tmp: "Nobody/Not-Downloaded-Anywhere",
                 r"^model Nobody/Not-Downloaded-Anywhere is not downloaded yet; download it first "
                 r"\(Settings > Model > Download, or: writer-app download-model Nobody/Not-Downloaded-Anywhere\)$",
                 id="hub id not downloaded"),
    pytest.param(lambda tmp: str(tmp / "no" / "such" / "folder"),
                 r"^model '.*/no/such/folder' is neither 'embedded', a Hugging Face id \(owner/name\) "
                 r"nor an existing folder$", id="nonsense"),
    pytest.param(_symlink_loop, r"^the model folder .*/a cannot be used: it is a symbolic link loop$",
                 id="symlink loop"),
    pytest.param(_a_file, r"^the model folder .*/weights\.gguf cannot be used: it is a file, not a folder$",
                 id="a file"),
]


@pytest.fixture
def empty_hub_cache(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))


@pytest.mark.parametrize("make_setting,message", CASES)
def test_the_runtime_and_the_trainer_refuse_a_bad_setting_with_the_same_sentence(
        tmp_path, empty_hub_cache, make_setting, message):
    from writer_app.llm.runtime import ModelRuntime
    from writer_app.training.model_loading import resolve_base_model

    setting = make_setting(tmp_path)
    with pytest.raises(UserError) as by_runtime:
        ModelRuntime.load(setting, tmp_path / "models")
    with pytest.raises(UserError) as by_trainer:
        resolve_base_model(setting, tmp_path / "models")
    assert str(by_runtime.value) == str(by_trainer.value)
    assert len(str(by_runtime.value).splitlines()) == 1
    assert re.match(message, str(by_runtime.value)), str(by_runtime.value)


@pytest.mark.parametrize("setting", ["embedded", "", "  embedded  ", "   "])
def test_blank_or_spaced_settings_mean_the_embedded_model_for_the_trainer_too(embedded_model_dir, setting):
    from writer_app.llm.catalogue import describe_setting, resolve_model
    from writer_app.training.model_loading import resolve_base_model

    cache = Path(os.environ["WRITER_APP_MODEL_CACHE"])
    assert resolve_base_model(setting, cache) == embedded_model_dir
    resolved = resolve_model(setting, cache)
    assert resolved.embedded and resolved.name == "SmolLM2-135M-Instruct"
    assert describe_setting(setting) == "embedded (SmolLM2-135M-Instruct)"


def test_a_folder_keeps_the_name_it_was_given_and_resolves_to_its_target(embedded_model_dir, tmp_path):
    from writer_app.llm.catalogue import resolve_model

    (tmp_path / "my-model").symlink_to(embedded_model_dir)
    resolved = resolve_model(str(tmp_path / "my-model"), tmp_path / "models")
    assert (resolved.name, resolved.folder, resolved.embedded) == ("my-model", embedded_model_dir.resolve(), False)
