"""Work the model host runs for the editor: module-level functions, so that they pickle.

A job is ``job(runtime, cancel)``; the editor builds one with
``functools.partial(FUNCTION, plain data...)`` (strings, tuples, frozen or
plain dataclasses, never a widget), pickles it and sends it to the host
(``writer_app.llm.host``), which calls it with its loaded ``ModelRuntime`` and
the request's ``threading.Event``. A "stream" job returns an iterator of text
pieces; a "call" job returns its result (a string, a list of suggestions),
which is pickled back, so it must not hold torch objects.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from writer_app.llm import summary, tasks
from writer_app.llm.generation import GenerationSettings

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime
    from writer_app.text.suggestions import Suggestion


def stream_task(request: tasks.TaskRequest, settings: GenerationSettings, runtime: ModelRuntime,
                cancel: threading.Event) -> Iterator[str]:
    """Stream one writing task (continue, rewrite, expand, ...): the raw pieces, cleaned by the editor.

    A selection's summary takes several prompts (``summary.summarise``): it comes as one piece,
    written in the selection's language.
    """
    if request.task == "summarise":
        language = summary.summary_language(request.text, request.language)
        return iter([summary.summarise(runtime, request.text, cancel=cancel, settings=settings, language=language)])
    prompt = tasks.build_prompt(runtime, request, max_new_tokens=settings.max_new_tokens)
    if prompt.opening:  # a rewrite's first words, prefilled: they are the answer's first piece
        return itertools.chain([prompt.opening], runtime.stream(prompt, settings, cancel))
    return runtime.stream(prompt, settings, cancel)


def run_task_text(request: tasks.TaskRequest, settings: GenerationSettings, runtime: ModelRuntime,
                  cancel: threading.Event) -> str:
    """Run a task to the end and return its text (summaries)."""
    return tasks.run_task(runtime, request, settings, cancel=cancel).text


def run_task_suggestions(request: tasks.TaskRequest, settings: GenerationSettings, runtime: ModelRuntime,
                         cancel: threading.Event) -> list[Suggestion]:
    """Run the style check and return its ``text.suggestions.Suggestion`` list."""
    return list(tasks.run_task(runtime, request, settings, cancel=cancel).suggestions)


def raw_stream(prompt: str, settings: GenerationSettings, runtime: ModelRuntime,
               cancel: threading.Event) -> Iterator[str]:
    """Stream from a prompt used as it is (no task template): tests and benchmarks."""
    return runtime.stream(prompt, settings, cancel)
