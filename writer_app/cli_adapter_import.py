"""``writer-app adapters import DIR``: bring back an adapter trained from an exported job.

One of the ``adapters`` group's actions (the group is :mod:`writer_app.cli_adapters`);
the work is in ``training.import_adapter``; torch is never imported here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from writer_app.paths import profile_paths


def register_import(verbs: Any, common: argparse.ArgumentParser) -> None:
    """``adapters import``, added to the ``adapters`` group that :mod:`writer_app.cli_adapters` makes."""
    imp = verbs.add_parser("import", parents=[common],
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
