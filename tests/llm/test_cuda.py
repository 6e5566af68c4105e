"""GPU paths: 4-bit NF4 loading and the memory report (skipped without CUDA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from writer_app.llm.generation import GenerationSettings

pytestmark = [pytest.mark.cuda, pytest.mark.model]


def test_4bit_load_reports_gpu_memory_and_generates(embedded_model_dir):
    from writer_app.llm.runtime import ModelRuntime, memory_report

    rt = ModelRuntime.load("embedded", Path(os.environ["WRITER_APP_MODEL_CACHE"]), device="cuda")
    try:
        assert rt.info.device.startswith("cuda")
        assert rt.info.quantization == "4bit-nf4"
        report = memory_report(rt)
        assert report["cuda_allocated_bytes"] > 0
        assert rt.info.memory_bytes < 300 * 2**20  # far below the 513 MiB of fp32 weights
        text = rt.generate("<|im_start|>user\nSay hello.<|im_end|>\n<|im_start|>assistant\n",
                           GenerationSettings(max_new_tokens=8, temperature=0))
        assert text.strip()
    finally:
        rt.close()


def test_8bit_and_16bit_load_on_gpu(embedded_model_dir):
    from writer_app.llm.runtime import ModelRuntime

    for quantization, label in (("8bit", "8bit"), ("16bit", "none")):
        rt = ModelRuntime.load("embedded", Path(os.environ["WRITER_APP_MODEL_CACHE"]), device="cuda",
                               quantization=quantization)
        try:
            assert rt.info.quantization == label
        finally:
            rt.close()
