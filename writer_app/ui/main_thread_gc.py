"""Python's cycle collector runs on the GUI thread only.

Why: CPython collects cycles in whichever thread happens to allocate when a
threshold is crossed. When that is a worker (the database worker, the preview
renderer, the model host's reader) and the cycle holds a Qt object made on the
GUI thread, ``~QObject`` runs in the worker: it takes Qt's connection lock and
then waits for the GIL, while the GUI thread holds the GIL and waits for that
lock in a ``connect()``. Both wait forever: the editor froze mid-keystroke,
with unsaved text, and no timeout could interrupt it (seen under PySide6 6.11,
typing while the preview rendered). So automatic collection is switched off
and the GUI thread collects on a timer, by the same thresholds CPython uses
(pyqtgraph's and Anki's remedy). Reference counting still frees everything
that is not in a cycle at once, wherever it is released.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 500  # a gen-0 pass takes well under a millisecond; often enough to bound memory

_installed: MainThreadCollector | None = None


class MainThreadCollector(QObject):
    """Collects on the GUI thread; owned by the application, so it lives as long as the event loop."""

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self.thresholds = gc.get_threshold()
        self.thread = threading.get_ident()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start()

    def collect_if_due(self) -> int:
        """What automatic collection would have done by now: the generations past their thresholds."""
        if threading.get_ident() != self.thread:
            return 0
        count0, count1, count2 = gc.get_count()
        first, second, third = self.thresholds
        if count0 <= first:
            return 0
        if count1 <= second:
            return gc.collect(0)
        if count2 <= third:
            return gc.collect(1)
        return gc.collect(2)


def install(app: QCoreApplication | None = None) -> MainThreadCollector:
    """Switch automatic collection off and collect on ``app``'s thread from now on (idempotent)."""
    from shiboken6 import isValid

    global _installed
    app = app or QCoreApplication.instance()
    if app is None:
        raise RuntimeError("the main-thread collector needs a QApplication")
    if _installed is None or not isValid(_installed):
        _installed = MainThreadCollector(app)
    gc.disable()
    return _installed
