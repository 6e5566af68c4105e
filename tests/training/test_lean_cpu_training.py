"""The CPU trainer's lean paths: a bf16 base read one tensor at a time, LoRA dropout with fewer draws."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import textwrap

import pytest
import torch

from writer_app.training.config import TrainingConfig
from writer_app.training.lora_dropout import FastDropout, use_fast_dropout
from writer_app.training.model_loading import (
    MMAP_THRESHOLD_BF16_BYTES,
    MMAP_THRESHOLD_BYTES,
    cpu_malloc_threshold,
    cpu_weight_dtype,
)


def test_fast_dropout_drops_its_share_and_keeps_the_expected_value():
    layer = FastDropout(0.05)
    x = torch.full((1000, 1000), 2.0)
    torch.manual_seed(7)
    out = layer(x)
    dropped = (out == 0).float().mean().item()
    assert dropped == pytest.approx(0.05, abs=0.002)  # a million draws: the share is within 10 sigma
    kept = out[out != 0]
    assert torch.allclose(kept, torch.full_like(kept, 2.0 * layer.scale))
    assert out.mean().item() == pytest.approx(2.0, rel=0.01)
    assert layer.p == pytest.approx(0.05, abs=1 / 32768)


def test_fast_dropout_replays_its_mask_from_the_seed_and_is_off_in_eval_mode():
    layer = FastDropout(0.3)
    x = torch.randn(3, 7, 11, dtype=torch.bfloat16)
    torch.manual_seed(1)
    first = layer(x)
    torch.manual_seed(1)
    again = layer(x)  # what gradient checkpointing's replay and a resumed checkpoint's random state rely on
    assert torch.equal(first, again)
    assert not torch.equal(first, layer(x))  # the next call draws new numbers
    assert first.dtype == torch.bfloat16 and first.shape == x.shape
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError):
        FastDropout(1.0)


def test_fast_dropout_passes_gradients_through_the_kept_elements_only():
    layer = FastDropout(0.5)
    x = torch.ones(64, 64, requires_grad=True)
    out = layer(x)
    out.sum().backward()
    assert torch.equal(x.grad, (out != 0).float() * layer.scale)


def test_every_lora_dropout_of_a_peft_model_is_replaced():
    from peft import LoraConfig, get_peft_model

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)

        def forward(self, x):
            return self.b(self.a(x))

    model = get_peft_model(Tiny(), LoraConfig(r=2, lora_dropout=0.1, target_modules=["a", "b"]))
    assert use_fast_dropout(model) == 2
    dropouts = [d for m in model.modules() if hasattr(m, "lora_dropout") for d in m.lora_dropout.values()]
    assert len(dropouts) == 2 and all(isinstance(d, FastDropout) for d in dropouts)
    plain = get_peft_model(Tiny(), LoraConfig(r=2, lora_dropout=0.0, target_modules=["a"]))
    assert use_fast_dropout(plain) == 0  # no dropout: peft's Identity stays


def test_the_base_weights_are_bf16_exactly_when_autocast_rounds_them_to_it():
    assert cpu_weight_dtype(TrainingConfig(cpu_autocast="bf16")) == "bfloat16"
    assert cpu_weight_dtype(TrainingConfig(cpu_autocast="off")) == "float32"
    assert cpu_weight_dtype(TrainingConfig(cpu_autocast="bf16", cpu_dtype="float32")) == "float32"
    assert cpu_weight_dtype(TrainingConfig(cpu_autocast="off", cpu_dtype="bfloat16")) == "bfloat16"
    assert cpu_malloc_threshold(TrainingConfig(cpu_autocast="bf16")) == MMAP_THRESHOLD_BF16_BYTES
    assert cpu_malloc_threshold(TrainingConfig(cpu_autocast="off")) == MMAP_THRESHOLD_BYTES


LOAD_AND_MEASURE = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    import torch
    from writer_app.training.config import TrainingConfig
    from writer_app.training.lora_dropout import FastDropout
    from writer_app.training.model_loading import load_trainable_model

    import peft, transformers  # imported before the count (peft's LoRA layers import bitsandbytes)
    from peft.tuners.lora import model as lora_model
    try:
        import bitsandbytes
    except ImportError:
        pass
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = load_trainable_model(Path(sys.argv[1]), TrainingConfig(cpu_autocast="bf16"), cuda=False)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    base = model.get_base_model()
    frozen = {str(p.dtype) for p in model.parameters() if not p.requires_grad}
    trainable = {str(p.dtype) for p in model.parameters() if p.requires_grad}
    print(json.dumps({"grown": grown, "frozen": sorted(frozen), "trainable": sorted(trainable),
                      "tied": base.lm_head.weight is base.model.embed_tokens.weight,
                      "fast_dropouts": sum(isinstance(m, FastDropout) for m in model.modules()),
                      "plain_dropouts": sum(type(m) is torch.nn.Dropout for m in model.modules())}))
""")


