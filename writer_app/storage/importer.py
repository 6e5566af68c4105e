"""Import .txt and .md manuscripts (a file or a folder of them) into a project.

Bytes are decoded carefully: UTF-8 with or without BOM first, UTF-16 when a
BOM says so, otherwise the legacy encoding charset-normalizer detects; binary
files, empty files and text we cannot decode are refused with one clear
sentence. Files over ``MAX_FILE_BYTES`` are refused before being read, so a
stray 50 MB log cannot eat memory. The whole import is one transaction: an
error (or a kill -9) half-way leaves the library as it was.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

from writer_app.errors import UserError
from writer_app.storage.gutenberg import ParsedText, Section, parse_plain_text
from writer_app.storage.library import Library
from writer_app.storage.markdown_io import parse_markdown
from writer_app.storage.models import Project
from writer_app.text.counts import is_cjk_dominant

MAX_FILE_BYTES = 32 * 1024 * 1024  # ten times the longest novels; a log file or a dump is refused
SUPPORTED = (".txt", ".md", ".markdown", ".text")
Progress = Callable[[int, int], None]  # (documents done, documents in total)

_SINGLE_BYTE_LATIN = re.compile(r"^(cp12[0-9]{2}|iso8859_[0-9]+|latin_1|mac_[a-z0-9]+|cp775|cp85[0-9]|hp_roman8)$")
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _decode(data: bytes, name: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(codecs.BOM_UTF32_LE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UserError(f"{name} says it is UTF-16 but is not valid UTF-16") from exc
    sample = data[:65536]
    if b"\x00" in sample or len(_CONTROL.findall(sample)) > max(8, len(sample) // 200):
        raise UserError(f"{name} is not a text file (it looks binary); import .txt or .md manuscripts")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.encoding is None:
        raise UserError(f"could not tell the text encoding of {name}; save it as UTF-8 and import again")
    encoding = best.encoding
    # Single-byte Latin code pages are nearly indistinguishable on short texts;
    # Windows-1252 is by far the most common one for manuscripts, so it wins
    # whenever it reads the file (almost) as cleanly as the top guess.
    if _SINGLE_BYTE_LATIN.match(encoding) and any(
        "cp1252" in m.could_be_from_charset and m.chaos <= best.chaos + 0.1 for m in matches
    ):
        encoding = "cp1252"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UserError(f"could not decode {name} as {encoding}; save it as UTF-8 and import again") from exc


def read_manuscript(path: Path) -> str:
    """The file's text, or a UserError that says why it cannot be imported."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UserError(
                f"{path.name} is {size / 2**20:.0f} MB; writer-app imports manuscripts up to "
                f"{MAX_FILE_BYTES // 2**20} MB per file (split it into several files)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"could not read {path}: {exc.strerror}") from exc
    text = _decode(data, path.name)
    if not text.strip():
        raise UserError(f"{path.name} is empty; there is nothing to import")
    return text


def parse_file(path: Path) -> ParsedText:
    text = read_manuscript(path)
    if path.suffix.lower() in (".md", ".markdown"):
        return parse_markdown(text, path.stem)
    return parse_plain_text(text, path.stem)


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", path.name)]


def _folder_sections(folder: Path) -> tuple[list[Section], ParsedText | None]:
    files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED), key=_natural_key)
    if not files:
        raise UserError(f"{folder} holds no .txt or .md files to import")
    sections, first = [], None
    for path in files:
        parsed = parse_file(path)
        first = first or parsed
        if len(parsed.sections) == 1:
            only = parsed.sections[0]
            sections.append(Section(only.title if only.title != path.stem else path.stem, only.text,
                                    "chapter" if only.kind == "note" else only.kind, only.children))
        else:
            sections.append(Section(path.stem, "", "folder", parsed.sections))
    return sections, first


def _count(sections: list[Section]) -> int:
    return sum(1 + _count(s.children) for s in sections)


def import_path(lib: Library, path: str | Path, project_title: str | None = None,
                progress: Progress | None = None) -> Project:
    """Import a file or folder; into the project named ``project_title`` if it
    exists, else into a new project. Returns the project."""
    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"{path} does not exist")
    if path.is_dir():
        sections, meta = _folder_sections(path)
        default_title = path.name
    else:
        if path.suffix.lower() not in SUPPORTED:
            raise UserError(f"{path.name}: writer-app imports .txt and .md files (or a folder of them)")
        meta = parse_file(path)
        sections, default_title = meta.sections, path.stem
    if meta is not None and not path.is_dir() and meta.title:
        default_title = meta.title
    total, done = _count(sections), 0

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
            title = project_title or _unique_title(lib, default_title)
            language = (meta.language if meta else "") or _guess_language(sections)
            project = lib.create_project(title, author=meta.author if meta else "", language=language)
        add(project.id, None, sections)
    return lib.get_project(project.id)


def _guess_language(sections: list[Section]) -> str:
    """Chinese or Japanese when CJK dominates (kana means Japanese), else English."""
    sample = "".join(s.text[:2000] for s in sections[:5])
    if not is_cjk_dominant(sample):
        return "en"
    return "ja" if re.search("[\u3040-\u30ff]", sample) else "zh"


def _unique_title(lib: Library, title: str) -> str:
    candidate, number = title, 2
    while lib.find_project(candidate) is not None:
        candidate, number = f"{title} ({number})", number + 1
    return candidate
