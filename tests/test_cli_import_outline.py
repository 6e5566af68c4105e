"""`writer-app import --dry-run` prints the structure plain-text import found, and writes nothing."""

from __future__ import annotations

import textwrap

from writer_app.cli import main

PROSE = ("The rain had not stopped for three days, and the river below the house rose a little more with every "
         "hour, until even the old ferryman would not cross it and the village waited for the water to fall.")


def test_dry_run_shows_front_matter_chapters_and_scenes(tmp_path, capsys):
    body = textwrap.fill(PROSE, 70)
    book = "\n\n".join([
        "THE RIVER HOUSE", "by Ann Smith", "CONTENTS", "I. Rain\nII. Flood\nIII. After",
        "I", "Rain", body, body, "* * *", body,
        "II", "Flood", body, "[Illustration: the ferry]", body, body,
        "III", "After", body, body, body,
    ]) + "\n"
    path = tmp_path / "river.txt"
    path.write_text(book, encoding="utf-8")
    data = tmp_path / "profile"
    code = main(["import", str(path), "--dry-run", "--data-dir", str(data)])
    out, err = capsys.readouterr()
    assert code == 0, err
    words = len(PROSE.split())
    assert out.splitlines() == [
        "note\tFront matter\t7",
        f"chapter\tI. Rain\t{3 * words}",  # a chapter counts the words of its scenes
        f"  scene\tScene 1\t{2 * words}",
        f"  scene\tScene 2\t{words}",
        f"chapter\tII. Flood\t{3 * words}",
        f"chapter\tIII. After\t{3 * words}",
    ]
    assert "writer-app: note: river.txt: removed 1 [Illustration] marker" in err
    assert "writer-app: note: river.txt: joined lines hard-wrapped at" in err
    assert not data.exists()
