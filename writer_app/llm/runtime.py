"""The loaded language model: one object that loads, streams and takes adapters.

Why a hand-written decode loop instead of ``model.generate``: on a small CPU
model the per-token cost is dominated by Python overhead, and ``generate``
adds a lot of it (logits processors, stopping criteria, streamer queues, a
helper thread). Calling the model's forward with a KV cache and sampling in
torch is several times faster, makes cancellation exact (the Event is checked
before every token), and lets us keep the KV cache of the last prompt: a
repeated Continue on the same document only prefills what changed.

The runtime is used by one thread at a time (the UI's inference worker, or
the CLI); ``cancel`` may be set from any thread.
"""

from __future__ import annotations

import gc
import json
import logging
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from writer_app.errors import UserError
from writer_app.llm import adapters, catalogue, import_ml_stack, model_files, weights
from writer_app.llm.constraints import Constraints, TokenMask
from writer_app.llm.decoding import DecodeStats, decode_stream
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.kv_cache import KeptCache

if TYPE_CHECKING:
    from peft import PeftModel
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from writer_app.llm.step_decoder import StepDecoder

log = logging.getLogger(__name__)
ProgressCallback = Callable[[float, str], None]
QUANTIZATIONS = ("auto", "4bit", "8bit", "16bit", "32bit")
# Practical ceiling on the prompt window, whatever the config claims (memory, prefill time).
MAX_PRACTICAL_CONTEXT = 32768
STOP_TOKEN_STRINGS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "</s>", "<end_of_turn>")


@dataclass(frozen=True)
class ModelInfo:
    name: str  # what the author chose, e.g. "SmolLM2-135M-Instruct" or "Qwen/Qwen2.5-3B-Instruct"
    path: str  # the folder the weights came from
    device: str  # "cpu" or "cuda:0"
    dtype: str  # compute dtype, e.g. "bfloat16"
    quantization: str  # "none", "4bit-nf4", "8bit" (CUDA); "int4", "int8" (CPU decode weights)
    memory_bytes: int  # weights (and buffers) in memory
    context_window: int  # tokens the prompt plus the answer may span
    has_chat_template: bool
    load_seconds: float
    adapter: str | None = None  # the attached LoRA adapter's name

    def describe(self) -> str:
        adapter = f", adapter {self.adapter}" if self.adapter else ""
        return (
            f"{self.name} on {self.device} ({self.quantization}, {self.dtype}), "
            f"{self.memory_bytes / 2**20:,.0f} MiB, context {self.context_window} tokens{adapter}"
        )


@dataclass(frozen=True)
class Prompt:
    """A prompt ready for the model, with how it was built (for the UI and tests)."""

    text: str
    task: str = "raw"
    input_tokens: int = 0
    truncated: bool = False  # True when older text was left out to fit the context window
    # Tokens the answer may not use (``constraints``: a Latin letter for a Chinese text, an invented
    # name, a commentary opener); applied by this runtime's decode loop, not by a server engine.
    constraints: Constraints | None = None
    opening: str = ""  # the answer's first words, prefilled at the end of ``text`` (part of the answer)


def _pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' was chosen but no CUDA GPU is available; choose 'auto' or 'cpu'")
    if device not in ("cpu", "cuda"):
        raise UserError(f"unknown device '{device}'; use auto, cpu or cuda")
    return device


def set_cpu_threads(count: int) -> None:
    """Limit torch's CPU threads (the UI leaves one core to the GUI; oversubscribed cores crawl)."""
    import_ml_stack()
    import torch

    torch.set_num_threads(max(1, int(count)))


