"""One loaded embedded model shared by every llm test (loading is the expensive part)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

STORY = (
    "The rain had not stopped for three days when Mara finally opened the door of the lighthouse. "
    "Inside, the air smelled of salt and old paper, and the stairs spiralled up into darkness.\n\n"
    "She climbed slowly, counting the steps as her father had taught her. At the top, the great lamp "
    "was dark, and someone had left a letter on the desk."
)


@pytest.fixture(scope="session")
def runtime(embedded_model_dir):
    from writer_app.llm.runtime import ModelRuntime

    # fp32 so that outputs are bit-for-bit reproducible (the default on a bf16 CPU is bf16).
    rt = ModelRuntime.load("embedded", Path(os.environ["WRITER_APP_MODEL_CACHE"]), quantization="32bit")
    yield rt
    rt.detach_adapter()


@pytest.fixture
def fresh_runtime(runtime):
    """The shared runtime with no adapter and no kept cache (tests leave it that way too)."""
    runtime.detach_adapter()
    runtime.reset_cache()
    yield runtime
    runtime.detach_adapter()


@pytest.fixture(scope="session")
def adapter_dir(tmp_path_factory, embedded_model_dir):
    """A real (untrained, randomly initialised) LoRA adapter on the embedded model."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(embedded_model_dir, dtype=torch.float32)
    base.config._name_or_path = "HuggingFaceTB/SmolLM2-135M-Instruct"
    torch.manual_seed(0)  # the same adapter every run
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(base, config)
    folder = tmp_path_factory.mktemp("adapters") / "my-voice"
    peft_model.save_pretrained(folder)
    return folder
