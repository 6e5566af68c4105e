"""Entry point of the PyInstaller bundle.

The bundle's executable stands in for ``python``: the app starts its trainer
as ``sys.executable -m writer_app.training JOB.json`` (a separate process, so
a crash there cannot take the editor down). A frozen executable has no ``-m``
of its own, so this launcher understands ``-m MODULE ARGS...`` for the app's
own modules and otherwise runs the normal ``writer-app`` command line.
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys


def main() -> int:
    multiprocessing.freeze_support()  # torch/accelerate helpers may spawn workers
    if len(sys.argv) >= 3 and sys.argv[1] == "-m" and sys.argv[2].startswith("writer_app"):
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from writer_app.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
