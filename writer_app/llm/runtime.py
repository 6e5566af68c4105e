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
from typing import Any

from writer_app.errors import UserError
from writer_app.llm import catalogue, import_ml_stack, model_files
from writer_app.llm.generation import GenerationSettings

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


def _resolve(setting: str, model_cache: Path, progress: ProgressCallback | None) -> tuple[str, Path]:
    """Map the model setting to (display name, folder with the files)."""
    from writer_app.llm import embedded

    setting = catalogue.validate_setting(setting)
    if setting == catalogue.EMBEDDED_SETTING:
        try:
            folder = embedded.ensure_embedded_model(Path(model_cache), progress)
        except embedded.EmbeddedModelMissing as exc:
            raise UserError(str(exc)) from exc
        return embedded.EMBEDDED_MODEL_NAME, folder
    folder = Path(setting).expanduser()
    if folder.is_dir():
        return folder.name, folder.resolve()
    from writer_app.llm.download import cached_model_path

    cached = cached_model_path(setting)
    if cached is None:
        raise UserError(
            f"model {setting} is not downloaded yet; download it first "
            f"(Settings > Model > Download, or: writer-app download-model {setting})"
        )
    return setting, cached


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


def cpu_has_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def _build_on_meta(folder: Path, dtype: Any) -> Any | None:
    """Construct the model without initialising weights, then assign the safetensors tensors.

    ``from_pretrained`` spends most of its second on bookkeeping for a model
    this small; building on the meta device and assigning the loaded tensors
    takes ~0.1 s. Returns None when the folder needs the general loader
    (sharded weights, unknown leftovers), so the caller falls back.
    """
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForCausalLM

    shards = sorted(folder.glob("*.safetensors"))
    if len(shards) != 1:
        return None
    config = AutoConfig.from_pretrained(folder)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    state = load_file(str(shards[0]))
    state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    model.tie_weights()
    # Non-persistent buffers (rotary inverse frequencies) were never in the file: rebuild them.
    for name, module in list(model.named_modules()):
        if any(b.is_meta for b in module.buffers(recurse=False)):
            if hasattr(module, "rope_type") or name.endswith("rotary_emb"):
                try:
                    rebuilt = type(module)(config=getattr(module, "config", config))
                except TypeError:
                    return None
                parent_name, _, child = name.rpartition(".")
                setattr(model.get_submodule(parent_name) if parent_name else model, child, rebuilt)
    if any(p.is_meta for p in model.parameters()) or any(b.is_meta for b in model.buffers()):
        log.info("fast load left meta tensors (missing %s); using from_pretrained", missing[:3])
        return None
    if unexpected:
        log.info("fast load: unexpected keys %s; using from_pretrained", unexpected[:3])
        return None
    return model.eval()


def _refuse_missing_weights(folder: Path, loading: dict) -> None:
    """Weights that do not match the architecture would load as random numbers: refuse instead."""
    missing = [k for k in loading.get("missing_keys", []) if not k.endswith("lm_head.weight")]
    if missing:
        raise UserError(
            f"the weights in {folder} do not match its config ({len(missing)} tensors missing, e.g. "
            f"{missing[0]}); the folder is damaged or mixes two models"
        )


