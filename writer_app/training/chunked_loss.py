"""The next-token loss over the 49k vocabulary, a few hundred positions at a time.

Why: ``model(labels=...)`` materialises the logits of every position of the
micro-batch in fp32 (2 x 256 tokens x 49,152 words x 4 bytes = 100 MB), then
a log-softmax copy and, in the backward pass, a gradient of the same size: a
few hundred MB of a CPU trainer's peak memory and a good part of its time.
The output layer (tied to the input embeddings) is frozen under LoRA, so the
only gradient the loss must hand back is the one for the last hidden states.
This computes it chunk by chunk *during the forward pass* (softmax minus the
one-hot target, times the output weights) and keeps only that (N x 576)
tensor for the backward pass: no fp32 logits for the whole batch ever exist,
and nothing is recomputed (the same idea as Liger-Kernel's fused linear cross
entropy, which is GPU-only).
"""

from __future__ import annotations

from typing import Any

import torch

IGNORE_INDEX = -100
CHUNK_TOKENS = 128  # 128 x 49,152 fp32 logits = 24 MB at a time


class _FrozenLinearCrossEntropy(torch.autograd.Function):
    """Mean cross entropy of ``hidden @ weight.T`` against ``labels``; gradient for ``hidden`` only."""

    @staticmethod
    def forward(ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor,
                chunk_tokens: int) -> torch.Tensor:
        valid_all = labels != IGNORE_INDEX
        count = valid_all.sum().clamp_min(1)
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        wants_grad = ctx.needs_input_grad[0]
        grad = torch.empty_like(hidden) if wants_grad else None
        for start in range(0, hidden.shape[0], chunk_tokens):
            piece = hidden[start:start + chunk_tokens]
            logits = (piece @ weight.to(piece.dtype).t()).float()
            target = labels[start:start + chunk_tokens]
            valid = valid_all[start:start + chunk_tokens]
            safe = target.clamp_min(0)
            log_norm = torch.logsumexp(logits, dim=-1)
            picked = logits.gather(1, safe[:, None]).squeeze(1)
            total += ((log_norm - picked) * valid).sum()
            if grad is not None:
                probs = logits.sub_(log_norm[:, None]).exp_()  # in place: the logits become the softmax
                probs[torch.arange(len(safe), device=probs.device), safe] -= 1.0
                probs.mul_((valid.float() / count)[:, None])
                grad[start:start + chunk_tokens] = probs.to(piece.dtype) @ weight.to(piece.dtype)
            del logits
        ctx.save_for_backward(grad if grad is not None else torch.empty(0))
        return total / count

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, None, None, None]:
        (grad,) = ctx.saved_tensors
        return grad * grad_output.to(grad.dtype), None, None, None


def chunked_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor,
                          chunk_tokens: int = CHUNK_TOKENS) -> torch.Tensor:
    """Mean loss of ``hidden`` (..., H) through a frozen output ``weight`` (V, H) against ``labels`` (...)."""
    if weight.requires_grad:
        raise ValueError("chunked_cross_entropy needs a frozen output layer (LoRA leaves it frozen)")
    return _FrozenLinearCrossEntropy.apply(
        hidden.reshape(-1, hidden.shape[-1]), weight, labels.reshape(-1), chunk_tokens)


def output_weight(model: Any) -> torch.Tensor | None:
    """The causal LM's output (lm_head) weight when it is a frozen plain linear layer, else None.

    None too for a model sharded by FSDP: outside the forward pass its lm_head holds a shard of the
    weight, not the weight (``training.sharding``); the model's own loss is then the right one.
    """
    from writer_app.training.sharding import is_sharded

    if is_sharded(model):
        return None
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    head = base.get_output_embeddings() if hasattr(base, "get_output_embeddings") else None
    if type(head) is not torch.nn.Linear or head.bias is not None or head.weight.requires_grad:
        return None
    return head.weight


def causal_lm_loss(model: Any, input_ids: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """The model's next-token loss on packed rows (every position a target), computed in chunks.

    The forward goes through ``model`` itself (a peft or DDP wrapper sees the call) and asks for
    one position's logits only; the loss is taken from the final (normed) hidden states.
    ``weight`` is :func:`output_weight` of the model, looked up when not given; without a frozen
    plain output layer this falls back to the model's own loss.
    """
    weight = output_weight(model) if weight is None else weight
    if weight is None:
        return model(input_ids=input_ids, labels=input_ids).loss
    out = model(input_ids=input_ids, output_hidden_states=True, logits_to_keep=1)
    hidden = out.hidden_states[-1][:, :-1]
    labels = input_ids[:, 1:]
    return chunked_cross_entropy(hidden, weight, labels)
