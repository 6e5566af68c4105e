"""Formats novelists have besides Markdown and plain text.

The writers (``docx_out``, ``epub_out``, ``odt_out``) are looked up by the exporter. Below,
the readers: which reader reads what.

Each reader takes ``(path, label, source)`` and returns a
:class:`~writer_app.storage.gutenberg.ParsedText` whose texts are in the
paragraph model (:mod:`writer_app.text.manuscript`). File formats are chosen
by suffix; project folders (a Scrivener ``.scriv``, a novelWriter project) by
what they hold, and are read as one project, never walked as a folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from writer_app.errors import UserError
from writer_app.storage.formats.common import Source
from writer_app.storage.gutenberg import ParsedText

Reader = Callable[[Path, str, Source], ParsedText]


def _docx(path: Path, label: str, source: Source) -> ParsedText:
    from writer_app.storage.formats.docx_in import read_docx

    return read_docx(path, label, source)


def _odt(path: Path, label: str, source: Source) -> ParsedText:
    from writer_app.storage.formats.odt_in import read_odt

    return read_odt(path, label, source)


def _epub(path: Path, label: str, source: Source) -> ParsedText:
    from writer_app.storage.formats.epub_in import read_epub

    return read_epub(path, label, source)


def _rtf(path: Path, label: str, source: Source) -> ParsedText:
    from writer_app.storage.formats.rtf_in import read_rtf

    return read_rtf(path, label, source)


def _scrivener(path: Path, label: str, source: Source) -> ParsedText:
    from writer_app.storage.formats.scrivener_in import read_scrivener

    return read_scrivener(path, label, source)


def _novelwriter(path: Path, label: str, source: Source) -> ParsedText:
    from writer_app.storage.formats.novelwriter_in import read_novelwriter

    return read_novelwriter(path, label, source)


def _guarded(reader: Reader) -> Reader:
    """A reader whose recursion (nested spans, binder folders) cannot end in a traceback."""

    def read(path: Path, label: str, source: Source) -> ParsedText:
        try:
            return reader(path, label, source)
        except RecursionError as exc:
            raise UserError(f"{label} is nested too deeply to be a manuscript (thousands of levels of "
                            "formatting or folders inside each other)") from exc

    return read


FILE_READERS: dict[str, Reader] = {".docx": _guarded(_docx), ".odt": _guarded(_odt), ".epub": _guarded(_epub),
                                   ".rtf": _guarded(_rtf)}
FILE_SUFFIXES = tuple(FILE_READERS)


def file_reader(path: Path) -> Reader | None:
    return FILE_READERS.get(path.suffix.lower())


def project_reader(folder: Path) -> Reader | None:
    """The reader for a project folder (Scrivener, novelWriter), or None for a plain folder."""
    from writer_app.storage.formats.novelwriter_in import is_novelwriter_project
    from writer_app.storage.formats.scrivener_in import is_scrivener_project

    if is_scrivener_project(folder):
        return _guarded(_scrivener)
    if is_novelwriter_project(folder):
        return _guarded(_novelwriter)
    return None


__all__ = ["FILE_SUFFIXES", "Reader", "Source", "file_reader", "project_reader"]
