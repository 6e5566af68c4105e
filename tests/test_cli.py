"""The dispatcher: --data-dir before or after the subcommand picks the same profile."""

from __future__ import annotations

import pytest

from writer_app.cli import build_parser, main


@pytest.mark.parametrize(
    "argv",
    [["--data-dir", "PROFILE", "projects"], ["projects", "--data-dir", "PROFILE"]],
)
def test_data_dir_is_kept_wherever_it_is_given(argv):
    args = build_parser().parse_args(argv)
    assert args.data_dir == "PROFILE"


def test_isolated_profile_is_used_not_the_default(tmp_path, capsys):
    sample = tmp_path / "story.txt"
    sample.write_text("It was a dark and stormy night.\n\nThe rain fell.\n", encoding="utf-8")
    profile = tmp_path / "profile"
    assert main(["--data-dir", str(profile), "import", str(sample), "--project", "Storm"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(profile), "projects"]) == 0
    assert "Storm" in capsys.readouterr().out
    # The default profile (isolated per test by conftest) has never seen it.
    assert main(["projects"]) == 0
    assert "Storm" not in capsys.readouterr().out


def test_bad_input_is_one_line_without_traceback(tmp_path, capsys):
    code = main(["--data-dir", str(tmp_path / "p"), "import", str(tmp_path / "missing.txt")])
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("writer-app: error:")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
