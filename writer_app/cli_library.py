"""Library subcommands: import, export, projects, check.

Handlers import the storage layer lazily and raise ``UserError`` for bad
input; the dispatcher in ``cli.py`` turns that into one line on stderr.
Commands that write (import) take the profile lock, so they refuse to run
while the editor has the same profile open.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from writer_app.errors import UserError
from writer_app.paths import ProfilePaths, profile_paths


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("import", parents=[common], help="import a .txt/.md manuscript or a folder of them")
    p.add_argument("path", help="a .txt or .md file, or a folder of them")
    p.add_argument("--project", metavar="TITLE", help="import into this project (created if missing)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the outline it would create (kind, title, words per line) and write nothing")
    p.add_argument("--replace-invalid", action="store_true",
                   help="import UTF-8 text that has a few invalid bytes, replacing them with U+FFFD")
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("export", parents=[common], help="export a project, one document or a selection")
    p.add_argument("--project", metavar="TITLE", required=True, help="the project's title")
    p.add_argument("--format", choices=("md", "html", "txt", "docx", "epub", "odt"), default="md",
                   help="output format (default md; docx is standard manuscript format)")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="the file to write")
    p.add_argument("--document", metavar="NAME", action="append",
                   help="export only the document (or folder) with this title; repeat it to export several, "
                        "in binder order")
    p.add_argument("--force", action="store_true", help="replace OUT if it already exists")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("projects", parents=[common], help="list projects with their word counts")
    p.set_defaults(func=cmd_projects)

    p = subparsers.add_parser("check", parents=[common], help="check the library's integrity and its backups")
    p.add_argument("--restore", action="store_true",
                   help="replace a damaged library with the newest good backup (the damaged file is kept aside)")
    p.add_argument("--salvage", metavar="DIR",
                   help="copy everything still readable into a new profile in DIR (open it with --data-dir DIR)")
    p.set_defaults(func=cmd_check)


# What the CLI adds to storage.health.damaged_library_message (which the editor shows too).
DAMAGED_HINT = ("`writer-app check` shows what that backup lacks; `writer-app check --restore` restores it "
                "(the damaged file is kept aside) and `writer-app check --salvage DIR` copies what is still readable.")


def _damaged(error: Exception) -> UserError:
    return UserError(f"{error} {DAMAGED_HINT}")


def open_for_reading(paths: ProfilePaths):
    """For commands that only read (projects, export, generate, eval): read-only (works on read-only
    media), and refused with the shared damaged-library message when the file fails ``PRAGMA quick_check``."""
    from writer_app.storage import Library
    from writer_app.storage.db import LibraryDamagedError
    from writer_app.storage.health import with_advice
    from writer_app.storage.probe import MISSING, failed_check, probe_library

    try:
        if probe_library(paths.database) == MISSING:
            raise UserError(f"there is no library yet in {paths.data} (import a manuscript first)")
        library = Library.open(paths.database, readonly=True)
    except LibraryDamagedError as exc:
        raise _damaged(with_advice(exc, paths.backups)) from exc
    problems = library.quick_check()
    if problems != ["ok"]:
        library.close()
        raise _damaged(with_advice(failed_check(paths.database, problems), paths.backups))
    return library


def open_for_writing(paths: ProfilePaths):
    """The guard every command that writes opens the library through: a library that fails its
    integrity check (``quick_check`` and more), is empty or is not SQLite is refused with the
    editor's own message (``storage.health.open_for_writing``)."""
    from writer_app.storage.db import LibraryDamagedError
    from writer_app.storage.health import open_for_writing

    try:
        library, notices = open_for_writing(paths.database, paths.backups)
    except LibraryDamagedError as exc:
        raise _damaged(exc) from exc
    for notice in notices:
        print(f"writer-app: note: {notice}", file=sys.stderr)
    return library


def _project(lib, title: str):
    project = lib.find_project(title)
    if project is None:
        known = ", ".join(f"“{s.project.title}”" for s in lib.list_projects()) or "none"
        raise UserError(f"no project titled “{title}” (projects: {known})")
    return project