class ModelRuntime:
    """A loaded model and tokenizer; see the module docstring."""

    def __init__(self, model: Any, tokenizer: Any, info: ModelInfo, allow_pickle: bool) -> None:
        self._base_model = model
        self._model = model  # the base model or a PeftModel wrapping it
        self.tokenizer = tokenizer
        self._info = info
        self._allow_pickle = allow_pickle
        self._adapter_path: Path | None = None
        self._cache: Any = None  # the KV cache of the last stream
        self._cache_ids: list[int] = []  # tokens whose keys/values are in _cache
        self._stop_ids = self._find_stop_ids()
        self.last_tokens_per_second: float | None = None
        self.last_time_to_first_token: float | None = None
        self.last_prefill_tokens: int = 0
        self.fast_attention = False  # True once CPU decoding uses fast_decode's attention (first stream)
        self._fast_attention_checked = False
        self._decode_format: str | None = None  # "int4"/"int8": CPU decode steps run in step_decoder
        self._decoder: Any = None  # step_decoder.StepDecoder, rebuilt when an adapter comes or goes
        self._weights_bytes = info.memory_bytes  # the model's own weights, without the decoder's copy

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
        name, folder = _resolve(setting, model_cache, progress)
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
            model, quant_label, dtype = cls._load_weights(
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
            if setting == catalogue.EMBEDDED_SETTING else "download or convert the model again",
        )
        if setting == catalogue.EMBEDDED_SETTING:
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
        runtime = cls(model, tokenizer, info, allow_pickle)
        runtime._setting = setting
        if chosen_device == "cpu":
            if progress:
                progress(0.8, "Preparing fast decoding…")
            runtime._decode_format = cls._cpu_decode_format(quantization, dtype)
            runtime._build_decoder()
            runtime._info = replace(runtime._info, load_seconds=time.perf_counter() - started)
        if progress:
            progress(1.0, f"{name} loaded")
        return runtime

    @staticmethod
    def _load_weights(
        folder: Path, device: str, quantization: str, allow_pickle: bool, trust_remote_code: bool
    ) -> tuple[Any, str, Any]:
        import torch
        from transformers import AutoModelForCausalLM

        if device == "cuda":
            if quantization in ("auto", "4bit", "8bit"):
                from transformers import BitsAndBytesConfig

                if quantization == "8bit":
                    quant = BitsAndBytesConfig(load_in_8bit=True)
                    label = "8bit"
                else:
                    quant = BitsAndBytesConfig(
                        load_in_4bit=True,
                        bnb_4bit_quant_type="nf4",
                        bnb_4bit_use_double_quant=True,
                        bnb_4bit_compute_dtype=torch.bfloat16,
                    )
                    label = "4bit-nf4"
                model = AutoModelForCausalLM.from_pretrained(
                    folder,
                    quantization_config=quant,
                    dtype=torch.bfloat16,
                    device_map={"": 0},
                    use_safetensors=not allow_pickle,
                    trust_remote_code=trust_remote_code,
                )
                return model.eval(), label, torch.bfloat16
            dtype = torch.float32 if quantization == "32bit" else torch.bfloat16
            model = AutoModelForCausalLM.from_pretrained(
                folder, dtype=dtype, device_map={"": 0}, use_safetensors=not allow_pickle,
                trust_remote_code=trust_remote_code,
            )
            return model.eval(), "none", dtype
        # CPU: bf16 where the CPU has bf16 instructions (prefill ~3x and decode ~1.7x faster than fp32,
        # see benchmarks/README.md); fp32 elsewhere, where bf16 is emulated and slow. 4bit/8bit (and
        # auto on a bf16 CPU) decode through step_decoder's quantized copy of the weights.
        if quantization in ("4bit", "8bit"):
            dtype = torch.bfloat16
        elif quantization == "auto":
            dtype = torch.bfloat16 if cpu_has_bf16() else torch.float32
        else:
            dtype = torch.bfloat16 if quantization == "16bit" else torch.float32
        model = None if trust_remote_code else _build_on_meta(folder, dtype)
        if model is None:
            model, loading = AutoModelForCausalLM.from_pretrained(
                folder, dtype=dtype, use_safetensors=not allow_pickle, trust_remote_code=trust_remote_code,
                output_loading_info=True,
            )
            _refuse_missing_weights(folder, loading)
            model = model.eval()
        return model, "none", dtype

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

    def close(self) -> None:
        """Free the model (the object is unusable afterwards)."""
        self._cache = None
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
        from writer_app.llm import decoding

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
        try:
            yield from decoding.decode_stream(self, ids, settings, cancel)
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

    # -------------------------------------------------------------- adapters
    @property
    def adapter_path(self) -> Path | None:
        return self._adapter_path

    def attach_adapter(self, path: str | Path) -> str:
        """Attach a peft LoRA adapter folder without reloading the model; returns its name."""
        from writer_app.llm.adapters import check_adapter, load_peft

        folder = Path(path).expanduser()
        check_adapter(self, folder, self._allow_pickle)
        if self._adapter_path is not None:
            self._unload_adapter()
        try:
            self._model = load_peft(self._base_model, folder)
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
        self._cache = None
        self._cache_ids = []

    def identities(self) -> set[str]:
        """Names under which the loaded base model may be recorded in an adapter config."""
        names = {self._info.name, self._info.path, getattr(self, "_setting", "")}
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
