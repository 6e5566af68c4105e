"""Help ▸ Diagnostics: what ``writer-app doctor`` prints, with a Copy button.

The report imports torch (seconds on a cold start, holding the GIL), so it is
gathered in a short-lived process (``llm.isolated``), waited for on the
background pool (``ui.background``), and the dialog says "Gathering…"
meanwhile; the GUI thread never waits on it, and torch never enters the
editor's process. Copy puts the plain text on
the clipboard for a bug report.
"""

from __future__ import annotations

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
from writer_app.ui.background import run_in_background


def gather_report(paths: ProfilePaths) -> str:
    """The doctor report, gathered in a short-lived process (torch never enters the editor's)."""
    from writer_app.llm.diagnostics import isolated_doctor_report

    try:
        return isolated_doctor_report(paths)
    except Exception as exc:  # noqa: BLE001 - the dialog must say what went wrong, not stay empty
        return f"The diagnostics could not be gathered: {exc}"


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
        # A bound method of this dialog: closed before the report is ready, it never hears back.
        self.task = run_in_background(lambda _task: gather_report(paths), self._show_report)

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
