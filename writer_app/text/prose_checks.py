"""Fast, deterministic prose checks that underline spans of the author's text.

Every check is a handful of regular expressions over the whole text, so a
10,000-word chapter is checked in a few tens of milliseconds and the style
panel can re-run them on every pause in typing. Each finding is a
``Suggestion`` tied to an exact ``(start, end)`` ``str`` span of the input;
within one category spans never overlap, so the editor can underline them
without stacking.

English gets all checks. Chinese (``zh``) gets the rules of
:mod:`writer_app.text.prose_checks_zh` (doubled particles, 的 chains, 被 overuse, long runs
without punctuation, nearby repeated phrases). Every language gets the language-neutral checks: long
sentences (a mostly-CJK sentence, between 。！？, is measured in characters)
and doubled words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from writer_app.text.cliches import CLICHES
from writer_app.text.counts import count_words, is_cjk_dominant
from writer_app.text.prose_checks_zh import (
    zh_bei_passives,
    zh_de_chains,
    zh_repetitions,
    zh_unpunctuated,
)
from writer_app.text.suggestions import Suggestion

CATEGORIES = ("repetition", "adverb", "filter-word", "passive", "long-sentence", "cliche")

LONG_SENTENCE_WORDS = 40  # space-separated scripts
LONG_SENTENCE_CJK_CHARS = 80  # Chinese / Japanese: characters per sentence
REPETITION_WINDOW_WORDS = 20
ADVERBS_PER_PARAGRAPH = 3  # a paragraph is "dense" with at least this many -ly adverbs ...
ADVERB_SHARE = 0.05  # ... making up at least this share of its words

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_DOUBLED_RE = re.compile(r"\b([^\W\d_]+)(\s+)(\1)\b", re.IGNORECASE)
# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets) or at a line break.
_SENTENCE_RE = re.compile(r"[^.!?…。！？．｡\n]+(?:[.!?…。！？．｡]+[\"'”’」』)\]]*)?")
_SENTENCE_GAP_RE = re.compile(r"[.!?…\n]")
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "mt", "jr", "sr", "prof", "capt", "col", "gen", "rev"}
)
_PARAGRAPH_RE = re.compile(r"[^\n]+")

STOP_WORDS = frozenset(
    """
    a about above after again against all almost also although always am an and another any are
    around as at away back be because been before being below between both but by can cannot could
    did do does doing done down during each either else even ever every few for from further get
    gets got had has have having he her here hers herself him himself his how however i if in into
    is it its itself just least less let like made make many may me might mine more most much must
    my myself neither never no nor not now of off often on once one only or other others our ours
    ourselves out over own perhaps quite rather said say says see seen shall she should since so
    some still such than that the their theirs them themselves then there these they this those
    though through thus till to too toward towards under until up upon us very was we well were
    what when where whether which while who whom whose why will with within without would yet you
    your yours yourself yourselves asked replied told tell went go going come came know knew think
    thought something nothing anything everything someone anyone everyone things thing way
    """.split()
)

# Words ending in -ly that are not manner adverbs.
_NOT_ADVERBS = frozenset(
    """
    only early likely unlikely daily weekly monthly yearly hourly nightly family reply supply apply
    rely ally belly bully fly holy ugly lovely lonely friendly unfriendly silly jolly july italy
    lily folly holly jelly sully rally tally melancholy assembly anomaly butterfly dragonfly homely
    costly deadly elderly kindly lively orderly curly surly burly hilly chilly woolly wily sly
    ply imply comply reply multiply emily kelly molly polly sally billy willy
    """.split()
)

# Intensifiers that usually weaken rather than strengthen; the fix is to drop them.
_INTENSIFIERS = ("very", "really", "extremely", "incredibly", "totally", "utterly", "absolutely")
_INTENSIFIER_RE = re.compile(r"\b(" + "|".join(_INTENSIFIERS) + r")\b(\s+)(?=[^\W\d_])", re.IGNORECASE)

_FILTER_WORDS = (
    "began to", "started to", "could see", "could hear", "could feel", "could smell",
    "saw", "heard", "felt", "noticed", "realized", "realised", "seemed", "seems",
    "wondered", "watched", "noted", "sensed", "decided",
)  # fmt: skip
_FILTER_RE = re.compile(
    r"\b(?:" + "|".join(w.replace(" ", r"\s+") for w in _FILTER_WORDS) + r")\b", re.IGNORECASE
)

_IRREGULAR_PARTICIPLES = (
    "arisen awoken beaten become begun bent bet bid bitten blown broken brought built burnt bought "
    "caught chosen come cut dealt done drawn dreamt driven drunk eaten fallen fed felt fought found "
    "fled flung flown forbidden forgotten forgiven frozen given gone ground grown hung heard hidden "
    "hit held hurt kept knelt known laid led leant left lent let lain lit lost made meant met paid "
    "put quit read ridden rung risen run said seen sought sold sent set shaken shed shot shown shut "
    "sung sunk sat slain slept slid slung smelt spoken sped spent spilt spun spat split spread "
    "sprung stood stolen stuck stung stunk struck strung sworn swept swollen swum swung taken taught "
    "torn told thought thrown thrust trodden understood woken worn woven wept won wound written"
).split()
_ADJECTIVE_ED = frozenset(
    """
    tired bored interested excited worried pleased surprised ashamed annoyed concerned confused
    embarrassed scared frightened afraid married amazed relieved delighted disappointed determined
    supposed used aged beloved learned blessed cursed crooked naked wicked rugged ragged sacred
    wretched hundred kindred indeed need seed feed speed bed red shed wed fed led
    """.split()
)
# The passive-voice rule. "be" + a past participle is flagged, except when the participle
# names a state of the subject rather than something done to it: "she was tired", "he was
# gone", "they were married", "the work was finished", "I am obliged". Those participles are
# listed here (feelings, conditions, and the old be-perfect of motion verbs, "is come",
# "was gone"); one of them still counts as passive when an agent follows ("was married by the
# vicar", "was finished by his clerk"), but not a time ("was gone by noon", "by the time").
# A degree word between the two ("was very tired", "so pleased", "too tired") also marks an
# adjective: "very" cannot modify a verbal passive. Every other participle is flagged,
# with or without "by": "the letter was taken by the maid", "the cake was eaten".
_STATIVE_PARTICIPLES = _ADJECTIVE_ED | frozenset(
    """
    gone come done finished settled satisfied convinced obliged engaged acquainted inclined
    disposed seated indebted resolved grieved dressed prepared connected mistaken astonished
    alarmed amused exhausted closed locked lost drunk grown undone unmarried unsettled
    unconvinced dissatisfied unacquainted unprepared unconcerned uninterested distressed
    agitated offended flattered mortified vexed provoked charmed gratified shocked startled
    """.split()
)
_DEGREE_WORDS = frozenset("very so too quite rather more most less least".split())
_TIME_AFTER_BY = re.compile(
    r"\s+by\s+(?:the\s+time|then|now|noon|midnight|night|morning|evening|dawn|dusk|"
    r"nightfall|daybreak|tomorrow|today|tonight|\d)",
    re.IGNORECASE,
)
_AGENT_AFTER = re.compile(r"\s+by\b", re.IGNORECASE)

_PASSIVE_RE = re.compile(
    r"\b(?:am|is|are|was|were|be|been|being|isn['’]t|aren['’]t|wasn['’]t|weren['’]t)"
    r"(?:\s+(not|never|also|already|just|often|always|still|very|so|too|quite|rather|more|most|less|least"
    r"|\w+ly))?"
    r"\s+(\w+ed|" + "|".join(_IRREGULAR_PARTICIPLES) + r")\b",
    re.IGNORECASE,
)

# Clichés, matched over word tokens (a 130-way regex alternation tried at every word boundary
# cost ~35 ms on a 5,000-word chapter; a lookup by first word costs ~2 ms): first word -> the
# phrases (as lower-case word tuples) that start with it, longest first.
_CLICHE_INDEX: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(CLICHES, key=lambda p: len(p.split()), reverse=True):
    _words = tuple(_phrase.lower().replace("’", "'").split())
    _CLICHE_INDEX.setdefault(_words[0], []).append(_words)


def check_prose(text: str, language: str = "en", categories: Iterable[str] | None = None) -> list[Suggestion]:
    """All deterministic suggestions for ``text``, sorted by position.

    ``categories`` limits the checks to those named (default: all). Spans
    within one category never overlap and always lie inside the text.
    """
    wanted = set(CATEGORIES if categories is None else categories)
    lang = (language or "en").lower().replace("_", "-").split("-")[0]
    found: list[Suggestion] = []
    if "long-sentence" in wanted:
        found += _long_sentences(text)
    if "repetition" in wanted:
        found += _doubled_words(text)
        if lang == "en":
            found += _close_repetitions(text)
        if lang == "zh":
            found += zh_repetitions(text)
            found += zh_de_chains(text)
    if lang == "zh":
        if "passive" in wanted:
            found += zh_bei_passives(text)
        if "long-sentence" in wanted:
            found += zh_unpunctuated(text)
    if lang == "en":
        if "adverb" in wanted:
            found += _adverbs(text)
        if "filter-word" in wanted:
            found += _matches(_FILTER_RE, text, "filter-word", _filter_problem)
        if "passive" in wanted:
            found += _passives(text)
        if "cliche" in wanted:
            found += _cliches(text)
    return _without_overlaps(found)


def _cliches(text: str) -> list[Suggestion]:
    """Phrases from ``cliches.CLICHES``, any whitespace between the words, either apostrophe."""
    tokens = list(_WORD_RE.finditer(text))
    words = [m.group(0).lower().replace("’", "'") for m in tokens]
    out = []
    i = 0
    while i < len(tokens):
        for phrase in _CLICHE_INDEX.get(words[i], ()):
            n = len(phrase)
            if tuple(words[i : i + n]) == phrase and all(
                text[tokens[k].end() : tokens[k + 1].start()].isspace() for k in range(i, i + n - 1)
            ):
                start, end = tokens[i].start(), tokens[i + n - 1].end()
                out.append(Suggestion(start, end, "cliche", f"“{text[start:end]}” is a cliché; say it your own way."))
                i += n - 1
                break
        i += 1
    return out


def _matches(pattern: re.Pattern[str], text: str, category: str, problem) -> list[Suggestion]:
    return [
        Suggestion(m.start(), m.end(), category, problem(m))
        for m in pattern.finditer(text)
        if m.end() > m.start()
    ]


def _filter_problem(match: re.Match[str]) -> str:
    return (
        f"Filter word “{match.group(0)}”: it puts the reader behind the character's eyes; "
        "consider showing what is sensed directly."
    )


def _long_sentences(text: str) -> list[Suggestion]:
    """Sentences over the limit; a mostly-CJK sentence is measured in characters, whatever the language."""
    out = []
    for match in _SENTENCE_RE.finditer(text):
        sentence = match.group(0)
        words = count_words(sentence)
        if words <= LONG_SENTENCE_WORDS:
            continue
        cjk = is_cjk_dominant(sentence)
        limit = LONG_SENTENCE_CJK_CHARS if cjk else LONG_SENTENCE_WORDS
        unit = "characters" if cjk else "words"
        if words > limit:
            start = match.start() + (len(sentence) - len(sentence.lstrip()))
            end = match.start() + len(sentence.rstrip())
            if end > start:
                out.append(
                    Suggestion(
                        start,
                        end,
                        "long-sentence",
                        f"A long sentence ({words} {unit}); consider splitting it.",
                    )
                )
    return out


def _doubled_words(text: str) -> list[Suggestion]:
    out = []
    for m in _DOUBLED_RE.finditer(text):
        if m.group(1).lower() in ("had", "that"):  # "had had", "that that" are grammatical
            continue
        out.append(Suggestion(m.start(), m.end(), "repetition", f"“{m.group(1)}” is doubled.", m.group(1)))
    return out


@functools.lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """A light stem so that walk/walks/walked/walking count as one word."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    elif len(w) > 4 and w.endswith("es") and w[-3] in "sxz" or w.endswith(("ches", "shes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":  # stopp(ed) -> stop
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):  # move/moving/moved -> mov
        w = w[:-1]
    return w


