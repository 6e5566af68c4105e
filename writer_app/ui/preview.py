"""Preview: the open document rendered from Markdown in a read-only pane.

It uses the HTML export's renderer (``storage.html_render``), so what the
author previews is what the exported page shows.

Rendering waits for a pause in typing and only happens while the pane is
visible, so a long chapter costs nothing when the preview is closed.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTextBrowser, QWidget

from writer_app.storage.html_render import render_manuscript
from writer_app.ui.editor import ManuscriptEditor

RENDER_DELAY_MS = 400
PREVIEW_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; font-size: 12pt; line-height: 150%; }
h1, h2, h3 { font-weight: bold; margin-top: 1em; }
blockquote { margin-left: 1.5em; font-style: italic; }
p { margin: 0 0 0.6em 0; }
"""


def render_markdown(text: str) -> str:
    """The document as the HTML export renders it (one safe renderer for both), with the pane's style."""
    body = render_manuscript(text)
    return f"<html><head><style>{PREVIEW_CSS}</style></head><body>{body}</body></html>"


class PreviewPane(QTextBrowser):
    def __init__(self, editor: ManuscriptEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preview")
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.editor = editor
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RENDER_DELAY_MS)
        self._timer.timeout.connect(self.render_now)
        editor.textChanged.connect(self._schedule)

    def _schedule(self) -> None:
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().showEvent(event)
        self.render_now()

    def render_now(self) -> None:
        scroll = self.verticalScrollBar().value()
        self.setHtml(render_markdown(self.editor.manuscript_text()))
        self.verticalScrollBar().setValue(scroll)
