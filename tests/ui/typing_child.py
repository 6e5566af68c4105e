"""A child process for the kill test: opens the real window and types into it with a QTimer.

Usage: python -m tests.ui.typing_child DATA_DIR
Prints JSON lines on stdout: {"event": "ready", "node_id": N, "t": time} once the
window shows, then {"typed": n, "t": time} as it types, so the parent knows
exactly what had been typed, and when, at the moment it kills this process, and
{"saved_chars": n, "t": time} each time autosave reports a completed save.
"""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from writer_app.ui.app import build_main_window

SENTENCE = "The tide came in over the sand {n} times before anyone noticed. "
KEY_INTERVAL_MS = 15


def script(length: int = 200_000) -> str:
    """A deterministic text whose every prefix is distinct (numbered sentences)."""
    parts, n = [], 0
    while sum(map(len, parts)) < length:
        parts.append(SENTENCE.format(n=n))
        n += 1
    return "".join(parts)


def emit(**fields: object) -> None:
    print(json.dumps({**fields, "t": time.time()}), flush=True)


def main(data_dir: str) -> int:
    app = QApplication(sys.argv[:1])
    window = build_main_window(data_dir, extensions=())
    window.show()
    window.editor.setFocus()
    text = script()
    state = {"typed": 0}

    def type_some() -> None:
        index = state["typed"]
        QTest.keyClicks(window.editor, text[index:index + 3])
        state["typed"] = index + 3
        emit(typed=state["typed"])

    timer = QTimer()
    timer.timeout.connect(type_some)
    window.autosave.saved.connect(lambda _node_id, result: emit(saved_chars=result.char_count))
    emit(event="ready", node_id=window.current_node_id)
    timer.start(KEY_INTERVAL_MS)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