def _close_repetitions(text: str) -> list[Suggestion]:
    """A content word used again within a few words (names and stop words aside)."""
    tokens = []  # (match, starts_a_sentence)
    names = set()
    prev: re.Match[str] | None = None
    for m in _WORD_RE.finditer(text):
        if prev is None:
            sentence_start = True
        else:
            gap = text[prev.end() : m.start()]
            sentence_start = bool(_SENTENCE_GAP_RE.search(gap)) and not (
                gap.startswith(".") and prev.group(0).lower() in _ABBREVIATIONS
            )
        word = m.group(0)
        if word[0].isupper() and not sentence_start:
            names.add(word.lower())  # capitalised mid-sentence: a name, which repeats by nature
        tokens.append(m)
        prev = m
    out = []
    last_seen: dict[str, tuple[int, str]] = {}
    for index, m in enumerate(tokens):
        word = m.group(0)
        lower = word.lower().replace("’", "'")
        if len(word) < 3 or lower in STOP_WORDS or lower in names:
            continue
        key = lemma(word)
        seen = last_seen.get(key)
        if seen is not None and index - seen[0] <= REPETITION_WINDOW_WORDS:
            distance = index - seen[0]
            out.append(
                Suggestion(
                    m.start(),
                    m.end(),
                    "repetition",
                    f"“{word}” repeats “{seen[1]}” from {distance} word{'s' if distance != 1 else ''} earlier.",
                )
            )
        last_seen[key] = (index, word)
    return out


