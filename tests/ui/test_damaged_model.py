"""A model whose weights hold NaN: the assistant says so in one sentence instead of failing mid-sampling.

Built by copying the converted embedded model and overwriting one weight with
NaN, as a bad conversion or a flipped bit on disk leaves it. Before the load
check, the worker loaded it happily and the first Continue died deep in
torch ("probability tensor contains either inf, nan or element < 0").
"""

from __future__ import annotations

import shutil
from functools import partial

import pytest

from writer_app.llm.generation import GenerationSettings
from writer_app.llm.jobs import raw_stream
from writer_app.ui.assistant.inference_worker import InferenceClient, ModelConfig

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture
def nan_model(embedded_model_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "damaged-model"
    folder.mkdir()
    for item in embedded_model_dir.iterdir():
        if item.name != "model.safetensors":
            shutil.copy(item, folder / item.name)
    tensors = load_file(embedded_model_dir / "model.safetensors")
    tensors["model.layers.3.mlp.down_proj.weight"][0, 0] = float("nan")
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


@pytest.fixture
def client(qtbot):
    created = InferenceClient()
    yield created
    created.shutdown()


def test_damaged_weights_fail_the_load_with_one_sentence_and_requests_say_the_same(client, qtbot, nan_model,
                                                                                     tmp_path):
    with qtbot.waitSignal(client.loadFailed, timeout=120_000) as failed:
        client.load(ModelConfig(str(nan_model), tmp_path, device="cpu"))
    message = failed.args[0]
    assert message == (f"the model's weights in {nan_model} are damaged (model.layers.3.mlp.down_proj.weight "
                       "holds NaN or infinite numbers); download or convert the model again")

    job = partial(raw_stream, "Once upon a time", GenerationSettings(max_new_tokens=4))
    with qtbot.waitSignal(client.failed, timeout=10_000) as refused:
        client.submit(job)
    assert refused.args[1] == message
