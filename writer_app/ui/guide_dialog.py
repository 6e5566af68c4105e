"""Help ▸ Getting started: the shipped guide, rendered from Markdown.

The guide is one Markdown file in ``resources/guide`` so it reads well on
GitHub, in the wheel and in the app alike; ``markdown`` turns it into the
simple HTML a QTextBrowser shows. Links to the web open in the browser.
The sample novel is one button away ("Open the Sample Novel"): opened if the
profile has it already, imported (no preview: nothing to check) otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import markdown
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from writer_app.resources import getting_started_path, sample_novel_path

if TYPE_CHECKING:
    from writer_app.storage import Library
    from writer_app.ui.main_window import MainWindow

SAMPLE_TITLE = "Pride and Prejudice"

GUIDE_CSS = "h1 { font-size: 20pt; } h2 { font-size: 15pt; margin-top: 16px; } p, li { line-height: 140%; }"


def guide_html() -> str:
    """The getting-started guide as HTML (tables and fenced code supported)."""
    text = getting_started_path().read_text(encoding="utf-8")
    body = markdown.markdown(text, extensions=["extra", "sane_lists"])
    return f"<html><head><style>{GUIDE_CSS}</style></head><body>{body}</body></html>"


class GuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle("Getting started with Writer")
        self.resize(720, 640)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("guideBrowser")
        self.browser.setOpenExternalLinks(True)
        self.browser.document().setDocumentMargin(18)
        self.browser.setHtml(guide_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.sample_button = None
        if hasattr(parent, "db"):  # the main window: it can open or import the sample
            self.sample_button = buttons.addButton("Open the &Sample Novel", QDialogButtonBox.ButtonRole.ActionRole)
            self.sample_button.setObjectName("openSampleButton")
            self.sample_button.setToolTip("Pride and Prejudice (public domain), to try things out")
            self.sample_button.clicked.connect(lambda: open_sample(parent))
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)


def open_sample(window: MainWindow) -> None:
    """Open the sample novel's project if the profile has it, else import it (and open it)."""
    from writer_app.ui import file_ops

    def find(lib: Library) -> int | None:
        return next((s.project.id for s in lib.list_projects() if s.project.title == SAMPLE_TITLE), None)

    def found(project_id: int | None) -> None:
        if project_id is not None:
            window.open_project(project_id)
        else:
            file_ops.import_path(window, sample_novel_path(), preview=False)

    window.db.submit(find, found)


def open_guide(parent: QWidget) -> GuideDialog:
    """Show the guide without blocking the editor (the author may want to try things as they read)."""
    dialog = GuideDialog(parent)
    dialog.setModal(False)
    dialog.show()
    return dialog
