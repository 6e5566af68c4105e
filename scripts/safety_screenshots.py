#!/usr/bin/env python3
"""Screenshots of the questions the app asks before it could lose text, from the real flows.

    python scripts/safety_screenshots.py [--out docs/screenshots]

Saves restore-offer.png (a library with damaged pages, opened by the editor:
what the newest backup lacks), export-replace.png (an export aimed at a file
that exists) and import-damaged-utf8.png (a UTF-8 file with invalid bytes).
Each message box is grabbed while it is open and then declined, so the
profile is left as the flow leaves it.
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

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402


def grab_next_box(out: Path) -> list[str]:
    """Grab the next modal message box to ``out`` and decline it; returns what it said."""
    said: list[str] = []

    def look() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, look)
            return
        box.grab().save(str(out))
        said.append(box.text())
        declines = (QMessageBox.ButtonRole.NoRole, QMessageBox.ButtonRole.RejectRole)
        next(b for b in box.buttons() if box.buttonRole(b) in declines).click()

    QTimer.singleShot(50, look)
    return said


def restore_offer(profile: Path, out: Path) -> None:
    from tests.storage.conftest import damage_pages
    from writer_app.errors import UserError
    from writer_app.storage import Library
    from writer_app.storage.backup import make_backup
    from writer_app.ui.app import build_main_window

    with Library.open(profile / "library.sqlite3") as lib:
        project = lib.create_project("The Harbour")
        lib.create_node(project.id, "chapter", "Chapter 1", text="The boats came in at dusk. " * 300)
    make_backup(profile / "library.sqlite3", profile / "backups")
    with Library.open(profile / "library.sqlite3") as lib:
        for number in range(2, 30):
            lib.create_node(project.id, "chapter", f"Chapter {number}", text=f"Chapter {number}, newer. " * 120)
    damage_pages(profile / "library.sqlite3", "texts")
    said = grab_next_box(out)
    try:
        build_main_window(profile, extensions=())
    except UserError:
        pass
    assert said, "the restore offer was not shown"


def export_and_import_questions(profile: Path, folder: Path, export_png: Path, import_png: Path) -> None:
    from writer_app.storage.decoding import InvalidBytesError, decode_manuscript
    from writer_app.ui import file_ops
    from writer_app.ui.app import build_main_window

    window = build_main_window(profile, extensions=())
    window.resize(1200, 800)
    window.show()
    existing = folder / "My Novel.md"
    existing.write_text("An earlier export.\n", encoding="utf-8")
    said = grab_next_box(export_png)
    assert file_ops.confirm_export_target(window, existing) is None and said

    damaged = folder / "chapter-3.txt"
    good = "\u201cNo,\u201d she said, and the caf\u00e9 went quiet. " * 40
    damaged.write_bytes(f"Chapter 3\n\n{good}".encode() + b"\xe2\x80 and left.\n" + good.encode())
    try:
        decode_manuscript(damaged.read_bytes(), damaged.name)
        raise AssertionError("the damaged file decoded")
    except InvalidBytesError as exc:
        said = grab_next_box(import_png)
        assert not file_ops.ask_replace_invalid(window, damaged, exc.count) and said
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)  # noqa: F841 - keeps Qt alive
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        restore_offer(tmp / "damaged", args.out / "restore-offer.png")
        export_and_import_questions(tmp / "healthy", tmp, args.out / "export-replace.png",
                                    args.out / "import-damaged-utf8.png")
    print(f"saved restore-offer.png, export-replace.png, import-damaged-utf8.png in {args.out}")


if __name__ == "__main__":
    main()
