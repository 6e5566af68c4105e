"""Automatic checks on what the model wrote: is it safe to put into the manuscript?

A small model writes weak prose, which is acceptable; harmful output is not:
a renamed heroine, an invented character in a summary, an English answer to a
Chinese chapter, commentary ("This passage describes…") pasted in as prose.
These checks are pure text work (no model), so the task-quality harness
(``llm.eval_tasks``), the guards that re-sample a bad candidate and the UI
all judge an answer the same way. Each returns a :class:`CheckResult`
(passed, reason); the reason is one sentence for a person.

The *hard* checks guard the manuscript (names, language, meta-text); the
*soft* ones (length, repetition, prompt echo, CJK spacing) measure quality.
Every check is conservative where it cannot be sure: a check that cries wolf
would make the guards re-sample good answers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from writer_app.text.counts import count_words
from writer_app.text.suggestions import Suggestion

HARD_CHECKS = ("names", "invented_names", "language", "meta_text")


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.passed


OK = CheckResult(True)


def _fail(reason: str) -> CheckResult:
    return CheckResult(False, reason)


# --- scripts and language ---------------------------------------------------------------------------

def _script_of(ch: str) -> str | None:
    code = ord(ch)
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return "kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x2FA1F):
        return "han"
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN") or name.startswith("FULLWIDTH LATIN"):
        return "latin"
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    if name.startswith("GREEK"):
        return "greek"
    return "other"


def script_shares(text: str) -> dict[str, float]:
    """The share of each script among the letters of ``text`` (Han, kana, hangul, latin, ...)."""
    counts: dict[str, int] = {}
    for ch in text:
        script = _script_of(ch)
        if script:
            counts[script] = counts.get(script, 0) + 1
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def detect_language(text: str) -> str:
    """"zh", "ja", "ko", "en" (any Latin-script text), another script's name, or "" with no letters.

    A script rule, not a statistical model: what matters here is the writing
    system (a Chinese novel answered in English), which the scripts decide
    reliably even for one sentence, where language-ID models guess. A
    Chinese text quoting an English name stays Chinese: Han counts once per
    character, a Latin name once per letter, so Han needs only a 20 % share.
    """
    shares = script_shares(text)
    if not shares:
        return ""
    if shares.get("kana", 0) >= 0.1:
        return "ja"
    if shares.get("hangul", 0) >= 0.3:
        return "ko"
    if shares.get("han", 0) >= 0.2:
        return "zh"
    best = max(shares, key=lambda k: shares[k])
    return "en" if best == "latin" else best


def check_language(source: str, output: str, expected: str | None = None) -> CheckResult:
    """The output is written in the language (script) of the source, or of ``expected`` when given."""
    want = expected or detect_language(source)
    got = detect_language(output)
    if not want or not got:
        return OK  # nothing to compare (an empty answer is the length check's business)
    if got != want:
        return _fail(f"the answer is in {_LANGUAGE_NAMES.get(got, got)}, the text in "
                     f"{_LANGUAGE_NAMES.get(want, want)}")
    return OK


_LANGUAGE_NAMES = {"zh": "Chinese", "ja": "Japanese", "ko": "Korean", "en": "English (Latin script)"}


def is_cjk(text: str) -> bool:
    return detect_language(text) in ("zh", "ja")


# --- names --------------------------------------------------------------------------------------------

# Titles and words that are capitalised without being names.
_NOT_NAMES = frozenset("""
i i'm i've i'll i'd mr mrs ms miss dr sir madam lady lord st oh ah o yes no ok okay
chapter part book volume scene
""".split())
# Common words that start sentences; a capitalised word at a sentence start is a name only when
# it is capitalised elsewhere too, or is not one of these.
_COMMON_STARTS = frozenset("""
a an the this that these those there here it its he she they we you his her their our your my me him them
and but or so yet for nor if when while as because although though since until after before then now
once however meanwhile later soon finally suddenly eventually instead still also even only just perhaps
maybe indeed in on at by with without from to into onto of off over under up down out about around through
what who whom whose which why how where one two three some many much most all each every both either neither
no not never nothing none nobody someone somebody something everyone everything anyone anything
is are was were be been being do does did have has had will would shall should can could may might must
let lets yes well oh ah dear my chapter part book scene summary text story passage note
today tonight tomorrow yesterday outside inside above below beyond behind beside between among
first second third next last again soon meanwhile thus hence therefore besides otherwise
despite during within upon against toward towards across along beneath beyond near past per via amid
until unless whether whatever whenever wherever sometimes often always usually yet
""".split())
_ABBREVIATIONS = frozenset("mr mrs ms dr st sir prof rev gen col capt lt sgt mt ft jr sr".split())
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def _word_key(word: str) -> str:
    return re.sub(r"['’]s$", "", word).strip("'’-")


def _sentence_initial(text: str, start: int) -> bool:
    """The word at ``start`` opens a sentence or paragraph (after any opening quotes or dashes)."""
    before = text[max(0, start - 60):start].rstrip(" \t\"'“‘(—–-[")
    if not before or before.endswith("\n"):
        return True
    closed = before.rstrip("'\"”’)]")
    if not closed or closed[-1] not in ".!?…:":
        return False
    previous = re.search(r"([A-Za-z]+)\.$", closed)
    return not (previous and previous.group(1).lower() in _ABBREVIATIONS)


def english_names(text: str, known: Iterable[str] = (), *, include_sentence_starts: bool = False) -> set[str]:
    """Capitalised words that are names: capitalised mid-sentence, or ``known`` (bible names and aliases).

    A word seen only at sentence starts ("She", "Inside") is not taken as a
    name unless it is known, or ``include_sentence_starts`` is set and it is
    not a common word (for finding invented names in an answer, where a
    sentence-initial "Emily" must not slip through).
    """
    found: set[str] = set()
    initial_only: set[str] = set()
    known_lower = {k.lower() for k in known}
    for phrase, initial in _capitalised_runs(text, known_lower):
        (initial_only if initial else found).add(phrase)
    lowered = {w.lower() for w in found}
    for word in initial_only:
        if word.lower() in lowered:
            continue
        head = re.split(r"['’]", word)[0].lower()  # "He’ll" is "he"
        if (include_sentence_starts and head not in _COMMON_STARTS and not _is_common_word(word, text)
                and not (word.endswith("ing") and len(word) >= 6)):  # "Demonstrating his..."
            found.add(word)
    for name in known:
        if name and _contains_name(text, name):
            found.add(name.strip())
    return found


def _capitalised_runs(text: str, known_lower: set[str]) -> list[tuple[str, bool]]:
    """Runs of capitalised words ("Netherfield Park") with whether the run opens a sentence."""
    runs: list[tuple[str, bool]] = []
    current: list[str] = []
    current_initial = False
    last_end = -2
    for match in _WORD.finditer(text):
        word = _word_key(match.group(0))
        candidate = (len(word) >= 2 and word[0].isupper() and word.lower() not in _NOT_NAMES
                     and not (word.isupper() and word.lower() not in known_lower))
        if current and len(current) == 1 and current[0].lower() in _COMMON_STARTS and text[last_end:match.start()] == " ":
            current, current_initial = [], current_initial  # "The Japanese": the article is not part of the name
        if candidate and current and text[last_end:match.start()] == " ":
            current.append(word)
        else:
            if current:
                runs.append((" ".join(current), current_initial))
            current = [word] if candidate else []
            current_initial = candidate and _sentence_initial(text, match.start())
        last_end = match.end() if candidate else -2
    if current:
        runs.append((" ".join(current), current_initial))
    return runs


def _is_common_word(word: str, text: str) -> bool:
    """The word also appears in lower case in the text: an ordinary word at a sentence start."""
    return re.search(rf"(?<![\w]){re.escape(word.lower())}(?![\w])", text) is not None


def _contains_name(text: str, name: str) -> bool:
    name = name.strip()
    if not name:
        return False
    if re.search(f"[{_HAN}]", name):
        return name in text
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text, re.IGNORECASE) is not None


# The simple rule for Chinese: the two or three characters before a verb of speaking name a speaker
# ("宝玉笑道"), once the particles that often stand between them ("因", "便", "忙") are trimmed off.
_ZH_SPEAKER = re.compile(rf"([{_HAN}]{{2,4}}?)(?=笑道|问道|说道|叹道|忙道|便道|答道|喝道|骂道|哭道|道[：:]|说[：:])")
_ZH_PARTICLES = "那这一只又便也因遂乃忙笑听却方才就都亦且乃"


def chinese_names(text: str, known: Iterable[str] = (), *, include_speakers: bool = False) -> set[str]:
    """Names in a Chinese text: the known ones present, Latin-script names, and (optionally) speakers."""
    found = {n.strip() for n in known if n and _contains_name(text, n)}
    found |= english_names(text, include_sentence_starts=True)
    if include_speakers:
        for match in _ZH_SPEAKER.finditer(text):
            speaker = match.group(1).strip(_ZH_PARTICLES)
            if len(speaker) >= 2:
                found.add(speaker)
    return found


def names_in(text: str, known: Iterable[str] = (), *, include_sentence_starts: bool = False) -> set[str]:
    """The names in ``text``; ``include_sentence_starts`` also takes uncertain ones (to find invented names)."""
    known = [k for k in known if k and k.strip()]
    if is_cjk(text):
        return chinese_names(text, known, include_speakers=include_sentence_starts)
    return english_names(text, known, include_sentence_starts=include_sentence_starts)


# The same rules, for the token masks of ``llm.constraints`` (they must agree with these checks).
script_of = _script_of
contains_name = _contains_name
NOT_NAMES = _NOT_NAMES
COMMON_STARTS = _COMMON_STARTS


def invented_names(source: str, output: str, known: Sequence[str] = ()) -> list[str]:
    """The names ``output`` uses that neither ``source`` nor the story bible (``known``) has, first seen first.

    A name counts as present when it occurs in the source or the bible in
    any letter case (an ordinary word opening a sentence, "Fog", is "fog" in
    the text). Shared by the harness, the guards and the summary review.
    """
    allowed_text = source + "\n" + "\n".join(known)
    invented = []
    for name in sorted(names_in(output, known, include_sentence_starts=True)):
        if re.search(f"[{_HAN}]", name):
            if name in allowed_text or any(k and k in name for k in known):
                continue
        elif _contains_name(allowed_text, name) or all(
                _contains_name(allowed_text, part) or _contains_name(allowed_text, part.rstrip("s"))
                for part in name.split()):
            continue
        invented.append(name)
    return sorted(invented, key=lambda name: (output.find(name.split()[0]), name))  # "Author Bio" is "Author's Bio"


def check_no_invented_names(source: str, output: str, known: Sequence[str] = ()) -> CheckResult:
    """The output names no one the source (or the story bible, ``known``) does not name.

    For summaries ("a summary names no one absent from its source") and
    rewrites (a heroine renamed "Emily").
    """
    invented = sorted(invented_names(source, output, known))
    if invented:
        return _fail("the answer names " + ", ".join(invented) + ", who are not in the text or the story bible")
    return OK


# --- form ---------------------------------------------------------------------------------------------

CHAT_TOKEN = re.compile(r"<\|[^|>]{1,30}\|>|</?s>|<(?:start|end)_of_turn>|\[/?INST\]|<<SYS>>")
# Commentary about the text instead of the text: at the start of the answer or of a line.
_META_START = re.compile(
    r"^\s*(?:[\"“]\s*)?(?:"
    r"(?:sure|certainly|of course|okay|absolutely)\b[!,.]?"
    r"|here(?:'s| is| are)\b|below is\b|i (?:have|'ve) (?:rewritten|revised|expanded|shortened)\b"
    r"|as an ai\b|as a language model\b|i(?: am|'m) (?:sorry|an ai|unable)\b|i cannot\b|i can't\b"
    r"|this (?:passage|text|excerpt|paragraph|piece|extract|sentence)\b"
    r"|(?:the|this) (?:passage|text|excerpt|story|paragraph|scene|chapter|piece|extract|author|writer|narrator|sentence) "
    r"(?:describes|depicts|portrays|presents|introduces|tells|shows|is about|focuses|follows|captures|highlights|"
    r"explores|revolves|sets|uses|creates|conveys|begins|opens|starts|unfolds|details|takes place|centres|centers|"
    r"(?:has|have) been|is (?:written|set|told|painted|an? )|was (?:written|rewritten|revised|edited|changed))\b"
    r"|in (?:this|the) (?:passage|text|excerpt|story|paragraph|scene|chapter)\b"
    r"|(?:rewritten|revised|expanded|shortened|edited|new) (?:text|version|passage)\s*:"
    r"|(?:note|summary|explanation|author's bio|author bio)\s*:"
    r"|以下是|下面是|好的[，,。！]|当然[，,！]|作为一个?(?:人工智能|AI|语言模型)|这段(?:文字|话|文本|故事)|本段|这篇(?:文章|故事)"
    r"|改写(?:后|如下)|扩写(?:后|如下)|总结[：:]|摘要[：:]"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
# Summaries are about the story, so "In this chapter, ..." is their form; preambles and chat are not.
_SUMMARY_META = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|okay)\b[!,.]?|here(?:'s| is| are)\b|below is\b|as an ai\b"
    r"|as a language model\b|i(?: am|'m) (?:sorry|an ai|unable)\b|i cannot\b|(?:summary|note|author's bio|"
    r"author bio)\s*:|以下是|下面是|好的[，,。！]|作为一个?(?:人工智能|AI|语言模型)|总结[：:]|摘要[：:])",
    re.IGNORECASE | re.MULTILINE,
)
_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s+\S|\*\*[^*\n]{1,80}\*\*\s*:?\s*$|[A-Z][A-Za-z ]{0,40}:\s*$)", re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*•·]\s+|\d{1,2}[.)]\s+|[a-e][.)]\s+)\S", re.MULTILINE)
_AUTHOR_BIO = re.compile(r"author'?s? bio|about the author|作者简介", re.IGNORECASE)


def check_meta_text(output: str, kind: str = "prose") -> CheckResult:
    """The answer is manuscript text, not commentary, chat or a document's furniture.

    ``kind``: "prose" (continue, rewrites, expand, shorten, describe),
    "summary" (may speak about "this chapter", nothing else meta), "list"
    (brainstorm: a numbered list is its form).
    """
    token = CHAT_TOKEN.search(output)
    if token:
        return _fail(f"the answer contains the chat token {token.group(0)}")
    if _AUTHOR_BIO.search(output):
        return _fail("the answer contains an author's bio")
    pattern = _SUMMARY_META if kind == "summary" else _META_START
    if kind != "list":
        meta = pattern.search(output)
        if meta:
            line = output[meta.start():].strip().splitlines()[0][:60]
            return _fail(f"the answer is commentary, not prose (“{line}”)")
    if kind != "list":
        heading = _HEADING.search(output)
        if heading:
            return _fail(f"the answer has a heading (“{heading.group(0).strip()[:60]}”)")
        if len(_BULLET.findall(output)) >= 2:
            return _fail("the answer is a list, not prose")
    return OK


# CJK punctuation followed by a space and more CJK, or a space between two Han characters.
_CJK_SPACE = re.compile(rf"(?:[。！？，、；：」』”）》…]|[{_HAN}])[ \t\u00a0]+(?=[{_HAN}「『“（《])")


def check_cjk_spacing(output: str) -> CheckResult:
    """No spaces inserted between CJK sentences or characters (Chinese is written without them)."""
    if not is_cjk(output):
        return OK
    match = _CJK_SPACE.search(output)
    if match:
        return _fail(f"the answer puts spaces into Chinese text (“{output[max(0, match.start() - 4):match.end() + 4]}”)")
    return OK


def _shingles(text: str, size: int) -> list[tuple[str, ...]]:
    if is_cjk(text):
        units = [ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in "PZ"]
    else:
        units = [w.lower() for w in re.findall(r"\w+(?:['’]\w+)*", text)]
    return [tuple(units[i:i + size]) for i in range(len(units) - size + 1)]


def check_no_prompt_echo(prompt_text: str, output: str) -> CheckResult:
    """A continuation writes new text instead of repeating the author's (shared 6-word runs)."""
    size = 10 if is_cjk(prompt_text) else 6
    out = _shingles(output, size)
    if not out:
        return OK
    seen = set(_shingles(prompt_text, size))
    repeated = sum(1 for s in out if s in seen)
    if repeated / len(out) > 0.25:
        return _fail(f"the answer repeats the author's text ({repeated} of {len(out)} word runs)")
    return OK


