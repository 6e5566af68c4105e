"""The personal adapter on llama.cpp's server: a peft adapter converted to a GGUF LoRA writes as it does in the app.

The adapter is a real peft LoRA on the embedded model, on all seven
projections of every layer, with random A *and* B (``init_lora_weights=False``)
so that it changes what the model writes; a trained adapter is the same
file with other numbers. It is converted with ``writer-app adapters
export-gguf`` and loaded into a real ``llama_cpp.server`` on the embedded
GGUF with ``--lora_path``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.llama_server import MODEL_ALIAS, LlamaServer
from writer_app.cli import main
from writer_app.errors import UserError
from writer_app.llm.engine import ServerConfig
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.gguf_lora import base_config_of, convert_adapter
from writer_app.paths import profile_paths
from writer_app.storage import Library

# Greedy, no repetition penalty: llama.cpp applies it over its last 64 tokens, transformers over all of them.
GREEDY = GenerationSettings(max_new_tokens=12, temperature=0.0, repetition_penalty=1.0)
PROMPT = ("The rain had not stopped for three days when Mara finally opened the door of the lighthouse. "
          "Inside, the air smelled of salt and old paper, and")
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
RANK = 8


def _build_adapter(folder: Path, model_dir: Path, *, rslora: bool = False, alpha: int = 16) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    base.config._name_or_path = "HuggingFaceTB/SmolLM2-135M-Instruct"
    torch.manual_seed(0)  # the same adapter every run
    config = LoraConfig(r=RANK, lora_alpha=alpha, target_modules=PROJECTIONS, init_lora_weights=False,
                        use_rslora=rslora)
    get_peft_model(base, config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def voice_adapter(tmp_path_factory, embedded_model_dir) -> Path:
    return _build_adapter(tmp_path_factory.mktemp("adapters") / "my-voice", embedded_model_dir)


@pytest.fixture(scope="module")
def voice_gguf(voice_adapter, embedded_model_dir) -> Path:
    out = voice_adapter.parent / "my-voice.gguf"
    convert_adapter(voice_adapter, base_config_of(embedded_model_dir), out)
    return out


def test_the_gguf_holds_what_llama_cpp_reads(voice_gguf):
    import gguf

    reader = gguf.GGUFReader(voice_gguf)
    fields = {name: field.contents() for name, field in reader.fields.items()
              if not name.startswith("GGUF.")}
    assert fields["general.architecture"] == "llama"
    assert fields["general.type"] == "adapter"
    assert fields["adapter.type"] == "lora"
    assert fields["adapter.lora.alpha"] == 16.0
    tensors = {t.name: t for t in reader.tensors}
    assert len(tensors) == 30 * len(PROJECTIONS) * 2  # 30 layers, an A and a B for each projection
    # GGUF lists dimensions innermost first: A is (in, rank), B is (rank, out), as llama.cpp checks them.
    assert list(tensors["blk.0.attn_q.weight.lora_a"].shape) == [576, RANK]
    assert list(tensors["blk.0.attn_q.weight.lora_b"].shape) == [RANK, 576]
    assert list(tensors["blk.29.ffn_down.weight.lora_a"].shape) == [1536, RANK]
    assert list(tensors["blk.29.attn_k.weight.lora_b"].shape) == [RANK, 192]
    assert {t.tensor_type for t in reader.tensors} == {gguf.GGMLQuantizationType.F32}


@pytest.fixture(scope="module")
def app_continuations(voice_adapter, runtime) -> dict[str, str]:
    """The in-app runtime's greedy continuation of PROMPT, without and with the adapter (fp32)."""
    runtime.detach_adapter()
    runtime.reset_cache()
    try:
        base = runtime.generate(PROMPT, GREEDY)
        runtime.attach_adapter(voice_adapter)
        with_adapter = runtime.generate(PROMPT, GREEDY)
    finally:
        runtime.detach_adapter()
    return {"base": base, "adapter": with_adapter}


