"""History of the open document: snapshots, a word-level diff, restore.

The diff compares a snapshot with the text now in the editor (difflib on
words, so a changed comma does not paint a whole paragraph). Restoring goes
through ``Library.restore_revision``, which snapshots the current text first,
so a restore can itself be undone from this dialog.
"""

from __future__ import annotations

import difflib
import html
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from writer_app.ui.changes import Change

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
REASONS = {
    "manual": "Snapshot",
    "session-start": "Start of session",
    "before-ai-edit": "Before assistant edit",
    "before-restore": "Before restore",
    "before-import": "Before import",
}
ADDED_STYLE = "background:#d4f0d0;color:#1d4d17;"
REMOVED_STYLE = "background:#f6d4d1;color:#7a1d14;text-decoration:line-through;"


def diff_html(old: str, new: str) -> str:
    """Word-level diff of ``old`` (the snapshot) against ``new`` (the current text) as HTML."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f'<span style="{REMOVED_STYLE}">{html.escape("".join(a[i1:i2]))}</span>')
        if op in ("insert", "replace"):
            out.append(f'<span style="{ADDED_STYLE}">{html.escape("".join(b[j1:j2]))}</span>')
    body = "".join(out).replace("\n", "<br>")
    return f'<div style="font-family: Georgia, serif; font-size: 12pt; line-height: 140%;">{body}</div>'


def format_time(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return stamp
    return moment.strftime("%d %b %Y, %H:%M")


class RevisionsDialog(QDialog):
    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("revisionsDialog")
        self.window_ = window
        self.node_id = window.current_node_id
        title = window.current_node.title if window.current_node else "document"
        self.setWindowTitle(f"History — {title}")
        self.revisions: list[Any] = []
        self.list = QListWidget(self)
        self.list.setObjectName("revisionList")
        self.diff = QTextBrowser(self)
        self.diff.setObjectName("revisionDiff")
        self.summary = QLabel("Pick a snapshot to compare it with your current text.", self)
        self.summary.setWordWrap(True)
        self.restore_button = QPushButton("Restore This Version", self)
        self.restore_button.setObjectName("restoreRevision")
        self.restore_button.setEnabled(False)
        self.restore_button.setToolTip("Your current text is snapshotted first, so this can be undone.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.list)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.summary)
        right_layout.addWidget(self.diff, 1)
        splitter.addWidget(right)
        splitter.setSizes([260, 640])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        row.addWidget(self.restore_button)
        row.addStretch(1)
        row.addWidget(buttons)
        layout.addLayout(row)
        self.resize(980, 620)
        self.list.currentRowChanged.connect(self._show_revision)
        self.restore_button.clicked.connect(self.restore_selected)
        self.loaded = False
        self.reload()

    def reload(self) -> None:
        node_id = self.node_id
        if node_id is None:
            return
        # Save first so the list and the diff see the text the author sees.
        self.window_.autosave.save_now(then=lambda: self.window_.db.submit(
            lambda lib: lib.revisions(node_id), self._fill))

    def _fill(self, revisions: list[Any]) -> None:
        self.revisions = list(revisions)
        self.list.clear()
        for revision in self.revisions:
            reason = REASONS.get(revision.reason, revision.reason)
            item = QListWidgetItem(f"{format_time(revision.created_at)}\n{reason} · {revision.word_count:,} words")
            self.list.addItem(item)
        if not self.revisions:
            self.summary.setText("No snapshots yet. One is taken when you start a session, before "
                                 "assistant edits and when you choose Document ▸ Take Snapshot.")
        self.loaded = True
        if self.revisions:
            self.list.setCurrentRow(0)

    def _show_revision(self, row: int) -> None:
        self.restore_button.setEnabled(row >= 0)
        if not 0 <= row < len(self.revisions):
            return
        revision = self.revisions[row]
        current = self.window_.editor.manuscript_text()

        def show(old: str) -> None:
            if self.list.currentRow() != row:
                return
            self.diff.setHtml(diff_html(old, current))
            if old == current:
                self.summary.setText("This snapshot is the same as your current text.")
            else:
                self.summary.setText(f"Snapshot of {format_time(revision.created_at)} compared with your "
                                     "current text: struck-through red words are in the snapshot only, "
                                     "green words are new since.")

        self.window_.db.submit(lambda lib: lib.revision_text(revision.id), show)

    def restore_selected(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.revisions):
            return
        revision_id = self.revisions[row].id
        window = self.window_

        def restored(_result: Any) -> None:
            window.announce(Change.TEXT)  # the window shows the restored text
            window.status.show_message("Restored; your previous text is kept as a snapshot.", 5000)
            self.reload()

        window.autosave.save_now(then=lambda: window.db.submit(
            lambda lib: lib.restore_revision(revision_id), restored,
            lambda exc: window.show_error(f"Could not restore: {exc}")))


def open_revisions(window: MainWindow) -> RevisionsDialog | None:
    if window.current_node_id is None:
        return None
    dialog = RevisionsDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    window.revisions_dialog = dialog
    return dialog