def check_repetition(output: str) -> CheckResult:
    """The answer does not loop (a small model's failure: the same phrase again and again)."""
    size = 8 if is_cjk(output) else 4
    grams = _shingles(output, size)
    if len(grams) < 8:
        return OK
    distinct = len(set(grams)) / len(grams)
    if distinct < 0.6:
        return _fail(f"the answer repeats itself ({distinct:.0%} of its phrases are distinct)")
    return OK


# --- length -------------------------------------------------------------------------------------------

# (low, high) bounds of len(output) / len(input), in words (a CJK character is a word).
LENGTH_BANDS: dict[str, tuple[float, float]] = {
    "rephrase": (0.7, 1.3), "formal": (0.7, 1.3), "casual": (0.7, 1.3), "grammar": (0.7, 1.3),
    "vivid": (0.7, 2.0), "show-dont-tell": (0.7, 2.0), "concise": (0.3, 1.0),
    "shorten": (0.2, 0.85), "expand": (1.2, 4.0), "summarise": (0.02, 0.7),
}


def check_length(source: str, output: str, band: str) -> CheckResult:
    """``output`` is within the task's ratio band of ``source`` (shorten shorter, expand longer, ...)."""
    low, high = LENGTH_BANDS[band]
    have, had = count_words(output), count_words(source)
    if not have:
        return _fail("the answer is empty")
    if not had:
        return OK
    ratio = have / had
    if not low <= ratio <= high:
        return _fail(f"the answer is {ratio:.2f}× the text's length, outside {low:g}–{high:g}× for {band}")
    return OK


