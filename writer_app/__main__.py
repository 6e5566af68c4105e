"""``python -m writer_app``: the same as the ``writer-app`` command."""

from writer_app.cli import main

raise SystemExit(main())
