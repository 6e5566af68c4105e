"""docx, epub and odt exports keep every promise the text formats keep: the CLI offers them, an existing
file is replaced only with consent, a full disk leaves the old file and no temporary, a link is refused."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.faults import writes_fail_past
from writer_app.cli import main
from writer_app.errors import UserError
from writer_app.storage import Library
from writer_app.storage.exporter import export_project

FORMATS = ("docx", "epub", "odt")
REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


@pytest.fixture
def data_dir(tmp_path):
    from writer_app.paths import profile_paths

    paths = profile_paths(tmp_path / "profile").ensure()
    with Library.open(paths.database) as lib:
        project = lib.create_project("Storm", author="Ada Lovelace")
        lib.create_node(project.id, "chapter", "One", text="It was a *dark* night.\n\n#\n\nThe end.")
    return paths.data


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_cli_exports_each_format_and_replaces_only_with_force(capsys, data_dir, tmp_path, fmt):
    out = tmp_path / f"book.{fmt}"
    code, stdout, err = run(capsys, "export", "--data-dir", data_dir, "--project", "Storm", "--format", fmt,
                            "-o", out)
    assert code == 0, err
    assert stdout == f"wrote {out}\n" and zipfile.is_zipfile(out)
    first = out.read_bytes()
    out.write_bytes(b"last week's export")
    code, _, err = run(capsys, "export", "--data-dir", data_dir, "--project", "Storm", "--format", fmt, "-o", out)
    assert code == 2 and err.count("\n") == 1 and "already exists" in err and "--force" in err
    assert out.read_bytes() == b"last week's export"
    code, _, err = run(capsys, "export", "--data-dir", data_dir, "--project", "Storm", "--format", fmt,
                       "-o", out, "--force", "--document", "One")
    assert code == 0, err
    assert zipfile.is_zipfile(out) and out.read_bytes() != first  # one document: its own title
    assert not leftovers(tmp_path)


def test_the_cli_names_the_formats_it_knows(capsys, data_dir, tmp_path):
    with pytest.raises(SystemExit) as caught:
        main(["export", "--data-dir", str(data_dir), "--project", "Storm", "--format", "pdf",
              "-o", str(tmp_path / "x.pdf")])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "docx" in err and "epub" in err and "odt" in err


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_fails_in_one_line_and_leaves_no_temporary(lib, tmp_path, fmt):
    project = lib.create_project("Big")
    rng = random.Random(13)  # text that does not compress away below the limit
    words = [" ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
                      for _ in range(60)) for _ in range(800)]
    lib.create_node(project.id, "chapter", "One", text="\n".join(words))
    fresh, existing = tmp_path / f"new.{fmt}", tmp_path / f"old.{fmt}"
    existing.write_bytes(b"the export from yesterday")
    failures = []
    for out, overwrite in ((fresh, False), (existing, True)):
        with writes_fail_past(64 * 1024):
            try:
                export_project(lib, project.id, fmt, out, overwrite=overwrite)
            except UserError as exc:  # kept for asserting after the limit is lifted
                failures.append(str(exc))
    assert len(failures) == 2, "an export reported success although the disk refused the writes"
    assert all(m.startswith("could not write ") and "\n" not in m for m in failures), failures
    assert "the file already there is unchanged" in failures[1]
    assert not fresh.exists()
    assert existing.read_bytes() == b"the export from yesterday"
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_link_is_refused_and_what_it_points_at_is_kept(lib, tmp_path, fmt):
    project = lib.create_project("Storm")
    lib.create_node(project.id, "chapter", "One", text="Rain.")
    real = tmp_path / "notes.txt"
    real.write_text("the author's notes", encoding="utf-8")
    link = tmp_path / f"book.{fmt}"
    link.symlink_to(real)
    with pytest.raises(UserError, match="a symbolic link"):
        export_project(lib, project.id, fmt, link, overwrite=True)
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "the author's notes"


def test_a_markdown_export_does_not_load_the_office_libraries(tmp_path):
    code = (
        "import json, sys\n"
        "from writer_app.storage import Library\n"
        "from writer_app.storage.exporter import export_project\n"
        f"lib = Library.open({str(tmp_path / 'l.sqlite3')!r})\n"
        "p = lib.create_project('Storm')\n"
        "lib.create_node(p.id, 'chapter', 'One', text='Rain.')\n"
        f"export_project(lib, p.id, 'md', {str(tmp_path / 'b.md')!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {m.split(".")[0] for m in json.loads(done.stdout.splitlines()[-1])}
    assert not loaded & {"docx", "ebooklib", "odf"}
