"""Summaries of any length of text, hierarchically when it exceeds the window.

The text is cut into token chunks at paragraph breaks, each chunk is
summarised, and if the summaries together are still too long they are
summarised again, until one prompt holds them. Progress is reported per
model call; a cancel returns what was summarised so far.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from writer_app.errors import UserError
from writer_app.llm import context
from writer_app.llm.answers import clean_output
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.prompts import SYSTEM_WRITER, chat
from writer_app.llm.runtime import Prompt

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

ProgressCallback = Callable[[float, str], None]
# Small models summarise short pieces better, and a CPU prefills them faster.
MAX_CHUNK_TOKENS = 1500
SUMMARY_TOKENS = 150


def _summary_prompt(runtime: ModelRuntime, text: str, partial: bool) -> Prompt:
    what = "these summaries of consecutive parts of a story" if partial else "this passage of a story"
    user = (f'Text:\n"""\n{text}\n"""\n\nSummarise {what} in a few sentences: who does what, '
            "and what changes. Plain prose, no preamble.")
    prompt = chat(runtime, SYSTEM_WRITER, user)
    return Prompt(prompt, "summarise", runtime.count_tokens(prompt))


def summarise(
    runtime: ModelRuntime,
    text: str,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    settings: GenerationSettings | None = None,
    chunk_tokens: int | None = None,
) -> str:
    """Summarise ``text``; ``chunk_tokens`` overrides the piece size (smaller pieces, more levels)."""
    if not text or not text.strip():
        raise UserError("there is no text to summarise")
    settings = settings or GenerationSettings()
    settings = settings.with_(max_new_tokens=min(settings.max_new_tokens, SUMMARY_TOKENS))
    overhead = runtime.count_tokens(_summary_prompt(runtime, "", True).text)
    limit = runtime.info.context_window - settings.max_new_tokens - overhead - 16
    chunk_tokens = min(chunk_tokens or MAX_CHUNK_TOKENS, limit)
    if chunk_tokens < 64:
        raise UserError("the model's context window is too small to summarise with")
    total_tokens = runtime.count_tokens(text)
    # Estimated calls: each level shrinks by about chunk_tokens / SUMMARY_TOKENS.
    estimate = max(1, math.ceil(total_tokens / chunk_tokens))
    calls_expected = estimate + math.ceil(estimate * settings.max_new_tokens / chunk_tokens) + 1
    calls_done = 0
    level_text, level, partial = text.strip(), 0, False
    while True:
        chunks = context.split_into_chunks(level_text, chunk_tokens, runtime.count_tokens)
        summaries: list[str] = []
        for _, chunk in chunks:
            if cancel is not None and cancel.is_set():
                return "\n\n".join(summaries) if summaries else ""
            if progress:
                progress(min(0.99, calls_done / calls_expected), f"Summarising part {len(summaries) + 1} "
                         f"of {len(chunks)}" + (f" (level {level + 1})" if level else ""))
            raw = runtime.generate(_summary_prompt(runtime, chunk, partial), settings, cancel)
            summaries.append(clean_output("summarise", raw) or chunk[:200])
            calls_done += 1
        joined = "\n\n".join(summaries)
        if len(chunks) == 1:
            if progress:
                progress(1.0, "Summary ready")
            return joined
        if cancel is not None and cancel.is_set():
            return joined
        if runtime.count_tokens(joined) >= runtime.count_tokens(level_text):
            return joined  # no progress (a degenerate model): stop rather than loop
        level_text, level, partial = joined, level + 1, True
