"""Split, merge, duplicate and move scenes from the Document menu, each undone by Edit ▸ Undo.

Every step saves the open document first (``window._after_save``), then runs in
storage (``storage/restructure.py``: one transaction, a revision taken first) on
``window.db``, and pushes what it did on :attr:`SceneOps.undo_stack`. Edit ▸ Undo
undoes typing while the editor has typing to undo, and the last step otherwise
(the editor's own history starts afresh with each document, so right after a
split Ctrl+Z puts the scene back together). The stack is per project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QInputDialog

from writer_app.storage.textnorm import clean_text
from writer_app.ui.changes import Change
from writer_app.ui.text_positions import cursor_index, document_text

if TYPE_CHECKING:
    from writer_app.storage.restructure import Restructure
    from writer_app.ui.main_window import MainWindow


class SceneOps:
    """The Document menu's restructuring commands and their undo."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.undo_stack: list[Restructure] = []
        self.picker: QInputDialog | None = None
        window.projectOpened.connect(lambda _pid: self.undo_stack.clear())

    # -- the steps ---------------------------------------------------------------------------
    def split_at_cursor(self) -> None:
        window, editor = self.window, self.window.editor
        node_id = window.current_node_id
        if node_id is None:
            return
        if editor.ghost_range is not None:
            window.status.show_message("Accept or dismiss the suggestion first, then split.", 5000)
            return
        text = document_text(editor.document())
        head = text[:cursor_index(editor.textCursor(), text)]
        offset = len(clean_text(head)) if head.strip() else 0  # storage keeps the cleaned text
        self._run(lambda lib: lib.split_node(node_id, offset))

    def merge_selected(self) -> None:
        ids = self.window.binder.selected_node_ids()
        if len(ids) < 2:
            self.window.show_error("Select two or more scenes in the binder to merge them "
                                   "(Shift+Down adds the next one).")
            return
        self._run(lambda lib: lib.merge_nodes(ids))

    def duplicate(self) -> None:
        node_id = self.window.binder.selected_node_id() or self.window.current_node_id
        if node_id is not None:
            self._run(lambda lib: lib.duplicate_node(node_id))

    def move_to(self, parent_id: int | None, node_id: int | None = None) -> None:
        node_id = node_id or self.window.binder.selected_node_id() or self.window.current_node_id
        if node_id is not None:
            self._run(lambda lib: lib.move_to_parent(node_id, parent_id))

    def containers(self, node_id: int) -> list[Any]:
        """The chapters and folders a scene could move into (in binder order), not its own."""
        binder = self.window.binder
        node = binder.node(node_id)
        return [n for n in binder.nodes if n.kind in ("chapter", "folder") and n.id != node_id
                and (node is None or n.id != node.parent_id)]

    def move_by_chapter(self, delta: int) -> None:
        """Move the scene to the end of the next (+1) or previous (-1) chapter: all by keyboard."""
        binder = self.window.binder
        node_id = binder.selected_node_id() or self.window.current_node_id
        node = binder.node(node_id or -1)
        if node is None or node.kind == "chapter":
            return
        chapters = [n for n in binder.nodes if n.kind in ("chapter", "folder") and n.id != node.id]
        order = [n.id for n in binder.nodes]
        here = order.index(node.parent_id) if node.parent_id in order else order.index(node.id)
        targets = [c for c in chapters if (order.index(c.id) > here if delta > 0 else order.index(c.id) < here)]
        if targets:
            self.move_to((targets[0] if delta > 0 else targets[-1]).id, node.id)

    def pick_chapter(self) -> None:
        """Move to Chapter…: a list the arrow keys walk, Enter moves (non-blocking dialog)."""
        node_id = self.window.binder.selected_node_id() or self.window.current_node_id
        if node_id is None:
            return
        choices = self.containers(node_id)
        if not choices:
            self.window.status.show_message("There is no other chapter to move it to.", 4000)
            return
        dialog = QInputDialog(self.window)
        dialog.setObjectName("moveToChapter")
        dialog.setWindowTitle("Move to Chapter")
        dialog.setLabelText("Move the scene to the end of:")
        dialog.setComboBoxItems([f"{i + 1}. {n.title}" for i, n in enumerate(choices)])
        dialog.setOption(QInputDialog.InputDialogOption.UseListViewForComboBoxItems)

        def chosen(label: str) -> None:
            index = int(label.split(".", 1)[0]) - 1
            self.move_to(choices[index].id, node_id)

        dialog.textValueSelected.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        self.picker = dialog
        dialog.open()

    # -- undo --------------------------------------------------------------------------------
    def undo(self) -> None:
        """Edit ▸ Undo: the editor's typing first, then the last restructuring step."""
        editor = self.window.editor
        if editor.document().isUndoAvailable() or not self.undo_stack:
            editor.undo()
            return
        step = self.undo_stack.pop()
        self._run(lambda lib: lib.undo_restructure(step), undoing=step.label)

    # -- plumbing ----------------------------------------------------------------------------
    def _run(self, op: Any, undoing: str | None = None) -> None:
        window = self.window

        def stored(result: Any) -> None:
            if undoing is None:
                self.undo_stack.append(result)
                focus = result.focus
                window.status.show_message(f"{result.label} done; Edit ▸ Undo puts it back.", 6000)
            else:
                focus = result
                window.status.show_message(f"{undoing} undone.", 4000)
            window.binder.reload(lambda: self._show(focus))

        def failed(exc: BaseException) -> None:
            window.editor.setReadOnly(window.current_node_id is None)
            window.show_error(str(exc))

        def start() -> None:
            # No typing while storage rewrites the texts: it would be saved over the step's result.
            window.editor.setReadOnly(True)
            window.db.submit(op, stored, failed)

        window._after_save(start)

    def _show(self, node_id: int) -> None:
        window = self.window
        window.current_node_id = None  # its text changed in storage: load it again
        window.announce(Change.TREE)
        window.open_document(node_id, then=window.editor.setFocus)
