"""Issue 13's acceptance: a real novel imported, exported to each format and imported again keeps
every chapter title and every paragraph, in English and in Chinese."""

from pathlib import Path

import pytest

from writer_app.storage.exporter import export_project
from writer_app.storage.importer import import_path
from writer_app.storage.library import Library
from writer_app.text.manuscript import paragraphs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FORMATS = ("md", "txt", "docx", "epub", "odt")


def _documents(lib: Library, project_id: int) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of every document with text, in binder order; front matter left out
    (a docx title page is made from the project's metadata, not from a document)."""
    out = []
    for node in lib.nodes(project_id):
        text_paragraphs = paragraphs(lib.get_text(node.id))
        if text_paragraphs and node.title != "Front matter":
            out.append((node.title, text_paragraphs))
    return out


@pytest.fixture(scope="module", params=["pride-and-prejudice.txt", "hongloumeng-ch1-10.txt"])
def novel(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("novel")
    lib = Library.open(folder / "library.sqlite3")
    project = import_path(lib, FIXTURES / request.param)
    yield lib, project, folder
    lib.close()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_keeps_every_title_and_paragraph(novel, fmt):
    lib, project, folder = novel
    before = _documents(lib, project.id)
    assert len(before) >= 10
    out = export_project(lib, project.id, fmt, folder / f"book.{fmt}", overwrite=True)
    again = Library.open(folder / f"again-{fmt}.sqlite3")
    try:
        reimported = import_path(again, out)
        after = _documents(again, reimported.id)
        assert [title for title, _ in after] == [title for title, _ in before]
        for (title, want), (_, got) in zip(before, after, strict=True):
            assert got == want, f"{fmt}: “{title}” changed"
        assert reimported.title == project.title
    finally:
        again.close()
