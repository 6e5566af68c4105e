"""Jobs for the model host, built on the GUI thread from plain copies.

Each builder returns ``job(runtime, cancel)``: a ``functools.partial`` of a
function in ``writer_app.llm.jobs`` over plain data (strings, tuples, a
``TaskRequest``, the frozen ``GenerationSettings``), never a widget or a
cursor. The inference client pickles it and the host process runs it, so
nothing here touches Qt, and nothing here imports torch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

# Imported with the assistant, before the window shows: imported lazily they took 50-140 ms on the
# GUI thread at the first Continue (llm.tasks pulls in the runtime module; no torch, that stays lazy).
from writer_app.llm import answers, critique, tasks
from writer_app.llm import jobs as llm_jobs
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.tasks import TaskRequest

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

# What the inference client sends to the host: called there with the loaded runtime and the request's
# cancel Event; a "stream" job returns an iterator of text pieces, a "call" job its (picklable) result.
Job = Callable[["ModelRuntime", threading.Event], object]

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
    known = list(tasks.REWRITE_PRESETS)
    ordered = [key for key in PRESET_LABELS if key in known] + [key for key in known if key not in PRESET_LABELS]
    return {key: PRESET_LABELS.get(key, key.replace("-", " ").capitalize()) for key in ordered}


def _request(task: str, **fields: Any) -> tasks.TaskRequest:
    return tasks.TaskRequest(task=task, **fields)


def stream_task(request: TaskRequest, settings: GenerationSettings) -> Job:
    """A streaming job for one writing task (continue, rewrite, expand, ...)."""
    return partial(llm_jobs.stream_task, request, settings)


def clean_output(task: str, raw: str) -> str:
    """The task's final text without chat artefacts (pure text work, safe on the GUI thread)."""
    cleaned = tasks.clean_output(task, raw)
    if task == "continue" and answers.starts_with_cjk(cleaned):
        # Chinese and Japanese join sentences without a space ("。他", not "。 他"); a line break stays.
        return cleaned.lstrip(" \t\u00a0")
    if task == "continue" and raw[:1].isspace() and cleaned[:1] != raw[:1]:
        cleaned = raw[:1] + cleaned.lstrip()  # keep the space that joins it to the author's text
    return cleaned


def summarise_job(text: str, settings: GenerationSettings) -> Job:
    return partial(llm_jobs.run_task_text, _request("summarise", text=text), settings)


def suggest_style_job(text: str, settings: GenerationSettings, language: str = "en") -> Job:
    return partial(llm_jobs.run_task_suggestions, _request("suggest", text=text, language=language), settings)


def critique_stream_job(text: str, settings: GenerationSettings) -> Job:
    """The model's style critique as a stream of records (``llm.critique.decode_record`` reads them)."""
    return partial(critique.stream_critique, text, settings)


def raw_stream(prompt: str, settings: GenerationSettings) -> Job:
    """A streaming job for a prompt used as it is (tests, benchmarks)."""
    return partial(llm_jobs.raw_stream, prompt, settings)
