"""The names a rewrite must keep, and whether a text still has them: one rule for the check and the mask.

Why a module of its own: the hard check :func:`check_names_kept`
judges a finished answer, while ``llm.constraints`` must know, token by
token, which required name is still missing (so the answer cannot end
without it). Both ask the same two questions here, so what the mask steers
toward is exactly what the check later counts as kept.

A required name is a group of acceptable forms: the name, its story-bible
aliases (and the names it is an alias of), and for a Latin-script name
each of its words that is not a title ("Mr. Darcy" is kept by "Darcy").
Chinese has no capitals, so its names come from the story bible only
(``quality_checks.chinese_names``); a form with Han characters is found
as a plain substring, a Latin one as a whole word in any letter case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from writer_app.text import quality_checks as qc

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class RequiredName:
    """One name the answer must contain, in any of ``forms``."""

    name: str
    forms: tuple[str, ...]  # the name and its aliases, as written (what a steered answer writes)
    parts: tuple[str, ...] = ()  # single words of a Latin-script form that also count ("Darcy")

    def present_in(self, text: str) -> bool:
        if any(_has_form(text, form) for form in self.forms):
            return True
        return any(qc.contains_name(text, part) for part in self.parts)


def _has_form(text: str, form: str) -> bool:
    if _HAN.search(form):
        return form in text
    return qc.contains_name(text, form)


def required_names(source: str, known: Sequence[str] = (),
                   aliases: dict[str, Sequence[str]] | None = None) -> tuple[RequiredName, ...]:
    """The names of ``source`` (found, or among the bible's ``known``) an answer must keep, sorted.

    A name that is a word of another found name ("Darcy" beside "Mr. Darcy")
    is not required on its own: the longer one covers it.
    """
    aliases = aliases or {}
    found = qc.names_in(source, known)
    required = sorted(n for n in found if not any(n != other and n in other.split() for other in found))
    result = []
    for name in required:
        forms = [name, *aliases.get(name, ())]
        for canonical, others in aliases.items():
            if name in others:
                forms += [canonical, *others]
        forms = list(dict.fromkeys(f.strip() for f in forms if f.strip()))
        parts: list[str] = []
        if not (qc.is_cjk(name) or _HAN.search(name)):
            parts = [p for form in forms for p in re.split(r"[\s.]+", form)
                     if len(p) > 1 and p.lower() not in qc.NOT_NAMES]
        result.append(RequiredName(name, tuple(forms), tuple(dict.fromkeys(parts))))
    return tuple(result)


def missing_names(required: Sequence[RequiredName], text: str) -> list[RequiredName]:
    """The required names ``text`` does not contain yet."""
    return [name for name in required if not name.present_in(text)]


def check_names_kept(source: str, output: str, known: Sequence[str] = (),
                     aliases: dict[str, Sequence[str]] | None = None) -> qc.CheckResult:
    """Every name in ``source`` (found, or among ``known`` bible names) is still in ``output``.

    An alias counts for its name ("Lizzy" keeps "Elizabeth"), as does any
    word of a multi-word name ("Mr. Darcy" kept as "Darcy"). Only the names
    the source contains are required: a bible entry the passage never
    mentions is not. (Here, not in ``quality_checks``, which this module builds on.)
    """
    missing = [name.name for name in missing_names(required_names(source, known, aliases), output)]
    if missing:
        return qc.CheckResult(False, "the answer dropped " + ", ".join(missing))
    return qc.OK
