"""Style suggestions: deterministic prose checks plus the model's critique.

The model is asked for lines like ``"quoted phrase" -> "replacement" : reason``.
Its output is treated as untrusted text: each line is parsed leniently,
the quoted phrase is looked up in the author's text to get a span, and
anything that cannot be located is dropped, so garbage never reaches the
editor and never raises.

The editor shows the rule findings at once and merges the critique in as it
arrives: :func:`critique_items` parses each line as soon as the model has
finished it, and :func:`stream_critique` (the host's "stream" job) passes each
item on as one text record (:func:`encode_record` / :func:`decode_record`),
because a stream job's pieces are strings. A model item that covers words a
rule already flagged is a duplicate (:func:`duplicates_a_rule`) and is not
shown twice.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from writer_app.llm import context
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.runtime import Prompt
from writer_app.text.prose_checks import check_prose
from writer_app.text.suggestions import Suggestion

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

CRITIQUE_CHUNK_TOKENS = 600
MAX_PHRASE_WORDS = 12  # a longer "phrase" is the model copying a sentence back
_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»\n]{1,200})[\"“”„«»]")
_ARROW = re.compile(r"\s*(?:->|→|=>|-->|—>|⇒)\s*")


def parse_critique(model_output: object, text: str, offset: int = 0,
                   used: set[tuple[int, int]] | None = None) -> list[Suggestion]:
    """Suggestions from the model's lines whose quoted phrase occurs in ``text``; never raises.

    ``used`` (spans in ``text``, before ``offset``) carries the phrases already
    located across calls, so that line-by-line parsing finds a repeated phrase's
    next occurrence, as parsing the whole answer at once would.
    """
    if not isinstance(model_output, str) or not isinstance(text, str):
        return []
    suggestions: list[Suggestion] = []
    used = set() if used is None else used
    for line in model_output.splitlines()[:200]:
        quoted = list(_QUOTED.finditer(line))
        if not quoted:
            continue
        phrase = quoted[0].group(1).strip()
        if len(phrase) < 3 or len(phrase.split()) > MAX_PHRASE_WORDS:
            continue  # a word too short to locate reliably ("to"), or a whole sentence copied back
        replacement = None
        rest = line[quoted[0].end():]
        if len(quoted) > 1 and _ARROW.match(line[quoted[0].end(): quoted[1].start()] or "x"):
            replacement = quoted[1].group(1).strip()
            rest = line[quoted[1].end():]
        reason = rest.strip().lstrip(":-–—>,.; ").strip()
        if replacement is not None and (replacement.lower() == phrase.lower() or _copied(replacement, text)):
            continue  # no change, or another piece of the author's text pasted in
        if replacement is None and not reason:
            continue  # nothing for the author to act on
        reason = reason or "could be stronger"
        span = _locate(phrase, text, used)
        if span is None:
            continue
        used.add(span)
        suggestions.append(Suggestion(span[0] + offset, span[1] + offset, "model", reason[:300],
                                      replacement, "model"))
    return suggestions


def _copied(replacement: str, text: str) -> bool:
    """A multi-word replacement found verbatim in the text is a copy, not a suggestion."""
    return len(replacement.split()) >= 2 and replacement.lower() in text.lower()


def _locate(phrase: str, text: str, used: set[tuple[int, int]]) -> tuple[int, int] | None:
    """The first unused occurrence of ``phrase`` on whole words (exact case first, then any case).

    Whole words: "he was gone" must not be found inside "She was gone". A phrase
    that starts or ends with a CJK character (no spaces between words) needs no boundary there.
    """
    for haystack, needle in ((text, phrase), (text.lower(), phrase.lower())):
        start = 0
        while True:
            index = haystack.find(needle, start)
            if index < 0:
                break
            span = (index, index + len(needle))
            if span not in used and _on_word_boundaries(text, *span):
                return span
            start = index + 1
    return None


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    def joins(a: str, b: str) -> bool:  # two characters of one Latin-script word
        return (a.isalnum() or a in "_'’") and (b.isalnum() or b in "_'’") and not (_is_cjk(a) or _is_cjk(b))

    before = start == 0 or not joins(text[start - 1], text[start])
    after = end >= len(text) or not joins(text[end - 1], text[end])
    return before and after


def _is_cjk(char: str) -> bool:
    return "\u3040" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or char >= "\U00020000"


# Few-shot, completion style: asked in a chat turn, the embedded 135M model only copied the text
# back (0 usable lines on three test passages); shown two worked examples and left to continue
# the pattern after an opening quote, it answers in the format (items on two of the three).
_FEW_SHOT = (
    "Text: He was very very tired and walked slowly home, and the night was as black as coal.\n"
    "Weak phrases:\n"
    '"very very tired" -> "exhausted" : doubled intensifier\n'
    '"walked slowly" -> "trudged" : a precise verb says it alone\n'
    '"as black as coal" -> "moonless" : a cliché\n\n'
    "Text: The wind was blowing really hard and she felt that it was extremely cold outside.\n"
    "Weak phrases:\n"
    '"blowing really hard" -> "howling" : a stronger verb\n'
    '"she felt that it was extremely cold" -> "the cold bit her" : show it\n\n'
)
_OPENING = '"'  # the answer's first character, given: the model starts with a quoted phrase


def _critique_prompt(runtime: ModelRuntime, chunk: str) -> Prompt:
    prompt = f"{_FEW_SHOT}Text: {chunk.strip()}\nWeak phrases:\n{_OPENING}"
    return Prompt(prompt, "suggest", runtime.count_tokens(prompt))


def _end_of_answer(line: str) -> bool:
    """A blank line or a new "Text:" block: the model has moved past its list (stop generating)."""
    stripped = line.strip()
    return not stripped or stripped.lower().startswith(("text:", "weak phrases"))


def rule_suggestions(text: str, language: str) -> list[Suggestion]:
    """The deterministic checks from ``text.prose_checks``."""
    return list(check_prose(text, language))


@dataclass(frozen=True)
class CritiqueProgress:
    """The model starts reading part ``part`` of ``parts`` (the text is read in chunks)."""

    part: int
    parts: int


def critique_items(runtime: ModelRuntime, text: str, settings: GenerationSettings | None = None,
                   cancel: threading.Event | None = None) -> Iterator[Suggestion | CritiqueProgress]:
    """The model's critique of ``text``, one item as soon as its line is complete; spans index ``text``."""
    if not text or not text.strip():
        return
    settings = settings or GenerationSettings(temperature=0.3, max_new_tokens=160)
    chunks = list(context.split_into_chunks(text, CRITIQUE_CHUNK_TOKENS, runtime.count_tokens))
    for number, (offset, chunk) in enumerate(chunks, start=1):
        if cancel is not None and cancel.is_set():
            return
        yield CritiqueProgress(number, len(chunks))
        used: set[tuple[int, int]] = set()
        stream = runtime.stream(_critique_prompt(runtime, chunk), settings, cancel)
        try:
            for line in _answer_lines(stream):
                yield from parse_critique(line, chunk, offset, used)
        finally:
            stream.close()  # stops the generation when the list ended early


