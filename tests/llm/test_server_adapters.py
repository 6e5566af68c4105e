"""``writer-app adapters publish/unpublish``: the personal adapter on a vLLM server.

vLLM needs a GPU, so these tests check the exact requests writer-app sends
(``POST /v1/load_lora_adapter`` with the adapter's name and folder, the API
key, then completions that ask for the adapter by name) against a local
server that answers as vLLM does (``tests/llm/vllm_stub.py``), and the one
sentence the author reads for each refusal.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.llm.vllm_stub import BASE_MODEL, VllmStub
from writer_app.cli import main
from writer_app.errors import UserError
from writer_app.llm.engine import API_KEY_ENV, ServerConfig
from writer_app.llm.server_adapters import publish_adapter, unpublish_adapter
from writer_app.paths import profile_paths
from writer_app.settings import load_settings
from writer_app.storage import Library


def _adapter_folder(where: Path, name: str = "my-voice") -> Path:
    """A small peft-format LoRA folder (config and safetensors weights): what vLLM is given to load."""
    from safetensors.numpy import save_file

    folder = where / name
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"],
        "base_model_name_or_path": BASE_MODEL}))
    rng = np.random.default_rng(0)
    save_file({"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": rng.random((2, 8), np.float32),
               "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": rng.random((8, 2), np.float32)},
              str(folder / "adapter_model.safetensors"))
    return folder


def _registered(profile: Path, name: str = "My voice") -> Path:
    paths = profile_paths(profile).ensure()
    folder = _adapter_folder(paths.adapters)
    with Library.open(paths.database) as lib:
        project = lib.create_project("Lighthouse")
        lib.register_adapter(name, folder, BASE_MODEL, project.id, {})
    return folder


def _run(*args: str) -> int:
    return main(list(args))


def test_publish_loads_the_folder_under_its_name_and_the_assistant_then_writes_with_it(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "sk-writing-group")
    profile = tmp_path / "profile"
    folder = _registered(profile)
    with VllmStub(api_key="sk-writing-group") as vllm:
        assert _run("adapters", "publish", "My voice", "--data-dir", str(profile), "--server", vllm.url) == 0
        load = vllm.posts("/v1/load_lora_adapter")
        assert [r["body"] for r in load] == [{"lora_name": "My voice", "lora_path": str(folder.resolve())}]
        assert load[0]["content_type"] == "application/json"
        assert load[0]["auth"] == "Bearer sk-writing-group"
        out = capsys.readouterr().out
        assert "published “My voice”" in out and "now writes with it" in out

        settings = load_settings(profile_paths(profile))
        assert (settings.server_url, settings.server_model) == (vllm.url, "My voice")
        # The profile's next Continue goes to the server and asks for the adapter by name.
        assert _run("generate", "--data-dir", str(profile), "--task", "continue", "--text",
                    "Mara climbed the stairs.", "--temperature", "0", "--max-new-tokens", "8", "--json") == 0
        payload = json.loads(capsys.readouterr().out)
        assert vllm.posts("/v1/completions")[-1]["body"]["model"] == "My voice"
        assert "My voice" in payload["text"] and payload["engine"] == "server"


def test_unpublish_unloads_it_and_the_profile_goes_back_to_the_base_model(tmp_path, capsys):
    profile = tmp_path / "profile"
    _registered(profile)
    with VllmStub() as vllm:
        assert _run("adapters", "publish", "My voice", "--data-dir", str(profile), "--server", vllm.url) == 0
        assert _run("adapters", "unpublish", "My voice", "--data-dir", str(profile)) == 0  # the profile's server
        assert [r["body"] for r in vllm.posts("/v1/unload_lora_adapter")] == [{"lora_name": "My voice"}]
        assert vllm.loaded == {}
        settings = load_settings(profile_paths(profile))
        assert settings.server_url == vllm.url and settings.server_model == ""
        assert "base model" in capsys.readouterr().out


def test_unpublishing_from_another_server_leaves_the_profiles_model_alone(tmp_path):
    profile = tmp_path / "profile"
    _registered(profile)
    with VllmStub() as mine, VllmStub() as other:
        assert _run("adapters", "publish", "My voice", "--data-dir", str(profile), "--server", mine.url) == 0
        assert _run("adapters", "publish", "My voice", "--data-dir", str(profile), "--server", other.url,
                    "--keep-settings") == 0
        assert _run("adapters", "unpublish", "My voice", "--data-dir", str(profile), "--server", other.url) == 0
        assert list(mine.loaded) == ["My voice"] and other.loaded == {}
    settings = load_settings(profile_paths(profile))
    assert (settings.server_url, settings.server_model) == (mine.url, "My voice")


def test_a_folder_can_be_published_under_another_name_and_a_path_the_server_sees(tmp_path, capsys):
    folder = _adapter_folder(tmp_path)
    profile = tmp_path / "profile"
    with VllmStub() as vllm:
        assert _run("adapters", "publish", str(folder), "--data-dir", str(profile), "--server", vllm.url,
                    "--served-name", "austen-voice", "--server-path", "/srv/adapters/my-voice",
                    "--keep-settings") == 0
        assert vllm.loaded == {"austen-voice": "/srv/adapters/my-voice"}
    assert load_settings(profile_paths(profile)).server_model == ""  # --keep-settings
    assert "--server-model \"austen-voice\"" in capsys.readouterr().out


def test_a_server_without_runtime_lora_loading_says_how_to_start_it(tmp_path):
    folder = _adapter_folder(tmp_path)
    with VllmStub(runtime_lora=False) as vllm, pytest.raises(UserError) as caught:
        publish_adapter(ServerConfig(vllm.url), "my-voice", str(folder))
    message = str(caught.value)
    assert "cannot load adapters at runtime (HTTP 404" in message
    assert "--enable-lora" in message and "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True" in message


@pytest.mark.parametrize(("setup", "path", "expected"), [
    ("twice", "", "has already been loaded.); unpublish it first"),
    ("", "/nowhere/my-voice", "No adapter found for /nowhere/my-voice); the folder is read by the server"),
    ("", "big-rank", "max_lora_rank 16.); start vLLM with a --max-lora-rank"),
])
def test_a_refused_load_carries_the_servers_reason_and_a_hint(tmp_path, setup, path, expected):
    folder = str(_adapter_folder(tmp_path))
    with VllmStub() as vllm:
        config = ServerConfig(vllm.url)
        if setup == "twice":
            publish_adapter(config, "my-voice", folder)
        with pytest.raises(UserError) as caught:
            publish_adapter(config, "my-voice", path or folder)
    assert "refused to load the adapter “my-voice” (HTTP" in str(caught.value)
    assert expected in str(caught.value)


def test_unpublishing_an_adapter_the_server_does_not_have_is_one_sentence():
    with VllmStub() as vllm, pytest.raises(UserError) as caught:
        unpublish_adapter(ServerConfig(vllm.url), "my-voice")
    assert "refused to unload the adapter “my-voice” (HTTP 404: The lora adapter 'my-voice' cannot be found.)" \
        in str(caught.value)


def test_a_wrong_key_and_a_server_that_is_down_are_one_line_and_exit_2(tmp_path, capsys):
    folder = _adapter_folder(tmp_path)
    with VllmStub(api_key="sk-right") as vllm:
        url = vllm.url
        assert _run("adapters", "publish", str(folder), "--data-dir", str(tmp_path / "p"), "--server", url) == 2
        assert vllm.loaded == {}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HTTP 401" in err and "API key" in err
    assert _run("adapters", "publish", str(folder), "--data-dir", str(tmp_path / "p"), "--server", url) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not answering" in err


def test_publish_checks_the_adapter_before_calling_the_server(tmp_path, capsys):
    folder = _adapter_folder(tmp_path)
    (folder / "adapter_model.safetensors").rename(folder / "adapter_model.bin")
    with VllmStub() as vllm:
        assert _run("adapters", "publish", str(folder), "--data-dir", str(tmp_path / "p"), "--server", vllm.url) == 2
        assert _run("adapters", "publish", "No such", "--data-dir", str(tmp_path / "p"), "--server", vllm.url) == 2
        assert vllm.requests == []
    err = capsys.readouterr().err.splitlines()
    assert "only pickle weights" in err[0] and err[0].endswith("only safetensors adapters are published to a server")
    assert "no adapter folder or registered adapter called “No such”" in err[1]
    good = _adapter_folder(tmp_path, "good")
    assert _run("adapters", "publish", str(good), "--data-dir", str(tmp_path / "p")) == 2
    assert "say which server" in capsys.readouterr().err