# Manner adverbs right after a verb ("walked slowly", "said quietly"): a precise verb usually
# says it alone ("crept", "whispered"). The verb is recognised without a tagger, so the rule is
# kept narrow: the word before the adverb is a past-tense "-ed" form, a listed irregular past
# ("said", "ran", "spoke"), or a form of a common verb of motion, speech or gesture ("walks",
# "speaking"); only whitespace may separate them. Words ending in -ly that are not manner
# adverbs (``_NOT_ADVERBS``: "only", "family", "early", "likely") and sentence or degree
# adverbs (``_NOT_MANNER``: "really", "actually", "nearly", "suddenly") are never flagged.
_NOT_MANNER = frozenset(
    """
    really actually probably certainly obviously apparently clearly surely hardly scarcely barely
    nearly merely simply entirely completely totally utterly particularly especially exactly
    immediately instantly presently finally eventually usually generally frequently occasionally
    rarely seldom nearly mostly partly fully equally largely truly wholly chiefly mainly possibly
    recently lately shortly directly previously originally initially ultimately suddenly
    early daily only already namely newly highly deeply extremely incredibly absolutely perfectly
    slightly fairly pretty
    """.split()
)
_IRREGULAR_PAST = frozenset(
    """
    said spoke ran went came sat stood ate drank fell rose grew fought held kept left lay led met
    rode sang shook slept stole strode struck swam swore took told threw wept won wrote drove flew
    began bore broke chose crept dealt drew dug fled flung forgot gave hid hung knelt leapt lit
    sank slid slung smote sought spun sprang stank stuck stung strove swept swung taught tore
    trod woke wore wound
    """.split()
)
_MANNER_VERBS = frozenset(
    lemma(v)
    for v in """
    walk run move speak say talk smile look turn step whisper nod answer reply laugh cry shout sing
    eat drink sit stand write read breathe wait lean watch stare glance gaze murmur mutter sigh
    shrug stride creep climb fall rise grin frown kiss hold touch open close push pull drive ride
    swim fly dance work sleep shake tremble listen call knock wave
    """.split()
)
_LY_RE = re.compile(r"[^\W\d_]{3,}ly\b")
_VERB_BEFORE_RE = re.compile(r"([^\W\d_]+)[ \t]+$")


