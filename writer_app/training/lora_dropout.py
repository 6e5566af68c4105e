"""LoRA dropout with a quarter of the random-number work of ``nn.Dropout`` on a CPU.

Why: peft gives every adapted layer its own ``nn.Dropout`` (210 in the embedded
model with all linear layers adapted), and on a CPU ``bernoulli_`` draws one
32-bit random number per element: a quarter of a micro-batch's CPU time (the
torch profiler, 2 x 256 tokens, 2 threads), twice over with gradient
checkpointing, which replays each mask. Here one 64-bit draw gives four 15-bit
numbers, so the generator runs a quarter as often; the draws come from torch's
default generator, so a seed, a checkpoint's saved random state and gradient
checkpointing's replay all give the same masks as before.

The drop probability is rounded to a multiple of 1/32768 (0.05 -> 0.04999) and
the kept values are scaled by 1 / (1 - that), so the layer's expected output
is its input, as with ``nn.Dropout``.
"""

from __future__ import annotations

from typing import Any

import torch

LEVELS = 1 << 15  # each draw is a uniform 15-bit number


class FastDropout(torch.nn.Module):
    """Zero each element with probability ``p`` (rounded to 1/32768) while training."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), not {p}")
        self.threshold = round(p * LEVELS)
        self.p = self.threshold / LEVELS
        self.scale = 1.0 / (1.0 - self.p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.threshold == 0:
            return x
        count = x.numel()
        draws = torch.empty((count + 3) // 4, dtype=torch.int64, device=x.device).random_()
        # int64 draws lie in [0, 2**63): every 16-bit quarter is random in its low 15 bits.
        numbers = draws.view(torch.int16)[:count].bitwise_and_(LEVELS - 1)
        keep = (numbers >= self.threshold).view(x.shape)
        # The scale is applied in fp32 and each result rounded once: in bf16 1/(1 - 0.05) would
        # itself round to 1.0547. The backward keeps only the boolean mask.
        return torch.where(keep, x * self.scale, 0.0)

    def extra_repr(self) -> str:
        return f"p={self.p:.5f}"


def use_fast_dropout(model: Any) -> int:
    """Replace the ``nn.Dropout`` of every peft LoRA layer in ``model``; returns how many."""
    replaced = 0
    for module in model.modules():
        dropouts = getattr(module, "lora_dropout", None)
        if not isinstance(dropouts, torch.nn.ModuleDict):
            continue
        for name, layer in list(dropouts.items()):
            if type(layer) is torch.nn.Dropout and layer.p > 0:
                dropouts[name] = FastDropout(layer.p)
                replaced += 1
    return replaced