@pytest.mark.model
def test_a_bf16_base_loads_without_ever_holding_the_fp32_file(embedded_model_dir):
    weights = embedded_model_dir / "model.safetensors"
    proc = subprocess.run([sys.executable, "-c", LOAD_AND_MEASURE, str(embedded_model_dir)],
                          capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["frozen"] == ["torch.bfloat16"] and report["trainable"] == ["torch.float32"]
    assert report["tied"]  # the output layer still is the input embeddings
    # 30 layers x 7 adapted linear layers, each with the cheaper dropout, none with peft's own
    assert report["fast_dropouts"] == 210 and report["plain_dropouts"] == 0, report
    # transformers' own bf16 load keeps the whole fp32 file resident on top of the bf16 copy: 1.5x
    # the file at least (+818 MB for this 538 MB file, measured). Read a tensor at a time, loading
    # grows the process by 0.7-1.1x the file (the bf16 weights, peft's layers, one fp32 tensor).
    assert report["grown"] < 1.3 * weights.stat().st_size, report


@pytest.mark.model
def test_the_bf16_weights_are_the_files_weights_rounded(embedded_model_dir):
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM

    from writer_app.training.bf16_weights import convert_to_bfloat16

    model = AutoModelForCausalLM.from_pretrained(str(embedded_model_dir), dtype="auto", use_safetensors=True)
    assert convert_to_bfloat16(model, embedded_model_dir) > 0
    name = "model.layers.3.mlp.down_proj.weight"
    with safe_open(str(embedded_model_dir / "model.safetensors"), "pt") as handle:
        stored = handle.get_tensor(name)
    assert torch.equal(model.get_parameter(name).data, stored.to(torch.bfloat16))
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}


HEAP_AFTER_A_STEP = textwrap.dedent("""
    import json, sys
    from writer_app.training.model_loading import configure_cpu_memory, release_free_memory

    def rss_mb():
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * 4096 / 2**20

    configure_cpu_memory(4 * 1024 * 1024)  # the trainer's setting with bf16 weights
    blocks = [bytearray(1024 * 1024) for _ in range(300)]  # a step's activations: heap blocks under 4 MB
    kept = blocks[-1]  # a block still in use above them keeps glibc from trimming on free
    del blocks
    before = rss_mb()
    trimmed = release_free_memory()
    print(json.dumps({"before": before, "after": rss_mb(), "trimmed": trimmed, "kept": len(kept)}))
""")


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc_trim: elsewhere the trainer leaves the allocator as it is")
def test_the_heap_freed_by_a_step_goes_back_to_the_system():
    proc = subprocess.run([sys.executable, "-c", HEAP_AFTER_A_STEP], capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["trimmed"], report
    # 300 MB freed in the middle of the heap stayed resident until trimmed (before: the trainer's
    # peak crept up step by step).
    assert report["before"] - report["after"] > 200, report
