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
from writer_app.paths import profile_paths


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("import", parents=[common], help="import a .txt/.md manuscript or a folder of them")
    p.add_argument("path", help="a .txt or .md file, or a folder of them")
    p.add_argument("--project", metavar="TITLE", help="import into this project (created if missing)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the outline it would create (kind, title, words per line) and write nothing")
    p.add_argument("--replace-invalid", action="store_true",
                   help="import UTF-8 text that has a few invalid bytes, replacing them with U+FFFD")
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("export", parents=[common], help="export a project or one document")
    p.add_argument("--project", metavar="TITLE", required=True, help="the project's title")
    p.add_argument("--format", choices=("md", "html", "txt"), default="md", help="output format (default md)")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="the file to write")
    p.add_argument("--document", metavar="NAME", help="export only the document (or folder) with this title")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("projects", parents=[common], help="list projects with their word counts")
    p.set_defaults(func=cmd_projects)

    p = subparsers.add_parser("check", parents=[common], help="check the library's integrity and its backups")
    p.set_defaults(func=cmd_check)


def _open_existing(args: argparse.Namespace):
    from writer_app.storage import Library

    paths = profile_paths(args.data_dir)
    if not paths.database.exists():
        raise UserError(f"there is no library yet in {paths.data} (import a manuscript first)")
    return Library.open(paths.database)


def _project(lib, title: str):
    project = lib.find_project(title)
    if project is None:
        known = ", ".join(f"“{s.project.title}”" for s in lib.list_projects()) or "none"
        raise UserError(f"no project titled “{title}” (projects: {known})")
    return project


def cmd_import(args: argparse.Namespace) -> int:
    from writer_app.storage import Library
    from writer_app.storage.importer import import_plan, plan_import
    from writer_app.storage.lock import ProfileLock

    # Read and parse first, touching no profile: a dry run stops here having written nothing.
    plan = plan_import(Path(args.path), replace_invalid=args.replace_invalid)
    for note in plan.notes:
        print(f"writer-app: note: {note}", file=sys.stderr)
    if args.dry_run:
        for line in plan.outline():
            print(f"{'  ' * line.depth}{line.kind}\t{' '.join(line.title.split())}\t{line.words}")
        return 0
    paths = profile_paths(args.data_dir).ensure()
    with ProfileLock(paths.lock_file), Library.open(paths.database) as lib:
        project = import_plan(lib, plan, project_title=args.project)
        nodes = [n for n in lib.nodes(project.id) if n.kind != "folder"]
        print(f"imported into “{project.title}”: {len(nodes)} documents, "
              f"{lib.project_word_count(project.id):,} words")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from writer_app.storage.exporter import export_document, export_project

    with _open_existing(args) as lib:
        project = _project(lib, args.project)
        if args.document:
            wanted = " ".join(args.document.split())
            nodes = lib.nodes(project.id)
            matches = [n for n in nodes if n.title == wanted] or [
                n for n in nodes if n.title.casefold() == wanted.casefold()]
            if not matches:
                raise UserError(f"no document titled “{wanted}” in “{project.title}”")
            if len(matches) > 1:
                raise UserError(f"{len(matches)} documents are titled “{wanted}”; rename one to export it")
            out = export_document(lib, matches[0].id, args.format, args.output)
        else:
            out = export_project(lib, project.id, args.format, args.output)
    print(f"wrote {out}")
    return 0


def cmd_projects(args: argparse.Namespace) -> int:
    from writer_app.storage import Library

    paths = profile_paths(args.data_dir)
    if not paths.database.exists():
        print("no projects yet")
        return 0
    with Library.open(paths.database) as lib:
        summaries = lib.list_projects()
    if not summaries:
        print("no projects yet")
    for s in summaries:
        target = f" of {s.project.word_target:,}" if s.project.word_target else ""
        author = f" by {s.project.author}" if s.project.author else ""
        print(f"{s.project.title}{author}: {s.word_count:,} words{target} in {s.document_count} documents")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from writer_app.storage.backup import latest_good_backup, list_backups

    paths = profile_paths(args.data_dir)
    with _open_existing(args) as lib:
        problems = lib.integrity_check()
    backups = list_backups(paths.backups)
    good = latest_good_backup(paths.backups) if backups else None
    if problems == ["ok"]:
        print(f"library {paths.database}: ok")
    else:
        print(f"library {paths.database}: {len(problems)} problem(s)")
        for line in problems[:20]:
            print(f"  {line}")
    if good:
        print(f"backups: {len(backups)}, latest good {good.name}")
    else:
        print(f"backups: {len(backups)}" + (", none passes its check" if backups else " (none yet)"))
    if problems != ["ok"]:
        print("writer-app: error: the library failed its integrity check"
              + (f"; restore {good.name}" if good else ""), file=sys.stderr)
        return 1
    return 0
