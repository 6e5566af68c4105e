"""Jobs for the inference worker, built on the GUI thread from plain copies.

Each builder returns ``job(runtime, cancel)``; the worker runs it in its own
thread. Everything captured is a str, a tuple or a frozen settings object,
never a widget or a cursor, so nothing here touches Qt.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from writer_app.llm.generation import GenerationSettings

# Rewrite presets in menu order, with short labels (llm.tasks.REWRITE_PRESETS holds the prompts).
PRESET_LABELS: dict[str, str] = {
    "rephrase": "Rephrase",
    "vivid": "More vivid",
    "concise": "More concise",
    "formal": "More formal",
    "casual": "More casual",
    "show-dont-tell": "Show, don't tell",
    "grammar": "Fix grammar",
}

# What the panel calls each selection task.
TASK_TITLES = {
    "rewrite": "Rewrite",
    "expand": "Expand",
    "shorten": "Shorten",
    "describe": "Describe",
    "summarise": "Summarise",
}


def preset_labels() -> dict[str, str]:
    """Short menu labels for the rewrite presets the llm layer knows (its values are prompts)."""
    try:
        from writer_app.llm import tasks

        known = list(getattr(tasks, "REWRITE_PRESETS", {}) or PRESET_LABELS)
    except ImportError:
        known = list(PRESET_LABELS)
    ordered = [key for key in PRESET_LABELS if key in known] + [key for key in known if key not in PRESET_LABELS]
    return {key: PRESET_LABELS.get(key, key.replace("-", " ").capitalize()) for key in ordered}


def stream_task(
    task: str,
    settings: GenerationSettings,
    *,
    text: str = "",
    before: str = "",
    after: str = "",
    instruction: str = "",
    preset: str = "",
    bible: Sequence[tuple[str, str]] = (),
    story_so_far: str = "",
    language: str = "en",
):
    """A streaming job for one writing task (continue, rewrite, expand, ...)."""
    bible_pairs = list(bible)

    def job(runtime: Any, cancel: threading.Event) -> Iterator[str]:
        from writer_app.llm import tasks

        request = tasks.TaskRequest(
            task=task,
            text=text,
            before=before,
            after=after,
            instruction=instruction,
            preset=preset,
            bible=bible_pairs,
            story_so_far=story_so_far,
            language=language,
        )
        prompt = tasks.build_prompt(runtime, request, max_new_tokens=settings.max_new_tokens)
        return runtime.stream(prompt, settings, cancel)

    return job


def clean_output(task: str, raw: str) -> str:
    """The task's final text without chat artefacts (pure text work, safe on the GUI thread)."""
    from writer_app.llm import tasks

    cleaned = tasks.clean_output(task, raw)
    if task == "continue" and raw[:1].isspace() and cleaned[:1] != raw[:1]:
        cleaned = raw[:1] + cleaned.lstrip()  # keep the space that joins it to the author's text
    return cleaned


def summarise_job(text: str, settings: GenerationSettings):
    def job(runtime: Any, cancel: threading.Event) -> str:
        from writer_app.llm import tasks

        request = tasks.TaskRequest(task="summarise", text=text)
        return tasks.run_task(runtime, request, settings, cancel=cancel).text

    return job


def suggest_style_job(text: str, settings: GenerationSettings, language: str = "en"):
    def job(runtime: Any, cancel: threading.Event) -> list[Any]:
        from writer_app.llm import tasks

        request = tasks.TaskRequest(task="suggest", text=text, language=language)
        return tasks.run_task(runtime, request, settings, cancel=cancel).suggestions

    return job
