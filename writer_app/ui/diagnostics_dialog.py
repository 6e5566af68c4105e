"""Help ▸ Diagnostics: what ``writer-app doctor`` prints, with a Copy button.

The report imports torch (seconds on a cold start), so it is gathered in a
QThread and the dialog says "Gathering…" meanwhile; the GUI thread never
waits on it. Copy puts the plain text on the clipboard for a bug report.
"""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextOption
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.paths import ProfilePaths

# Threads that import torch run to their end even if their dialog closes first: waiting for
# them would freeze the GUI thread, and destroying a running QThread aborts the process. They
# are short and few (one per dialog opened), so they are simply kept.
_DETACHED: list[QThread] = []


def start_detached(thread: QThread) -> None:
    """Start ``thread`` (created without a parent) and keep it alive until the process ends."""
    _DETACHED.append(thread)
    thread.start()


class ReportThread(QThread):
    """Runs :func:`writer_app.diagnostics.doctor_report` off the GUI thread."""

    reportReady = Signal(str)

    def __init__(self, paths: ProfilePaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths

    def run(self) -> None:
        from writer_app.diagnostics import doctor_report

        try:
            report = doctor_report(self.paths)
        except Exception as exc:  # noqa: BLE001 - the dialog must say what went wrong, not stay empty
            report = f"The diagnostics could not be gathered: {exc}"
        self.reportReady.emit(report)


class DiagnosticsDialog(QDialog):
    def __init__(self, paths: ProfilePaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diagnosticsDialog")
        self.setWindowTitle("Diagnostics")
        self.resize(760, 300)
        intro = QLabel("What this computer can run, the same as <code>writer-app doctor</code> prints. "
                       "Copy it into a bug report if something does not work.")
        intro.setWordWrap(True)
        self.report = QPlainTextEdit(self)
        self.report.setObjectName("diagnosticsReport")
        self.report.setReadOnly(True)
        # Long paths wrap (anywhere) rather than hide behind a scroll bar; Copy keeps the real lines.
        self.report.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report.setPlainText("Gathering the report…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("&Copy", self)
        self.copy_button.setObjectName("diagnosticsCopy")
        self.copy_button.setEnabled(False)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.addWidget(intro)
        layout.addWidget(self.report, 1)
        layout.addWidget(buttons)
        self.text = ""
        self.thread = ReportThread(paths)
        self.thread.reportReady.connect(self._show_report)
        start_detached(self.thread)

    @property
    def ready(self) -> bool:
        return bool(self.text)

    def _show_report(self, text: str) -> None:
        self.text = text
        self.report.setPlainText(text)
        self.copy_button.setEnabled(True)
        self._fit_to(text)

    def _fit_to(self, text: str) -> None:
        """Grow to show every line whole (paths are long) but never beyond the screen."""
        metrics = self.report.fontMetrics()
        lines = text.splitlines() or [""]
        width = max(metrics.horizontalAdvance(line) for line in lines) + 80
        height = metrics.lineSpacing() * (len(lines) + 4) + 140  # room for a few wrapped lines
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None:
            width, height = min(width, int(screen.width() * 0.9)), min(height, int(screen.height() * 0.8))
        self.resize(max(self.width(), width), max(260, height))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)
        self.copy_button.setText("Copied")


def open_diagnostics(window: QWidget) -> DiagnosticsDialog:
    dialog = DiagnosticsDialog(window.paths, window)  # type: ignore[attr-defined]
    dialog.show()
    return dialog
