"""``python -m writer_app.training.compare`` — one prompt, continued by base and by adapter.

The Trainer tab's side-by-side view runs this as a child process (prompt on
stdin, one JSON object on stdout), so the editor never waits on a model and
the inference model the assistant holds is left alone. Same seed for both
continuations: the difference is the adapter's, not the dice's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from writer_app.errors import UserError, one_line


def compare(base_model_path: Path, adapter_path: Path, prompt: str, tokens: int, seed: int) -> dict[str, str]:
    from writer_app.training.evaluate import (
        _load_base_for_eval,
        attach_for_eval,
        check_eval_folders,
        generate_continuation,
    )
    from writer_app.training.model_loading import configure_cpu_threads, load_tokenizer, wants_cuda

    check_eval_folders(base_model_path, adapter_path)
    if not wants_cuda("auto"):
        configure_cpu_threads()
    tokenizer = load_tokenizer(base_model_path)
    base = _load_base_for_eval(base_model_path, None, wants_cuda("auto"))
    model = attach_for_eval(base, adapter_path)
    with model.disable_adapter():
        plain = generate_continuation(model, tokenizer, prompt, tokens, seed)
    styled = generate_continuation(model, tokenizer, prompt, tokens, seed)
    return {"base": plain, "adapter": styled}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m writer_app.training.compare")
    parser.add_argument("--base", required=True, help="base model folder")
    parser.add_argument("--adapter", required=True, help="adapter folder")
    parser.add_argument("--tokens", type=int, default=80)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    prompt = sys.stdin.read()
    try:
        result = compare(Path(args.base), Path(args.adapter), prompt, args.tokens, args.seed)
    except UserError as exc:  # a sentence for the author, as it is
        print(json.dumps({"error": one_line(exc)}))
        return 1
    except Exception as exc:  # noqa: BLE001 - one line for the UI
        print(json.dumps({"error": one_line(f"{exc.__class__.__name__}: {exc}")}))
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
