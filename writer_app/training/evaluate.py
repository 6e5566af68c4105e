"""Does the adapter help? Held-out perplexity and a style comparison.

Perplexity on chapters the adapter never saw says whether it learnt the
author's language rather than memorising; the style comparison generates a
few continuations from the openings of held-out chapters and compares them
with the author's real text of those chapters (``writer_app.text.stylometry``:
sentence-length distribution, dialogue share, function words, type-token
ratio; per character for Chinese), for the base model and for the adapter:
the distance base → adapter and the percentage closer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from writer_app.text import stylometry
from writer_app.text.style_profile import compare_profiles, style_profile
from writer_app.training.dataset import spread_rows


class EvaluationInterrupted(Exception):
    """A stop was requested while evaluating (the trainer turns this into a clean cancel)."""


def mean_loss(model: Any, rows: np.ndarray, batch_size: int, device: Any, stop: Any = None) -> float:
    """Mean next-token loss over packed rows (all rows have the same length).

    ``stop`` (a threading.Event) is checked between batches: a long evaluation
    must not make a cancel wait.
    """
    import torch

    from writer_app.training.chunked_loss import causal_lm_loss

    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            if stop is not None and stop.is_set():
                raise EvaluationInterrupted()
            batch = torch.as_tensor(rows[start:start + batch_size], dtype=torch.long, device=device)
            loss = causal_lm_loss(model, batch)  # in chunks: no fp32 logits for the whole batch
            total += float(loss) * len(batch)
            count += len(batch)
    if was_training:
        model.train()
    return total / max(count, 1)


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 50.0))


def _as_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _as_plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_plain(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def style_comparison(generate: Callable[[str, bool], str], openings: Sequence[str], reference_text: str,
                     samples: int) -> dict[str, Any]:
    """Continue ``samples`` held-out openings with base and adapter; profile both against the author.

    ``generate(opening, use_adapter)`` returns the continuation text.
    """
    openings = [o for o in openings if o.strip()][:samples]
    if not openings:
        return {"samples": []}
    base_texts = [generate(o, False) for o in openings]
    adapter_texts = [generate(o, True) for o in openings]
    result: dict[str, Any] = {
        "samples": [{"opening": o[-300:], "base": b, "adapter": a}
                    for o, b, a in zip(openings, base_texts, adapter_texts, strict=True)],
    }
    author = style_profile(reference_text)
    base = style_profile("\n\n".join(base_texts))
    adapter = style_profile("\n\n".join(adapter_texts))
    result["profiles"] = {"author": _as_plain(author), "base": _as_plain(base), "adapter": _as_plain(adapter)}
    result["base_vs_author"] = _as_plain(compare_profiles(author, base))
    result["adapter_vs_author"] = _as_plain(compare_profiles(author, adapter))
    result["stylometry"] = stylometry.compare(reference_text, "\n\n".join(base_texts), "\n\n".join(adapter_texts))
    return result


def heldout_summary(meta: dict[str, Any]) -> dict[str, Any]:
    """What the held-out set is, for the report: whole chapters or tail blocks, which, and what was left out."""
    return {"mode": meta.get("heldout_mode", "chapters"),
            "chapters": meta.get("heldout_chapters", meta.get("heldout_titles", [])),
            "excluded_titles": meta.get("excluded_titles", []),
            "excluded_paragraphs": meta.get("excluded_paragraphs", 0)}


def generate_continuation(model: Any, tokenizer: Any, opening: str, max_new_tokens: int, seed: int) -> str:
    """A short seeded sampled continuation of plain prose (no chat template: we continue the text)."""
    import torch

    torch.manual_seed(seed)
    ids = tokenizer(opening, return_tensors="pt").to(next(model.parameters()).device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=True, temperature=0.8,
                             top_p=0.95, repetition_penalty=1.1, pad_token_id=tokenizer.eos_token_id)
    if was_training:
        model.train()
    return tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)


def evaluate_peft_model(model: Any, tokenizer: Any, eval_rows: np.ndarray, meta: dict[str, Any], *,
                        batch_size: int, style_samples: int, style_tokens: int, seed: int,
                        device: Any, stop: Any = None) -> dict[str, Any]:
    """Base vs adapter on the held-out rows (``model`` is a PeftModel; its adapter is switched off for the base)."""
    adapter_loss = mean_loss(model, eval_rows, batch_size, device, stop)
    with model.disable_adapter():
        base_loss = mean_loss(model, eval_rows, batch_size, device, stop)

    def generate(opening: str, use_adapter: bool) -> str:
        if stop is not None and stop.is_set():
            raise EvaluationInterrupted()
        if use_adapter:
            return generate_continuation(model, tokenizer, opening, style_tokens, seed)
        with model.disable_adapter():
            return generate_continuation(model, tokenizer, opening, style_tokens, seed)

    style = style_comparison(generate, meta.get("heldout_openings", []), meta.get("heldout_text", ""),
                             style_samples) if style_samples else {"samples": []}
    base_ppl, adapter_ppl = perplexity(base_loss), perplexity(adapter_loss)
    return {
        "heldout": heldout_summary(meta),
        "heldout_sequences": int(len(eval_rows)),
        "perplexity_change_percent": 100.0 * (adapter_ppl - base_ppl) / base_ppl if base_ppl else None,
        "base_eval_loss": base_loss,
        "adapter_eval_loss": adapter_loss,
        "base_perplexity": base_ppl,
        "adapter_perplexity": adapter_ppl,
        "style": style,
    }


def evaluate_adapter(adapter_path: Any, base_model_path: Any, eval_rows: np.ndarray, meta: dict[str, Any], *,
                     device: str = "auto", batch_size: int = 8, style_samples: int = 3, style_tokens: int = 60,
                     seed: int = 1234, max_sequences: int = 64) -> dict[str, Any]:
    """``writer-app eval``: load base + adapter here (CLI process) and compare them on held-out rows."""
    from writer_app.training.config import TrainingConfig
    from writer_app.training.model_loading import configure_cpu_threads, load_tokenizer, wants_cuda

    check_eval_folders(Path(base_model_path), Path(adapter_path))
    cuda = wants_cuda(device)
    if not cuda:
        configure_cpu_threads()
    tokenizer = load_tokenizer(Path(base_model_path))
    base = _load_base_for_eval(Path(base_model_path), TrainingConfig(), cuda)
    model = attach_for_eval(base, Path(adapter_path))
    rows = spread_rows(eval_rows, max_sequences)  # spread over the chapters, as the trainer's
    target = next(model.parameters()).device
    return evaluate_peft_model(model, tokenizer, rows, meta, batch_size=batch_size, style_samples=style_samples,
                               style_tokens=style_tokens, seed=seed, device=target)


def check_eval_folders(base_model_path: Path, adapter_path: Path) -> None:
    """Refuse a damaged base model or adapter, and any pickle weights, before loading either.

    Why here: peft falls back to ``torch.load`` on ``adapter_model.bin`` when
    the safetensors file is missing, bypassing the app's pickle refusal.
    """
    from writer_app.llm import model_files
    from writer_app.llm.adapters import adapter_weights_file, read_adapter_config
    from writer_app.paths import require_dir

    model_files.read_config(require_dir(base_model_path, "the base model folder"))
    model_files.weight_files(base_model_path, allow_pickle=False)
    read_adapter_config(adapter_path)
    adapter_weights_file(adapter_path, allow_pickle=False)


def attach_for_eval(base: Any, adapter_path: Path) -> Any:
    """The base model wrapped with the adapter at ``adapter_path`` (checked by :func:`check_eval_folders`)."""
    from peft import PeftModel

    from writer_app.llm.adapters import adapter_weights_file

    adapter_weights_file(adapter_path, allow_pickle=False)  # again: the folder may have changed since
    return PeftModel.from_pretrained(base, str(adapter_path), is_trainable=False)


def _load_base_for_eval(model_path: Any, config: Any, cuda: bool) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    from writer_app.training.model_loading import refuse_damaged_weights

    if cuda:
        from transformers import BitsAndBytesConfig

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                   bnb_4bit_compute_dtype=torch.bfloat16)
        model = AutoModelForCausalLM.from_pretrained(str(model_path), quantization_config=quant,
                                                     device_map={"": 0}, use_safetensors=True,
                                                     trust_remote_code=False)
    else:
        model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32, use_safetensors=True,
                                                     trust_remote_code=False)
    return refuse_damaged_weights(model, Path(model_path))
