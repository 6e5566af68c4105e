"""Help ▸ Getting started: the shipped guide, rendered from Markdown.

The guide is one Markdown file in ``resources/guide`` so it reads well on
GitHub, in the wheel and in the app alike; ``markdown`` turns it into the
simple HTML a QTextBrowser shows. Links to the web open in the browser.
"""

from __future__ import annotations

import markdown
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from writer_app.resources import getting_started_path

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
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)


def open_guide(parent: QWidget) -> GuideDialog:
    """Show the guide without blocking the editor (the author may want to try things as they read)."""
    dialog = GuideDialog(parent)
    dialog.setModal(False)
    dialog.show()
    return dialog
