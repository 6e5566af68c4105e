#!/usr/bin/env python3
"""A picture of the .docx export as a word processor lays it out: the title page and page 1.

    python scripts/export_screenshots.py [--out docs/screenshots] [--keep DIR]

Imports Pride and Prejudice (tests/fixtures) into a fresh profile and exports
it with ``writer-app export --format docx``, exactly as an author would, then
has LibreOffice (headless) turn the .docx into a PDF and draws its first two
pages side by side into export-docx-manuscript.png. Needs LibreOffice Writer
(Debian/Ubuntu: ``apt-get install --no-install-recommends libreoffice-writer-nogui
fonts-liberation``; Liberation Serif stands in for Times New Roman with the
same metrics). ``--keep DIR`` leaves the .docx and the PDF there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QSize, Qt  # noqa: E402
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtPdf import QPdfDocument  # noqa: E402

PAGE_WIDTH = 640  # pixels per page in the picture (a Letter page is 612 x 792 points)
GAP = 24


def export_docx(work: Path) -> Path:
    from writer_app.cli import main

    profile, out = work / "profile", work / "pride-and-prejudice.docx"
    for argv in (["import", str(REPO / "tests" / "fixtures" / "pride-and-prejudice.txt")],
                 ["export", "--project", "Pride and Prejudice", "--format", "docx", "-o", str(out)]):
        if main([*argv, "--data-dir", str(profile)]) != 0:
            raise SystemExit(f"writer-app {argv[0]} failed")
    return out


def to_pdf(docx: Path, work: Path) -> Path:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise SystemExit("LibreOffice is not installed: apt-get install --no-install-recommends "
                         "libreoffice-writer-nogui fonts-liberation")
    # Its own settings folder, so that an open LibreOffice window neither blocks nor changes this.
    settings = (work / "office-profile").as_uri()
    subprocess.run([office, f"-env:UserInstallation={settings}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(docx)], check=True, capture_output=True, timeout=600)
    pdf = docx.with_suffix(".pdf")
    if not pdf.exists():
        raise SystemExit(f"LibreOffice wrote no PDF for {docx}")
    return pdf


def pages_side_by_side(pdf: Path, out: Path, pages: tuple[int, ...] = (0, 1)) -> None:
    document = QPdfDocument()
    document.load(str(pdf))
    if document.pageCount() < max(pages) + 1:
        raise SystemExit(f"{pdf} has only {document.pageCount()} pages")
    size = document.pagePointSize(0)
    page = QSize(PAGE_WIDTH, round(PAGE_WIDTH * size.height() / size.width()))
    canvas = QImage(GAP + len(pages) * (page.width() + GAP), page.height() + 2 * GAP, QImage.Format.Format_RGB32)
    canvas.fill(QColor("#8a8f98"))
    painter = QPainter(canvas)
    for slot, number in enumerate(pages):
        image = document.render(number, page)
        white = QImage(page, QImage.Format.Format_RGB32)
        white.fill(Qt.GlobalColor.white)  # the PDF page is transparent where nothing is printed
        corner = QPoint(GAP + slot * (page.width() + GAP), GAP)
        painter.drawImage(corner, white)
        painter.drawImage(corner, image)
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not canvas.save(str(out)):
        raise SystemExit(f"could not save {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--keep", metavar="DIR", help="leave the .docx and the PDF in DIR")
    args = parser.parse_args()
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 (QPdfDocument needs an application)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(args.keep or temp)
        work.mkdir(parents=True, exist_ok=True)
        pdf = to_pdf(export_docx(work), work)
        target = Path(args.out) / "export-docx-manuscript.png"
        pages_side_by_side(pdf, target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
