"""Command-line entry point: the GUI by default, subcommands for scripts.

Each layer owns the module that registers its subcommands (``cli_library``
for the manuscript library, ``cli_model`` for the model, ``cli_training``
for the trainer), so this file stays a dispatcher. Those modules import their
heavy dependencies inside the handlers: ``writer-app projects`` must not pay
for importing torch.

Contract for every subcommand: exit 0 on success; on bad input one clear line
on stderr and a non-zero exit, never a traceback (unexpected failures go to
the profile's log file, with one line pointing there).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence

from writer_app import __version__
from writer_app.errors import UserError
from writer_app.paths import profile_paths

# Modules that each define ``register(subparsers, common)``; a handler is
# stored as ``func`` on the parsed namespace and called as ``func(args)``.
COMMAND_MODULES = ("writer_app.cli_library", "writer_app.cli_model", "writer_app.cli_training")


def _common_parser(*, default: object = None) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="use DIR for the database, adapters, cache and settings (an isolated profile)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that layer's commands are not built yet in this checkout
            raise
        module.register(subparsers, common)
    return parser


def run_gui(args: argparse.Namespace) -> int:
    try:
        from writer_app.ui.app import run_app
    except ImportError as exc:  # PySide6 missing or the platform plugin broken
        raise UserError(f"cannot start the editor: {exc}") from exc
    return run_app(args.data_dir)


def _log_unexpected(data_dir: str | None) -> str:
    paths = profile_paths(data_dir)
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        log_file = paths.logs / "errors.log"
        with log_file.open("a", encoding="utf-8") as handle:
            handle.write(traceback.format_exc() + "\n")
        return str(log_file)
    except OSError:
        return "(the log folder is not writable)"


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", run_gui)
    try:
        return int(func(args) or 0)
    except UserError as exc:
        print(f"writer-app: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("writer-app: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, details in the log
        where = _log_unexpected(getattr(args, "data_dir", None))
        print(f"writer-app: unexpected error: {exc.__class__.__name__}: {exc} (details in {where})", file=sys.stderr)
        return 1
