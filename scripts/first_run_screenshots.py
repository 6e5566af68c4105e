#!/usr/bin/env python3
"""Screenshots of the first-run welcome and Help ▸ Diagnostics, taken offscreen.

    python scripts/first_run_screenshots.py [--out docs/screenshots]

Builds a window on a fresh, empty profile (so the welcome appears exactly as a
new author sees it), then opens Diagnostics; saves welcome.png and
diagnostics.png with widget.grab(), so no display is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from PySide6.QtWidgets import QApplication  # noqa: E402


def wait_for(condition, seconds: float = 60) -> None:
    """Process events until ``condition()``; sleeping in Python lets the background threads run
    (QTest.qWait keeps the GIL, which starves a thread importing torch)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError("the dialog did not finish in time")


def settle(seconds: float = 0.3) -> None:
    """Let layouts and repaints finish before a grab."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from writer_app.ui.app import build_main_window
    from writer_app.ui.diagnostics_dialog import DiagnosticsDialog

    with tempfile.TemporaryDirectory(prefix="writer-first-run-") as profile:
        window = build_main_window(Path(profile), extensions=(), welcome=True)
        window.show()
        welcome = window.welcome
        wait_for(lambda: welcome.gpu_label.text() != "Checking for a GPU…")
        welcome.adjustSize()
        settle()
        welcome.grab().save(str(args.out / "welcome.png"))
        welcome.reject()  # Skip: the starter project opens
        wait_for(lambda: window.current_node is not None)

        window.actions_by_name["actionDiagnostics"].trigger()
        dialog = window.findChild(DiagnosticsDialog, "diagnosticsDialog")
        wait_for(lambda: dialog.ready)
        settle()
        dialog.grab().save(str(args.out / "diagnostics.png"))
        dialog.close()
        window.close()
    app.processEvents()
    print(f"saved welcome.png and diagnostics.png in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