def _server_continuation(server: LlamaServer) -> str:
    from writer_app.llm.server_engine import ServerEngine

    engine = ServerEngine.connect(ServerConfig(server.url, MODEL_ALIAS))
    try:
        return engine.generate(PROMPT, GREEDY)
    finally:
        engine.close()


@pytest.fixture(scope="module")
def float32_base() -> Path:
    """The embedded GGUF de-quantised to float32 (``tests/gguf_f32.py``), made once per model cache."""
    import os

    from tests.gguf_f32 import dequantised_copy
    from writer_app.llm.embedded import embedded_gguf_path

    out = Path(os.environ["WRITER_APP_MODEL_CACHE"]) / "SmolLM2-135M-Instruct.F32.gguf"
    if not out.is_file():
        part = out.with_name(f".{out.name}.{os.getpid()}.part")
        dequantised_copy(embedded_gguf_path(), part)
        part.replace(out)
    return out


@pytest.mark.llama_server
@pytest.mark.slow
def test_the_server_with_the_gguf_lora_writes_what_the_app_writes_with_the_adapter(
        voice_gguf, app_continuations, llama_server, float32_base):
    """The same greedy continuation, token for token, on llama.cpp's server and in the app; another without it.

    Two bases are served. From a float32 copy of the embedded weights (``tests/gguf_f32.py``)
    llama.cpp multiplies the numbers the app's fp32 model does: the logits agree within about
    0.01 while the top token leads the next by at least 0.15 on this continuation, so the
    12 tokens must be equal, and that shows the conversion itself (names, A/B layout, the
    Q/K row order, alpha) is exact. Served from the embedded Q4_1 file itself (what a user
    serves), llama.cpp rounds the activations to 8 bits inside its quantised dot products,
    which moves the logits by up to about 0.6-1.0 (measured over the vocabulary on this
    prompt, with and without the adapter). The second token's two best candidates are only
    0.15 apart, so that route is compared on the first word only: the adapter turns the
    base model's " the" into " a" on the server as in the app, and the words after it may part.
    Repetition penalty is off on both sides (the server is sent 1.0; its own default is 1.1).
    """
    served_base = _server_continuation(llama_server)
    assert served_base == app_continuations["base"]  # without an adapter the two engines agree

    exact = LlamaServer(gguf=float32_base, extra_args=("--lora_path", str(voice_gguf))).start()
    try:
        served = _server_continuation(exact)
    finally:
        exact.stop()
    assert served == app_continuations["adapter"]
    assert served != app_continuations["base"]  # the adapter is really applied on the server

    quantised = LlamaServer(extra_args=("--lora_path", str(voice_gguf))).start()
    try:
        served_quantised = _server_continuation(quantised)
    finally:
        quantised.stop()
    first_word = app_continuations["adapter"].split()[0]
    assert first_word != served_base.split()[0]  # the adapter changes the very first word...
    assert served_quantised.split()[0] == first_word  # ...on the user's own Q4_1 file as in the app


@pytest.mark.llama_server
@pytest.mark.slow
def test_an_rslora_adapter_is_scaled_on_the_server_as_peft_scales_it(fresh_runtime, embedded_model_dir,
                                                                     float32_base, tmp_path):
    """rsLoRA scales by alpha / sqrt(rank), llama.cpp by alpha / rank: the converter folds the difference into B."""
    folder = _build_adapter(tmp_path / "rslora", embedded_model_dir, rslora=True, alpha=8)
    out = convert_adapter(folder, base_config_of(embedded_model_dir), tmp_path / "rslora.gguf").path
    fresh_runtime.attach_adapter(folder)
    in_app = fresh_runtime.generate(PROMPT, GREEDY)
    server = LlamaServer(gguf=float32_base, extra_args=("--lora_path", str(out))).start()
    try:
        assert _server_continuation(server) == in_app
    finally:
        server.stop()


