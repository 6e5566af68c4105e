"""Import manuscripts (a file or a folder of them) into a project.

Plain text and Markdown are read here; .docx, .odt, .epub, .rtf and the
Scrivener and novelWriter project folders by :mod:`writer_app.storage.formats`,
through the same caps (a project folder is one project, never walked).

Import happens in two steps. :func:`plan_import` reads and parses the source
without touching any library: only regular files are read, never more than
``MAX_FILE_BYTES`` each (:mod:`writer_app.storage.source_files`), their bytes
decoded honestly (:mod:`writer_app.storage.decoding`), their text cut where it
would choke the editor (:mod:`writer_app.storage.long_text`). The plan is an
outline (what ``import --dry-run`` prints) plus notes about anything skipped
or changed. :func:`import_plan` then writes it as one transaction: an error
(or a kill -9) half-way leaves the library as it was.

A folder becomes a project; its subfolders become folders in the binder,
recursively, in natural order ("Part 2" before "Part 10"), files and folders
sorted together. Hidden entries (dot-files, ``.git``, ``__MACOSX``) and
folders with nothing to import are skipped silently; entries that look like
manuscripts but cannot be read as files (pipes, devices, broken links, link
loops, a link back to a folder above) are skipped with a note. A file whose
content is bad (binary, undecodable) refuses the whole import, naming it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from writer_app.errors import UserError
from writer_app.storage.decoding import InvalidBytesError, decode_manuscript
from writer_app.storage.formats import FILE_SUFFIXES, Source, file_reader, project_reader
from writer_app.storage.gutenberg import ParsedText, Section, parse_plain_text
from writer_app.storage.library import Library
from writer_app.storage.long_text import SplitReport, make_editable
from writer_app.storage.markdown_io import parse_markdown
from writer_app.storage.models import Project
from writer_app.storage.source_files import (
    explain_os_error,
    kind_of,
    os_error_reason,
    read_regular_file,
    shown,
    stat_source,
)
from writer_app.text.counts import count_words, is_cjk_dominant

MAX_FILE_BYTES = 32 * 1024 * 1024  # ten times the longest novels; a log file or a dump is refused
MAX_IMPORT_BYTES = 256 * 1024 * 1024  # a whole folder: a shelf of novels, not a home directory
MAX_FOLDER_DEPTH = 16
SUPPORTED = (".txt", ".md", ".markdown", ".text", *FILE_SUFFIXES)
KINDS = ".txt, .md, .docx, .odt, .epub and .rtf files, Scrivener (.scriv) and novelWriter projects"
SKIPPED_NAMES = frozenset({"__MACOSX", "node_modules", "__pycache__"})
Progress = Callable[[int, int], None]  # (documents done, documents in total)


@dataclass
class OutlineLine:
    depth: int
    kind: str
    title: str
    words: int


@dataclass
class ImportPlan:
    """What an import would create, read and parsed but not yet written."""

    source: Path
    sections: list[Section]
    title: str
    author: str = ""
    language: str = ""
    notes: list[str] = field(default_factory=list)  # skipped entries, splits, replaced bytes
    replaced: int = 0  # invalid UTF-8 sequences replaced by U+FFFD

    def outline(self) -> list[OutlineLine]:
        """One line per node; a chapter or folder counts the words of everything inside it,
        as the binder will show it once imported."""
        lines: list[OutlineLine] = []

        def walk(items: list[Section], depth: int) -> int:
            total = 0
            for section in items:
                line = OutlineLine(depth, section.kind, section.title, 0)
                lines.append(line)
                line.words = count_words(section.text) + walk(section.children, depth + 1)
                total += line.words
            return total

        walk(self.sections, 0)
        return lines

    def document_count(self) -> int:
        return sum(1 for line in self.outline() if line.kind != "folder")


@dataclass
class _Budget:
    """Bytes read so far in one import, and what the reader noticed on the way."""

    used: int = 0
    replace_invalid: bool = False
    notes: list[str] = field(default_factory=list)
    replaced: int = 0
    invalid: list[tuple[str, int]] = field(default_factory=list)  # (file, bad sequences) when refusing
    first: ParsedText | None = None  # the first file parsed (a folder takes its author and language)


def read_manuscript(path: Path, replace_invalid: bool = False, label: str | None = None) -> str:
    """The file's text, or a UserError that says why it cannot be imported."""
    budget = _Budget(replace_invalid=replace_invalid)
    return _read_text(path, label or shown(path.name), budget)


def _read_bytes(path: Path, label: str, budget: _Budget) -> bytes:
    data = read_regular_file(path, MAX_FILE_BYTES, label)
    budget.used += len(data)
    if budget.used > MAX_IMPORT_BYTES:
        raise UserError(f"the manuscripts to import add up to more than {MAX_IMPORT_BYTES // 2**20} MB "
                        f"(at {label}); import the folder's parts one at a time")
    return data


