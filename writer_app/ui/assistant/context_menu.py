"""The assistant's entries in the editor's and the binder's right-click menus.

With a selection: Rewrite ▸ (presets, Custom instruction…), Expand, Shorten,
Describe, Summarise, Suggest style. Without one: Continue writing and Suggest
style for the whole document. The entries act on the cursor the menu was
opened for, not on wherever the caret is when the author finally clicks.

The menus only start work: they are handed the features that do it (and the
window actions shown without a selection) by the controller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QTextCursor
from PySide6.QtWidgets import QMenu

import writer_app.ui.assistant.jobs as jobs
from writer_app.ui.assistant.context import STORY_KINDS

if TYPE_CHECKING:
    from writer_app.ui.assistant.selection_tasks import SelectionTasks
    from writer_app.ui.assistant.style_panel import StyleSuggestions
    from writer_app.ui.assistant.summaries import Summaries
    from writer_app.ui.binder import Binder


class ContextMenu:
    def __init__(self, selection: SelectionTasks, style: StyleSuggestions, summaries: Summaries,
                 binder: Binder, without_selection: Sequence[QAction]) -> None:
        self.selection = selection
        self.style = style
        self.summaries = summaries
        self.binder = binder
        self.without_selection = tuple(without_selection)  # Continue writing, Suggest style

    def hook(self, menu: QMenu, cursor: QTextCursor) -> None:
        selection = self.selection
        cursor = QTextCursor(cursor)
        if not cursor.hasSelection():
            for action in self.without_selection:
                menu.addAction(action)
            return
        rewrite = menu.addMenu("Rewrite")
        rewrite.setObjectName("assistantRewriteMenu")
        rewrite.menuAction().setObjectName("menuRewrite")
        for key, label in jobs.preset_labels().items():
            action = rewrite.addAction(label)
            action.setObjectName(f"rewritePreset_{key}")
            action.triggered.connect(lambda _c=False, k=key: selection.run("rewrite", preset=k, cursor=cursor))
        rewrite.addSeparator()
        custom = rewrite.addAction("Custom instruction…")
        custom.setObjectName("rewriteCustom")
        custom.triggered.connect(lambda _c=False: selection.run_custom(cursor))
        for task, label in (("expand", "Expand"), ("shorten", "Shorten"), ("describe", "Describe"),
                            ("summarise", "Summarise")):
            action = menu.addAction(label)
            action.setObjectName(f"assistant_{task}")
            action.triggered.connect(lambda _c=False, t=task: selection.run(t, cursor=cursor))
        style = menu.addAction("Suggest style")
        style.setObjectName("assistant_suggest_style")
        style.triggered.connect(lambda _c=False: self.style.run(cursor))

    def binder_hook(self, menu: QMenu, node_id: int | None) -> None:
        """The binder's right-click menu: summarise this chapter, or the whole book."""
        node = self.binder.node(node_id) if node_id is not None else None
        if node is not None and node.kind in STORY_KINDS:
            chapter = menu.addAction(f"Summarise “{node.title}”" if node.kind == "scene" else "Summarise chapter")
            chapter.setObjectName("binderSummariseChapter")
            chapter.triggered.connect(
                lambda _c=False: self.summaries.summarise_node(node.id, node.title))
            if (node.summary or "").strip():
                review = menu.addAction("Review summary…" if not node.summary_approved else "Edit summary…")
                review.setObjectName("binderReviewSummary")
                review.triggered.connect(lambda _c=False: self.summaries.review_stored(node.id, node.title))
        book = menu.addAction("Summarise the whole book")
        book.setObjectName("binderSummariseBook")
        book.triggered.connect(lambda _c=False: self.summaries.summarise_book())
