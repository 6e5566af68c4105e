"""The task-quality harness: every writing task on a fixed suite, scored by automatic checks.

Why: a small model writes weak prose, which is acceptable, but it also
renames heroines, invents characters in summaries, answers a Chinese chapter
in English and pastes commentary into the manuscript. This harness measures
how often, per task, so a change to a prompt, a decoding setting or a guard
is judged by numbers instead of by one lucky sample.

The suite is built from the shared corpus (Pride and Prejudice, the first
chapters of 红楼梦; ``tests/fixtures`` in a checkout, the packaged samples
otherwise), English and Chinese cases alternating, each with a small story
bible so the names matter. Every case runs through ``tasks.run_task``, the
same code the editor's jobs use (prompt, stream, cleaning), and is scored by
``text.quality_checks``. ``writer-app eval-tasks`` and
``benchmarks/bench_tasks.py`` print the result; the CI subset asserts what a
fixed seed makes deterministic.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from writer_app.errors import UserError
from writer_app.llm import guards, tasks
from writer_app.llm.context import BibleNote
from writer_app.llm.generation import GenerationSettings
from writer_app.text import quality_checks as qc
from writer_app.text.counts import count_words

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

_REPO = Path(__file__).resolve().parents[2]
_CORPUS_FOLDERS = (_REPO / "tests" / "fixtures", _REPO / "writer_app" / "resources" / "samples")
ENGLISH_FILE = "pride-and-prejudice.txt"
CHINESE_FILE = "hongloumeng-ch1-10.txt"

# The suite's task keys: a rewrite per preset, a summary of a scene and of a chapter.
TASK_KEYS: tuple[str, ...] = (
    "continue", *(f"rewrite:{preset}" for preset in tasks.REWRITE_PRESETS), "expand", "shorten",
    "describe", "brainstorm", "summarise:scene", "summarise:chapter", "suggest",
)
HARD_CHECKS = qc.HARD_CHECKS
# A chapter is summarised from its opening this long (a whole chapter of 红楼梦 is a dozen model calls).
CHAPTER_CHARS = {"en": 6000, "zh": 1600}

ENGLISH_BIBLE = (
    BibleNote("Elizabeth Bennet", "the second daughter, quick and witty", ("Elizabeth", "Lizzy", "Eliza")),
    BibleNote("Mr. Bennet", "her father, dry and sarcastic", ("Bennet",)),
    BibleNote("Mrs. Bennet", "her mother, anxious to marry off her daughters"),
    BibleNote("Jane Bennet", "the eldest daughter, gentle", ("Jane",)),
    BibleNote("Mr. Bingley", "a rich young man who has taken Netherfield", ("Bingley",)),
    BibleNote("Mr. Darcy", "Bingley's proud friend", ("Darcy",)),
    BibleNote("Netherfield", "the great house near Longbourn", ("Netherfield Park",)),
    BibleNote("Longbourn", "the Bennets' home"),
    BibleNote("Meryton", "the nearby market town"),
    BibleNote("Charlotte Lucas", "Elizabeth's friend", ("Charlotte",)),
    BibleNote("Lydia", "the youngest Bennet daughter"),
    BibleNote("Kitty", "the fourth Bennet daughter", ("Catherine",)),
    BibleNote("Mary", "the third Bennet daughter"),
    BibleNote("Sir William Lucas", "Charlotte's father", ("Sir William",)),
)
CHINESE_BIBLE = (
    BibleNote("甄士隐", "姑苏乡宦，名费，字士隐", ("士隐",)),
    BibleNote("贾雨村", "寄居葫芦庙的穷儒", ("雨村",)),
    BibleNote("英莲", "甄士隐之女"),
    BibleNote("封氏", "甄士隐之妻"),
    BibleNote("葫芦庙", "阊门外的古庙"),
    BibleNote("姑苏", "城名"),
    BibleNote("空空道人", "访道求仙的道人"),
    BibleNote("林黛玉", "林如海之女", ("黛玉",)),
    BibleNote("贾宝玉", "荣国府公子", ("宝玉",)),
    BibleNote("王熙凤", "贾琏之妻", ("凤姐",)),
    BibleNote("冷子兴", "古董商"),
    BibleNote("林如海", "巡盐御史"),
    BibleNote("贾母", "荣国府的老太太"),
    BibleNote("王夫人", "贾政之妻"),
    BibleNote("贾政", "宝玉之父"),
    BibleNote("娇杏", "甄家丫鬟"),
)
DESCRIBE_THINGS = {"en": ("the drawing-room at Longbourn", "the road to Meryton in the rain",
                          "the ballroom at Netherfield", "Mrs. Bennet's nerves"),
                   "zh": ("葫芦庙", "甄家的书房", "姑苏阊门外的十里街", "荣国府的正门")}
BRAINSTORM_TOPICS = {"en": ("what could happen next in this story", "how Elizabeth might answer",
                            "a complication at the ball", "a secret Mr. Bennet keeps"),
                     "zh": ("接下来会发生什么", "贾雨村的下一步", "甄家可能遇到的变故", "一个新的转折")}


@dataclass(frozen=True)
class EvalCase:
    """One request of the suite and what its answer is judged against."""

    key: str  # a TASK_KEYS entry
    language: str  # "en" or "zh"
    request: tasks.TaskRequest
    source: str  # the text the answer must keep faith with (the selection, the text before the cursor)

    @property
    def case_id(self) -> str:
        return f"{self.key}/{self.language}/{zlib.crc32(self.source.encode()) % 10_000:04d}"


@dataclass
class CaseResult:
    case: EvalCase
    output: str
    checks: dict[str, qc.CheckResult]
    latency_s: float
    items: list[str] = field(default_factory=list)
    suggestions: int = 0
    tries: int = 1
    warnings: list[str] = field(default_factory=list)
    rejected: list[list[str]] = field(default_factory=list)  # the guards' set-aside candidates' failures

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    @property
    def hard_passed(self) -> bool:
        return all(result for name, result in self.checks.items() if name in HARD_CHECKS)

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.case.key, "language": self.case.language, "output": self.output,
                "items": self.items, "suggestions": self.suggestions, "latency_s": round(self.latency_s, 3),
                "tries": self.tries, "warnings": self.warnings, "rejected": self.rejected,
                "checks": {name: {"passed": r.passed, "reason": r.reason} for name, r in self.checks.items()}}


# --- the corpus ---------------------------------------------------------------------------------------

def _corpus_file(name: str) -> Path:
    for folder in _CORPUS_FOLDERS:
        if (folder / name).is_file():
            return folder / name
    raise UserError(f"the evaluation corpus file {name} is missing (tests/fixtures in a checkout)")


@cache
def _chapters(language: str) -> tuple[tuple[str, ...], ...]:
    """The corpus's chapters, each a tuple of paragraphs (hard-wrapped lines joined, emphasis marks dropped)."""
    raw = _corpus_file(ENGLISH_FILE if language == "en" else CHINESE_FILE).read_text(encoding="utf-8-sig")
    raw = raw.replace("\r\n", "\n")
    heading = re.compile(r"^Chapter \d+\s*$" if language == "en" else r"^第[一二三四五六七八九十百]+回.*$", re.MULTILINE)
    starts = [m.end() for m in heading.finditer(raw)]
    chapters = []
    for start, end in zip(starts, [*starts[1:], len(raw)], strict=True):
        body = raw[start:end]
        heading_next = heading.search(body)
        body = body[: heading_next.start()] if heading_next else body
        paragraphs = []
        for block in re.split(r"\n\s*\n", body):
            lines = [line.strip() for line in block.splitlines() if line.strip()]
            if not lines:
                continue
            joiner = " " if language == "en" else ""
            paragraph = joiner.join(lines).replace("_", "")
            if language == "zh":
                paragraph = paragraph.replace("．", "。")  # the file's full stop is a fullwidth period
            paragraphs.append(paragraph)
        if paragraphs:
            chapters.append(tuple(paragraphs))
    return tuple(chapters)


