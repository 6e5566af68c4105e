#!/usr/bin/env python3
"""Screenshots of the writing desk for the docs, taken offscreen from a real sample.

    python scripts/screenshots.py [--out docs/screenshots]

Imports Pride and Prejudice into a fresh profile, opens a chapter, and saves
editor-light.png, editor-dark.png, editor-focus.png and editor-revisions.png
(widget.grab(), so no display is needed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSize  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

SAMPLE = next((p for p in (Path("/work/shared/corpus/pride-and-prejudice.txt"),
                           REPO / "tests" / "fixtures" / "pride-and-prejudice.txt") if p.exists()), None)
SIZE = QSize(1440, 900)


def settle(window, ms: int = 300) -> None:
    deadline = 50
    while window.db.pending and deadline:
        QTest.qWait(50)
        deadline -= 1
    QTest.qWait(ms)


def prepare_profile(profile: Path) -> None:
    from writer_app.storage import Library
    from writer_app.storage.importer import import_path

    library = Library.open(profile / "library.sqlite3")
    try:
        project = import_path(library, SAMPLE, project_title="Pride and Prejudice")
        library.update_project(project.id, author="Jane Austen", word_target=150_000)
        library.add_bible_entry(project.id, "character", "Elizabeth Bennet", aliases=("Lizzy", "Eliza"),
                                description="Second of the five Bennet daughters; quick, lively, prejudiced.")
        library.add_bible_entry(project.id, "character", "Fitzwilliam Darcy", aliases=("Mr. Darcy",),
                                description="Proud master of Pemberley, ten thousand a year.")
        library.add_bible_entry(project.id, "place", "Pemberley", description="Darcy's estate in Derbyshire.")
        library.add_bible_entry(project.id, "place", "Longbourn", description="The Bennets' home in Hertfordshire.")
    finally:
        library.close()


def chapter(window, title: str) -> int:
    return next(n.id for n in window.binder.nodes if n.title.strip().lower() == title.lower())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    if SAMPLE is None:
        print("the Pride and Prejudice sample is missing", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from writer_app.ui import file_ops
    from writer_app.ui.app import build_main_window
    from writer_app.ui.revisions_dialog import open_revisions

    with tempfile.TemporaryDirectory(prefix="writer-shots-") as tmp:
        profile = Path(tmp) / "profile"
        profile.mkdir()
        prepare_profile(profile)
        window = build_main_window(profile, extensions=())
        window.resize(SIZE)
        window.show()
        project = next(s for s in window.db.run_sync(lambda lib: lib.list_projects())
                       if s.project.title == "Pride and Prejudice")
        window.open_project(project.project.id)
        settle(window)
        window.open_document(chapter(window, "Chapter 1"))
        settle(window)
        window.bible_dock.raise_()
        window.bible.reload()
        settle(window)
        window.grab().save(str(args.out / "editor-light.png"))

        file_ops.set_theme(window, "dark")
        settle(window)
        window.grab().save(str(args.out / "editor-dark.png"))
        file_ops.set_theme(window, "light")

        # The revisions view: a snapshot, then an edit to compare against.
        window.actions_by_name["actionSnapshot"].trigger()
        settle(window)
        cursor = window.editor.textCursor()
        text = window.editor.toPlainText()
        start = text.find("Mr. Bennet replied that he had not.")
        if start >= 0:
            cursor.setPosition(start)
            cursor.setPosition(start + len("Mr. Bennet replied that he had not."), cursor.MoveMode.KeepAnchor)
            window.editor.setTextCursor(cursor)
            window.editor.insertPlainText("Mr. Bennet, without lifting his eyes from the paper, said he had not.")
        window.save_now()
        settle(window)
        dialog = open_revisions(window)
        settle(window, 600)
        dialog.grab().save(str(args.out / "editor-revisions.png"))
        dialog.close()

        window.focus_mode.enter()
        window.editor.go_to_offset(len(window.editor.toPlainText()) // 3)
        settle(window)
        window.grab().save(str(args.out / "editor-focus.png"))
        window.focus_mode.leave()
        window.close()
    for name in ("editor-light", "editor-dark", "editor-focus", "editor-revisions"):
        print(args.out / f"{name}.png")
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
