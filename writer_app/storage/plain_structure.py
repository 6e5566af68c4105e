"""Find a plain-text book's structure: parts, chapters, scenes, front and back matter.

Heading lines are recognised in these forms (each alone on its line, after a
blank line when the text separates paragraphs with blank lines):

* keyword chapters: ``CHAPTER IV.``, ``Chapter 4: The Storm``, ``Chap. 12``,
  ``Chapter the First``, ``Chapter Twenty-One`` (also Chapitre, Capítulo,
  Kapitel, Глава), and an epistolary novel's ``Letter 1`` (Frankenstein opens
  with four letters before its chapters: they are the story, not front matter);
* CJK chapters: ``第一回 …``, ``第十二章``, ``第3节``;
* bare numerals: ``IV``, ``IV.``, ``12`` alone on a line, or ``IV. The Storm``;
* folders that hold the chapters after them: ``BOOK ONE``, ``PART II``,
  ``Volume I``, ``Part the Second``, ``卷一``, ``第一卷``, ``第二部``;
* story chapters without a number: Prologue, Prelude, Interlude, Epilogue,
  楔子, 尾声; after the last chapter, Appendix, Notes, Afterword … become notes.

A family of headings (same keyword, same way of writing the number) is only
believed when its numbers form a plausible sequence: the best chain of
candidates whose numbers go up by one (a gap of one missing number is
tolerated, numbering may restart at 1 after a part heading), where each
heading counts the text it heads beside the family's median, so the body's
chapters beat the table of contents' copy of them and numbered stanzas inside
a chapter. Candidates off the chain (a stray "I" signing a letter, the
contents, the stanzas) stay text. Keyword and CJK families need two headings
(one, if little text comes before it); bare numerals, being easy to mistake,
need three, a chain that starts at I/1-3, and chapters of 100 words or more
on median. When a keyword family is found, bare numerals are not considered.

A heading without a title of its own takes the short title-like line under
it ("I." then "The Old House" becomes "I. The Old House") when most headings
of its family have one. A heading whose section holds nothing but other
heading lines (a table of contents listing "Prologue") and whose title comes
again later is dropped. Text before the first heading is the front matter
(title page, contents, preface, dedication, list of illustrations); the caller
stores it as a note, which training leaves out by default.

A chapter with scene breaks (``* * *``, ``#``, ``~``, ``⁂`` on a line of their
own) becomes a chapter holding one scene per piece, "Scene 1", "Scene 2" …,
with an empty text of its own; a chapter without breaks stays one document.

If the text has Markdown ``#`` headings or Setext headings (a title
underlined with ``===`` or ``---``, as writer-app's plain-text export writes),
those headings are the structure instead (:mod:`writer_app.storage.marked_headings`).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from writer_app.storage.sections import Section, tidy_block
from writer_app.text.counts import count_words
from writer_app.text.manuscript import is_scene_break
from writer_app.text.numerals import (
    CJK_NUMERAL_CHARS,
    NUMBER_WORDS,
    arabic_value,
    cjk_value,
    roman_value,
    word_value,
)
from writer_app.text.unwrap import display_width

MAX_HEADING_WIDTH = 80
MAX_TITLE_LINE_WIDTH = 60
MIN_WEAK_CHAIN = 3
MIN_WEAK_MEDIAN_WORDS = 100

_WORDS = "|".join(w for w in NUMBER_WORDS if w != "and")
_NUMBER = rf"(?:\d{{1,4}}|[IVXLCDM]+|[ivxlcdm]+|(?:the\s+)?(?:{_WORDS})(?:(?:[\s\-]+(?:and[\s\-]+)?)(?:{_WORDS}))*)"
_SEPARATOR = r"[.:\-–—)]"
_CHAPTER_WORDS = r"chapter|chap\.?|letter|chapitre|cap[íi]tulo|kapitel|глава"
_FOLDER_WORDS = r"book|part|volume|vol\.|tome|livre|teil|часть"
_KEYWORD = re.compile(
    rf"(?i)^(?P<kw>{_CHAPTER_WORDS}|{_FOLDER_WORDS})\s+(?P<num>{_NUMBER})\b(?P<rest>.*)$"
)
_BARE = re.compile(r"^(?P<num>\d{1,3}|[IVXLCDM]{1,8}|[ivxlcdm]{1,8})(?P<dot>[.:)])?$")
_NUMBERED_TITLE = re.compile(r"^(?P<num>\d{1,3}|[IVXLCDM]{1,8})(?P<sep>[.:)]|\s[-–—])\s+(?P<title>\S.{0,70})$")
_CJK_NUM = f"[{CJK_NUMERAL_CHARS}]+"
_CJK_NUM_START = re.compile(rf"^{_CJK_NUM}")
_CJK_CHAPTER = re.compile(rf"^第(?P<num>{_CJK_NUM})(?P<unit>[回章节節折话話])(?P<rest>.*)$")
_CJK_FOLDER = re.compile(rf"^(?:第(?P<num>{_CJK_NUM})(?P<unit>[卷部册冊集篇])|(?P<unit2>卷)之?(?P<num2>{_CJK_NUM}))(?P<rest>.*)$")
_STORY_SPECIAL = re.compile(
    r"(?i)^(?P<kw>prologue|prolog|prelude|interlude|epilogue|楔子|序章|尾声|尾聲|终章)(?P<rest>(?:\s*[.:\-–—]\s*\S.*)?)$"
)
_BACK_SPECIAL = re.compile(
    r"(?i)^(?P<kw>appendix|appendices|notes|endnotes|footnotes|glossary|afterword|postscript"
    r"|transcriber'?s notes?|后记|後記|附录|附錄)(?P<rest>(?:\s+(?:[A-Z]|[IVX]+|\d+))?\.?(?:\s*[:\-–—]\s*\S.*)?)$"
)
_CJK_SENTENCE_END = re.compile(r"[。，；！？…、．.]$")
_TITLE_END = re.compile(r"[,;:!?，；：]$|[a-z]\.$")


@dataclass
class Candidate:
    """A line that could be a heading."""

    index: int
    kind: str  # chapter, folder, back
    family: tuple
    number: int | None
    title: str
    strong: bool  # a keyword or CJK heading (a bare numeral is weak evidence)
    has_title: bool  # the heading line carries a title of its own
    title_line: int | None = None  # the line under it taken as its title


@dataclass
class Structure:
    front: str
    sections: list[Section]
    found: bool  # False: no headings were believed; ``sections`` is the whole text as one chapter


def _collapse(line: str) -> str:
    return " ".join(line.split())


def _number_style(token: str) -> tuple[str, int | None]:
    value = arabic_value(token)
    if value is not None:
        return "arabic", value
    value = roman_value(token)
    if value is not None:
        return "roman", value
    value = word_value(token)
    if value is not None:
        return "word", value
    return "", None


def _rest_title(rest: str) -> tuple[str, bool] | None:
    """(title, has title) from what follows a heading's number, or None if it reads as prose."""
    if not rest.strip():
        return "", False
    if re.match(rf"^\s*{_SEPARATOR}\s*$", rest):
        return "", False
    separated = re.match(rf"^\s*{_SEPARATOR}\s*(?P<t>\S.*)$", rest)
    if separated:
        return separated.group("t"), True
    if not rest[:1].isspace():
        return None
    title = rest.strip()
    if not (title[:1].isupper() or title[:1] in "\"'“‘(["):
        return None  # "Chapter one was the best." is a sentence
    return title, True


