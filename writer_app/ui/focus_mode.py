"""Focus mode: full screen, only the page, the current line held mid-screen.

Everything that is hidden is remembered and shown again on leaving, so the
author's layout survives. Esc or F11 leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDockWidget, QWidget

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow


class FocusMode(QObject):
    """Esc is read by an event filter on the editor (not a shortcut), installed before the
    extensions' filters, so the assistant can still use Esc to dismiss its ghost text first."""

    active = False  # class default: read by eventFilter even on a wrapper the cycle collector cleared

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self._hidden: list[QWidget] = []
        self._was_maximized = False
        window.editor.installEventFilter(self)
        window.closing.connect(self.leave)  # closing in focus mode remembers the layout, not the bare page

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (self.active and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape):
            self.leave()
            return True
        return False

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        window = self.window
        self.active = True
        self._was_maximized = window.isMaximized()
        candidates: list[QWidget] = [window.menuBar(), window.statusBar(), window.find_bar]
        candidates += window.findChildren(QDockWidget)
        candidates += [bar for bar in window.findChildren(QWidget) if bar.objectName() == "mainToolBar"]
        self._hidden = [w for w in candidates if w.isVisible() or (not w.isHidden() and not window.isVisible())]
        for widget in self._hidden:
            widget.hide()
        window.editor.set_typewriter_mode(True)
        window.showFullScreen()
        window.editor.setFocus()

    def leave(self) -> None:
        if not self.active:
            return
        window = self.window
        self.active = False
        window.editor.set_typewriter_mode(False)
        if window.isFullScreen():
            window.showMaximized() if self._was_maximized else window.showNormal()
        for widget in self._hidden:
            widget.show()
        self._hidden = []
        window.editor.setFocus()
