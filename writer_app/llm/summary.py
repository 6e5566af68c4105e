"""Summaries of any length of text, hierarchically when it exceeds the window.

The text is cut into token chunks at paragraph breaks, each chunk is
summarised, and if the summaries together are still too long they are
summarised again, until one prompt holds them. Progress is reported per
model call; a cancel returns what was summarised so far.

The editor drives the same steps one model call at a time (``plan_chunks_job``
then ``summarise_piece_job`` per chunk), so that it can show "part k of n" and
stop between chunks; :func:`summarise` runs them in one go for the CLI.

A summary is written in the language of its source: a Chinese chapter gets a
prompt in Chinese and an answer in Chinese (the small embedded model answers an
English prompt in English whatever it reads). :func:`names_missing_from_source`
finds the names a summary invents, for the author's review.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from writer_app.errors import UserError
from writer_app.llm import constraints, context
from writer_app.llm.answers import clean_output
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.prompts import SYSTEM_WRITER, chat
from writer_app.llm.runtime import Prompt
from writer_app.text.counts import is_cjk_dominant
from writer_app.text.quality_checks import invented_names

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

ProgressCallback = Callable[[float, str], None]
# Small models summarise short pieces better, and a CPU prefills them faster.
MAX_CHUNK_TOKENS = 1500
SUMMARY_TOKENS = 150

SYSTEM_SUMMARY_ZH = "你是小说作者的写作助手。你只用中文回答，只写概括本身。"
# Opening the answer in Chinese keeps a small model writing Chinese (measured: see the tests' notes).
PREFIX_ZH = "这段故事讲的是"
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_CJK_SENTENCE_END = re.compile(r"[。！？…][”’」』）]?")


def summary_language(text: str, project_language: str = "") -> str:
    """``"zh"``, ``"ja"`` or ``"en"``: the text's own script decides, the project's language breaks a tie.

    A chapter pasted in Chinese into an English project is still summarised in Chinese.
    """
    sample = text[:4000]
    if is_cjk_dominant(sample):
        return "ja" if len(_KANA.findall(sample)) * 10 >= sum(ch.isalpha() for ch in sample) else "zh"
    if any(ch.isalpha() for ch in sample):
        return "en"
    code = (project_language or "").lower()
    return "zh" if code.startswith("zh") else "ja" if code.startswith("ja") else "en"


def summary_prompt(runtime: ModelRuntime, text: str, partial: bool, language: str = "en") -> Prompt:
    """The prompt for one piece: in Chinese for a Chinese source, else English (Japanese asked for)."""
    if language == "zh":
        what = "以下是一个故事中连续几部分的概括" if partial else "以下是一段故事"
        user = (f'{what}：\n"""\n{text}\n"""\n\n请用中文概括这段故事，写两三句话：谁做了什么，有什么变化。'
                "只写概括，不要开场白，不要用英文。")
        prompt = chat(runtime, SYSTEM_SUMMARY_ZH, user, assistant_prefix=PREFIX_ZH)
        return Prompt(prompt, "summarise", runtime.count_tokens(prompt),
                      constraints=constraints.for_source("summarise", text, []), opening=PREFIX_ZH)
    what = "these summaries of consecutive parts of a story" if partial else "this passage of a story"
    answer_in = " Answer in Japanese." if language == "ja" else ""
    user = (f'Text:\n"""\n{text}\n"""\n\nSummarise {what} in a few sentences: who does what, '
            f"and what changes. Use only names that appear in the text. Plain prose, no preamble.{answer_in}")
    prompt = chat(runtime, SYSTEM_WRITER, user)
    # No invented names, no "Here is": the tokens are masked (``constraints``); Japanese is not masked.
    return Prompt(prompt, "summarise", runtime.count_tokens(prompt),
                  constraints=constraints.for_source("summarise", text, []))


def _clean_piece(raw: str, language: str, chunk: str) -> str:
    if language == "zh":
        text = clean_output("summarise", PREFIX_ZH + raw)
        ends = [m.end() for m in _CJK_SENTENCE_END.finditer(text)]
        if ends and ends[-1] >= len(text) * 0.4:
            text = text[: ends[-1]]  # a length limit cut the last sentence
        return text.strip() or chunk[:200]
    return clean_output("summarise", raw) or chunk[:200]


def _settings(settings: GenerationSettings | None) -> GenerationSettings:
    settings = settings or GenerationSettings()
    return settings.with_(max_new_tokens=min(settings.max_new_tokens, SUMMARY_TOKENS))


def _chunk_limit(runtime: ModelRuntime, settings: GenerationSettings, chunk_tokens: int | None) -> int:
    overhead = max(runtime.count_tokens(summary_prompt(runtime, "", True, lang).text) for lang in ("en", "zh"))
    limit = runtime.info.context_window - settings.max_new_tokens - overhead - 16
    chunk_tokens = min(chunk_tokens or MAX_CHUNK_TOKENS, limit)
    if chunk_tokens < 64:
        raise UserError("the model's context window is too small to summarise with")
    return chunk_tokens


def plan_chunks(runtime: ModelRuntime, text: str, settings: GenerationSettings | None = None,
                chunk_tokens: int | None = None) -> list[str]:
    """The pieces one level of the summary is made of (one model call each)."""
    if not text or not text.strip():
        raise UserError("there is no text to summarise")
    limit = _chunk_limit(runtime, _settings(settings), chunk_tokens)
    return [chunk for _, chunk in context.split_into_chunks(text.strip(), limit, runtime.count_tokens)]


def summarise_piece(runtime: ModelRuntime, chunk: str, partial: bool, language: str,
                    settings: GenerationSettings | None = None, cancel: threading.Event | None = None) -> str:
    """One model call: the summary of one chunk (or of the joined summaries of a level below)."""
    raw = runtime.generate(summary_prompt(runtime, chunk, partial, language), _settings(settings), cancel)
    return _clean_piece(raw, language, chunk)


# Jobs for the model host (``job(runtime, cancel)`` once bound with functools.partial).
def plan_chunks_job(text: str, settings: GenerationSettings, chunk_tokens: int | None,
                    runtime: ModelRuntime, cancel: threading.Event) -> list[str]:
    return plan_chunks(runtime, text, settings, chunk_tokens)


def summarise_piece_job(chunk: str, partial: bool, language: str, settings: GenerationSettings,
                        runtime: ModelRuntime, cancel: threading.Event) -> str:
    return summarise_piece(runtime, chunk, partial, language, settings, cancel)


def summarise(
    runtime: ModelRuntime,
    text: str,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    settings: GenerationSettings | None = None,
    chunk_tokens: int | None = None,
    language: str = "",
) -> str:
    """Summarise ``text``; ``chunk_tokens`` overrides the piece size (smaller pieces, more levels)."""
    if not text or not text.strip():
        raise UserError("there is no text to summarise")
    settings = _settings(settings)
    language = language or summary_language(text)
    chunk_tokens = _chunk_limit(runtime, settings, chunk_tokens)
    total_tokens = runtime.count_tokens(text)
    # Estimated calls: each level shrinks by about chunk_tokens / SUMMARY_TOKENS.
    estimate = max(1, math.ceil(total_tokens / chunk_tokens))
    calls_expected = estimate + math.ceil(estimate * settings.max_new_tokens / chunk_tokens) + 1
    calls_done = 0
    level_text, level, partial = text.strip(), 0, False
    while True:
        chunks = plan_chunks(runtime, level_text, settings, chunk_tokens)
        summaries: list[str] = []
        for chunk in chunks:
            if cancel is not None and cancel.is_set():
                return "\n\n".join(summaries) if summaries else ""
            if progress:
                progress(min(0.99, calls_done / calls_expected), f"Summarising part {len(summaries) + 1} "
                         f"of {len(chunks)}" + (f" (level {level + 1})" if level else ""))
            summaries.append(summarise_piece(runtime, chunk, partial, language, settings, cancel))
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


def names_missing_from_source(summary: str, source: str) -> list[str]:
    """Words of the names ``summary`` uses that ``source`` never does: likely invented, for the author's review.

    The harness's own rule (``quality_checks.invented_names``), so the review
    warns about what the guards and the harness count as invented. A warning
    the author reads, not a verdict; names in scripts without capitals
    (Chinese) are not judged, Latin names in a Chinese summary are.
    """
    words: list[str] = []
    for name in invented_names(source, summary):
        if re.search("[\u3400-\u9fff]", name):
            continue
        words += [w for w in name.split() if w not in words and not re.search(rf"(?<!\w){re.escape(w)}(?!\w)",
                                                                            source, re.IGNORECASE)]
    return words
