"""The library subcommands as a user runs them: exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys

from writer_app.cli import main
from writer_app.paths import profile_paths
from writer_app.storage.lock import ProfileLock


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_projects_export_and_reimport(capsys, tmp_path, pride_path):
    data = str(tmp_path / "profile")
    code, out, err = run(capsys, "import", str(pride_path), "--data-dir", data)
    assert code == 0, err
    assert "72 documents" in out  # 61 chapters, 11 scenes in the five chapters with scene breaks
    code, out, _ = run(capsys, "projects", "--data-dir", data)
    assert code == 0 and out.startswith("Pride and Prejudice by Jane Austen: 121,")
    words = int(out.split(": ")[1].split(" words")[0].replace(",", ""))
    assert 121_000 <= words <= 123_000
    md = tmp_path / "pp.md"
    code, out, _ = run(capsys, "export", "--data-dir", data, "--project", "Pride and Prejudice", "--format", "md",
                       "-o", str(md))
    assert code == 0 and md.exists()
    code, out, err = run(capsys, "import", str(md), "--project", "Reimported", "--data-dir", data)
    assert code == 0, err
    code, out, _ = run(capsys, "projects", "--data-dir", data)
    assert out.count(f"{words:,} words in 72 documents") == 2
    one = tmp_path / "ch1.html"
    code, _, _ = run(capsys, "export", "--data-dir", data, "--project", "reimported", "--format", "html",
                     "-o", str(one), "--document", "Chapter 1")
    assert code == 0 and "It is a truth universally acknowledged" in one.read_text(encoding="utf-8")
    code, out, _ = run(capsys, "check", "--data-dir", data)
    assert code == 0 and "ok" in out


def test_bad_input_gives_one_line_and_non_zero(capsys, tmp_path):
    data = str(tmp_path / "profile")
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    code, out, err = run(capsys, "import", str(binary), "--data-dir", data)
    assert code != 0 and err.count("\n") == 1 and "not a text file" in err and "Traceback" not in err
    code, _, err = run(capsys, "export", "--data-dir", data, "--project", "Nope", "-o", str(tmp_path / "o.md"))
    assert code != 0 and err.count("\n") == 1
    code, out, err = run(capsys, "projects", "--data-dir", data)
    assert code == 0 and "no projects" in out


def test_import_refuses_while_another_window_holds_the_profile(capsys, tmp_path, pride_path):
    data = tmp_path / "profile"
    with ProfileLock(profile_paths(data).lock_file):
        code, _, err = run(capsys, "import", str(pride_path), "--data-dir", str(data))
    assert code != 0 and "already open in another writer-app window" in err


def test_cli_subprocess_has_no_traceback_on_a_damaged_library(tmp_path):
    data = tmp_path / "profile"
    data.mkdir()
    (data / "library.sqlite3").write_bytes(b"garbage" * 1000)
    proc = subprocess.run([sys.executable, "-m", "writer_app", "check", "--data-dir", str(data)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "damaged" in proc.stderr


def test_export_a_selection_with_document_given_more_than_once(capsys, tmp_path):
    data = str(tmp_path / "profile")
    source = tmp_path / "book.md"
    source.write_text("---\ntitle: Storm\n---\n\n# One\n\nFirst.\n\n# Two\n\nSecond.\n\n# Three\n\nThird.\n\n"
                      "# Cut\n\nGone.\n", encoding="utf-8")
    assert run(capsys, "import", str(source), "--data-dir", data)[0] == 0
    out = tmp_path / "sel.txt"
    code, printed, err = run(capsys, "export", "--data-dir", data, "--project", "Storm", "--format", "txt",
                             "-o", str(out), "--document", "three", "--document", "One")
    assert code == 0, err
    assert out.read_text(encoding="utf-8") == "Storm\n\n\nOne\n===\n\nFirst.\n\n\nThree\n=====\n\nThird.\n"
    code, _, err = run(capsys, "export", "--data-dir", data, "--project", "Storm", "--format", "txt",
                       "-o", str(out), "--document", "Two")
    assert code == 2 and err.count("\n") == 1 and "add --force" in err
    code, _, err = run(capsys, "export", "--data-dir", data, "--project", "Storm", "-o", str(tmp_path / "x.md"),
                       "--document", "One", "--document", "Nowhere")
    assert code == 2 and err.count("\n") == 1 and "no document titled “Nowhere”" in err
    from writer_app.storage import Library

    with Library.open(profile_paths(data).database) as lib:
        project = lib.find_project("Storm")
        lib.trash_node(next(n.id for n in lib.nodes(project.id) if n.title == "Cut"))
    code, _, err = run(capsys, "export", "--data-dir", data, "--project", "Storm", "-o", str(tmp_path / "x.md"),
                       "--document", "One", "--document", "Cut")
    assert code == 2 and err.count("\n") == 1 and "“Cut” is in the trash" in err
    assert not (tmp_path / "x.md").exists()