def _bible(language: str) -> tuple[BibleNote, ...]:
    return ENGLISH_BIBLE if language == "en" else CHINESE_BIBLE


def _mentions_bible(text: str, language: str) -> bool:
    return any(name in text for note in _bible(language) for name in (note.name, *note.aliases))


@cache
def _passages(language: str, low: int, high: int) -> tuple[tuple[str, str], ...]:
    """(before, passage) pairs: runs of paragraphs ``low``-``high`` words long that name someone in the bible.

    Non-overlapping within a chapter; the first of every chapter come first, then the second of
    every chapter, and so on, so the first few cases spread over the book.
    """
    per_chapter: list[list[tuple[str, str]]] = []
    joiner = "\n\n" if language == "en" else "\n"
    for chapter in _chapters(language):
        found: list[tuple[str, str]] = []
        index = 1  # paragraph 0 may be a title or an epigraph
        while index < len(chapter):
            end = index
            while end < len(chapter) and count_words(joiner.join(chapter[index:end + 1])) < low:
                end += 1
            passage = joiner.join(chapter[index:end + 1])
            if low <= count_words(passage) <= high and _mentions_bible(passage, language):
                found.append((joiner.join(chapter[max(0, index - 3):index]), passage))
                index = end + 1
            else:
                index += 1
        per_chapter.append(found)
    spread = [chapter[rank] for rank in range(max(map(len, per_chapter), default=0))
              for chapter in per_chapter if rank < len(chapter)]
    return tuple(spread)