class ModelRuntime:
    """A loaded model and tokenizer; see the module docstring."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        info: ModelInfo,
        *,
        allow_pickle: bool = False,
        setting: str = "",
        decode_format: str | None = None,
    ) -> None:
        """``decode_format`` ("int4"/"int8"): CPU decode steps run in a step decoder of that format."""
        self._base_model: PreTrainedModel | None = model
        self._model: PreTrainedModel | PeftModel | None = model  # the base model or a PeftModel wrapping it
        self.tokenizer = tokenizer
        self._info = info
        self._allow_pickle = allow_pickle
        self._setting = setting  # the model setting it was loaded from (an adapter may record it as its base)
        self._adapter_path: Path | None = None
        self._kept = KeptCache()  # the KV cache of the last stream, reused by the next
        self._stats = DecodeStats()
        self._stop_ids = self._find_stop_ids()
        self.fast_attention = False  # True once CPU decoding uses fast_decode's attention (first stream)
        self._fast_attention_checked = False
        self._decode_format = decode_format
        self._decoder: StepDecoder | None = None  # rebuilt when an adapter comes or goes
        self._weights_bytes = info.memory_bytes  # the model's own weights, without the decoder's copy
        self._build_decoder()

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(
        cls,
        setting: str,
        model_cache: Path,
        *,
        device: str = "auto",
        quantization: str = "auto",
        allow_pickle: bool = False,
        trust_remote_code: bool = False,
        progress: ProgressCallback | None = None,
    ) -> ModelRuntime:
        """Load the model named by ``setting``; raises UserError with one clear sentence."""
        if quantization not in QUANTIZATIONS:
            raise UserError(f"unknown quantization '{quantization}'; use one of {', '.join(QUANTIZATIONS)}")
        started = time.perf_counter()
        import_ml_stack()
        resolved = catalogue.resolve_model(setting, model_cache, progress)
        name, folder = resolved.name, resolved.folder
        config = model_files.read_config(folder)
        model_files.weight_files(folder, allow_pickle)
        model_files.check_supported_architecture(config, trust_remote_code)
        if progress:
            progress(0.2, f"Loading {name}…")

        import torch
        from transformers import AutoTokenizer

        chosen_device = _pick_device(device)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code)
        except (OSError, ValueError) as exc:
            raise UserError(f"the tokenizer in {folder} cannot be read ({exc}); download the model again") from exc
        try:
            model, quant_label, dtype = weights.load_weights(
                folder, chosen_device, quantization, allow_pickle, trust_remote_code
            )
        except torch.OutOfMemoryError as exc:
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            raise UserError(
                f"not enough GPU memory to load {name} ({quantization}); choose 4-bit, a smaller model, "
                "or device 'cpu'"
            ) from exc
        except pickle.UnpicklingError as exc:  # allowed pickle weights: torch.load(weights_only) refused one
            raise UserError(f"the pickle weights in {folder} hold objects other than tensors, so they were not "
                            "loaded (even 'allow pickle weights' reads tensors only)") from exc
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise UserError(f"cannot load {name} from {folder}: {exc}") from exc
        model_files.refuse_non_finite_weights(
            model, folder,
            "delete that folder and writer-app converts the built-in model again"
            if resolved.embedded else "download or convert the model again",
        )
        if resolved.embedded:
            # Adapters trained on the embedded model record this id as their base.
            model.config._name_or_path = catalogue.EMBEDDED_CANONICAL_ID
        window = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
        info = ModelInfo(
            name=name,
            path=str(folder),
            device=str(next(model.parameters()).device),
            dtype=str(dtype).replace("torch.", ""),
            quantization=quant_label,
            memory_bytes=int(model.get_memory_footprint()),
            context_window=min(window, MAX_PRACTICAL_CONTEXT),
            has_chat_template=bool(getattr(tokenizer, "chat_template", None)),
            load_seconds=time.perf_counter() - started,
        )
        decode_format = None
        if chosen_device == "cpu":
            if progress:
                progress(0.8, "Preparing fast decoding…")
            decode_format = cls._cpu_decode_format(quantization, dtype)
        runtime = cls(model, tokenizer, info, allow_pickle=allow_pickle, setting=resolved.setting,
                      decode_format=decode_format)
        if chosen_device == "cpu":  # building the step decoder is part of the load
            runtime._info = replace(runtime._info, load_seconds=time.perf_counter() - started)
        if progress:
            progress(1.0, f"{name} loaded")
        return runtime

    @staticmethod
    def _cpu_decode_format(quantization: str, dtype: Any) -> str | None:
        """The step decoder's weight format for a CPU model loaded with ``quantization``, or None."""
        import torch

        from writer_app.llm.step_decoder import int4_available

        if quantization == "4bit" or (quantization == "auto" and dtype == torch.bfloat16):
            return "int4" if int4_available() else "int8"  # torch < 2.6 has no int4 CPU kernel
        return "int8" if quantization == "8bit" else None

    def _build_decoder(self) -> None:
        """(Re)build the CPU step decoder from the current weights, an attached adapter merged in.

        Leaves ``_decoder`` None (transformers decodes) for a model it cannot run, and logs why.
        """
        from writer_app.llm import step_decoder

        self._decoder = None
        if self._decode_format is None:
            return
        reason = step_decoder.unsupported_reason(self._base_model)
        if reason is None:
            try:
                self._decoder = step_decoder.StepDecoder(self._base_model, self._decode_format)
            except (step_decoder.Unsupported, RuntimeError, MemoryError) as exc:
                reason = str(exc) or type(exc).__name__
        if self._decoder is None:
            log.info("decoding %s through transformers (the %s step decoder does not handle %s)",
                     self._info.name, self._decode_format, reason)
        # What decodes, and the memory it holds, as the status bar and `doctor` report them.
        self._info = replace(
            self._info,
            quantization=self._decoder.weight_format if self._decoder is not None else "none",
            memory_bytes=self._weights_bytes + (self._decoder.nbytes if self._decoder is not None else 0),
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def last_tokens_per_second(self) -> float | None:
        """Decode speed of the last stream after its first token (None before one, or for one token)."""
        return self._stats.tokens_per_second

    @property
    def last_time_to_first_token(self) -> float | None:
        return self._stats.time_to_first_token

    @property
    def last_prefill_tokens(self) -> int:
        """Prompt tokens the last stream fed the model (the rest came from the kept cache)."""
        return self._stats.prefill_tokens

    def close(self) -> None:
        """Free the model (the object is unusable afterwards)."""
        self._kept.clear()
        self._model = self._base_model = self._decoder = None
        gc.collect()

    # ---------------------------------------------------------------- tokens
    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False)) if text else 0

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _find_stop_ids(self) -> set[int]:
        ids: set[int] = set()
        eos = getattr(self._model.generation_config, "eos_token_id", None)
        for value in eos if isinstance(eos, list) else [eos]:
            if isinstance(value, int):
                ids.add(value)
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        vocab = self.tokenizer.get_vocab()
        ids.update(vocab[t] for t in STOP_TOKEN_STRINGS if t in vocab)
        return ids

    # ------------------------------------------------------------- streaming
    def generate(self, prompt: Prompt | str, settings: GenerationSettings,
                 cancel: threading.Event | None = None) -> str:
        return "".join(self.stream(prompt, settings, cancel))

    def stream(
        self,
        prompt: Prompt | str,
        settings: GenerationSettings | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield text as it is generated; stop at an end token, max_new_tokens or cancel."""
        if self._model is None:
            raise UserError("the model was closed; load it again")
        settings = settings or GenerationSettings()
        text = prompt.text if isinstance(prompt, Prompt) else str(prompt)
        ids = self.encode(text)
        if not ids:
            raise UserError("nothing to generate from: the prompt is empty")
        limit = self._info.context_window
        if len(ids) + settings.max_new_tokens > limit:
            raise UserError(
                f"the prompt ({len(ids)} tokens) plus {settings.max_new_tokens} new tokens does not fit "
                f"the model's context of {limit} tokens; shorten the text"
            )
        self._use_fast_attention()
        try:
            mask = None
            if (settings.constrained and isinstance(prompt, Prompt) and prompt.constraints is not None
                    and prompt.constraints.active()):
                mask = TokenMask(self.tokenizer, prompt.constraints, prompt.opening,
                                 stop_ids=self._stop_ids, max_new_tokens=settings.max_new_tokens)
            yield from decode_stream(self._model, self.tokenizer, ids, settings, kept=self._kept,
                                     decoder=self._decoder, stop_ids=self._stop_ids, stats=self._stats,
                                     cancel=cancel, mask=mask)
        except RuntimeError as exc:
            # torch.multinomial's "probability tensor contains either `inf`, `nan` or element < 0": the
            # weights passed the load check, so the numbers overflowed while computing (fp16/bf16).
            if "inf" not in str(exc) or "nan" not in str(exc):
                raise
            self.reset_cache()
            advice = "" if self._info.dtype == "float32" else "try quantization '32bit', or "
            raise UserError(
                f"{self._info.name} produced invalid numbers (NaN or infinity) while writing; {advice}"
                "download the model again if its files may be damaged"
            ) from exc

    def _use_fast_attention(self) -> None:
        """Switch a CPU model to the packed-GQA decode attention once, at its first stream (see ``fast_decode``)."""
        if self._fast_attention_checked or self._info.device != "cpu":
            return
        from writer_app.llm import fast_decode

        self.fast_attention = fast_decode.install(self._base_model)
        self._fast_attention_checked = True

    # -------------------------------------------------------------- adapters
    @property
    def adapter_path(self) -> Path | None:
        return self._adapter_path

    def attach_adapter(self, path: str | Path) -> str:
        """Attach a peft LoRA adapter folder without reloading the model; returns its name."""
        folder = Path(path).expanduser()
        adapters.check_adapter(folder, self._base_model, self._info.name, self.identities(), self._allow_pickle)
        if self._adapter_path is not None:
            self._unload_adapter()
        try:
            self._model = adapters.load_peft(self._base_model, folder)
        except BaseException:
            self._build_decoder()  # the previous adapter is gone: decode with the plain weights again
            raise
        self._adapter_path = folder
        self.reset_cache()
        self._build_decoder()
        self._info = replace(self._info, adapter=folder.name)
        return folder.name

    def detach_adapter(self) -> None:
        if self._adapter_path is None:
            return
        self._unload_adapter()
        self._build_decoder()

    def _unload_adapter(self) -> None:
        self._base_model = self._model.unload()
        self._model = self._base_model
        self._adapter_path = None
        self.reset_cache()
        self._info = replace(self._info, adapter=None)

    def reset_cache(self) -> None:
        """Forget the kept KV cache (after an adapter change or an error)."""
        self._kept.clear()

    def identities(self) -> set[str]:
        """Names under which the loaded base model may be recorded in an adapter config."""
        names = {self._info.name, self._info.path, self._setting}
        names.add(str(getattr(self._base_model.config, "_name_or_path", "")))
        return {n for n in names if n}


def memory_report(runtime: ModelRuntime) -> dict[str, Any]:
    """What was loaded, where, and how much memory it takes (for `doctor` and the UI)."""
    report = json.loads(json.dumps(runtime.info.__dict__))
    import torch

    if runtime.info.device.startswith("cuda"):
        report["cuda_allocated_bytes"] = int(torch.cuda.memory_allocated())
        report["cuda_reserved_bytes"] = int(torch.cuda.memory_reserved())
    return report
