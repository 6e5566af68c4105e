"""Preview: the open document as the reader will see it, in a read-only pane.

It uses the HTML export's renderer (``storage.html_render``), which reads the
text with the paragraph model (``text.manuscript.parse_blocks``), so what the
author previews is what every export shows: each line a paragraph, an indent
an indent (never a code block), a scene-break line a centred break, and
``*emphasis*``/``**strong**`` in italics and bold. Nothing else is markup.

Rendering waits for a pause in typing and only happens while the pane is
visible, so a long chapter costs nothing when the preview is closed. The
conversion runs on the background pool (``ui.background``) with a snapshot
of the text, a request already outdated when its turn comes is skipped, and
only the newest result is shown; the GUI thread does nothing but ``setHtml``.
A document longer than ``PREVIEW_MAX_CHARS`` is previewed around the cursor,
in whole paragraphs (whole lines), so that ``setHtml`` stays a few
milliseconds too.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTextBrowser, QWidget

from writer_app.storage.html_render import MANUSCRIPT_CSS, render_manuscript
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
""" + MANUSCRIPT_CSS + """
p.indent { text-indent: 32px; }
"""  # Qt's rich text takes text-indent in px only (2em at 12pt)


def render_preview(text: str, note: str = "") -> str:
    """The document as the HTML export renders it (one renderer for both), with the pane's style."""
    body = render_manuscript(text)
    header = f'<p class="excerpt">{html.escape(note)}</p>' if note else ""
    return f"<html><head><style>{PREVIEW_CSS}</style></head><body>{header}{body}</body></html>"


def excerpt_around(text: str, position: int, limit: int = PREVIEW_MAX_CHARS) -> tuple[str, str]:
    """(text to preview, a note saying it is a part): whole lines around ``position``.

    A line is a paragraph, so the excerpt never starts or ends inside one: it is the line
    holding the cursor (whole, however long) and as many whole lines before and after it as fit
    in ``limit`` characters, taken alternately so the cursor stays near the middle.
    """
    if len(text) <= limit:
        return text, ""
    position = max(0, min(position, len(text)))
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    end = len(text) if end < 0 else end
    grow_before = True
    while True:
        before = text.rfind("\n", 0, start - 1) + 1 if start > 0 else None
        after = text.find("\n", end + 1) if end < len(text) else None
        if after is not None and after < 0:
            after = len(text)
        options = [("before", before), ("after", after)] if grow_before else [("after", after), ("before", before)]
        for side, edge in options:
            if edge is None:
                continue
            if (end - edge if side == "before" else edge - start) <= limit:
                start, end = (edge, end) if side == "before" else (start, edge)
                break
        else:
            break
        grow_before = not grow_before
    return text[start:end].strip("\n"), "This document is long: the preview shows the part around the cursor."


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
            return render_preview(text, note) if newest[0] == request else None

        # On the background pool; a pane deleted meanwhile hears nothing (owner=self).
        shared_pool().run(render, lambda page: self._show(request, page), owner=self)

    def _show(self, request: int, page: str | None) -> None:
        if page is None or request != self._newest[0]:  # a newer render is on its way
            return
        scroll = self.verticalScrollBar().value()
        self.setHtml(page)
        self.verticalScrollBar().setValue(scroll)