def _pick(pool: tuple, index: int):
    if not pool:
        raise UserError("the evaluation corpus has no passage of the right length")
    return pool[index % len(pool)]


def build_case(key: str, index: int) -> EvalCase:
    """Case number ``index`` of task ``key``: even numbers English, odd ones Chinese."""
    if key not in TASK_KEYS:
        raise UserError(f"unknown task '{key}'; use one of {', '.join(TASK_KEYS)}")
    language = "en" if index % 2 == 0 else "zh"
    number = index // 2
    bible = list(_bible(language))
    scale = 1 if language == "en" else 2  # a Chinese character counts as a word; a sentence has more of them
    task, _, variant = key.partition(":")
    if task == "continue":
        _, text = _pick(_passages(language, 120 * scale, 260 * scale), number)
        request = tasks.TaskRequest("continue", text=text, bible=bible, language=language)
        return EvalCase(key, language, request, text)
    if task == "summarise":
        if variant == "chapter":
            chapter = _pick(_chapters(language), number)
            text = ("\n\n" if language == "en" else "\n").join(chapter)
            if len(text) > CHAPTER_CHARS[language]:
                cut = text.rfind("\n", 0, CHAPTER_CHARS[language])
                text = text[: cut if cut > 0 else CHAPTER_CHARS[language]]
        else:
            _, text = _pick(_passages(language, 150 * scale, 350 * scale), number)
        return EvalCase(key, language, tasks.TaskRequest("summarise", text=text, bible=bible, language=language),
                        text)
    low, high = (60 * scale, 130 * scale) if task != "suggest" else (80 * scale, 200 * scale)
    before, passage = _pick(_passages(language, low, high), number + (3 if task in ("expand", "shorten") else 0))
    fields: dict[str, Any] = {"bible": bible, "language": language, "before": before}
    if task == "rewrite":
        fields["preset"] = variant
    if task == "describe":
        fields["instruction"] = _pick(DESCRIBE_THINGS[language], number)
    if task == "brainstorm":
        fields["instruction"] = _pick(BRAINSTORM_TOPICS[language], number)
        passage_for_request = ""
    else:
        passage_for_request = passage
    request = tasks.TaskRequest(task, text=passage_for_request, **fields)
    return EvalCase(key, language, request, passage if task != "brainstorm" else before)


def build_suite(cases_per_task: int, keys: Iterable[str] = TASK_KEYS) -> list[EvalCase]:
    if cases_per_task < 1:
        raise UserError("--cases must be at least 1")
    return [build_case(key, index) for key in keys for index in range(cases_per_task)]


# --- scoring ------------------------------------------------------------------------------------------

def score(case: EvalCase, result: tasks.TaskResult) -> dict[str, qc.CheckResult]:
    """The checks that apply to ``case``'s task, on its result (the guards' own, ``guards.task_checks``)."""
    return guards.task_checks(case.request, result, case.key, case.source)


# --- running ------------------------------------------------------------------------------------------

def case_settings(base: GenerationSettings, case_number: int) -> GenerationSettings:
    """The case's own seed (base seed + its number), so each case is reproducible on its own."""
    return base if base.seed is None else base.with_(seed=base.seed + case_number)