def _is_verb_form(word: str) -> bool:
    lower = word.lower()
    if lower in _IRREGULAR_PAST or lemma(lower) in _MANNER_VERBS:
        return True
    return len(lower) > 4 and lower.endswith("ed") and lower not in _ADJECTIVE_ED


def _manner_adverbs(text: str) -> list[Suggestion]:
    out = []
    for m in _LY_RE.finditer(text):
        adverb = m.group(0)
        lower = adverb.lower()
        if lower in _NOT_ADVERBS or lower in _NOT_MANNER or adverb[0].isupper():
            continue
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "'’_"):
            continue  # the middle of a word
        before = _VERB_BEFORE_RE.search(text, max(0, m.start() - 40), m.start())
        if before is None or not _is_verb_form(before.group(1)):
            continue
        if before.start() > 0 and (text[before.start() - 1].isalnum() or text[before.start() - 1] in "'’_"):
            continue
        verb = before.group(1)
        out.append(
            Suggestion(
                before.start(),
                m.end(),
                "adverb",
                f"“{verb} {adverb}”: a manner adverb after the verb; a more precise verb can say it alone.",
            )
        )
    return out


def _adverbs(text: str) -> list[Suggestion]:
    out = _manner_adverbs(text)
    for m in _INTENSIFIER_RE.finditer(text):
        word = m.group(1)
        replacement = "" if word.islower() else None  # a capital would need moving to the next word
        out.append(
            Suggestion(
                m.start(),
                m.end(),
                "adverb",
                f"“{word}” usually weakens what follows; a stronger word says it alone.",
                replacement,
            )
        )
    intensifiers = set(_INTENSIFIERS)
    for para in _PARAGRAPH_RE.finditer(text):
        paragraph = para.group(0)
        adverbs = [
            w
            for w in _LY_RE.finditer(paragraph)
            if len(w.group(0)) > 4
            and (w.start() == 0 or not (paragraph[w.start() - 1].isalnum() or paragraph[w.start() - 1] in "'’_"))
            and w.group(0).lower() not in _NOT_ADVERBS
            and w.group(0).lower() not in intensifiers
            and not (w.group(0)[0].isupper() and w.start() > 0)
        ]
        if len(adverbs) < ADVERBS_PER_PARAGRAPH:
            continue  # most paragraphs: no need to count their words
        words = _WORD_RE.findall(paragraph)
        if len(adverbs) >= ADVERB_SHARE * len(words):
            for w in adverbs:
                out.append(
                    Suggestion(
                        para.start() + w.start(),
                        para.start() + w.end(),
                        "adverb",
                        f"This paragraph leans on adverbs ({len(adverbs)} in {len(words)} words); "
                        f"a precise verb can replace “{w.group(0)}”.",
                    )
                )
    return out


