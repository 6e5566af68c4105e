"""The trainer's settings: one dataclass, each field carrying its own help.

Like peft's configs, every knob documents itself (``metadata["help"]``), so the
UI's Advanced section and ``--help`` text are generated from here rather than
kept in sync by hand. :func:`suggest_config` picks defaults from the dataset
size: a short manuscript gets fewer, gentler steps (a small rank, more epochs)
so that it is learnt without being memorised.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any


def _f(default: Any, help_text: str, *, minimum: float | None = None, maximum: float | None = None,
       advanced: bool = True) -> Any:
    return field(
        default=default,
        metadata={"help": help_text, "min": minimum, "max": maximum, "advanced": advanced},
    )


@dataclass
class TrainingConfig:
    """Hyperparameters of one LoRA run (saved in the job, checkpoints and adapter metadata)."""

    rank: int = _f(8, "LoRA rank: how much the adapter can learn (higher = more capacity, more memory).",
                   minimum=1, maximum=256)
    alpha: int = _f(16, "LoRA alpha: scales the adapter's effect (usually twice the rank).",
                    minimum=1, maximum=512)
    dropout: float = _f(0.05, "LoRA dropout: randomly ignores part of the adapter while training, "
                        "against memorising.", minimum=0.0, maximum=0.5)
    target_modules: str = _f("all-linear", "Which layers get an adapter ('all-linear' or a comma list "
                             "such as 'q_proj,v_proj').")
    learning_rate: float = _f(2e-4, "Peak learning rate, reached after the warm-up and then decayed "
                              "along a cosine.", minimum=1e-7, maximum=1e7)
    warmup_steps: int = _f(10, "Steps over which the learning rate rises from zero.", minimum=0, maximum=10_000)
    min_lr_ratio: float = _f(0.1, "The learning rate at the end, as a fraction of the peak.",
                             minimum=0.0, maximum=1.0)
    epochs: float = _f(2.0, "Passes over the training text (ignored when max steps is set).",
                       minimum=0.1, maximum=100.0)
    max_steps: int = _f(0, "Stop after this many optimiser steps (0 = decided by the epochs).",
                        minimum=0, maximum=1_000_000)
    seq_len: int = _f(512, "Tokens per training sequence (the text is packed into full sequences).",
                      minimum=16, maximum=8192)
    overlap_tokens: int = _f(32, "Tokens of context repeated between neighbouring chunks.",
                             minimum=0, maximum=1024)
    batch_size: int = _f(4, "Sequences per micro-batch on each device.", minimum=1, maximum=256)
    grad_accum: int = _f(4, "Micro-batches added up before each optimiser step.", minimum=1, maximum=256)
    weight_decay: float = _f(0.0, "AdamW weight decay on the adapter weights.", minimum=0.0, maximum=1.0)
    max_grad_norm: float = _f(1.0, "Gradient clipping norm (0 = no clipping).", minimum=0.0, maximum=100.0)
    eval_every: int = _f(25, "Measure the held-out loss every this many steps.", minimum=1, maximum=100_000)
    eval_max_sequences: int = _f(64, "At most this many held-out sequences per evaluation (0 = all).",
                                 minimum=0, maximum=100_000)
    time_budget_minutes: float = _f(0.0, "Train for about this many minutes, the held-out evaluation "
                                    "at the end included: the steps are fitted to them as the run measures its "
                                    "own speed (0 = no limit: the epochs or max steps decide; they stay the "
                                    "ceiling).", minimum=0.0, maximum=10_000.0)
    early_stopping_patience: int = _f(3, "Stop when the held-out loss has not improved for this many "
                                      "evaluations (0 = never).", minimum=0, maximum=1000)
    checkpoint_every: int = _f(25, "Write a resumable checkpoint every this many steps.",
                               minimum=1, maximum=100_000)
    keep_checkpoints: int = _f(2, "How many complete checkpoints to keep.", minimum=1, maximum=100)
    gradient_checkpointing: bool = _f(True, "Recompute each layer's activations in the backward pass "
                                      "instead of keeping them: about a third of the memory, slower steps.")
    quantization: str = _f("auto", "'auto' (4-bit QLoRA on CUDA, full precision on CPU), '4bit' or 'none'.")
    cpu_threads: int = _f(0, "CPU threads for training (0 = all cores but one, so the editor stays quick).",
                          minimum=0, maximum=512)
    cpu_dtype: str = _f("auto", "The base model's weights' type when training on a CPU: 'auto' (bfloat16 "
                        "when mixed precision is on, which rounds them to it anyway; else float32), 'float32' "
                        "or 'bfloat16'.")
    cpu_autocast: str = _f("auto", "Mixed precision on a CPU: 'auto' (bfloat16 where the CPU computes it "
                           "natively: AVX512-BF16 or AMX), 'bf16' (always) or 'off' (float32).")
    style_samples: int = _f(3, "Continuations generated for the style comparison (0 = skip it).",
                            minimum=0, maximum=20)
    style_tokens: int = _f(60, "Length of each style-comparison continuation, in tokens.",
                           minimum=4, maximum=1024)
    seed: int = _f(1234, "Random seed: the same seed, data and settings give the same adapter.",
                   minimum=0, maximum=2**31 - 1)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        """Build from JSON, ignoring unknown keys (a newer job file) and checking ranges."""
        known = {f.name: f for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        from writer_app.errors import UserError

        for item in fields(self):
            value = getattr(self, item.name)
            low, high = item.metadata.get("min"), item.metadata.get("max")
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if isinstance(value, float) and not math.isfinite(value):  # NaN passes both comparisons below
                raise UserError(f"training setting '{item.name}' must be a number, not {value}")
            if (low is not None and value < low) or (high is not None and value > high):
                raise UserError(f"training setting '{item.name}' must be between {low} and {high}, not {value}")
        if self.quantization not in ("auto", "4bit", "none"):
            raise UserError(f"training setting 'quantization' must be auto, 4bit or none, not {self.quantization!r}")
        if self.cpu_dtype not in ("auto", "float32", "bfloat16"):
            raise UserError(f"training setting 'cpu_dtype' must be auto, float32 or bfloat16, not {self.cpu_dtype!r}")
        if self.cpu_autocast not in ("auto", "bf16", "off"):
            raise UserError(f"training setting 'cpu_autocast' must be auto, bf16 or off, not {self.cpu_autocast!r}")
        if self.overlap_tokens >= self.seq_len:
            raise UserError("training setting 'overlap_tokens' must be smaller than 'seq_len'")


def field_help() -> dict[str, dict[str, Any]]:
    """Name -> {help, min, max, default} for every setting, for the UI and CLI."""
    out: dict[str, dict[str, Any]] = {}
    for item in fields(TrainingConfig):
        default = item.default if item.default is not MISSING else None
        out[item.name] = {**item.metadata, "default": default}
    return out


def suggest_config(train_tokens: int, *, cuda: bool = False) -> TrainingConfig:
    """Defaults scaled to the amount of text.

    Why these numbers: LoRA style transfer needs a few hundred optimiser steps
    on a novel, but a short story of a few thousand words is memorised after a
    couple of passes, so small data gets a small rank and few epochs while a
    whole novel gets rank 16 and one or two passes. A CPU gets shorter
    sequences and smaller batches so that a step takes seconds, not minutes.
    """
    config = TrainingConfig()
    if cuda:
        config.seq_len, config.batch_size, config.grad_accum = 1024, 4, 4
    else:
        config.seq_len, config.batch_size, config.grad_accum = 256, 2, 4
    tokens_per_step = config.seq_len * config.batch_size * config.grad_accum
    if train_tokens < 20_000:
        config.rank, config.alpha, config.epochs, config.learning_rate = 4, 8, 3.0, 1e-4
    elif train_tokens < 200_000:
        config.rank, config.alpha, config.epochs, config.learning_rate = 8, 16, 2.0, 2e-4
    else:
        config.rank, config.alpha, config.epochs, config.learning_rate = 16, 32, 1.0, 2e-4
    steps = max(1, math.ceil(train_tokens * config.epochs / tokens_per_step))
    config.warmup_steps = max(1, min(100, steps // 20))
    config.eval_every = max(5, min(200, steps // 10))
    config.checkpoint_every = config.eval_every
    return config


PRESETS = ("thorough", "quick")
QUICK_MINUTES_CPU = 10.0  # the steps and the held-out comparison; loading and the style samples add ~1
QUICK_MINUTES_CUDA = 5.0


def preset_config(preset: str, train_tokens: int, *, cuda: bool = False) -> TrainingConfig:
    """The settings of a named preset: "thorough" is :func:`suggest_config`; "quick" fits a time budget.

    Why these quick numbers (measured on Pride and Prejudice, benchmarks/README "Quick preset"):
    in ten minutes a two-core CPU sees a fraction of a novel once, so each step must count: a
    higher learning rate, smaller optimiser steps (more of them in the same time), held-out
    evaluations on fewer rows, and no early stopping. (An adapter on the top third of the layers
    only made a step 1.3x cheaper but learnt less: 19 % lower perplexity in the same ten minutes
    against 30 % with every layer, so every layer keeps its adapter.)
    """
    if preset not in PRESETS:
        from writer_app.errors import UserError

        raise UserError(f"unknown training preset {preset!r} (choose {' or '.join(PRESETS)})")
    config = suggest_config(train_tokens, cuda=cuda)
    if preset == "quick":
        config.time_budget_minutes = QUICK_MINUTES_CUDA if cuda else QUICK_MINUTES_CPU
        config.rank, config.alpha, config.learning_rate = 8, 16, 1e-3
        config.grad_accum = 2
        config.epochs = 1.0
        config.warmup_steps = 5
        config.eval_every = config.checkpoint_every = 20  # scoring 24 rows costs about two steps
        config.eval_max_sequences = 24
        config.early_stopping_patience = 0
    return config
