"""The binder: the project's folders, chapters and scenes, with word counts.

Reads and writes go through the database worker; the tree is rebuilt from
``Library.nodes`` after every change, so what the author sees is always what
is stored. Drag and drop is Qt's internal move; after the drop the new parent
and index are read back from the tree and sent to ``Library.move_node`` (if
storage refuses, the tree is reloaded as it was).

The right-click menu is built from ``context_menu_hooks`` (like the editor's),
so extensions such as the assistant add entries ("Summarise chapter") without
the binder importing them. A document's tooltip shows its stored summary and whether the author approved it.

Counts roll up: a chapter or folder shows the words of everything inside it
(its own text plus all its descendants), a scene its own. Storage keeps each
node's own count (``Node.word_count``, characters for Chinese and Japanese:
:func:`writer_app.text.counts.count_words`); the binder adds them up once per
fill, in one pass over the depth-first list, and after a save adds the
difference to the node and its ancestors only, so an autosave in a
60-chapter book touches a handful of rows, not the tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_app.ui.background import DatabaseWorker

NODE_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_LABELS = {"folder": "▸", "chapter": "§", "scene": "·", "note": "✎"}



def count_unit(language: str) -> str:
    """The count column's name: characters (字) for Chinese and Japanese, else words."""
    return "Characters" if (language or "").split("-")[0] in ("zh", "ja") else "Words"


# hook(menu, node_id): add entries for the item right-clicked (None: the empty area / the project).
BinderMenuHook = Callable[[QMenu, int | None], None]