def run_case(runtime: ModelRuntime, case: EvalCase, settings: GenerationSettings,
             cancel: threading.Event | None = None, policy: guards.GuardPolicy | None = None) -> CaseResult:
    """One case, through ``tasks.run_task`` (or, with ``policy``, the guards around it), scored."""
    runtime.reset_cache()  # a case's latency must not depend on the one before it
    started = time.perf_counter()
    if policy is None:
        result = tasks.run_task(runtime, case.request, settings, cancel=cancel)
    else:
        result = guards.run_guarded(runtime, case.request, settings, cancel=cancel, policy=policy, key=case.key)
    latency = time.perf_counter() - started
    return CaseResult(case, result.text, score(case, result), latency, list(result.items), len(result.suggestions),
                      tries=result.tries, warnings=list(result.warnings), rejected=list(result.rejected))


def run_suite(runtime: ModelRuntime, cases: list[EvalCase], settings: GenerationSettings,
              progress: Callable[[int, int, CaseResult], None] | None = None,
              cancel: threading.Event | None = None, policy: guards.GuardPolicy | None = None) -> list[CaseResult]:
    results = []
    numbers: dict[str, int] = {}
    for case in cases:
        if cancel is not None and cancel.is_set():
            break
        number = numbers.get(case.key, 0)
        numbers[case.key] = number + 1
        outcome = run_case(runtime, case, case_settings(settings, number), cancel, policy)
        results.append(outcome)
        if progress:
            progress(len(results), len(cases), outcome)
    return results


def _rate(values: list[bool]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0


def summarise_results(results: list[CaseResult]) -> dict[str, Any]:
    """``{"tasks": {KEY: {"pass_rate", "hard_pass_rate", "cases", "checks", "median_latency_s"}}, "overall": ...}``."""
    by_task: dict[str, list[CaseResult]] = {}
    for result in results:
        by_task.setdefault(result.case.key, []).append(result)
    table: dict[str, Any] = {}
    for key in [k for k in TASK_KEYS if k in by_task]:
        rows = by_task[key]
        names = list(dict.fromkeys(name for row in rows for name in row.checks))
        table[key] = {
            "pass_rate": _rate([row.passed for row in rows]),
            "hard_pass_rate": _rate([row.hard_passed for row in rows]),
            "cases": len(rows),
            "checks": {name: _rate([bool(row.checks[name]) for row in rows if name in row.checks]) for name in names},
            "median_latency_s": round(statistics.median(row.latency_s for row in rows), 2),
            "mean_tries": round(statistics.mean(row.tries for row in rows), 2),
            "by_language": {lang: _rate([row.passed for row in rows if row.case.language == lang])
                            for lang in ("en", "zh") if any(row.case.language == lang for row in rows)},
        }
    every_check = list(dict.fromkeys(name for row in results for name in row.checks))
    overall = {
        "pass_rate": _rate([row.passed for row in results]),
        "hard_pass_rate": _rate([row.hard_passed for row in results]),
        "cases": len(results),
        "checks": {name: _rate([bool(row.checks[name]) for row in results if name in row.checks])
                   for name in every_check},
        "median_latency_s": round(statistics.median(row.latency_s for row in results), 2) if results else 0.0,
    }
    return {"tasks": table, "overall": overall, "hard_checks": list(HARD_CHECKS)}


def format_table(summary: dict[str, Any]) -> str:
    """A Markdown table: one row per task, one column per check, pass rates in per cent."""
    checks = list(summary["overall"]["checks"])
    header = ["task", "cases", "pass", "hard", *checks, "median s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(name: str, data: dict[str, Any]) -> str:
        cells = [name, str(data["cases"]), f"{data['pass_rate']:.0%}", f"{data['hard_pass_rate']:.0%}"]
        cells += [f"{data['checks'][c]:.0%}" if c in data["checks"] else "–" for c in checks]
        cells.append(f"{data['median_latency_s']:.1f}")
        return "| " + " | ".join(cells) + " |"

    for key, data in summary["tasks"].items():
        lines.append(row(key, data))
    lines.append(row("**overall**", summary["overall"]))
    return "\n".join(lines)