def classify(line: str) -> Candidate | None:
    """What kind of heading ``line`` could be (index left 0), or None."""
    text = _collapse(line)
    if not text or display_width(text) > MAX_HEADING_WIDTH:
        return None
    keyword = _KEYWORD.match(text)
    if keyword:
        style, value = _number_style(keyword.group("num"))
        rest = _rest_title(keyword.group("rest"))
        if value is None or rest is None:
            return None
        folder = not re.match(rf"(?i)^(?:{_CHAPTER_WORDS})$", keyword.group("kw"))
        kw = keyword.group("kw").casefold().rstrip(".")
        return Candidate(0, "folder" if folder else "chapter", ("keyword", kw, style), value, text, True, rest[1])
    cjk = _CJK_CHAPTER.match(text)
    if cjk and not _CJK_SENTENCE_END.search(text) and display_width(cjk.group("rest")) <= 60:
        value = cjk_value(cjk.group("num"))
        if value is not None:
            return Candidate(0, "chapter", ("cjk", cjk.group("unit")), value, text, True, bool(cjk.group("rest").strip()))
    folder = _CJK_FOLDER.match(text)
    if folder and not _CJK_SENTENCE_END.search(text) and display_width(folder.group("rest")) <= 40:
        value = cjk_value(folder.group("num") or folder.group("num2"))
        rest = folder.group("rest")
        if value is not None and (not rest or not _CJK_NUM_START.match(rest)):
            unit = folder.group("unit") or folder.group("unit2")
            return Candidate(0, "folder", ("cjk-folder", unit), value, text, True, bool(rest.strip()))
    bare = _BARE.match(text)
    if bare:
        style, value = _number_style(bare.group("num"))
        if value is not None and value > 0:
            return Candidate(0, "chapter", ("bare", style, bare.group("dot") or ""), value, text, False, False)
    numbered = _NUMBERED_TITLE.match(text)
    if numbered:
        style, value = _number_style(numbered.group("num"))
        title = numbered.group("title")
        if value is not None and value > 0 and (title[:1].isupper() or title[:1] in "\"'“‘") \
                and not _TITLE_END.search(title):
            return Candidate(0, "chapter", ("numbered", style, numbered.group("sep").strip()), value, text, False,
                             True)
    special = _STORY_SPECIAL.match(text)
    if special:
        return Candidate(0, "chapter", ("special",), None, text, True, bool(special.group("rest").strip()))
    back = _BACK_SPECIAL.match(text)
    if back:
        return Candidate(0, "back", ("back",), None, text, True, True)
    return None


