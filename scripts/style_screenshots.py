"""Render the two-stage Style panel for the docs (offscreen, with the real embedded model).

    QT_QPA_PLATFORM=offscreen python scripts/style_screenshots.py [OUT_DIR]

Writes style-two-stage.png (default: docs/screenshots): the rule findings
listed and underlined, the model's critique still on its way ("the assistant
is still reading…", Cancel), after its first item merged in if one came within a few seconds.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("WRITER_APP_MODEL_CACHE", str(REPO / ".cache" / "models"))
sys.path.insert(0, str(REPO))

from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from scripts.assistant_screenshots import raise_dock, wait  # noqa: E402
from writer_app.ui.app import build_main_window  # noqa: E402

TEXT = (
    "He was a big man with a big voice. The room was nice and the food was good. They talked about "
    "many things all night.\n\n"
    "She was gone before dawn. He walked slowly to the door and said quietly that the letter had been "
    "taken by the maid. It was a dark and stormy night, and she felt very very sad. The carriage was "
    "sent for, and Elizabeth was tired, but at the end of the day she was married and that was that."
)


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"
    out_dir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        window = build_main_window(Path(folder) / "profile")
        window.resize(1280, 760)
        window.show()
        assistant = window.assistant
        wait(app, lambda: assistant.client.model_info is not None or assistant.client.load_error)
        assistant.panel.temperature.setValue(0.0)
        assistant.panel.length.setValue(200)
        window.editor.load_text(TEXT)
        raise_dock(window, assistant.style_panel)
        merged: list[object] = []
        assistant.style.critiqueItemMerged.connect(merged.append)
        window.findChild(QAction, "actionSuggestStyle").trigger()
        wait(app, lambda: assistant.style.reading)
        end = time.monotonic() + 4  # the first model item, or a moment into the reading
        while assistant.style.reading and not merged and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        if not assistant.style.reading:
            raise SystemExit("the critique ended before the screenshot: nothing in progress to show")
        for _ in range(20):
            app.processEvents()
        window.grab().save(str(out_dir / "style-two-stage.png"))
        assistant.style.stop()
        assistant.shutdown()
        window.shutdown()
        window.close()
    print(f"wrote {out_dir / 'style-two-stage.png'}")


if __name__ == "__main__":
    main()