def _source(budget: _Budget) -> Source:
    """What a format reader reads through: the same caps and byte count as a text file."""
    return Source(read=lambda path, label: _read_bytes(path, label, budget), notes=budget.notes)


def _read_text(path: Path, label: str, budget: _Budget) -> str:
    data = _read_bytes(path, label, budget)
    decoded = decode_manuscript(data, label, replace_invalid=budget.replace_invalid)
    if decoded.replaced:
        budget.replaced += decoded.replaced
        budget.notes.append(f"{label}: {decoded.replaced:,} invalid byte sequence"
                            f"{'s' if decoded.replaced != 1 else ''} replaced with \ufffd")
    if not decoded.text.strip():
        raise UserError(f"{label} is empty; there is nothing to import")
    return decoded.text


def _parse(path: Path, label: str, budget: _Budget) -> ParsedText:
    reader = project_reader(path) if path.is_dir() else file_reader(path)
    if reader is not None:  # docx, odt, epub, rtf; a Scrivener or novelWriter project folder
        parsed = reader(path, label, _source(budget))
        budget.first = budget.first or parsed
        return parsed
    text = _read_text(path, label, budget)
    stem = shown(path.stem)
    if path.suffix.lower() in (".md", ".markdown"):
        parsed = parse_markdown(text, stem)
    else:
        parsed = parse_plain_text(text, stem)
    budget.notes.extend(f"{label}: {note}" for note in parsed.notes)
    budget.first = budget.first or parsed
    return parsed


def parse_file(path: Path, replace_invalid: bool = False) -> ParsedText:
    return _parse(path, shown(path.name), _Budget(replace_invalid=replace_invalid))


def natural_key(name: str) -> list:
    """Sort key putting "Part 2" before "Part 10" (digit runs compare as numbers)."""
    parts = re.split(r"(\d+)", name)
    return [(0, int(part), "") if index % 2 else (1, 0, part.casefold()) for index, part in enumerate(parts)]


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_NAMES or name.startswith("~$")


@dataclass
class _Walk:
    """One folder import's state: where it started and which folders it has entered."""

    root: str  # the real path of the folder being imported
    budget: _Budget
    seen: set[tuple[int, int]] = field(default_factory=set)


def _linked_folder_note(path: Path, walk: _Walk) -> str | None:
    """Why a symlinked folder is not followed, or None to follow it (it leads outside)."""
    real = os.path.realpath(path)
    if walk.root == real or walk.root.startswith(real.rstrip(os.sep) + os.sep):
        return "a link back to a folder above it"
    if real.startswith(walk.root.rstrip(os.sep) + os.sep):
        return "a link to a folder inside this import (imported where it really is)"
    return None


def _folder_sections(folder: Path, relative: str, depth: int, ancestors: frozenset[tuple[int, int]],
                     walk: _Walk) -> list[Section]:
    budget = walk.budget
    try:
        names = sorted(os.listdir(folder), key=natural_key)
    except OSError as exc:
        raise explain_os_error(folder, exc, relative or None) from exc
    sections: list[Section] = []
    for name in names:
        if _is_hidden(name):
            continue
        path = folder / name
        label = shown(f"{relative}/{name}" if relative else name)
        supported = Path(name).suffix.lower() in SUPPORTED
        try:
            info = os.stat(path)
        except OSError as exc:
            if supported or exc.errno == errno.ELOOP:  # a broken link to a picture is no news
                budget.notes.append(f"skipped {label}: it {os_error_reason(path, exc)}")
            continue
        if stat.S_ISDIR(info.st_mode) and project_reader(path) is not None:  # one project, not a folder walk
            parsed = _parse(path, label, budget)
            sections.append(Section(parsed.title or shown(name), "", "folder", parsed.sections))
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            why = _linked_folder_note(path, walk) if os.path.islink(path) else None
            if why is None and key in ancestors:  # a bind mount or hard-linked folder
                why = "a link back to a folder above it"
            elif why is None and key in walk.seen:
                why = "a link to a folder already imported"
            elif why is None and depth >= MAX_FOLDER_DEPTH:
                why = f"folders nested deeper than {MAX_FOLDER_DEPTH} levels"
            if why:
                budget.notes.append(f"skipped {label}: {why}")
                continue
            walk.seen.add(key)
            children = _folder_sections(path, label, depth + 1, ancestors | {key}, walk)
            if children:  # empty folders (or ones with only pictures) are left out
                sections.append(Section(shown(name), "", "folder", children))
            continue
        if not supported:
            continue
        if not stat.S_ISREG(info.st_mode):
            budget.notes.append(f"skipped {label}: it is {kind_of(info.st_mode)}, not a file")
            continue
        try:
            parsed = _parse(path, label, budget)
        except InvalidBytesError as exc:  # collect them all, so the author hears the whole count once
            budget.invalid.append((label, exc.count))
            continue
        stem = shown(path.stem)
        if len(parsed.sections) == 1:
            only = parsed.sections[0]
            sections.append(Section(only.title if only.title != stem else stem, only.text,
                                    "chapter" if only.kind == "note" else only.kind, only.children))
        else:
            sections.append(Section(stem, "", "folder", parsed.sections))
    return sections