def _answer_lines(stream: Iterator[str]) -> Iterator[str]:
    """The model's lines, each as soon as it is complete, up to the end of its list."""
    pending = _OPENING
    for piece in stream:
        pending += piece
        while "\n" in pending:
            line, pending = pending.split("\n", 1)
            if _end_of_answer(line):
                return
            yield line
    yield pending


def encode_record(item: Suggestion | CritiqueProgress) -> str:
    """One streamed piece: a JSON line (the host's stream pieces are strings)."""
    if isinstance(item, CritiqueProgress):
        return json.dumps({"part": item.part, "parts": item.parts}) + "\n"
    return json.dumps({"suggestion": item.to_dict()}, ensure_ascii=False) + "\n"


def decode_record(piece: object) -> Suggestion | CritiqueProgress | None:
    """The item a streamed piece carries, or None for anything else; never raises."""
    if not isinstance(piece, str):
        return None
    try:
        record = json.loads(piece)
        if "part" in record:
            return CritiqueProgress(int(record["part"]), int(record["parts"]))
        fields = record["suggestion"]
        suggestion = Suggestion(int(fields["start"]), int(fields["end"]), str(fields["category"]),
                                str(fields["problem"]),
                                None if fields.get("replacement") is None else str(fields["replacement"]),
                                str(fields.get("source", "model")))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return suggestion if 0 <= suggestion.start < suggestion.end else None


def stream_critique(text: str, settings: GenerationSettings, runtime: ModelRuntime,
                    cancel: threading.Event) -> Iterator[str]:
    """The host's "stream" job for the critique: one :func:`encode_record` line per item."""
    for item in critique_items(runtime, text, settings, cancel):
        yield encode_record(item)


# A rule finding whose span a model item overlaps makes that item a duplicate, except a
# long-sentence finding: it spans a whole sentence, and a phrase inside it is another matter.
_BROAD_CATEGORIES = frozenset({"long-sentence"})


def duplicates_a_rule(item: Suggestion, rule_spans: Iterable[tuple[int, int, str]]) -> bool:
    """Whether ``item`` covers words a rule already flagged (``(start, end, category)`` spans)."""
    return any(start < item.end and item.start < end and category not in _BROAD_CATEGORIES
               for start, end, category in rule_spans)


def suggest_style(
    runtime: ModelRuntime,
    text: str,
    language: str = "en",
    settings: GenerationSettings | None = None,
    cancel: threading.Event | None = None,
) -> list[Suggestion]:
    """Rule and model suggestions for ``text``, sorted by position; spans index ``text``.

    What the editor shows in two stages, in one call (the command line, the harness).
    """
    if not text or not text.strip():
        return []
    found = rule_suggestions(text, language)
    rule_spans = [(s.start, s.end, s.category) for s in found]
    for item in critique_items(runtime, text, settings, cancel):
        if isinstance(item, Suggestion) and not duplicates_a_rule(item, rule_spans):
            found.append(item)
    unique: dict[tuple[int, int, str], Suggestion] = {}
    for suggestion in found:
        unique.setdefault((suggestion.start, suggestion.end, suggestion.source), suggestion)
    return sorted(unique.values(), key=lambda s: (s.start, s.end))
