"""A child process for the model-host tests: the real window with the assistant, in a fresh interpreter.

Usage: python -m tests.ui.assistant_child DATA_DIR [--hold]

Prints JSON lines on stdout: {"event": "progress", ...} while the model loads,
{"event": "loaded", "host_pid": N} once it is ready. Without ``--hold`` it then
runs one short Continue, opens Help ▸ Diagnostics and the welcome dialog's GPU
probe, and prints {"event": "report", ...} with what it saw and which modules
this process imported. With ``--hold`` it keeps typing until it is killed (the
no-orphan tests kill it with SIGKILL).
"""

from __future__ import annotations

import faulthandler
import json
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from writer_app.ui.app import build_main_window


def emit(**fields: object) -> None:
    print(json.dumps({**fields, "t": time.time()}), flush=True)


def wait(app: QApplication, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def main(data_dir: str, hold: bool) -> int:
    # A child that hangs says where, on stderr (the test shows it), instead of a silent timeout.
    faulthandler.dump_traceback_later(600, exit=True)
    app = QApplication(sys.argv[:1])
    window = build_main_window(data_dir)
    window.show()
    client = window.assistant.client
    client.loadProgress.connect(lambda fraction, message: emit(event="progress", fraction=fraction,
                                                               message=message, host_pid=client.host_pid))
    if hold:
        typing = QTimer()
        typing.timeout.connect(lambda: QTest.keyClicks(window.editor, "a"))
        typing.start(50)
    if not wait(app, lambda: client.model_info is not None or client.load_error, 600) or client.load_error:
        emit(event="load_failed", message=client.load_error)
        return 1
    emit(event="loaded", host_pid=client.host_pid)
    faulthandler.cancel_dump_traceback_later()
    if hold:
        return app.exec()

    assistant = window.assistant
    window.editor.load_text("Mara walked down to the river at dawn. The ferry was late again. She")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    assistant.panel.length.setValue(8)
    assistant.panel.temperature.setValue(0.0)
    outcome: dict = {}
    client.finished.connect(lambda _rid, result, stats: outcome.setdefault("result", result))
    client.failed.connect(lambda _rid, message: outcome.setdefault("failed", message))
    window.actions_by_name["actionContinue"].trigger()
    wait(app, lambda: bool(outcome), 300)

    from writer_app.ui.diagnostics_dialog import open_diagnostics
    from writer_app.ui.welcome_dialog import WelcomeDialog

    diagnostics = open_diagnostics(window)
    welcome = WelcomeDialog(window)
    wait(app, lambda: diagnostics.ready and welcome.gpu_label.text() != "Checking for a GPU…", 300)
    emit(event="report", continued=outcome.get("result"), failed=outcome.get("failed"),
         ghost=assistant.continuation.ghost.text(), diagnostics=diagnostics.text,
         gpu_label=welcome.gpu_label.text(),
         heavy_modules=sorted(m for m in ("torch", "transformers", "safetensors", "tokenizers", "gguf")
                              if m in sys.modules))
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], "--hold" in sys.argv[2:]))