def _print_notes(notes) -> None:
    for note in notes:
        print(f"writer-app: note: {note}", file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> int:
    from writer_app.storage.importer import import_plan, plan_import
    from writer_app.storage.lock import ProfileLock

    # Read and parse first, touching no profile: a dry run stops here having written nothing.
    plan = plan_import(Path(args.path), replace_invalid=args.replace_invalid)
    if args.dry_run:
        _print_notes(plan.notes)
        for line in plan.outline():
            print(f"{'  ' * line.depth}{line.kind}\t{' '.join(line.title.split())}\t{line.words}")
        return 0
    paths = profile_paths(args.data_dir).ensure()
    with ProfileLock(paths.lock_file), open_for_writing(paths) as lib:
        project = import_plan(lib, plan, project_title=args.project)
        # Notes only once the import happened: a refusal stays the one line the author reads.
        _print_notes(plan.notes)
        nodes = [n for n in lib.nodes(project.id) if n.kind != "folder"]
        print(f"imported into “{project.title}”: {len(nodes)} documents, "
              f"{lib.project_word_count(project.id):,} words")
    return 0


def _document(lib, project, name: str):
    """The one live document titled ``name`` (exact title first, then ignoring case)."""
    wanted = " ".join(name.split())
    nodes = lib.nodes(project.id)
    matches = [n for n in nodes if n.title == wanted] or [
        n for n in nodes if n.title.casefold() == wanted.casefold()]
    if not matches:
        if any(n.title.casefold() == wanted.casefold() for n in lib.nodes(project.id, include_trashed=True)):
            raise UserError(f"“{wanted}” is in the trash; restore it before exporting")
        raise UserError(f"no document titled “{wanted}” in “{project.title}”")
    if len(matches) > 1:
        raise UserError(f"{len(matches)} documents are titled “{wanted}”; rename one to export it")
    return matches[0]


def cmd_export(args: argparse.Namespace) -> int:
    from writer_app.storage.export_target import TargetExists
    from writer_app.storage.exporter import export_documents, export_project

    options = {"overwrite": args.force, "profile": profile_paths(args.data_dir)}
    try:
        with open_for_reading(profile_paths(args.data_dir)) as lib:
            project = _project(lib, args.project)
            if args.document:
                chosen = [_document(lib, project, name).id for name in args.document]
                out = export_documents(lib, chosen, args.format, args.output, **options)
            else:
                out = export_project(lib, project.id, args.format, args.output, **options)
    except TargetExists as exc:
        raise UserError(f"{exc.path} already exists; add --force to replace it") from exc
    print(f"wrote {out}")
    return 0


def cmd_projects(args: argparse.Namespace) -> int:
    paths = profile_paths(args.data_dir)
    if not paths.database.exists() and not paths.database.is_symlink():
        print("no projects yet")
        return 0
    with open_for_reading(profile_paths(args.data_dir)) as lib:
        summaries = lib.list_projects()
    if not summaries:
        print("no projects yet")
    for s in summaries:
        target = f" of {s.project.word_target:,}" if s.project.word_target else ""
        author = f" by {s.project.author}" if s.project.author else ""
        print(f"{s.project.title}{author}: {s.word_count:,} words{target} in {s.document_count} documents")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when the library is sound (or was just restored), 1 when it is damaged; busy is exit 2."""
    from writer_app.storage import Library
    from writer_app.storage.backup import describe_backup, latest_good_backup, list_backups
    from writer_app.storage.db import LibraryDamagedError
    from writer_app.storage.health import damaged_library_message
    from writer_app.storage.probe import MISSING, failed_check, probe_library
    from writer_app.storage.salvage import backup_gap

    paths = profile_paths(args.data_dir)
    damage = None
    try:
        if probe_library(paths.database) == MISSING:
            raise UserError(f"there is no library yet in {paths.data} (import a manuscript first)")
        with Library.open(paths.database, readonly=True) as lib:
            problems = lib.integrity_check()
        if problems != ["ok"]:
            damage = failed_check(paths.database, problems)
    except LibraryDamagedError as exc:
        damage = exc
    backups = list_backups(paths.backups)
    good = latest_good_backup(paths.backups) if backups else None
    if damage is None:
        print(f"library {paths.database}: ok")
    else:
        print(f"library {paths.database}: damaged ({len(damage.problems)} problem(s))")
        for line in damage.problems[:20]:
            print(f"  {line}")
    if good:
        print(f"backups: {len(backups)}, latest good {describe_backup(good)}")
    else:
        print(f"backups: {len(backups)}" + (", none passes its check" if backups else " (none yet)"))
    if args.salvage:
        _salvage(paths.database, Path(args.salvage))
    if damage is None:
        if args.restore:
            raise UserError("the library is sound, so --restore did nothing (it only replaces a damaged library)")
        return 0
    if good is not None:
        print(backup_gap(paths.database, good))
    if args.restore:
        return _restore(paths, good, damage)
    print(f"writer-app: error: {damaged_library_message(damage, paths.backups)} {DAMAGED_HINT}", file=sys.stderr)
    return 1


def _restore(paths, good, damage) -> int:
    from writer_app.storage.backup import restore_backup
    from writer_app.storage.health import damaged_library_message
    from writer_app.storage.lock import ProfileLock

    if good is None:
        raise UserError(damaged_library_message(damage, paths.backups))
    with ProfileLock(paths.lock_file):  # never under an open editor
        aside = restore_backup(good, paths.database)
    kept = f"; the damaged file is kept as {aside.name}" if aside else ""
    print(f"restored {good.name} into {paths.database}{kept}")
    return 0


def _salvage(database: Path, folder: Path) -> None:
    from writer_app.storage.salvage import salvage_library

    target = profile_paths(folder)
    if target.database == profile_paths(database.parent).database:
        raise UserError("--salvage needs a new folder, not the profile being checked")
    report = salvage_library(database, target.database)
    print(f"salvaged {report.summary()} into {target.database}; open it with `writer-app --data-dir {target.data}`")
