"""Writing tasks: one request type, prompts built with the model's chat template.

Small instruct models answer a request to "continue this story" with chatty
commentary, so Continue puts the author's text at the start of the
assistant's turn and lets the model carry on writing it, as a completion
model would. The other tasks are ordinary instructions whose answers are
cleaned (preambles such as "Here is the rewritten text:", quotes, chat
tokens) so that only the replacement text reaches the manuscript.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from writer_app.errors import UserError
from writer_app.llm import context
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.runtime import Prompt

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
SYSTEM_WRITER = (
    "You are a novelist's co-writer. You write fluent English fiction prose in the author's own voice, "
    "tense and point of view, and reply with the text only."
)
CONTEXT_NOTE_TOKENS = 400  # room for bible notes and the story so far
SIDE_CONTEXT_TOKENS = 300  # context shown around a selection
CHAT_ARTEFACT = re.compile(r"<\|[^|>]{1,30}\|>|</?s>|<(?:start|end)_of_turn>")


@dataclass
class TaskRequest:
    task: str
    text: str = ""  # the selection; for continue, the text before the cursor when `before` is empty
    before: str = ""
    after: str = ""
    instruction: str = ""  # free rewrite instruction, the thing to describe, or what to brainstorm
    preset: str = ""  # a REWRITE_PRESETS key
    bible: list[Any] = field(default_factory=list)  # (name, description) pairs, dicts or BibleEntry objects
    story_so_far: str = ""
    language: str = "en"


@dataclass
class TaskResult:
    text: str
    items: list[str] = field(default_factory=list)  # brainstorm ideas
    suggestions: list[Suggestion] = field(default_factory=list)  # style suggestions
    truncated: bool = False


def _chat(runtime: ModelRuntime, system: str, user: str, assistant_prefix: str = "") -> str:
    tokenizer = runtime.tokenizer
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(text) + assistant_prefix
    # A base model without a chat template: a plain document-style prompt.
    if assistant_prefix:
        return f"{user}\n\n{assistant_prefix}"
    return f"{system}\n\n{user}\n\nAnswer:\n"


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


def build_prompt(runtime: ModelRuntime, request: TaskRequest, max_new_tokens: int = 120) -> Prompt:
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
        overhead = runtime.count_tokens(_chat(runtime, SYSTEM_WRITER, user)) + 8
        kept, truncated = context.keep_recent(before.rstrip(), budget - overhead, runtime.count_tokens)
        if not kept.strip():
            raise UserError("the model's context window is too small for this request")
        text = _chat(runtime, SYSTEM_WRITER, user, assistant_prefix=kept)
        return Prompt(text, task, runtime.count_tokens(text), truncated)

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
    parts.append(instruction + ".")
    user = "\n\n".join(parts)
    text = _chat(runtime, SYSTEM_WRITER, user)
    tokens = runtime.count_tokens(text)
    if tokens > budget:
        raise UserError(
            f"the selection is too long for the model ({tokens} tokens, at most {budget}); "
            "select less text, or summarise it first"
        )
    return Prompt(text, task, tokens, False)


_PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|okay|ok|absolutely)[!,.]?\s*)?"
    r"(?:here(?:'s| is| are)|below is|this is)\b[^\n:]{0,80}:\s*",
    re.IGNORECASE,
)
_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:rewritten|revised|edited|expanded|shortened|improved|new|corrected)?\s*"
    r"(?:text|version|passage|description|summary|answer)(?:\*\*)?\s*:\s*",
    re.IGNORECASE,
)
_PREAMBLE_LINE = re.compile(
    r"^[^\n]{0,120}\b(?:here(?:'s| is| are)|below is|revised version|rewritten (?:text|version))\b[^\n]{0,80}[:\-–—]\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_TRAILER = re.compile(r"\n\s*(?:note|explanation|changes made|i hope|let me know)\b.*\Z", re.IGNORECASE | re.DOTALL)
_QUOTES = {'"': '"', "“": "”", "'": "'", "«": "»", "„": "“"}


def strip_chat_artefacts(text: str) -> str:
    """Cut at a new chat turn and drop special tokens the model may print."""
    for marker in ("<|im_start|>", "<|start_header_id|>", "<start_of_turn>", "[INST]"):
        cut = text.find(marker)
        if cut >= 0:
            text = text[:cut]
    return CHAT_ARTEFACT.sub("", text)


def clean_output(task: str, raw: str) -> str:
    """The part of the model's answer that belongs in the manuscript."""
    text = strip_chat_artefacts(raw)
    if task == "continue":
        return _trim_to_sentence(text.rstrip())
    text = text.strip()
    text = re.sub(r"^```[a-z]*\n|\n?```\s*\Z", "", text).strip()
    for _ in range(2):
        text = _LABEL.sub("", _PREAMBLE.sub("", text, count=1), count=1).strip()
    line = _PREAMBLE_LINE.search(text[:300])
    if line and text[line.end():].strip():
        text = text[line.end():].strip()
    text = _TRAILER.sub("", text).strip()
    text = _leading_quoted_block(text)
    text = text.strip('"\n ').strip() if text.startswith('"""') else text
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]] and text.count(text[0]) <= 2:
        text = text[1:-1].strip()
    elif text[:1] in ('"', "“") and text.count(text[0]) == 1 and _QUOTES[text[0]] not in text[1:]:
        text = text[1:].strip()  # an opening quote whose closing one was cut off by the length limit
    return text if task == "brainstorm" else _trim_to_sentence(text)


def _leading_quoted_block(text: str) -> str:
    """When the answer opens with a quoted passage followed by commentary, keep the passage."""
    if len(text) < 2 or text[0] not in _QUOTES:
        return text
    close = text.find(_QUOTES[text[0]], 1)
    if close > 0 and text[close + 1 : close + 3].strip(" ") .startswith("\n"):
        return text[1:close].strip()
    return text


def _trim_to_sentence(text: str) -> str:
    """Drop a dangling half sentence at the end of a continuation, when a full one precedes it."""
    if not text or text[-1] in ".!?…\"”’*)":
        return text
    ends = [m.end() for m in re.finditer(r"[.!?…][\"”’)]?(?=\s)", text)]
    if ends and ends[-1] >= len(text) * 0.4:
        return text[: ends[-1]]
    return text


def parse_list(raw: str) -> list[str]:
    """Brainstorm items from a numbered or bulleted answer (one per line); never raises."""
    items: list[str] = []
    for line in strip_chat_artefacts(str(raw)).splitlines():
        line = line.strip()
        stripped = re.sub(r"^(?:[-*•·]+|\(?\d{1,2}[.):]|[a-e][.)])\s*", "", line).strip()
        stripped = stripped.strip("*").strip()
        if not stripped or (stripped.endswith(":") and len(stripped) < 80 and stripped == line):
            continue
        if stripped.lower() not in {i.lower() for i in items}:
            items.append(stripped)
    return items


def run_task(
    runtime: ModelRuntime,
    request: TaskRequest,
    settings: GenerationSettings | None = None,
    cancel: threading.Event | None = None,
    on_delta: Callable[[str], None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> TaskResult:
    """Run any task to completion (streaming deltas to ``on_delta``) and return the cleaned result."""
    from writer_app.llm.critique import suggest_style
    from writer_app.llm.summary import summarise

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
    pieces = []
    for delta in runtime.stream(prompt, settings, cancel):
        pieces.append(delta)
        if on_delta:
            on_delta(delta)
    raw = "".join(pieces)
    text = clean_output(request.task, raw)
    items = parse_list(raw) if request.task == "brainstorm" else []
    return TaskResult(text, items=items, truncated=prompt.truncated)