def _passives(text: str) -> list[Suggestion]:
    """"be" + past participle, minus the adjectival (stative) uses described at ``_STATIVE_PARTICIPLES``."""
    out = []
    for m in _PASSIVE_RE.finditer(text):
        modifier = (m.group(1) or "").lower()
        participle = m.group(2).lower()
        if participle.endswith("ed") and len(participle) <= 4:  # "bed", "red", "shed"
            continue
        if modifier in _DEGREE_WORDS:  # "was very tired": an adjective
            continue
        if participle in _STATIVE_PARTICIPLES:
            rest = text[m.end() : m.end() + 40]
            if not _AGENT_AFTER.match(rest) or _TIME_AFTER_BY.match(rest):
                continue
        out.append(
            Suggestion(
                m.start(), m.end(), "passive", "Passive voice: saying who does it is usually stronger."
            )
        )
    return out


def _without_overlaps(found: list[Suggestion]) -> list[Suggestion]:
    """Sorted by position; within a category the earliest (then longest) span wins an overlap."""
    found.sort(key=lambda s: (s.start, -(s.end - s.start), s.category))
    reach: dict[str, int] = {}
    kept = []
    for s in found:
        if not 0 <= s.start < s.end:
            continue
        if s.start >= reach.get(s.category, 0):
            kept.append(s)
            reach[s.category] = s.end
    return kept