def _count(sections: list[Section]) -> int:
    return sum(1 + _count(s.children) for s in sections)


def plan_import(path: str | os.PathLike[str], replace_invalid: bool = False) -> ImportPlan:
    """Read and parse a file or folder into an :class:`ImportPlan`; writes nothing anywhere."""
    path = Path(path).expanduser()
    info = stat_source(path)
    budget = _Budget(replace_invalid=replace_invalid)
    author = language = ""
    if stat.S_ISREG(info.st_mode) and path.name.lower().endswith((".scrivx", ".nwx")):
        path = path.parent  # the project file was chosen: import its project
        info = stat_source(path)
    if stat.S_ISDIR(info.st_mode) and project_reader(path) is not None:
        name = shown(os.path.basename(os.path.normpath(os.path.abspath(path))))  # "." names its folder
        parsed = _parse(path, name, budget)
        sections, title = parsed.sections, parsed.title or name
        author, language = parsed.author, parsed.language
    elif stat.S_ISDIR(info.st_mode):
        key = (info.st_dev, info.st_ino)
        walk = _Walk(root=os.path.realpath(path), budget=budget, seen={key})
        sections = _folder_sections(path, "", 0, frozenset({key}), walk)
        title = shown(os.path.basename(os.path.normpath(os.path.abspath(path))))
        if budget.invalid:
            raise InvalidBytesError(title, sum(count for _, count in budget.invalid),
                                    files=[name for name, _ in budget.invalid])
        if not sections:
            raise UserError(f"{shown(path)} holds nothing writer-app imports ({KINDS})")
        if budget.first is not None:
            author, language = budget.first.author, budget.first.language
    else:
        name = shown(path.name)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{name} is {kind_of(info.st_mode)}, not a regular file; "
                            f"writer-app imports {KINDS}")
        if path.suffix.lower() not in SUPPORTED:
            raise UserError(f"{name}: writer-app imports {KINDS} (or a folder of them)")
        parsed = _parse(path, name, budget)
        sections, title = parsed.sections, parsed.title or shown(path.stem)
        author, language = parsed.author, parsed.language
    report = SplitReport()
    sections = make_editable(sections, report)
    if report.paragraphs:
        budget.notes.append(f"split {report.paragraphs:,} very long paragraph"
                            f"{'s' if report.paragraphs != 1 else ''} at sentence ends")
    if report.documents:
        budget.notes.append(f"split {report.documents:,} very long document"
                            f"{'s' if report.documents != 1 else ''} into parts")
    return ImportPlan(source=path, sections=sections, title=title, author=author,
                      language=language or _guess_language(sections), notes=budget.notes, replaced=budget.replaced)


def import_plan(lib: Library, plan: ImportPlan, project_title: str | None = None,
                progress: Progress | None = None) -> Project:
    """Write ``plan`` in one transaction; into the project named ``project_title`` if it
    exists, else into a new project. Returns the project."""
    total, done = _count(plan.sections), 0

    def add(project_id: int, parent_id: int | None, items: list[Section]) -> None:
        nonlocal done
        for section in items:
            node = lib.create_node(project_id, section.kind, section.title, parent_id=parent_id, text=section.text)
            done += 1
            if progress:
                progress(done, total)
            add(project_id, node.id, section.children)

    with lib.batch("import"):
        project = lib.find_project(project_title) if project_title else None
        if project is None:
            title = project_title or _unique_title(lib, plan.title)
            project = lib.create_project(title, author=plan.author, language=plan.language)
        add(project.id, None, plan.sections)
    return lib.get_project(project.id)


def import_path(lib: Library, path: str | os.PathLike[str], project_title: str | None = None,
                progress: Progress | None = None, replace_invalid: bool = False) -> Project:
    """Import a file or folder (:func:`plan_import` then :func:`import_plan`)."""
    return import_plan(lib, plan_import(path, replace_invalid=replace_invalid), project_title, progress)


def _guess_language(sections: list[Section]) -> str:
    """Chinese or Japanese when CJK dominates (kana means Japanese), else English."""
    sample = "".join(s.text[:2000] for s in _first_texts(sections, 5))
    if not is_cjk_dominant(sample):
        return "en"
    return "ja" if re.search("[\u3040-\u30ff]", sample) else "zh"


def _first_texts(sections: list[Section], limit: int) -> list[Section]:
    found: list[Section] = []
    for section in sections:
        if section.text:
            found.append(section)
        found.extend(_first_texts(section.children, limit - len(found)))
        if len(found) >= limit:
            break
    return found[:limit]


def _unique_title(lib: Library, title: str) -> str:
    candidate, number = title, 2
    while lib.find_project(candidate) is not None:
        candidate, number = f"{title} ({number})", number + 1
    return candidate
