"""Projects the format exporters are tested on: a small book with every construct, and the corpus.

What a user checks in an exported file is compared with what the library holds, read the
one way the whole app reads it (:func:`writer_app.text.manuscript.paragraphs`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from writer_app.storage import Library
from writer_app.storage.importer import import_path
from writer_app.storage.models import Project
from writer_app.text.manuscript import paragraphs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

CHAPTER_ONE = (
    "It was a *dark* and **stormy** night; the rain fell in torrents.\n"
    "\u3000An indented line with  two spaces, & <angle> \"quotes\" and a tab\there.\n"
    "\n"
    "* * *\n"
    "\n"
    "#1 fan, a line that starts with a hash, and \\*starred\\* words that are not emphasis.\n"
    "A pasted vertical\x0btab and a stray \x01control character.\n"
)
SCENE_B = "Scene B opens.\n#\nAfter a hash break, ***both at once***."


@dataclass(frozen=True)
class Sample:
    project: Project
    titles: list[str]  # every document, in outline order
    chapter_titles: list[str]  # the documents that begin a chapter (a new page, a new file)
    node_ids: list[int]


def small_book(lib: Library) -> Sample:
    """Part One (a folder: Chapter One; Chapter Two with two scenes), then a top-level epilogue."""
    project = lib.create_project("The Storm & the <Calm>", author="Ada Q. Lovelace Jr.", language="en")
    part = lib.create_node(project.id, "folder", "Part One")
    one = lib.create_node(project.id, "chapter", "Chapter One", parent_id=part.id, text=CHAPTER_ONE)
    two = lib.create_node(project.id, "chapter", "Chapter Two", parent_id=part.id, text="The second chapter.")
    scene_a = lib.create_node(project.id, "scene", "Scene A", parent_id=two.id, text="Scene A, *softly*.")
    scene_b = lib.create_node(project.id, "scene", "Scene B", parent_id=two.id, text=SCENE_B)
    epilogue = lib.create_node(project.id, "chapter", "Epilogue: <after> & \"ever\"", text="Last words.")
    nodes = [part, one, two, scene_a, scene_b, epilogue]
    return Sample(project, [n.title for n in nodes],
                  ["Part One", "Chapter One", "Chapter Two", epilogue.title], [n.id for n in nodes])


def expected_paragraphs(lib: Library, node_id: int) -> list[str]:
    """The paragraphs a reader must find in the export (an XML file cannot hold C0 controls:
    a pasted vertical tab becomes a space, any other control character is left out)."""
    return [p.replace("\x0b", " ").replace("\x01", "") for p in paragraphs(lib.get_text(node_id))]


def import_corpus(lib: Library, tmp_path: Path, name: str, **options) -> Project:
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    return import_path(lib, target, **options)
