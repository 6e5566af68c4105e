"""``writer-app adapters import DIR``: bring back an adapter trained from an exported job.

The ``adapters`` command groups what is done with trained adapters; other
modules add their own actions to it, so :func:`adapter_actions` makes the
group once and hands the same one to whoever asks. The work is in
``training.import_adapter``; torch is never imported here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from writer_app.paths import profile_paths

_ACTIONS = "_writer_app_actions"


def adapter_actions(subparsers: Any, common: argparse.ArgumentParser) -> Any:
    """The ``adapters`` group's sub-commands (the group is made by the first caller)."""
    group = subparsers.choices.get("adapters")
    if group is None:
        group = subparsers.add_parser("adapters", parents=[common], help="manage trained style adapters")
        setattr(group, _ACTIONS, group.add_subparsers(dest="adapters_action", metavar="ACTION", required=True))
    return getattr(group, _ACTIONS)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    actions = adapter_actions(subparsers, common)
    imp = actions.add_parser("import", parents=[common],
                             help="register an adapter trained from an exported job (train --export-job)")
    imp.add_argument("folder", metavar="DIR", help="the exported job folder after its run, or an adapter folder")
    imp.add_argument("--name", help="the adapter's name in the library (default: the name it was trained under)")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from writer_app.cli_library import open_for_writing
    from writer_app.training.import_adapter import import_adapter

    paths = profile_paths(args.data_dir).ensure()
    library = open_for_writing(paths)
    try:
        adapter = import_adapter(library, paths, Path(args.folder).expanduser(), args.name)
    finally:
        library.close()
    metrics = adapter.metadata.get("metrics", {})
    if args.json:
        print(json.dumps({"event": "imported", "adapter": adapter.name, "path": adapter.path,
                          "base_model": adapter.base_model, "metrics": metrics}, ensure_ascii=False))
    else:
        base, tuned = metrics.get("base_perplexity"), metrics.get("adapter_perplexity")
        held = f": held-out perplexity {base:.2f} (base) -> {tuned:.2f} (adapter)" if base and tuned else ""
        print(f"adapter {adapter.name!r} imported on {adapter.base_model} "
              f"({metrics.get('steps', '?')} steps, {metrics.get('processes', 1)} process(es)){held}")
    return 0