def is_chapter_heading(line: str) -> bool:
    """A line that alone reads as a chapter heading ("Chapter 4", "CHAPTER IV.", "第一回 …"), not a
    bare numeral: for formats whose paragraphs carry no heading style (docx/odt/rtf read by
    ``storage.formats``), where there is no sequence of blank-line layout to weigh it against."""
    candidate = classify(line)
    return candidate is not None and candidate.kind == "chapter" and candidate.strong \
        and candidate.family != ("special",)


def _candidates(lines: list[str]) -> list[Candidate]:
    blank_layout = _uses_blank_lines(lines)
    found = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if blank_layout and index > 0 and lines[index - 1].strip():
            continue
        candidate = classify(line)
        if candidate is not None:
            candidate.index = index
            found.append(candidate)
    return found


def _uses_blank_lines(lines: list[str]) -> bool:
    blank = sum(1 for line in lines if not line.strip())
    return blank * 3 >= len(lines) - blank


_KEEP_PER_NUMBER = 8  # predecessors remembered per number (bounds the work on a file of numbers)


def _best_chain(family: list[Candidate], folder_lines: list[int], prefix: list[int]) -> list[Candidate]:
    """The best run of candidates whose numbers go up by one (see the module doc).

    Each candidate in the run scores the size of the text it heads (up to the family's next
    candidate) beside the family's median, at most 1: between two runs of the same length the
    one whose headings head real chapters wins over one through a table of contents' entries or
    the numbered stanzas inside a chapter. A missing number halves a step's score; ties go to
    the later candidates (the body's headings come after the contents' copy of them).
    """
    ends = [c.index for c in family[1:]] + [len(prefix) - 1]
    heads = [prefix[end] - prefix[c.index + 1] for c, end in zip(family, ends, strict=True)]
    median = statistics.median(heads) if heads else 0

    def gain(current: int) -> float:
        return min(1.0, heads[current] / median) if median > 0 else 1.0

    by_number: dict[int, list[tuple[float, int]]] = {}  # number -> [(chain score, candidate position)]
    back: list[int | None] = []
    best_before_folder: tuple[float, int] | None = None
    overall: tuple[float, int] | None = None
    folder_iter = iter(sorted(folder_lines))
    next_folder = next(folder_iter, None)
    for position, candidate in enumerate(family):
        while next_folder is not None and next_folder < candidate.index:
            best_before_folder = overall
            next_folder = next(folder_iter, None)
        n = candidate.number or 0
        worth = gain(position)
        options: list[tuple[float, int | None]] = [(worth, None)]
        for step, factor in ((1, 1.0), (2, 0.5)):
            for score, previous in by_number.get(n - step, []):
                options.append((score + factor * worth, previous))
        if n == 1 and best_before_folder is not None:
            options.append((best_before_folder[0] + worth, best_before_folder[1]))
        value, previous = max(options, key=lambda o: (o[0], -1 if o[1] is None else o[1]))
        back.append(previous)
        kept = by_number.setdefault(n, [])
        kept.append((value, position))
        if len(kept) > _KEEP_PER_NUMBER:
            kept.pop(0)
        if overall is None or value >= overall[0]:
            overall = (value, position)
    if overall is None:
        return []
    chain: list[Candidate] = []
    at: int | None = overall[1]
    while at is not None:
        chain.append(family[at])
        at = back[at]
    return list(reversed(chain))


