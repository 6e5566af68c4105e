"""Command-line entry point: the GUI by default, subcommands for scripts.

Each layer owns the module that registers its subcommands (``cli_library``
for the manuscript library, ``cli_model`` for the model, ``cli_training``
for the trainer), so this file stays a dispatcher. Those modules import their
heavy dependencies inside the handlers: ``writer-app projects`` must not pay
for importing torch.

Contract for every subcommand: exit 0 on success; on bad input exit 2 with one
clear line on stderr, never a traceback (unexpected failures go to the
profile's log file, with one line pointing there). This file keeps that
promise in one place for everything the handlers do not catch themselves:

- stdout and stderr never raise on a character their encoding lacks (a
  title with a non-UTF-8 byte, curly quotes on an ASCII terminal): they
  write ``\\xNN``-style escapes instead (:func:`_make_streams_safe`);
- argparse's usage errors are one line, not the usage block plus a line;
- an ``OSError`` about the machine (a full disk, a read-only drive, a
  symbolic link loop) is one line with exit 2 even where no handler
  translated it, and the traceback still goes to the log;
- library warnings (deprecations meant for developers) stay off the
  terminal unless asked for with ``-W`` or ``PYTHONWARNINGS``.
"""

from __future__ import annotations

import argparse
import codecs
import importlib
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import NoReturn

from writer_app import __version__
from writer_app.errors import ENVIRONMENT_ERRNOS, UserError, one_line, os_error_reason, printable
from writer_app.paths import display_path, profile_paths, title_from_os

# Arguments that are text for the library or the model, not paths: a word typed with bytes
# that are not UTF-8 reaches us as surrogate escapes, which SQLite and tokenizers refuse.
TEXT_ARGUMENTS = ("project", "document", "documents", "text", "instruction", "preset", "name", "served_name")

# Modules that each define ``register(subparsers, common)``; a handler is
# stored as ``func`` on the parsed namespace and called as ``func(args)``.
COMMAND_MODULES = (
    "writer_app.cli_library", "writer_app.cli_model", "writer_app.cli_training", "writer_app.cli_eval",
    "writer_app.cli_adapters",
)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2) like every other bad input.

    Subparsers inherit the class (argparse builds them with ``type(parent)``).
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(printable(message))} (see '{self.prog} --help')\n")


def _common_parser(*, default: object = None) -> argparse.ArgumentParser:
    common = OneLineParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="use DIR for the database, adapters, cache and settings (an isolated profile)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="writer-app",
        description="A private AI writing desk for novelists. Without a command, opens the editor.",
        parents=[_common_parser()],
    )
    # Subcommands accept --data-dir too ("writer-app projects --data-dir D"), but
    # must not overwrite the value given before the subcommand with None.
    common = _common_parser(default=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"writer-app {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = subparsers.add_parser("gui", parents=[common], help="open the editor (the default)")
    gui.set_defaults(func=run_gui)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, common)
    return parser


def run_gui(args: argparse.Namespace) -> int:
    try:
        from writer_app.ui.app import run_app
    except ImportError as exc:  # PySide6 missing or the platform plugin broken
        raise UserError(f"cannot start the editor: {exc}") from exc
    return run_app(args.data_dir)


def _log_unexpected(data_dir: str | None) -> str:
    """Append the current traceback to the profile's error log; return where it went, as words.

    Must never raise: it runs while another error is being reported (a full
    disk, an unusable data folder, a traceback holding non-UTF-8 names).
    """
    try:
        paths = profile_paths(data_dir)
        paths.logs.mkdir(parents=True, exist_ok=True)
        log_file = paths.logs / "errors.log"
        with log_file.open("a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(traceback.format_exc() + "\n")
        return f"details in {display_path(log_file)}"
    except OSError as exc:
        return f"the details could not be logged: {os_error_reason(exc)}"
    except Exception as exc:  # noqa: BLE001 - UserError from profile_paths, or anything else
        return f"the details could not be logged: {one_line(exc)}"


def _clean_text_arguments(args: argparse.Namespace) -> None:
    """Titles, names and prose from the command line as storable text (see ``paths.title_from_os``)."""
    for name in TEXT_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, title_from_os(value))
        elif isinstance(value, list):
            setattr(args, name, [title_from_os(v) if isinstance(v, str) else v for v in value])


ESCAPE_ERRORS = "writer_app.escape"


def _escape_unencodable(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a byte that was not UTF-8 prints as ``\\xNN``, anything else as ``\\uNNNN``."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return printable(bad).encode("ascii", "backslashreplace").decode("ascii"), exc.end


def _make_streams_safe() -> None:
    """Let stdout/stderr print any text: characters their encoding lacks become escapes.

    Why: titles and paths may hold surrogate escapes (non-UTF-8 bytes in a file
    name) and a terminal may be ASCII or Latin-1 (LANG=C, PYTHONIOENCODING);
    a strict stream turned the author's own "wrote …" line into an
    UnicodeEncodeError after the work was done.
    """
    codecs.register_error(ESCAPE_ERRORS, _escape_unencodable)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=ESCAPE_ERRORS)
            except (ValueError, OSError):  # a closed or detached stream: nothing will print anyway
                pass


def _quiet_library_warnings() -> None:
    """Deprecation chatter from torch/transformers is for developers, not for the author's terminal."""
    if not sys.warnoptions:
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)


def _say(message: str) -> None:
    print(f"writer-app: {one_line(printable(message))}", file=sys.stderr)


def _stdout_gone() -> None:
    """The reader of our stdout went away (``| head``): stop quietly, without Python's exit-time complaint."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    _make_streams_safe()
    _quiet_library_warnings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    _clean_text_arguments(args)
    func = getattr(args, "func", run_gui)
    try:
        return int(func(args) or 0)
    except UserError as exc:
        _say(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:
        _stdout_gone()
        return 0
    except OSError as exc:
        if exc.errno not in ENVIRONMENT_ERRNOS:
            return _unexpected(args, exc)
        # A path or a disk the handler did not expect to fail: still the machine, not a bug to show.
        where = _log_unexpected(getattr(args, "data_dir", None))
        target = f"{display_path(exc.filename)}: " if exc.filename else ""
        _say(f"error: {target}{os_error_reason(exc)} ({where})")
        return UserError.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, details in the log
        return _unexpected(args, exc)


def _unexpected(args: argparse.Namespace, exc: BaseException) -> int:
    where = _log_unexpected(getattr(args, "data_dir", None))
    _say(f"unexpected error: {exc.__class__.__name__}: {exc} ({where})")
    return 1
