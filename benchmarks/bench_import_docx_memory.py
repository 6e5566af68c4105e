"""Peak memory of importing a 30 MB .docx: the streaming reader against python-docx.

A .docx is a zip; its ``word/document.xml`` unpacks to several times the
file's size, and a reader that builds the whole XML tree (python-docx) needs
several times that again. writer-app's reader streams the XML (lxml
iterparse, each paragraph freed once read), so its peak should follow the
size of the text itself, not of the XML. This writes a docx of about
``--mb`` MB (Pride and Prejudice repeated, one chapter heading per Gutenberg
chapter, italics as italic runs; document.xml streamed into the zip so the
generator itself stays small), then, each in a fresh process, measures the
peak resident set size (``ru_maxrss``) of

* ``plan_import`` (read, parse, split for the editor; what ``import --dry-run`` does),
* ``docx.Document(path)`` (python-docx loading it, for comparison; ``--no-python-docx`` skips it),
* a process that only imports the modules (the floor).

    python benchmarks/bench_import_docx_memory.py [--mb 30] [--dir DIR] [--no-python-docx]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "storage"))

from format_files import pride, runs  # noqa: E402

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def write_big_docx(path: Path, megabytes: float) -> int:
    """A real docx (python-docx's template for every other part) of about ``megabytes``; returns paragraphs."""
    import docx

    template = path.with_suffix(".template.docx")
    docx.Document().save(template)
    chapters = pride()
    paragraphs = 0
    with zipfile.ZipFile(template) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != "word/document.xml":
                new.writestr(info, old.read(info.filename))
        with new.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {W}><w:body>'.encode())
            copy = 0
            while path.stat().st_size < megabytes * 2**20:
                copy += 1
                for chapter in chapters:
                    heading = escape(f"{chapter.title} (copy {copy})")
                    out.write(f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>{heading}</w:t></w:r></w:p>'
                              .encode())
                    for paragraph in chapter.paragraphs:
                        out.write(b"<w:p>")
                        for text, italic in runs(paragraph):
                            props = "<w:rPr><w:i/></w:rPr>" if italic else ""
                            out.write(f'<w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'.encode())
                        out.write(b"</w:p>")
                        paragraphs += 1
                out.flush()
            out.write(b"</w:body></w:document>")
    template.unlink()
    return paragraphs


def peak_mb(code: str) -> tuple[float, str]:
    probe = (f"{code}\nimport resource, sys\n"
             "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        return float("nan"), done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    line = next(line for line in done.stderr.splitlines() if line.startswith("PEAK"))
    return float(line.split()[1]), done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=30.0)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--no-python-docx", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "big.docx"
        paragraphs = write_big_docx(path, args.mb)
        with zipfile.ZipFile(path) as archive:
            unpacked = archive.getinfo("word/document.xml").file_size
        print(f"docx: {path.stat().st_size / 2**20:.1f} MB on disk, document.xml {unpacked / 2**20:.0f} MB, "
              f"{paragraphs:,} paragraphs")
        floor, _ = peak_mb("import writer_app.storage.importer, writer_app.storage.formats.docx_in, docx")
        print(f"floor (modules loaded):      {floor:8.0f} MB")
        ours, out = peak_mb("from writer_app.storage.importer import plan_import\n"
                            f"plan = plan_import({str(path)!r})\n"
                            "print(len(plan.outline()), sum(len(s.text) for s in plan.sections))")
        print(f"plan_import (streaming):     {ours:8.0f} MB   ({out} outline lines, text chars)")
        if not args.no_python_docx:
            theirs, out = peak_mb(f"import docx\nd = docx.Document({str(path)!r})\nprint(len(d.paragraphs))")
            print(f"python-docx Document():      {theirs:8.0f} MB   ({out} paragraphs)")


if __name__ == "__main__":
    main()
