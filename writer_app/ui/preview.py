"""Preview: the open document rendered from Markdown in a read-only pane.

It uses the HTML export's renderer (``storage.html_render``), so what the
author previews is what the exported page shows.

Rendering waits for a pause in typing and only happens while the pane is
visible, so a long chapter costs nothing when the preview is closed. The
Markdown conversion (pure Python: 2 s for a 200,000-word chapter) runs on the
background pool (``ui.background``) with a snapshot of the text, a request
already outdated when its turn comes is skipped, and only the newest result is
shown; the GUI thread does nothing but ``setHtml``. A document longer than
``PREVIEW_MAX_CHARS`` is previewed around the cursor (whole paragraphs), so
that ``setHtml`` stays a few milliseconds too.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTextBrowser, QWidget

from writer_app.storage.html_render import render_manuscript
from writer_app.ui.background import TaskContext, shared_pool
from writer_app.ui.editor import ManuscriptEditor
from writer_app.ui.text_positions import cursor_index

RENDER_DELAY_MS = 400
PREVIEW_MAX_CHARS = 20_000
PREVIEW_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; font-size: 12pt; line-height: 150%; }
h1, h2, h3 { font-weight: bold; margin-top: 1em; }
blockquote { margin-left: 1.5em; font-style: italic; }
p { margin: 0 0 0.6em 0; }
p.excerpt { color: #888888; font-style: italic; }
"""


def render_markdown(text: str, note: str = "") -> str:
    """The document as the HTML export renders it (one safe renderer for both), with the pane's style."""
    body = render_manuscript(text)
    header = f'<p class="excerpt">{html.escape(note)}</p>' if note else ""
    return f"<html><head><style>{PREVIEW_CSS}</style></head><body>{header}{body}</body></html>"


def excerpt_around(text: str, position: int, limit: int = PREVIEW_MAX_CHARS) -> tuple[str, str]:
    """(text to preview, a note saying it is a part) — whole paragraphs around ``position``."""
    if len(text) <= limit:
        return text, ""
    half = limit // 2
    start = max(0, min(position - half, len(text) - limit))
    end = start + limit
    if start > 0:
        cut = text.find("\n", start, start + half)  # a paragraph is a line
        start = cut + 1 if cut >= 0 else start
        while start < len(text) and text[start] == "\n":  # the blank line between paragraphs
            start += 1
    if end < len(text):
        cut = text.rfind("\n", end - half, end)
        end = cut if cut > start else end
    return text[start:end], "This document is long: the preview shows the part around the cursor."


class PreviewPane(QTextBrowser):
    def __init__(self, editor: ManuscriptEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preview")
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.editor = editor
        self._newest = [0]  # the newest request; the render job reads it to skip an outdated one
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
        """Render a snapshot of the document off the GUI thread; the newest request wins."""
        newest = self._newest
        newest[0] += 1
        request = newest[0]
        manuscript = self.editor.manuscript_text()
        text, note = excerpt_around(manuscript, cursor_index(self.editor.textCursor(), manuscript))

        def render(_task: TaskContext) -> str | None:
            return render_markdown(text, note) if newest[0] == request else None

        # On the background pool; a pane deleted meanwhile hears nothing (owner=self).
        shared_pool().run(render, lambda page: self._show(request, page), owner=self)

    def _show(self, request: int, page: str | None) -> None:
        if page is None or request != self._newest[0]:  # a newer render is on its way
            return
        scroll = self.verticalScrollBar().value()
        self.setHtml(page)
        self.verticalScrollBar().setValue(scroll)
