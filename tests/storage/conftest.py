"""Fixtures for the library tests: a real SQLite file in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from writer_app.storage import Library

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def lib(tmp_path):
    library = Library.open(tmp_path / "library.sqlite3")
    yield library
    library.close()


@pytest.fixture
def project(lib):
    return lib.create_project("The Novel", author="A. Writer")


@pytest.fixture
def pride_path(tmp_path) -> Path:
    """A writable copy of the Gutenberg Pride and Prejudice (BOM, CRLF, licence)."""
    target = tmp_path / "pride-and-prejudice.txt"
    shutil.copyfile(FIXTURES / "pride-and-prejudice.txt", target)
    return target


@pytest.fixture
def hongloumeng_path(tmp_path) -> Path:
    target = tmp_path / "hongloumeng-ch1-10.txt"
    shutil.copyfile(FIXTURES / "hongloumeng-ch1-10.txt", target)
    return target
