"""The dispatcher: --data-dir before or after the subcommand picks the same profile; any text prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.cli import build_parser, main

REPO = Path(__file__).resolve().parent.parent


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


# --------------------------------------------------------------------------- any text prints, anywhere
def _cli(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), full_env.get("PYTHONPATH", "")) if p)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "writer_app", *args], env=full_env, cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True)


def _story(tmp_path: Path) -> str:
    sample = tmp_path / "story.txt"
    sample.write_text("It was a dark and stormy night.\n\nThe rain fell.\n", encoding="utf-8")
    return str(sample)


def test_an_output_path_with_a_non_utf8_byte_is_printed_not_a_crash(tmp_path):
    profile = str(tmp_path / "p")
    assert _cli("import", _story(tmp_path), "--project", "Storm", "--data-dir", profile).returncode == 0
    out = tmp_path / "r\udcf6man.md"  # "röman" written in Latin-1 on a UTF-8 system
    done = _cli("export", "--project", "Storm", "-o", str(out), "--data-dir", profile)
    assert done.returncode == 0, done.stderr
    assert out.is_file()
    assert done.stdout.decode().strip() == f"wrote {tmp_path}/r\\xf6man.md"  # the odd byte, shown as \xNN
    assert done.stderr == b""


def test_a_title_with_a_non_utf8_byte_is_stored_and_found_again(tmp_path):
    profile = str(tmp_path / "p")
    done = _cli("import", _story(tmp_path), "--project", "Caf\udce9", "--data-dir", profile)
    assert done.returncode == 0, done.stderr
    assert "Caf\ufffd" in done.stdout.decode()
    again = _cli("export", "--project", "Caf\udce9", "-o", str(tmp_path / "out.md"), "--data-dir", profile)
    assert again.returncode == 0, again.stderr  # the same bytes name the same project
    assert "dark and stormy" in (tmp_path / "out.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_titles_print_on_a_terminal_that_lacks_their_characters(tmp_path, encoding):
    profile = str(tmp_path / "p")
    assert _cli("import", _story(tmp_path), "--project", "Ōtsuka “Noir” — 雨", "--data-dir", profile).returncode == 0
    done = _cli("projects", "--data-dir", profile, env={"PYTHONIOENCODING": encoding, "LC_ALL": "C"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    line = done.stdout.decode(encoding)
    assert line.startswith("\\u014ctsuka \\u201cNoir\\u201d \\u2014 \\u96e8: ")


def test_unexpected_error_log_on_a_full_disk_is_a_sentence_not_a_second_error(tmp_path, monkeypatch):
    """The error log is the last thing written when something failed: a full disk must not crash it."""
    import errno

    from writer_app import cli

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "open", full)
    try:
        raise RuntimeError("caf\udce9 went wrong")  # a traceback holding a non-UTF-8 byte
    except RuntimeError:
        where = cli._log_unexpected(str(tmp_path / "p"))
    assert where == "the details could not be logged: the disk is full"


def test_unexpected_error_log_keeps_non_utf8_bytes(tmp_path):
    from writer_app import cli

    try:
        raise RuntimeError("caf\udce9 went wrong")
    except RuntimeError:
        where = cli._log_unexpected(str(tmp_path / "p"))
    log_file = tmp_path / "p" / "logs" / "errors.log"
    assert where == f"details in {log_file}"
    assert "caf\\udce9 went wrong" in log_file.read_text(encoding="utf-8")


def test_an_os_error_no_handler_expected_is_one_line_with_exit_2(tmp_path, monkeypatch, capsys):
    """The dispatcher's last line of defence for the machine's failures (disk full, read-only, loops)."""
    import errno

    from writer_app import cli_library

    def full_disk(args):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "caf\udce9.md"))

    monkeypatch.setattr(cli_library, "cmd_projects", full_disk)
    assert main(["--data-dir", str(tmp_path / "p"), "projects"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"writer-app: error: {tmp_path}/caf\\xe9.md: the disk is full (details in ")
    assert len(err.strip().splitlines()) == 1


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["generate", "--task", "continue", "--text", "x", "--file", "y"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err == ("writer-app generate: error: argument --file: not allowed with argument --text "
                   "(see 'writer-app generate --help')\n")


def test_library_warnings_stay_off_the_terminal(capsys):
    import warnings

    from writer_app import cli

    with warnings.catch_warnings():
        cli._quiet_library_warnings()
        warnings.warn("`past_key_values` is deprecated", FutureWarning, stacklevel=1)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- a read-only data folder
@pytest.fixture
def read_only_profile(tmp_path):
    """A profile with a library, on a read-only bind mount (chmod does not stop root)."""
    profile = tmp_path / "p"
    assert main(["--data-dir", str(profile), "import", _story(tmp_path), "--project", "Storm"]) == 0
    for args in (["--bind", str(profile), str(profile)], ["-o", "remount,ro,bind", str(profile)]):
        done = subprocess.run(["mount", *args], capture_output=True, text=True)
        if done.returncode != 0:
            subprocess.run(["umount", "-l", str(profile)], capture_output=True)
            pytest.skip(f"cannot mount a read-only folder here: {done.stderr.strip()}")
    yield profile
    subprocess.run(["umount", "-l", str(profile)], capture_output=True)


def test_doctor_reports_on_a_read_only_data_folder(read_only_profile):
    done = _cli("doctor", "--data-dir", str(read_only_profile))
    assert done.returncode == 0, done.stderr
    assert b"disk" in done.stdout and done.stderr == b""


def test_eval_with_a_new_profile_on_a_read_only_folder_is_one_line(read_only_profile):
    done = _cli("eval", "--data-dir", str(read_only_profile / "new-profile"))
    assert done.returncode == 2
    assert done.stderr.decode().strip().splitlines() == [
        f"writer-app: error: could not create the folder {read_only_profile}/new-profile: the drive is read-only"]


# --------------------------------------------------------------------------- paths the author gives
def test_require_dir_and_require_file_say_what_is_wrong(tmp_path):
    from writer_app.errors import UserError
    from writer_app.paths import require_dir, require_file

    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    (tmp_path / "file").write_text("x")
    cases = [
        (require_dir, tmp_path / "a", "it is a symbolic link loop"),
        (require_dir, tmp_path / "missing", "it does not exist"),
        (require_dir, tmp_path / "file", "it is a file, not a folder"),
        (require_dir, tmp_path / "file" / "below", "a part of its path is a file, not a folder"),
        (require_dir, tmp_path / ("n" * 300), "its name is too long"),
        (require_file, tmp_path, "it is a folder, not a file"),
        (require_file, Path("/dev/null"), "it is not a regular file (a device, a pipe or a socket)"),
    ]
    for check, path, reason in cases:
        with pytest.raises(UserError) as refused:
            check(path, "the thing")
        assert str(refused.value).startswith("the thing ") and str(refused.value).endswith(reason), refused.value
    assert require_dir(tmp_path, "x") == tmp_path
    assert require_file(tmp_path / "file", "x") == tmp_path / "file"


def test_display_path_shows_odd_bytes_as_escapes():
    from writer_app.paths import display_path, title_from_os

    assert display_path("caf\udce9.txt") == "caf\\xe9.txt"
    assert display_path(b"caf\xe9.txt") == "caf\\xe9.txt"
    assert display_path(Path("café.txt")) == "café.txt"
    assert display_path("lone \ud800 surrogate") == "lone \\ud800 surrogate"
    assert title_from_os("caf\udce9") == "caf\ufffd"
    assert title_from_os("café") == "café"
