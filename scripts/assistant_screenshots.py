"""Render the assistant's screenshots for the docs (offscreen, with the real embedded model).

    QT_QPA_PLATFORM=offscreen python scripts/assistant_screenshots.py [OUT_DIR]

Writes assistant-ghost-text.png, assistant-context-menu.png,
assistant-panel.png and assistant-style.png (default: docs/screenshots).
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

from PySide6.QtCore import QPoint  # noqa: E402
from PySide6.QtGui import QAction, QColor, QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget  # noqa: E402

from writer_app.ui.app import build_main_window  # noqa: E402

STORY = (
    "The ferry was late again. Mara stood at the end of the jetty with her collar up, counting the "
    "lights on the far bank the way her mother had taught her, left to right, so that the dark "
    "would have an order to it.\n\n"
    "When the horn finally sounded, it was thinner than she remembered, as if the river had worn it "
    "down. She picked up her bag. Behind her the town was already asleep, and"
)
STYLE_TEXT = (
    "She really walked very slowly to the door. She felt that the door was very old and that the "
    "house had been abandoned by its owners a long time ago. The door was opened by her slowly, and "
    "at the end of the day it was what it was."
)


def wait(app: QApplication, condition, seconds: float = 180) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if condition():
            return
        time.sleep(0.01)
    raise TimeoutError("the assistant did not finish in time")


def generate(app: QApplication, assistant, trigger) -> None:
    done: list[int] = []
    assistant.client.finished.connect(lambda rid, *_: done.append(rid))
    trigger()
    wait(app, lambda: bool(done))
    app.processEvents()


def raise_dock(window, widget) -> None:
    for dock in window.findChildren(QDockWidget):
        if dock.widget() is widget:
            dock.show()
            dock.raise_()


def select(editor, needle: str) -> None:
    text = editor.toPlainText()
    start = text.index(needle)
    cursor = editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(start + len(needle), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)


def menu_image(menu, submenu) -> QImage:
    """The right-click menu with its Rewrite submenu opened beside it, as on screen."""
    menu.adjustSize()
    submenu.adjustSize()
    main, sub = menu.grab(), submenu.grab()
    anchor = menu.actionGeometry(submenu.menuAction()).top()
    image = QImage(main.width() + sub.width() - 4, max(main.height(), anchor + sub.height()) + 8,
                   QImage.Format.Format_ARGB32)
    image.fill(QColor("#e9ecef"))
    painter = QPainter(image)
    painter.drawPixmap(QPoint(0, 0), main)
    painter.drawPixmap(QPoint(main.width() - 4, anchor), sub)
    painter.end()
    return image


def main(out_dir: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    out_dir.mkdir(parents=True, exist_ok=True)
    window = build_main_window(tempfile.mkdtemp(prefix="writer-shots-"))
    window.resize(1400, 860)
    window.show()
    assistant = window.assistant
    wait(app, lambda: assistant.client.model_info is not None or bool(assistant.client.load_error))
    editor = window.editor
    panel = assistant.panel
    panel.temperature.setValue(0.7)
    project_id = window.current_project_id
    window.db.submit(lambda lib: lib.add_bible_entry(
        project_id, "character", "Mara", description="ferry pilot's daughter, counts lights to calm herself"))
    window.db.drain()

    # 1. Ghost text at the end of the chapter (the panel shows which bible entries were used).
    raise_dock(window, panel)
    editor.load_text(STORY)
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    panel.length.setValue(40)
    generate(app, assistant, window.findChild(QAction, "actionContinue").trigger)
    window.grab().save(str(out_dir / "assistant-ghost-text.png"))
    assistant.cancel()

    # 2. The right-click menu on a selection.
    select(editor, "She picked up her bag.")
    menu = editor.build_context_menu(editor.textCursor())
    rewrite = menu.findChild(type(menu), "assistantRewriteMenu")
    menu_image(menu, rewrite).save(str(out_dir / "assistant-context-menu.png"))

    # 3. A rewrite streamed into the panel beside the original.
    raise_dock(window, panel)
    panel.length.setValue(60)
    preset = rewrite.findChild(QAction, "rewritePreset_vivid")
    generate(app, assistant, preset.trigger)
    window.grab().save(str(out_dir / "assistant-panel.png"))
    menu.deleteLater()

    # 4. Style suggestions underlined and listed by category.
    assistant.selection.discard()
    editor.load_text(STYLE_TEXT)
    panel.length.setValue(60)
    generate(app, assistant, window.findChild(QAction, "actionSuggestStyle").trigger)
    raise_dock(window, assistant.style_panel)
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    app.processEvents()
    window.grab().save(str(out_dir / "assistant-style.png"))

    assistant.shutdown()
    window.shutdown()
    window.close()
    print(f"screenshots written to {out_dir}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
