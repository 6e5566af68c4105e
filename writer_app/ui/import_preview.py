"""The import preview: the chapters an import found, to fix before anything is written.

File ▸ Import reads and parses the file on the background pool
(``plan_import``), then this dialog shows the plan's outline: kind, title, word
count (characters for Chinese and Japanese, :func:`writer_app.text.counts.count_words`)
and first line, the same rows ``writer-app import FILE --dry-run`` prints
(both come from :meth:`ImportPlan.outline`). The author can merge a chapter
with the next, split one at a line picked in the text beside the tree, rename
one (double-click its title), or make it a chapter, scene or note ("Front
matter" is a note, which training leaves out). Every edit is a function of
:mod:`writer_app.storage.import_edits` on the plan itself, so Import writes
exactly the rows shown, in one transaction; Cancel writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_app.errors import UserError
from writer_app.storage import import_edits
from writer_app.storage.importer import ImportPlan

PATH_ROLE = Qt.ItemDataRole.UserRole
MAX_PREVIEW_LINES = 5000  # a 60,000-word file that found no chapters has about this many paragraphs
FIRST_LINE_CHARS = 90
PREVIEW_LINE_CHARS = 300
KIND_NAMES = {"folder": "Folder", "chapter": "Chapter", "scene": "Scene", "note": "Note"}
COLUMNS = ("Title", "Kind", "Words", "First line")


def unit_for(language: str) -> str:
    """What a count counts: characters for Chinese and Japanese (no spaces between words)."""
    return "Characters" if language.split("-")[0] in ("zh", "ja") else "Words"


class ImportPreviewDialog(QDialog):
    """Shows an :class:`ImportPlan` and edits it in place; ``accepted`` means "write it"."""

    def __init__(self, plan: ImportPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importPreview")
        self.setWindowTitle(f"Import {plan.source.name}")
        self.plan = plan
        self._filling = False
        self.summary = QLabel(self)
        self.summary.setObjectName("importPreviewSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("importPreviewTree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([unit_for(plan.language) if c == "Words" else c for c in COLUMNS])
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 240)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.lines = QListWidget(self)
        self.lines.setObjectName("importPreviewLines")
        self.lines.setWordWrap(True)
        self.lines.setSpacing(2)
        self.lines.setToolTip("The chapter's paragraphs: pick one to split the chapter there")
        self.merge_button = self._button("importMergeButton", "Merge with Next",
                                         "Join this chapter and the one after it", self.merge_selected)
        self.split_button = self._button("importSplitButton", "Split Here",
                                         "Start a new chapter at the paragraph picked on the right",
                                         lambda: self.split_selected(line_is_title=False))
        self.split_title_button = self._button(
            "importSplitTitleButton", "Split Here, Line Is the Title",
            "The paragraph picked on the right is a chapter heading the import missed",
            lambda: self.split_selected(line_is_title=True))
        self.front_button = self._button("importFrontMatterButton", "Front Matter",
                                         "A title page, contents or preface: a note, left out of training",
                                         self.mark_front_matter)
        self.kind_box = QComboBox(self)
        self.kind_box.setObjectName("importKindBox")
        self.kind_box.setToolTip("Chapter, scene, or note (notes are left out of training)")
        for kind in import_edits.DOCUMENT_KINDS:
            self.kind_box.addItem(KIND_NAMES[kind], kind)
        self.kind_box.activated.connect(lambda index: self.set_selected_kind(self.kind_box.itemData(index)))
        self.error = QLabel(self)
        self.error.setObjectName("importPreviewError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #b00020")
        self.notes = QLabel(self)
        self.notes.setObjectName("importPreviewNotes")
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.notes.setWordWrap(True)
        shown_notes = plan.notes[:8] + ([f"… and {len(plan.notes) - 8} more"] if len(plan.notes) > 8 else [])
        self.notes.setText("\n".join(f"• {n}" for n in shown_notes))
        self.notes.setVisible(bool(plan.notes))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("importPreviewImport")
        self.import_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        splitter = QSplitter(self)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.lines)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        edits = QHBoxLayout()
        for widget in (self.merge_button, self.split_button, self.split_title_button, self.front_button,
                       QLabel("Kind:", self), self.kind_box):
            edits.addWidget(widget)
        edits.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(edits)
        layout.addWidget(self.error)
        layout.addWidget(self.notes)
        layout.addWidget(self.buttons)
        self.resize(1000, 640)

        self.tree.currentItemChanged.connect(lambda *_: self._show_selected())
        self.tree.itemChanged.connect(self._on_item_renamed)
        self.lines.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.refresh()
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))

    def _button(self, name: str, text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    # -- what is shown ----------------------------------------------------------------------
    def rows(self) -> list[tuple[int, str, str, int]]:
        """(depth, kind, title, words) per row, as shown: the dry run's outline of the same plan."""
        return [(line.depth, line.kind, line.title, line.words) for line in self.plan.outline()]

    def refresh(self, select: import_edits.Path | None = None) -> None:
        """Rebuild the tree from the plan (after every edit: the plan is the truth)."""
        self._filling = True
        self.tree.clear()
        items: dict[import_edits.Path, QTreeWidgetItem] = {}
        outline = self.plan.outline()
        for line, (path, section) in zip(outline, import_edits.walk(self.plan.sections), strict=True):
            parent = items.get(path[:-1])
            item = QTreeWidgetItem(parent) if parent is not None else QTreeWidgetItem(self.tree)
            item.setText(0, " ".join(line.title.split()))
            item.setText(1, KIND_NAMES.get(line.kind, line.kind))
            item.setText(2, f"{line.words:,}")
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            first = import_edits.first_line(section)
            item.setText(3, first if len(first) <= FIRST_LINE_CHARS else first[:FIRST_LINE_CHARS - 1] + "…")
            item.setToolTip(3, first[:600])
            item.setData(0, PATH_ROLE, path)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setExpanded(True)
            items[path] = item
        self._filling = False
        self.tree.setRootIsDecorated(any(len(path) > 1 for path in items))
        documents = sum(1 for line in outline if line.kind != "folder")
        unit = unit_for(self.plan.language).lower()
        total = sum(line.words for line in outline)
        by = f" by {self.plan.author}" if self.plan.author else ""
        self.summary.setText(f"“{self.plan.title}”{by}: {documents:,} document{'s' if documents != 1 else ''}, "
                             f"{total:,} {unit}. Nothing is written until you press Import.")
        if select is not None and select in items:
            self.tree.setCurrentItem(items[select])
        elif select is not None and items:
            self.tree.setCurrentItem(items[max(p for p in items if len(p) == 1)])
        self._show_selected()

    def selected_path(self) -> import_edits.Path | None:
        item = self.tree.currentItem()
        return tuple(item.data(0, PATH_ROLE)) if item is not None else None

    def select_path(self, path: import_edits.Path) -> None:
        for index in range(self.tree.topLevelItemCount()):
            found = self._find(self.tree.topLevelItem(index), tuple(path))
            if found is not None:
                self.tree.setCurrentItem(found)
                return

    def _find(self, item: QTreeWidgetItem, path: import_edits.Path) -> QTreeWidgetItem | None:
        if tuple(item.data(0, PATH_ROLE)) == path:
            return item
        for index in range(item.childCount()):
            found = self._find(item.child(index), path)
            if found is not None:
                return found
        return None

    def _show_selected(self) -> None:
        self.lines.clear()
        path = self.selected_path()
        if path is not None:
            section = import_edits.section_at(self.plan.sections, path)
            paragraphs = import_edits.text_lines(section.text)
            for number, line in enumerate(paragraphs[:MAX_PREVIEW_LINES]):
                text = line.strip()
                text = text if len(text) <= PREVIEW_LINE_CHARS else text[:PREVIEW_LINE_CHARS - 1] + "…"
                item = QListWidgetItem(f"{number + 1}. {text}")
                item.setToolTip(line.strip()[:2000])
                self.lines.addItem(item)
            if len(paragraphs) > MAX_PREVIEW_LINES:
                more = QListWidgetItem(f"… {len(paragraphs) - MAX_PREVIEW_LINES:,} more paragraphs "
                                       "(split earlier, then split the new part)")
                more.setFlags(Qt.ItemFlag.NoItemFlags)
                self.lines.addItem(more)
            index = self.kind_box.findData(section.kind)
            self.kind_box.setCurrentIndex(index if index >= 0 else -1)
        self._update_buttons()

    def _update_buttons(self) -> None:
        path = self.selected_path()
        section = import_edits.section_at(self.plan.sections, path) if path is not None else None
        document = section is not None and section.kind != "folder"
        siblings = self.plan.sections if path is None or len(path) == 1 else \
            import_edits.section_at(self.plan.sections, path[:-1]).children
        self.merge_button.setEnabled(path is not None and path[-1] + 1 < len(siblings))
        row = self.lines.currentRow()
        can_split = document and 0 < row < min(self.lines.count(), MAX_PREVIEW_LINES)
        self.split_button.setEnabled(can_split)
        self.split_title_button.setEnabled(can_split)
        self.front_button.setEnabled(document)
        self.kind_box.setEnabled(document)

    # -- edits ------------------------------------------------------------------------------
    def _edit(self, change: Callable[[], import_edits.Path | None]) -> bool:
        """Run one edit of the plan; a refusal is one line in the dialog and changes nothing."""
        try:
            select = change()
        except UserError as exc:
            self.error.setText(str(exc))
            return False
        self.error.clear()
        self.refresh(select)
        return True

    def merge_selected(self) -> bool:
        path = self.selected_path()
        if path is None:
            return False
        return self._edit(lambda: (import_edits.merge_with_next(self.plan.sections, path), path)[1])

    def split_selected(self, line_is_title: bool = False, paragraph: int | None = None) -> bool:
        """Split the chosen chapter before the picked paragraph (``paragraph``, else the picked row)."""
        path = self.selected_path()
        row = self.lines.currentRow() if paragraph is None else paragraph
        if path is None:
            return False

        def split() -> import_edits.Path:
            import_edits.split_at_paragraph(self.plan.sections, path, row, line_is_title=line_is_title)
            return (*path[:-1], path[-1] + 1)

        return self._edit(split)

    def set_selected_kind(self, kind: str) -> bool:
        path = self.selected_path()
        if path is None:
            return False
        return self._edit(lambda: (import_edits.set_kind(self.plan.sections, path, kind), path)[1])

    def mark_front_matter(self) -> bool:
        path = self.selected_path()
        if path is None:
            return False
        return self._edit(lambda: (import_edits.mark_front_matter(self.plan.sections, path), path)[1])

    def rename_path(self, path: import_edits.Path, title: str) -> bool:
        return self._edit(lambda: (import_edits.rename(self.plan.sections, path, title), path)[1])

    def _on_item_renamed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        path, title = tuple(item.data(0, PATH_ROLE)), item.text(0)

        def rename() -> None:  # later: the tree is rebuilt, and this item is still in its signal
            if not self.rename_path(path, title):
                self.refresh(path)  # put the old title back

        QTimer.singleShot(0, self, rename)
