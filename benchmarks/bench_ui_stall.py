"""GUI responsiveness: the event loop's longest stall while autosave runs on a 100,000-word project.

Opens the real main window (Qt offscreen) on a fresh profile holding ten
10,000-word chapters, types at the end of the open chapter for a while with
autosave on its default interval, and records the gaps between ticks of a
5 ms QTimer on the GUI thread. Prints one line per round and writes JSON.

    python benchmarks/bench_ui_stall.py [--seconds 10] [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.ui.stall_probe import make_big_project, measure_stalls  # noqa: E402
from writer_app.ui.app import build_main_window  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    reports = []
    with tempfile.TemporaryDirectory(prefix="writer-stall-") as tmp:
        profile = Path(tmp) / "profile"
        make_big_project(profile)
        for _ in range(args.rounds):
            window = build_main_window(profile, extensions=())
            window.show()
            report = measure_stalls(window, seconds=args.seconds)
            window.close()
            reports.append(report)
            print(report.line(), flush=True)
    worst = max(r.longest_stall_ms for r in reports)
    print(f"worst stall over {args.rounds} rounds: {worst:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=2))
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
