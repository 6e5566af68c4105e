"""Guards: a task's answer that fails a hard check is sampled again, and never passed off as good.

The hard checks (``text.quality_checks``: names kept, no invented names,
the input's language, prose rather than commentary) protect the manuscript.
When a candidate fails one, the task is run again within a small budget,
with a different seed and, for the tasks that transform the author's text,
a lower temperature (a rewrite should stay close to its source). The first
candidate that passes is returned; if none does, the best one is returned
with ``TaskResult.warnings`` saying what is wrong, so the editor and
``generate --json`` can show it instead of inserting it silently.

The same checks score the task-quality harness (``eval_tasks``), so what
the guards accept is what the harness counts as a pass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from writer_app.llm import context, tasks
from writer_app.llm.generation import GenerationSettings
from writer_app.text import quality_checks as qc
from writer_app.text.name_keeping import check_names_kept

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

# Tasks whose answer replaces or summarises the author's text: a lower temperature on a retry.
TRANSFORMS = ("rewrite", "expand", "shorten", "describe")


@dataclass(frozen=True)
class GuardPolicy:
    retries: int = 2  # extra candidates after the first, at most
    retry_temperatures: tuple[float, ...] = (0.5, 0.3)  # for TRANSFORMS, try by try
    summary_retries: int = 1  # a summary of a chapter is several model calls: one retry at most


DEFAULT_POLICY = GuardPolicy()


def source_text(request: tasks.TaskRequest) -> str:
    """The author's text the answer must keep faith with."""
    if request.task == "continue":
        return request.before or request.text
    if request.task == "brainstorm":
        return request.before or request.text
    return request.text


def bible_names(request: tasks.TaskRequest) -> tuple[list[str], dict[str, list[str]]]:
    """The story bible's names and aliases, and each name's aliases."""
    names: list[str] = []
    aliases: dict[str, list[str]] = {}
    for note in context.as_bible_notes(request.bible):
        names += [note.name, *note.aliases]
        aliases[note.name] = list(note.aliases)
    return names, aliases


def task_checks(request: tasks.TaskRequest, result: tasks.TaskResult, key: str | None = None,
                source: str | None = None) -> dict[str, qc.CheckResult]:
    """Every check that applies to ``request``'s task, on ``result`` (``key``: "rewrite:vivid", ...)."""
    task = request.task
    variant = (key or "").partition(":")[2] or request.preset or "rephrase"
    source = source_text(request) if source is None else source
    expected = qc.detect_language(source) or request.language
    output = result.text
    known, aliases = bible_names(request)
    checks: dict[str, qc.CheckResult] = {}
    if task == "suggest":
        checks["spans"] = qc.check_suggestions(request.text, result.suggestions)
        return checks
    if task == "brainstorm":
        joined = "\n".join(result.items) or output
        checks["language"] = qc.check_language(source, joined, expected)
        checks["meta_text"] = qc.check_meta_text(output, "list")
        checks["items"] = qc.OK if len(result.items) >= 3 else qc.CheckResult(
            False, f"{len(result.items)} ideas, fewer than 3")
        return checks
    if task in ("rewrite", "expand", "shorten"):
        checks["names"] = check_names_kept(source, output, known, aliases)
    if task in ("rewrite", "shorten", "summarise"):
        checks["invented_names"] = qc.check_no_invented_names(source, output, known)
    checks["language"] = qc.check_language(source, output, expected)
    checks["meta_text"] = qc.check_meta_text(output, "summary" if task == "summarise" else "prose")
    if task == "continue":
        checks["prompt_echo"] = qc.check_no_prompt_echo(source, output)
        checks["length"] = qc.check_min_words(output, 5)
    elif task == "describe":
        checks["length"] = qc.check_min_words(output, 15)
    else:
        checks["length"] = qc.check_length(source, output, variant if task == "rewrite" else task)
    checks["cjk_spacing"] = qc.check_cjk_spacing(output)
    checks["repetition"] = qc.check_repetition(output)
    return checks


def hard_failures(checks: dict[str, qc.CheckResult]) -> list[str]:
    return [result.reason for name, result in checks.items() if name in qc.HARD_CHECKS and not result]


def retry_settings(task: str, settings: GenerationSettings, attempt: int,
                    policy: GuardPolicy) -> GenerationSettings:
    seed = None if settings.seed is None else settings.seed + 7919 * attempt
    changed = settings.with_(seed=seed)
    if task in TRANSFORMS and policy.retry_temperatures:
        temperature = policy.retry_temperatures[min(attempt, len(policy.retry_temperatures)) - 1]
        changed = changed.with_(temperature=min(settings.temperature, temperature))
    return changed


def retry_budget(task: str, policy: GuardPolicy = DEFAULT_POLICY) -> int:
    """How many extra candidates ``task`` may sample after a first one fails a hard check."""
    if task == "suggest":
        return 0
    return min(policy.retries, policy.summary_retries) if task == "summarise" else policy.retries


def run_guarded(
    runtime: ModelRuntime,
    request: tasks.TaskRequest,
    settings: GenerationSettings | None = None,
    cancel: threading.Event | None = None,
    on_delta: Callable[[str], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
    policy: GuardPolicy = DEFAULT_POLICY,
    key: str | None = None,
) -> tasks.TaskResult:
    """``tasks.run_task``, re-sampled while a hard check fails; the best candidate carries its warnings.

    ``on_delta`` sees the first candidate's pieces only (a later one is not
    streamed over it); the returned text is the chosen candidate's.
    """
    settings = settings or GenerationSettings()
    budget = retry_budget(request.task, policy)
    best: tuple[tuple[int, int], tasks.TaskResult, list[str]] | None = None
    attempt = 0
    failed: list[list[str]] = []  # each candidate's hard failures
    candidates: list[tasks.TaskResult] = []
    while True:
        current = settings if attempt == 0 else retry_settings(request.task, settings, attempt, policy)
        result = tasks.run_task(runtime, request, current, cancel, on_delta if attempt == 0 else None, progress)
        checks = task_checks(request, result, key)
        failures = hard_failures(checks)
        rank = (len(failures), sum(1 for r in checks.values() if not r))
        failed.append(failures)
        candidates.append(result)
        if best is None or rank < best[0]:
            best = (rank, result, failures)
        if not failures or attempt >= budget or (cancel is not None and cancel.is_set()):
            break
        attempt += 1
    _, chosen, failures = best
    rejected = [reasons for reasons, candidate in zip(failed, candidates, strict=True) if candidate is not chosen]
    return replace(chosen, warnings=list(failures), tries=attempt + 1, rejected=rejected)