def _words_between(line_words: list[int], starts: list[int], end: int) -> list[int]:
    prefix = [0]
    for words in line_words:
        prefix.append(prefix[-1] + words)
    bounds = starts[1:] + [end]
    return [prefix[b] - prefix[a + 1] for a, b in zip(starts, bounds, strict=True)]


def _group(candidates: list[Candidate]) -> dict[tuple, list[Candidate]]:
    families: dict[tuple, list[Candidate]] = {}
    for candidate in candidates:
        families.setdefault(candidate.family, []).append(candidate)
    return families


def _accept(chain: list[Candidate], line_words: list[int], strong: bool) -> bool:
    if not chain:
        return False
    total = sum(line_words)
    if strong:
        if len(chain) >= 2:
            return True
        before = sum(line_words[: chain[0].index])
        return before <= max(300, total // 4)
    if len(chain) < MIN_WEAK_CHAIN or (chain[0].number or 0) > 3:
        return False
    sizes = _words_between(line_words, [c.index for c in chain], len(line_words))
    return statistics.median(sizes) >= MIN_WEAK_MEDIAN_WORDS


def choose_headings(lines: list[str]) -> list[Candidate]:
    """The heading lines believed, in order (see the module doc for the rules)."""
    candidates = _candidates(lines)
    if not candidates:
        return []
    line_words = [count_words(line) for line in lines]
    prefix = [0]
    for words in line_words:
        prefix.append(prefix[-1] + words)
    families = _group(candidates)
    folder_lines = [c.index for c in candidates if c.kind == "folder"]
    accepted: list[Candidate] = []
    for family in families.values():
        if family[0].kind == "folder" and family[0].number is not None:
            chain = _best_chain(family, [], prefix)
            if _accept(chain, line_words, True) and len(chain) >= 2:
                accepted.extend(chain)
    strong_chapters: list[Candidate] = []
    for family in families.values():
        if family[0].kind == "chapter" and family[0].strong and family[0].number is not None:
            chain = _best_chain(family, folder_lines, prefix)
            if _accept(chain, line_words, True):
                strong_chapters.extend(chain)
    if not strong_chapters:
        weak = [(_best_chain(f, folder_lines, prefix), f) for f in families.values() if not f[0].strong]
        weak = [(chain, f) for chain, f in weak if _accept(chain, line_words, False)]
        if weak:
            strong_chapters = max(weak, key=lambda pair: len(pair[0]))[0]
    accepted.extend(strong_chapters)
    if strong_chapters:
        accepted.extend(families.get(("special",), []))
        last_chapter = max(c.index for c in strong_chapters)
        accepted.extend(c for c in families.get(("back",), []) if c.index > last_chapter)
    accepted.sort(key=lambda c: c.index)
    _take_title_lines(lines, accepted, {c.index for c in candidates})
    return _drop_contents_entries(lines, accepted, {c.index for c in candidates})


def _is_title_line(line: str) -> bool:
    text = _collapse(line)
    if not text or display_width(text) > MAX_TITLE_LINE_WIDTH or is_scene_break(line):
        return False
    if not (text[:1].isupper() or text[:1] in "\"'“‘(" or text[:1].isdigit()):
        return False
    core = text.rstrip("\"'”’)")
    letters = [c for c in text if c.isalpha()]
    shouted = bool(letters) and all(c.isupper() for c in letters)
    if re.search(r"[,;:!?]$", core) or (core.endswith(".") and not shouted):
        return False
    if shouted:
        return True
    long_words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if len(w) > 3]
    return bool(long_words) and sum(w[0].isupper() for w in long_words) * 10 >= len(long_words) * 6


