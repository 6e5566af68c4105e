"""Writing tasks: one request type, prompts built with the model's chat template.

Small instruct models answer a request to "continue this story" with chatty
commentary, so Continue puts the author's text at the start of the
assistant's turn and lets the model carry on writing it, as a completion
model would. The other tasks are ordinary instructions whose answers are
cleaned (``answers.clean_output``: preambles such as "Here is the rewritten
text:", quotes, chat tokens) so that only the replacement text reaches the
manuscript. The chat layout and the system prompts live in ``prompts``;
summaries and style suggestions, which take several prompts each, in
``summary`` and ``critique``, which ``run_task`` dispatches to.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from writer_app.errors import UserError
from writer_app.llm import constraints, context
from writer_app.llm.answers import clean_output, parse_list
from writer_app.llm.critique import suggest_style
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.prompts import chat, system_writer
from writer_app.llm.runtime import Prompt
from writer_app.llm.summary import summarise
from writer_app.settings import DEFAULT_MAX_NEW_TOKENS
from writer_app.text.quality_checks import detect_language, names_in

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime
    from writer_app.text.suggestions import Suggestion

TASKS = ("continue", "rewrite", "expand", "shorten", "describe", "brainstorm", "summarise", "suggest")
REWRITE_PRESETS: dict[str, str] = {
    "rephrase": "Rephrase the text, keeping its meaning",
    "vivid": "Rewrite the text to be more vivid and concrete",
    "concise": "Rewrite the text to be more concise",
    "formal": "Rewrite the text in a more formal register",
    "casual": "Rewrite the text in a more casual, conversational register",
    "show-dont-tell": "Rewrite the text to show through action, senses and dialogue instead of telling",
    "grammar": "Fix the grammar, spelling and punctuation of the text, changing nothing else",
}
LANGUAGE_NAMES = {"zh": "Chinese (中文)", "ja": "Japanese (日本語)", "ko": "Korean (한국어)"}
OPENING_TASKS = ("rewrite", "expand", "shorten")  # answers started with the selection's first words
OPENING_WORDS = 4
CONTEXT_NOTE_TOKENS = 400  # room for bible notes and the story so far
SIDE_CONTEXT_TOKENS = 300  # context shown around a selection


@dataclass
class TaskRequest:
    task: str
    text: str = ""  # the selection; for continue, the text before the cursor when `before` is empty
    before: str = ""
    after: str = ""
    instruction: str = ""  # free rewrite instruction, the thing to describe, or what to brainstorm
    preset: str = ""  # a REWRITE_PRESETS key
    bible: list[context.BibleInput] = field(default_factory=list)
    story_so_far: str = ""
    language: str = "en"


@dataclass
class TaskResult:
    text: str
    items: list[str] = field(default_factory=list)  # brainstorm ideas
    suggestions: list[Suggestion] = field(default_factory=list)  # style suggestions
    truncated: bool = False
    # What the hard checks found wrong with this answer (llm.guards); shown to the author, never ignored.
    warnings: list[str] = field(default_factory=list)
    tries: int = 1  # candidates sampled (the guards re-sample an answer that fails a hard check)
    # The hard failures of each candidate the guards sampled and set aside, in order (for the
    # harness's figures: why a first answer was not good enough).
    rejected: list[list[str]] = field(default_factory=list)


def _notes_block(request: TaskRequest, nearby: str, runtime: ModelRuntime) -> str:
    notes = context.mentioned_notes(context.as_bible_notes(request.bible), nearby)
    parts = []
    if request.story_so_far.strip():
        summary, _ = context.keep_recent(request.story_so_far.strip(), CONTEXT_NOTE_TOKENS // 2, runtime.count_tokens)
        parts.append(f"The story so far: {summary}")
    if notes:
        lines = "\n".join(f"- {n.name}: {n.description}".rstrip(": ") for n in notes)
        parts.append(f"Story notes:\n{lines}")
    block = "\n\n".join(parts)
    if runtime.count_tokens(block) > CONTEXT_NOTE_TOKENS:
        block = context.keep_start(block, CONTEXT_NOTE_TOKENS, runtime.count_tokens)
    return block


def _instruction(request: TaskRequest) -> str:
    task = request.task
    if task == "rewrite":
        if request.instruction.strip():
            return f"Rewrite the text as follows: {request.instruction.strip()}"
        if request.preset and request.preset not in REWRITE_PRESETS:
            raise UserError(f"unknown rewrite preset '{request.preset}'; use one of {', '.join(REWRITE_PRESETS)}")
        return REWRITE_PRESETS[request.preset or "rephrase"]
    if task == "expand":
        return "Expand the text with more detail, action and interiority, about twice as long, same voice and tense"
    if task == "shorten":
        return "Shorten the text to about half its length, keeping the key events and the voice"
    if task == "describe":
        thing = request.instruction.strip() or "the text"
        return (f"Describe {thing} with vivid sensory detail (sight, sound, smell, touch, taste) "
                "in three or four sentences of prose, matching the story's voice")
    if task == "brainstorm":
        topic = request.instruction.strip() or "what could happen next in this story"
        return f"Brainstorm five short ideas for: {topic}. Reply with a numbered list, one idea per line"
    raise UserError(f"unknown task '{task}'; use one of {', '.join(TASKS)}")


def _constraints(request: TaskRequest, source: str) -> str:
    """What a small model forgets unless told: the text's language, and the names a rewrite must keep.

    Measured on the task-quality harness (benchmarks/README.md): without the
    language line the embedded model answered every Chinese selection in English.
    """
    extra = []
    language = detect_language(source)
    if language in LANGUAGE_NAMES and language != "en":
        extra.append(f" Write in {LANGUAGE_NAMES[language]}, the language of the text.")
    if request.task in ("rewrite", "expand", "shorten") and source:
        known = [n for note in context.as_bible_notes(request.bible) for n in (note.name, *note.aliases)]
        names = sorted(names_in(source, known))
        if names:
            extra.append(f" Keep these names exactly as they are: {', '.join(names[:12])}.")
    return "".join(extra)


def answer_opening(request: TaskRequest) -> str:
    """The first words of a rewrite, expansion or shortening: the selection's own.

    Prefilled into the assistant's turn, they make a small model carry on
    writing the passage instead of commenting on it ("The story begins with
    a description of..."), the way Continue's completion-style prompt does.
    Measured on the harness (benchmarks/README.md). Empty for other tasks and
    for a selection too short to spare them.
    """
    if request.task not in OPENING_TASKS:
        return ""
    selection = request.text.strip()
    if detect_language(selection) in ("zh", "ja"):
        if len(selection) < 24:
            return ""
        clause = next((i + 1 for i, ch in enumerate(selection[:12]) if ch in "，。！？；：,"), 0)
        return selection[: clause or 6]
    words = re.findall(r"\S+\s+", selection)
    if len(words) < 3 * OPENING_WORDS:
        return ""
    opening = ""
    for word in words[:OPENING_WORDS]:
        opening += word
        if re.search(r"[.!?][\"”’)]?\s+$", word):
            break  # the first sentence ends here
    return opening.rstrip()  # a trailing space would make the model start with an odd token


def _prompt_constraints(request: TaskRequest, source: str) -> constraints.Constraints:
    notes = context.as_bible_notes(request.bible)
    known = [n for note in notes for n in (note.name, *note.aliases)]
    return constraints.for_source(request.task, source, known, {note.name: list(note.aliases) for note in notes})


def build_prompt(runtime: ModelRuntime, request: TaskRequest,
                 max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS) -> Prompt:
    """The prompt for ``request``, fitted to the context window (counted in tokens)."""
    task = request.task
    if task not in TASKS:
        raise UserError(f"unknown task '{task}'; use one of {', '.join(TASKS)}")
    if task in ("summarise", "suggest"):
        raise UserError(f"'{task}' runs several prompts; call tasks.run_task or tasks.{task} instead")
    budget = runtime.info.context_window - max_new_tokens
    if task == "continue":
        before = request.before or request.text
        if not before.strip():
            raise UserError("there is no text before the cursor to continue from")
        notes = _notes_block(request, before[-3000:] + request.after[:500], runtime)
        user = "Continue the story from where it stops."
        if notes:
            user = f"{notes}\n\n{user}"
        system = system_writer(detect_language(before[-2000:]))
        overhead = runtime.count_tokens(chat(runtime, system, user)) + 8
        kept, truncated = context.keep_recent(before.rstrip(), budget - overhead, runtime.count_tokens)
        if not kept.strip():
            raise UserError("the model's context window is too small for this request")
        text = chat(runtime, system, user, assistant_prefix=kept)
        return Prompt(text, task, runtime.count_tokens(text), truncated,
                      constraints=_prompt_constraints(request, kept[-2000:]))

    selection = request.text.strip()
    if not selection and task not in ("brainstorm", "describe"):
        raise UserError(f"select some text to {task} first")
    if not selection and task == "describe" and not request.instruction.strip():
        raise UserError("select the thing to describe, or name it")
    instruction = _instruction(request)
    nearby = request.before[-2000:] + selection + request.after[:500]
    notes = _notes_block(request, nearby, runtime)
    side = ""
    if task in ("describe", "brainstorm") and (request.before.strip() or request.after.strip()):
        side_text, _ = context.keep_recent(request.before, SIDE_CONTEXT_TOKENS, runtime.count_tokens)
        side = f"Context from the story:\n{side_text.strip()}"
    parts = [p for p in (notes, side) if p]
    if selection:
        parts.append(f'Text:\n"""\n{selection}\n"""')
    parts.append(instruction + "." + _constraints(request, selection or request.before))
    user = "\n\n".join(parts)
    source = selection or request.before
    opening = answer_opening(request)
    text = chat(runtime, system_writer(detect_language(source)), user, assistant_prefix=opening)
    tokens = runtime.count_tokens(text)
    if tokens > budget:
        raise UserError(
            f"the selection is too long for the model ({tokens} tokens, at most {budget}); "
            "select less text, or summarise it first"
        )
    return Prompt(text, task, tokens, False, constraints=_prompt_constraints(request, source), opening=opening)


def run_task(
    runtime: ModelRuntime,
    request: TaskRequest,
    settings: GenerationSettings | None = None,
    cancel: threading.Event | None = None,
    on_delta: Callable[[str], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> TaskResult:
    """Run any task to completion (streaming deltas to ``on_delta``) and return the cleaned result."""
    settings = settings or GenerationSettings()
    if request.task == "summarise":
        text = summarise(runtime, request.text, progress=progress, cancel=cancel, settings=settings)
        if on_delta:
            on_delta(text)
        return TaskResult(text)
    if request.task == "suggest":
        found = suggest_style(runtime, request.text, request.language, settings, cancel)
        return TaskResult("", suggestions=found)
    prompt = build_prompt(runtime, request, settings.max_new_tokens)
    pieces = [prompt.opening] if prompt.opening else []
    if prompt.opening and on_delta:
        on_delta(prompt.opening)
    for delta in runtime.stream(prompt, settings, cancel):
        pieces.append(delta)
        if on_delta:
            on_delta(delta)
    raw = "".join(pieces)
    text = clean_output(request.task, raw)
    items = parse_list(raw) if request.task == "brainstorm" else []
    return TaskResult(text, items=items, truncated=prompt.truncated)
