"""The Chinese prose checks: only rules that hold without word segmentation.

A Chinese sentence has no spaces to split words at, and a segmenter would be
a large dependency that still errs on fiction's names and classical prose;
each rule here is a pattern over characters that is right without one (see
the list above the constants). :func:`writer_app.text.prose_checks.check_prose`
calls them for a ``zh`` text; spans are ``str`` indexes, like every check's.
"""

from __future__ import annotations

import re

from writer_app.text.suggestions import Suggestion

_PARAGRAPH_RE = re.compile(r"[^\n]+")

# Chinese. Only rules that hold without word segmentation:
# - a doubled particle (的的, 了了, 着着, 被被, ...). 和, 地, 过 and 得 are left out because they
#   double in real words (和和气气, 地地道道, 过过瘾, the hoof-beat 得得); the idiom 不了了之
#   and the AABB form 的的确确 are exceptions;
# - 的 four or more times in one clause (between ，。！？；：…): a chain of modifiers to untangle;
# - 被 passives: when one paragraph has three or more, each is flagged (被子, 被褥, 被窝 and
#   the like are nouns, not passives);
# - a run of 40 or more Han characters with no punctuation at all (the 80-character sentence
#   rule measures whole sentences; this one finds a clause that needs a comma). Classical
#   prose such as 红楼梦 has none longer than about 30;
# - a phrase of four or more characters repeated within 200 characters.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZH_DOUBLED_RE = re.compile(r"([的了是在就也都着把被与])\1+")
_ZH_DOUBLED_WORDS = (("不", "了了之"), ("", "的的确确"))  # (before, from the match on): real words
_ZH_PHRASE_LEN = 4
_ZH_PHRASE_WINDOW = 200  # characters
_HAN_RUN_RE = re.compile(f"[{_HAN}]{{{_ZH_PHRASE_LEN},}}")
ZH_DE_PER_CLAUSE = 4
ZH_BEI_PER_PARAGRAPH = 3
ZH_UNPUNCTUATED_CHARS = 40
_ZH_CLAUSE_RE = re.compile(r"[^，,。！？!?；;：:…\n．]+")
_ZH_BEI_RE = re.compile(r"被(?![子褥窝单面套里头])")
_ZH_UNPUNCTUATED_RE = re.compile(f"[{_HAN}]{{{ZH_UNPUNCTUATED_CHARS},}}")


def _zh_doubled_is_a_word(text: str, match: re.Match[str]) -> bool:
    return any(text.endswith(before, 0, match.start()) and text.startswith(rest, match.start())
               for before, rest in _ZH_DOUBLED_WORDS)


def zh_repetitions(text: str) -> list[Suggestion]:
    out = [
        Suggestion(m.start(), m.end(), "repetition", f"“{m.group(0)}”: the particle is doubled.", m.group(1))
        for m in _ZH_DOUBLED_RE.finditer(text)
        if not _zh_doubled_is_a_word(text, m)
    ]
    last_seen: dict[str, int] = {}
    flagged_until = -1
    span_start = -1
    spans: list[tuple[int, int, str]] = []
    for run in _HAN_RUN_RE.finditer(text):
        for i in range(run.start(), run.end() - _ZH_PHRASE_LEN + 1):
            gram = text[i : i + _ZH_PHRASE_LEN]
            prev = last_seen.get(gram)
            if prev is not None and _ZH_PHRASE_LEN <= i - prev <= _ZH_PHRASE_WINDOW:
                end = i + _ZH_PHRASE_LEN
                if i <= flagged_until and spans:  # extend the current repeated phrase
                    spans[-1] = (span_start, end, spans[-1][2])
                else:
                    span_start = i
                    spans.append((i, end, gram))
                flagged_until = end
            last_seen[gram] = i
    for start, end, first_gram in spans:
        phrase = text[start:end]
        out.append(
            Suggestion(
                start, end, "repetition", f"“{phrase}” repeats a phrase used shortly before ({first_gram}…)."
            )
        )
    return out


def zh_de_chains(text: str) -> list[Suggestion]:
    out = []
    for clause in _ZH_CLAUSE_RE.finditer(text):
        count = clause.group(0).count("的")
        if count >= ZH_DE_PER_CLAUSE:
            start = clause.start() + len(clause.group(0)) - len(clause.group(0).lstrip())
            end = clause.start() + len(clause.group(0).rstrip())
            out.append(Suggestion(start, end, "repetition",
                                  f"“的” {count} times in one clause; a chain of modifiers is hard to follow."))
    return out


def zh_bei_passives(text: str) -> list[Suggestion]:
    out = []
    for para in _PARAGRAPH_RE.finditer(text):
        hits = list(_ZH_BEI_RE.finditer(para.group(0)))
        if len(hits) >= ZH_BEI_PER_PARAGRAPH:
            out += [Suggestion(para.start() + h.start(), para.start() + h.end(), "passive",
                               f"“被” {len(hits)} times in this paragraph; the active voice is usually stronger.")
                    for h in hits]
    return out


def zh_unpunctuated(text: str) -> list[Suggestion]:
    return [Suggestion(m.start(), m.end(), "long-sentence",
                       f"{len(m.group(0))} characters without punctuation; a comma would help the reader.")
            for m in _ZH_UNPUNCTUATED_RE.finditer(text)]