def _take_title_lines(lines: list[str], accepted: list[Candidate], candidate_lines: set[int]) -> None:
    """Give untitled headings the title line under them, family by family, if most have one."""
    for family in _group([c for c in accepted if not c.has_title and c.family[0] != "cjk"]).values():
        proposals = {}
        for candidate in family:
            following = _next_text_line(lines, candidate.index + 1, max_blank=2)
            if following is None or following in candidate_lines or not _is_title_line(lines[following]):
                continue
            after = _next_text_line(lines, following + 1, max_blank=len(lines))
            if after is not None:
                proposals[candidate.index] = following
        if len(proposals) * 2 < len(family):
            continue
        for candidate in family:
            if candidate.index in proposals:
                candidate.title_line = proposals[candidate.index]
                title = _collapse(lines[candidate.title_line])
                joiner = " " if candidate.title[-1:] in ".:-–—" else ". "
                candidate.title = f"{candidate.title}{joiner}{title}"


def _next_text_line(lines: list[str], start: int, max_blank: int) -> int | None:
    blank = 0
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
        blank += 1
        if blank > max_blank:
            return None
    return None


def _drop_contents_entries(lines: list[str], accepted: list[Candidate], candidate_lines: set[int]) -> list[Candidate]:
    """Leave out headings whose section is only heading lines and whose title comes again later."""
    kept: list[Candidate] = []
    later: set[str] = set()
    for position in range(len(accepted) - 1, -1, -1):
        candidate = accepted[position]
        end = accepted[position + 1].index if position + 1 < len(accepted) else len(lines)
        start = (candidate.title_line if candidate.title_line is not None else candidate.index) + 1
        substance = any(lines[i].strip() and i not in candidate_lines for i in range(start, end))
        key = _collapse(lines[candidate.index]).casefold().rstrip(".")
        if substance or key not in later:
            kept.append(candidate)
        later.add(key)
    return list(reversed(kept))


def split_scenes(section: Section) -> Section:
    """A chapter with scene breaks becomes a chapter holding its scenes (see the module doc)."""
    if section.kind != "chapter" or section.children or not section.text:
        return section
    pieces: list[list[str]] = [[]]
    for line in section.text.split("\n"):
        if is_scene_break(line):
            pieces.append([])
        else:
            pieces[-1].append(line)
    texts = [tidy_block("\n".join(piece)) for piece in pieces]
    texts = [t for t in texts if t.strip()]
    if len(texts) < 2:
        return section
    scenes = [Section(f"Scene {i}", text, "scene") for i, text in enumerate(texts, 1)]
    return Section(section.title, "", "chapter", scenes)


@dataclass
class _Open:
    section: Section
    lines: list[str] = field(default_factory=list)


def find_structure(text: str, fallback_title: str) -> Structure:
    """The book's outline from pattern headings (for Markdown/Setext see :mod:`marked_headings`)."""
    lines = text.split("\n")
    headings = choose_headings(lines)
    if not headings:
        return Structure("", [split_scenes(Section(fallback_title, tidy_block(text)))], found=False)
    has_chapters = any(h.kind == "chapter" for h in headings)
    front = lines[: headings[0].index]
    top: list[Section] = []
    folder: Section | None = None
    opened: list[_Open] = []
    for position, heading in enumerate(headings):
        end = headings[position + 1].index if position + 1 < len(headings) else len(lines)
        start = (heading.title_line if heading.title_line is not None else heading.index) + 1
        body = lines[start:end]
        if heading.kind == "folder" and has_chapters:
            folder = Section(heading.title, "", "folder")
            top.append(folder)
            opened.append(_Open(folder, body))
            continue
        kind = "note" if heading.kind == "back" else "chapter"
        section = Section(heading.title, "", kind)
        opened.append(_Open(section, body))
        if folder is not None and kind == "chapter":
            folder.children.append(section)
        else:
            top.append(section)
    for item in opened:
        item.section.text = tidy_block("\n".join(item.lines))
    top = [_scenes_within(section) for section in top if section.kind != "folder" or section.children]
    return Structure(tidy_block("\n".join(front)), top, found=True)


def _scenes_within(section: Section) -> Section:
    if section.kind == "folder":
        section.children = [split_scenes(child) for child in section.children]
        return section
    return split_scenes(section)