class BinderTree(QTreeWidget):
    """A QTreeWidget whose drops are reported as (node, new parent, new index)."""

    nodeDropped = Signal(int, object, int)  # node_id, parent_id | None, index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("binderTree")
        self.setColumnCount(2)
        self.setHeaderLabels(["Manuscript", "Words"])
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        # Shift+arrows / Ctrl+click select several scenes (Document ▸ Merge Selected Scenes).
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setUniformRowHeights(True)
        self.setAnimated(True)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """Work out (parent, index) from the drop point; the database, not Qt, moves the item."""
        item = self.currentItem()
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if item is None:
            return
        parent, index = self.drop_target(event.position().toPoint())
        old_parent = item.parent()
        old_index = old_parent.indexOfChild(item) if old_parent else self.indexOfTopLevelItem(item)
        if parent is old_parent and old_index < index:
            index -= 1  # storage takes the node out before inserting it again
        parent_id = parent.data(0, NODE_ROLE) if parent is not None else None
        self.nodeDropped.emit(int(item.data(0, NODE_ROLE)), parent_id, index)

    def drop_target(self, point: QPoint) -> tuple[QTreeWidgetItem | None, int]:
        """Above or below an item's edge: beside it; on its middle: inside it (folders, chapters)."""
        target = self.itemAt(point)
        if target is None:
            return None, self.topLevelItemCount()
        rect = self.visualItemRect(target)
        parent = target.parent()
        index = parent.indexOfChild(target) if parent else self.indexOfTopLevelItem(target)
        edge = max(2, rect.height() // 4)
        if point.y() < rect.top() + edge:
            return parent, index
        if point.y() > rect.bottom() - edge or not (target.flags() & Qt.ItemFlag.ItemIsDropEnabled):
            return parent, index + 1
        return target, target.childCount()


class Binder(QWidget):
    """Project switcher plus the document tree; emits ``documentActivated`` on click."""

    documentActivated = Signal(int)
    projectChosen = Signal(int)
    nodesChanged = Signal()
    errorOccurred = Signal(str)

    def __init__(self, worker: DatabaseWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("binder")
        self.worker = worker
        self.project_id: int | None = None
        self.nodes: list[Any] = []
        self._items: dict[int, QTreeWidgetItem] = {}
        self._own: dict[int, int] = {}  # words in the node's own text, as stored
        self._total: dict[int, int] = {}  # its own plus all its descendants'
        self._parent: dict[int, int | None] = {}
        self._index: dict[int, int] = {}  # node id -> its place in self.nodes
        self.language = ""  # the project's; Chinese and Japanese count characters
        self._filling = False
        self.context_menu_hooks: list[BinderMenuHook] = []
        self.project_combo = QComboBox(self)
        self.project_combo.setObjectName("projectSwitcher")
        self.project_combo.setToolTip("Switch project")
        self.tree = BinderTree(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.project_combo)
        layout.addWidget(self.tree)
        self.project_combo.activated.connect(self._on_project_activated)
        self.tree.itemActivated.connect(self._on_item)
        self.tree.itemClicked.connect(self._on_item)
        self.tree.itemChanged.connect(self._on_item_renamed)
        self.tree.nodeDropped.connect(self.move_node)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._show_context_menu)

    # -- right-click menu -------------------------------------------------------------------
    def _show_context_menu(self, point: QPoint) -> None:
        item = self.tree.itemAt(point)
        menu = self.build_context_menu(int(item.data(0, NODE_ROLE)) if item is not None else None)
        if not menu.isEmpty():
            menu.exec(self.tree.viewport().mapToGlobal(point))
        menu.deleteLater()

    def build_context_menu(self, node_id: int | None) -> QMenu:
        """Every hook's entries for ``node_id`` (separate from showing it, so tests can inspect it)."""
        menu = QMenu(self)
        menu.setObjectName("binderContextMenu")
        for hook in list(self.context_menu_hooks):
            if not menu.isEmpty():
                menu.addSeparator()
            hook(menu, node_id)
        return menu

    # -- projects ---------------------------------------------------------------------------
    def set_projects(self, summaries: list[Any], current_id: int | None) -> None:
        self.project_combo.blockSignals(True)
        self.project_combo.clear()
        for summary in summaries:
            self.project_combo.addItem(f"{summary.project.title}", summary.project.id)
        index = self.project_combo.findData(current_id)
        if index >= 0:
            self.project_combo.setCurrentIndex(index)
        self.project_combo.blockSignals(False)

    def _on_project_activated(self, index: int) -> None:
        project_id = self.project_combo.itemData(index)
        if project_id is not None and project_id != self.project_id:
            self.projectChosen.emit(int(project_id))

    # -- tree -------------------------------------------------------------------------------
    def reload(self, then: Callable[[], None] | None = None) -> None:
        project_id = self.project_id
        if project_id is None:
            return

        def done(nodes: list[Any]) -> None:
            if project_id == self.project_id:
                self.populate(nodes)
            if then:
                then()

        self.worker.submit(lambda lib: lib.nodes(project_id), done, self._error)

    def populate(self, nodes: list[Any]) -> None:
        selected = self.selected_node_id()
        expanded = {nid for nid, item in self._items.items() if item.isExpanded()}
        first_fill = not self._items
        self._filling = True
        self.tree.clear()
        self._items = {}
        self.nodes = list(nodes)
        self._index = {node.id: index for index, node in enumerate(self.nodes)}
        self._own = {node.id: node.word_count for node in nodes}
        self._parent = {node.id: node.parent_id for node in nodes}
        self._total = dict(self._own)
        for node in reversed(self.nodes):  # depth-first order: every child comes after its parent
            if node.parent_id in self._total:
                self._total[node.parent_id] += self._total[node.id]
        self.tree.setHeaderLabels(["Manuscript", count_unit(self.language)])
        for node in nodes:
            parent = self._items.get(node.parent_id) if node.parent_id is not None else None
            item = QTreeWidgetItem(parent) if parent is not None else QTreeWidgetItem(self.tree)
            item.setText(0, node.title)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(0, NODE_ROLE, node.id)
            item.setData(0, KIND_ROLE, node.kind)
            flags = item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled
            if node.kind in ("folder", "chapter"):
                flags |= Qt.ItemFlag.ItemIsDropEnabled
            else:
                flags &= ~Qt.ItemFlag.ItemIsDropEnabled
            item.setFlags(flags)
            self._items[node.id] = item
            self._show_count(node.id)
            item.setExpanded(first_fill or node.id in expanded)
        self._filling = False
        if selected is not None:
            self.select_node(selected)

    def _show_count(self, node_id: int) -> None:
        item, node = self._items.get(node_id), self.node(node_id)
        if item is None or node is None:
            return
        total, own = self._total.get(node_id, 0), self._own.get(node_id, 0)
        item.setText(1, f"{total:,}")
        unit = count_unit(self.language).lower()
        item.setToolTip(0, self._tooltip(node))
        item.setToolTip(1, f"{total:,} {unit} in all, {own:,} in its own text" if total != own
                        else f"{own:,} {unit}")

    @staticmethod
    def _tooltip(node: Any) -> str:
        tip = f"{node.kind.capitalize()}: {node.title}"
        summary = (getattr(node, "summary", "") or "").strip()
        if not summary:
            return tip
        if getattr(node, "summary_approved", False):
            edited = ", edited by you" if getattr(node, "summary_edited", False) else ""
            return f"{tip}\n\nSummary (approved{edited}): {summary}"
        return (f"{tip}\n\nSummary (the assistant's, not approved: the model is not told it; "
                f"right-click ▸ Review summary…): {summary}")

    def words(self, node_id: int) -> int:
        """What the row shows: the node's words with everything inside it."""
        return self._total.get(node_id, 0)

    def node(self, node_id: int) -> Any | None:
        index = self._index.get(node_id)
        return self.nodes[index] if index is not None else None

    def selected_node_id(self) -> int | None:
        item = self.tree.currentItem()
        return int(item.data(0, NODE_ROLE)) if item is not None else None

    def selected_node_ids(self) -> list[int]:
        """Every selected node in binder order (the current one alone when nothing is selected)."""
        chosen = [node.id for node in self.nodes if (item := self._items.get(node.id)) is not None
                  and item.isSelected()]
        current = self.selected_node_id()
        return chosen or ([current] if current is not None else [])

    def select_node(self, node_id: int) -> None:
        item = self._items.get(node_id)
        if item is not None:
            self.tree.blockSignals(True)
            self.tree.setCurrentItem(item)
            self.tree.blockSignals(False)

    def set_word_count(self, node_id: int, words: int) -> None:
        """A save counted ``words`` in the node's own text: update it and the rows above it."""
        if node_id not in self._own:
            return
        delta = words - self._own[node_id]
        self._own[node_id] = words
        index = self._index.get(node_id)
        if index is not None and self.nodes[index].word_count != words:  # node() answers what is stored
            self.nodes[index] = replace(self.nodes[index], word_count=words)
        self._filling = True
        current: int | None = node_id
        while current is not None and current in self._total:
            self._total[current] += delta
            self._show_count(current)
            current = self._parent.get(current)
        self._filling = False

    def _on_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.documentActivated.emit(int(item.data(0, NODE_ROLE)))

    def _on_item_renamed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        node_id = int(item.data(0, NODE_ROLE))
        title = item.text(0).strip()
        if title:
            self.rename_node(node_id, title)
        else:
            self.reload()

    # -- operations (all through the worker, then reload) -----------------------------------
    def _after_change(self, then: Callable[[Any], None] | None = None) -> Callable[[Any], None]:
        def done(result: Any) -> None:
            self.reload(lambda: (self.nodesChanged.emit(), then(result) if then else None))

        return done

    def _error(self, exc: BaseException) -> None:
        self.errorOccurred.emit(str(exc))
        self.reload()

    def create_node(
        self, kind: str, title: str, parent_id: int | None, then: Callable[[Any], None] | None = None
    ) -> None:
        project_id = self.project_id
        self.worker.submit(
            lambda lib: lib.create_node(project_id, kind, title, parent_id=parent_id),
            self._after_change(then),
            self._error,
        )

    def rename_node(self, node_id: int, title: str) -> None:
        self.worker.submit(lambda lib: lib.rename_node(node_id, title), self._after_change(), self._error)

    def move_node(self, node_id: int, parent_id: int | None, index: int) -> None:
        self.worker.submit(
            lambda lib: lib.move_node(node_id, parent_id, index), self._after_change(), self._error
        )

    def move_by(self, node_id: int, delta: int) -> None:
        """Move a node up (-1) or down (+1) among its siblings (keyboard-friendly reorder)."""
        node = self.node(node_id)
        if node is None:
            return
        siblings = [n for n in self.nodes if n.parent_id == node.parent_id]
        index = next(i for i, n in enumerate(siblings) if n.id == node_id) + delta
        if 0 <= index < len(siblings):
            self.move_node(node_id, node.parent_id, index)

    def trash_node(self, node_id: int, then: Callable[[Any], None] | None = None) -> None:
        self.worker.submit(lambda lib: lib.trash_node(node_id), self._after_change(then), self._error)

    def restore_node(self, node_id: int, then: Callable[[Any], None] | None = None) -> None:
        self.worker.submit(lambda lib: lib.restore_node(node_id), self._after_change(then), self._error)