def test_export_gguf_writes_beside_the_adapter_and_keeps_an_existing_file(
        voice_adapter, tmp_path, capsys):
    profile = tmp_path / "profile"
    paths = profile_paths(profile).ensure()
    folder = paths.adapters / "voice"
    shutil.copytree(voice_adapter, folder)
    with Library.open(paths.database) as lib:
        lib.register_adapter("Austen voice", folder, "embedded", None, {})

    assert main(["adapters", "export-gguf", "Austen voice", "--data-dir", str(profile)]) == 0
    out = capsys.readouterr().out
    written = folder / "adapter_model.gguf"
    assert written.is_file() and f"wrote {written}" in out and "210 LoRA pairs, rank 8" in out
    assert f"--lora {written}" in out
    before = written.read_bytes()

    assert main(["adapters", "export-gguf", "Austen voice", "--data-dir", str(profile)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert main(["adapters", "export-gguf", "Austen voice", "--data-dir", str(profile), "--force"]) == 0
    assert written.read_bytes() == before  # the same adapter converts to the same bytes
    elsewhere = tmp_path / "served" / "voice.gguf"
    elsewhere.parent.mkdir()
    assert main(["adapters", "export-gguf", str(folder), "--out", str(elsewhere)]) == 0  # a folder, not a name
    assert elsewhere.is_file() and f"wrote {elsewhere}" in capsys.readouterr().out
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_an_output_that_is_a_folder_or_in_a_missing_folder_is_one_sentence(voice_adapter, embedded_model_dir,
                                                                           tmp_path):
    config = base_config_of(embedded_model_dir)
    with pytest.raises(UserError, match="is a folder; give a file name"):
        convert_adapter(voice_adapter, config, tmp_path)
    with pytest.raises(UserError, match="the folder .*nowhere does not exist"):
        convert_adapter(voice_adapter, config, tmp_path / "nowhere" / "voice.gguf")


def _copy_with_config(source: Path, where: Path, **changes) -> Path:
    folder = where / "changed"
    shutil.copytree(source, folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    config.update(changes)
    (folder / "adapter_config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(("changes", "expected"), [
    ({"use_dora": True}, "is a DoRA adapter"),
    ({"alpha_pattern": {"q_proj": 32}}, "a different alpha per module"),
    ({"peft_type": "IA3"}, "is a IA3 adapter"),
])
def test_adapters_llama_cpp_would_apply_differently_are_refused(voice_adapter, embedded_model_dir, tmp_path,
                                                                changes, expected):
    folder = _copy_with_config(voice_adapter, tmp_path, **changes)
    with pytest.raises(UserError) as caught:
        convert_adapter(folder, base_config_of(embedded_model_dir), tmp_path / "out.gguf")
    assert expected in str(caught.value)
    assert not (tmp_path / "out.gguf").exists()


def test_another_architecture_or_other_dimensions_are_refused(voice_adapter, embedded_model_dir, tmp_path):
    config = base_config_of(embedded_model_dir)
    with pytest.raises(UserError, match="trained on a qwen2 model; converting to a GGUF LoRA works for "
                                        "llama-architecture models only"):
        convert_adapter(voice_adapter, {**config, "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]},
                        tmp_path / "out.gguf")
    with pytest.raises(UserError, match="does not fit the base model: layer "):
        convert_adapter(voice_adapter, {**config, "hidden_size": 960, "head_dim": 64}, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


def test_trained_embeddings_and_pickle_weights_are_refused(tmp_path, embedded_model_dir):
    import numpy as np
    from safetensors.numpy import save_file

    folder = tmp_path / "embeddings"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 2, "lora_alpha": 4}))
    save_file({"base_model.model.model.embed_tokens.lora_embedding_A": np.zeros((2, 49152), np.float32),
               "base_model.model.model.embed_tokens.lora_embedding_B": np.zeros((576, 2), np.float32)},
              str(folder / "adapter_model.safetensors"))
    config = base_config_of(embedded_model_dir)
    with pytest.raises(UserError, match="trains the token embeddings or the output head"):
        convert_adapter(folder, config, tmp_path / "out.gguf")
    (folder / "adapter_model.safetensors").rename(folder / "adapter_model.bin")
    with pytest.raises(UserError, match="only pickle weights .* only safetensors adapters are converted to GGUF"):
        convert_adapter(folder, config, tmp_path / "out.gguf")
