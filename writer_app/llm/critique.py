"""Style suggestions: deterministic prose checks plus the model's critique.

The model is asked for lines like ``"quoted phrase" -> "replacement" : reason``.
Its output is treated as untrusted text: each line is parsed leniently,
the quoted phrase is looked up in the author's text to get a span, and
anything that cannot be located is dropped, so garbage never reaches the
editor and never raises.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from writer_app.llm import context
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.prompts import SYSTEM_LINE_EDITOR, chat
from writer_app.llm.runtime import Prompt
from writer_app.text.prose_checks import check_prose
from writer_app.text.suggestions import Suggestion

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

CRITIQUE_CHUNK_TOKENS = 600
_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»\n]{1,200})[\"“”„«»]")
_ARROW = re.compile(r"\s*(?:->|→|=>|-->|—>|⇒)\s*")


def parse_critique(model_output: object, text: str, offset: int = 0) -> list[Suggestion]:
    """Suggestions from the model's lines whose quoted phrase occurs in ``text``; never raises."""
    if not isinstance(model_output, str) or not isinstance(text, str):
        return []
    suggestions: list[Suggestion] = []
    used: set[tuple[int, int]] = set()
    for line in model_output.splitlines()[:200]:
        quoted = list(_QUOTED.finditer(line))
        if not quoted:
            continue
        phrase = quoted[0].group(1).strip()
        if len(phrase) < 2:
            continue
        replacement = None
        rest = line[quoted[0].end():]
        if len(quoted) > 1 and _ARROW.match(line[quoted[0].end(): quoted[1].start()] or "x"):
            replacement = quoted[1].group(1).strip()
            rest = line[quoted[1].end():]
        reason = rest.strip().lstrip(":-–—,.; ").strip() or "could be stronger"
        if replacement is not None and replacement == phrase:
            continue
        span = _locate(phrase, text, used)
        if span is None:
            continue
        used.add(span)
        suggestions.append(Suggestion(span[0] + offset, span[1] + offset, "model", reason[:300],
                                      replacement, "model"))
    return suggestions


def _locate(phrase: str, text: str, used: set[tuple[int, int]]) -> tuple[int, int] | None:
    lowered, needle = text.lower(), phrase.lower()
    start = 0
    while True:
        index = text.find(phrase, start)
        if index < 0:
            index = lowered.find(needle, start)
        if index < 0:
            return None
        span = (index, index + len(phrase))
        if span not in used:
            return span
        start = index + 1


def _critique_prompt(runtime: ModelRuntime, chunk: str) -> Prompt:
    user = (
        f'Text:\n"""\n{chunk}\n"""\n\nFind up to five weak, wordy or clichéd phrases in the text and give '
        "a better phrase for each. Quote each phrase exactly as it appears. One per line, in this format:\n"
        '"weak phrase" -> "better phrase" : reason'
    )
    prompt = chat(runtime, SYSTEM_LINE_EDITOR, user)
    return Prompt(prompt, "suggest", runtime.count_tokens(prompt))


def rule_suggestions(text: str, language: str) -> list[Suggestion]:
    """The deterministic checks from ``text.prose_checks``."""
    return list(check_prose(text, language))


def suggest_style(
    runtime: ModelRuntime,
    text: str,
    language: str = "en",
    settings: GenerationSettings | None = None,
    cancel: threading.Event | None = None,
) -> list[Suggestion]:
    """Rule and model suggestions for ``text``, sorted by position; spans index ``text``."""
    if not text or not text.strip():
        return []
    found = rule_suggestions(text, language)
    settings = settings or GenerationSettings(temperature=0.3, max_new_tokens=160)
    for offset, chunk in context.split_into_chunks(text, CRITIQUE_CHUNK_TOKENS, runtime.count_tokens):
        if cancel is not None and cancel.is_set():
            break
        raw = runtime.generate(_critique_prompt(runtime, chunk), settings, cancel)
        found.extend(parse_critique(raw, chunk, offset))
    unique: dict[tuple[int, int, str], Suggestion] = {}
    for suggestion in found:
        unique.setdefault((suggestion.start, suggestion.end, suggestion.source), suggestion)
    return sorted(unique.values(), key=lambda s: (s.start, s.end))