def check_min_words(output: str, least: int) -> CheckResult:
    """An answer with something in it (continue, describe: at least ``least`` words)."""
    have = count_words(output)
    if have < least:
        return _fail(f"the answer has {have} words, fewer than {least}")
    return OK


# --- suggestions --------------------------------------------------------------------------------------

def check_suggestions(text: str, suggestions: Sequence[Suggestion]) -> CheckResult:
    """Every suggestion's span indexes ``text``, is not empty and starts and ends on word edges.

    The model's critique quotes phrases that are looked up in the text; a
    lookup that matched inside another word ("the" in "there") would
    underline and replace the wrong letters.
    """
    for s in suggestions:
        if not isinstance(s.start, int) or not isinstance(s.end, int) or not 0 <= s.start < s.end <= len(text):
            return _fail(f"a suggestion's span {s.start}–{s.end} is outside the text ({len(text)} characters)")
        quoted = text[s.start:s.end]
        if not quoted.strip():
            return _fail(f"a suggestion at {s.start}–{s.end} underlines only spaces")
        if s.replacement is not None and s.replacement == quoted:
            return _fail(f"a suggestion replaces “{quoted}” with itself")
        if _cuts_word(text, s.start) or _cuts_word(text, s.end):
            return _fail(f"a suggestion's span cuts a word: “{text[max(0, s.start - 3):s.end + 3]}”")
    return OK


def _cuts_word(text: str, index: int) -> bool:
    if index <= 0 or index >= len(text):
        return False
    left, right = text[index - 1], text[index]
    if _script_of(left) == "han" or _script_of(right) == "han":
        return False
    return left.isalnum() and right.isalnum()
