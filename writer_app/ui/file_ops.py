"""Menu commands that ask the author something, then run one library operation.

Every operation goes through the window's database worker; a ``UserError``
comes back as the same one-line message the CLI prints, and nothing changes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox

from writer_app import __version__
from writer_app.ui.themes import apply_theme

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

IMPORT_FILTER = ("Manuscripts (*.txt *.md *.markdown *.text *.docx *.odt *.epub *.rtf);;"
                 "Scrivener or novelWriter project (*.scrivx nwProject.nwx);;All files (*)")
# The save dialog's choices; the format follows the file name's suffix (or, without one, the filter).
EXPORT_FILTERS = (("Markdown", ".md"), ("HTML", ".html"), ("Plain text", ".txt"),
                  ("Word document", ".docx"), ("EPUB e-book", ".epub"), ("OpenDocument text", ".odt"))
EXPORT_FILTER = ";;".join(f"{name} (*{suffix})" for name, suffix in EXPORT_FILTERS)
EXPORT_FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".txt": "txt",
                  ".docx": "docx", ".epub": "epub", ".odt": "odt"}
# NSSavePanel always confirms replacing a file; DontConfirmOverwrite cannot turn that off.
NATIVE_SAVE_DIALOG_CONFIRMS = sys.platform == "darwin"


def _error_handler(window: MainWindow, what: str):  # noqa: ANN202 - returns a callback
    return lambda exc: window.show_error(f"{what}: {exc}")


def new_project(window: MainWindow, title: str | None = None) -> None:
    if title is None:
        title, ok = QInputDialog.getText(window, "New Project", "Title of the new project:")
        if not ok or not title.strip():
            return

    def create(lib: Any) -> int:
        project = lib.create_project(title.strip())
        lib.create_node(project.id, "chapter", "Chapter 1")
        return project.id

    window.db.submit(create, window.open_project, _error_handler(window, "Could not create the project"))


def import_path(window: MainWindow, path: str | Path, replace_invalid: bool = False,
                on_failed: Callable[[], None] | None = None, preview: bool = True) -> None:
    """Import a file or folder as a new project and open it; a bad file changes nothing.

    Reading and parsing (``plan_import``) run on the background pool, never on the GUI
    thread, and write nothing; the import preview then shows what was found, and only its
    Import button writes the plan (as the author left it) on the database worker, in one
    transaction. A UTF-8 file with a few bad bytes fails the first reading with their
    count; the author is then asked (here, on the GUI thread) whether to import it with
    them replaced, and a yes reads it again with ``replace_invalid``. ``on_failed`` runs
    when nothing was imported: a refusal, a no, or Cancel in the preview. ``preview=False``
    (the bundled sample novel: nothing to check) writes the plan as parsed.
    """
    from writer_app.storage.decoding import InvalidBytesError
    from writer_app.storage.importer import ImportPlan, import_plan, plan_import
    from writer_app.ui.import_preview import ImportPreviewDialog

    path = Path(path)

    def gave_up() -> None:
        if on_failed is not None:
            on_failed()

    def write(plan: ImportPlan) -> None:
        window.status.show_message(f"Importing {path.name}…", 0)
        window.db.submit(lambda lib: import_plan(lib, plan).id, lambda project_id: done(project_id, plan.notes),
                         failed)

    def done(project_id: int, notes: list[str]) -> None:
        window.status.show_message("Imported", 3000)
        window.open_project(project_id)
        if notes:
            box = QMessageBox(QMessageBox.Icon.Information, "Imported",
                              f"Imported {path.name}. Worth knowing:\n\n" + "\n".join(f"• {n}" for n in notes[:20])
                              + (f"\n… and {len(notes) - 20} more" if len(notes) > 20 else ""),
                              QMessageBox.StandardButton.Ok, window)
            box.setObjectName("importNotesBox")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def planned(plan: ImportPlan) -> None:
        window.status.bar.clearMessage()
        if not preview:
            write(plan)
            return
        dialog = ImportPreviewDialog(plan, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: write(dialog.plan))
        dialog.rejected.connect(gave_up)
        dialog.open()

    def failed(exc: BaseException) -> None:
        window.status.bar.clearMessage()
        if isinstance(exc, InvalidBytesError) and not replace_invalid:
            if ask_replace_invalid(window, path, exc.count):
                import_path(window, path, replace_invalid=True, on_failed=on_failed, preview=preview)
            else:
                gave_up()
            return
        window.show_error(f"Could not import the file: {exc}")
        gave_up()

    window.status.show_message(f"Reading {path.name}…", 0)
    window.background.run(lambda _task: plan_import(path, replace_invalid=replace_invalid), planned, failed,
                          owner=window)


def ask_replace_invalid(window: MainWindow, path: Path, count: int) -> bool:
    """Yes to import with the invalid bytes replaced by U+FFFD (the rest is kept exactly)."""
    noun = "byte sequence" if count == 1 else "byte sequences"
    answer = QMessageBox.question(
        window, "Damaged text",
        f"{path.name} is UTF-8 text, but {count:,} invalid {noun} in it cannot be read "
        "(a damaged or truncated copy, or a character pasted in from another encoding).\n\n"
        f"Import it with {'that' if count == 1 else 'those'} replaced by �? Everything else is imported "
        "exactly, and the file itself is not changed.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def import_file(window: MainWindow) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Import a manuscript", str(Path.home()), IMPORT_FILTER)
    if path:
        import_path(window, path)


def export_to(window: MainWindow, whole_project: bool, out: str | Path, overwrite: bool = False,
              node_ids: list[int] | None = None) -> None:
    """Export in the database worker; the target is checked there again (it may have changed).

    ``node_ids``: a selection of documents (``export_documents``) instead of the project or
    the open document.
    """
    from writer_app.storage import exporter

    out = Path(out)
    fmt = EXPORT_FORMATS.get(out.suffix.lower(), "md")
    project_id, node_id = window.current_project_id, window.current_node_id
    options = {"overwrite": overwrite, "profile": window.paths}
    chosen = list(node_ids) if node_ids is not None else None

    def run(lib: Any) -> None:
        if chosen is not None:
            exporter.export_documents(lib, chosen, fmt, out, **options)
        elif whole_project:
            exporter.export_project(lib, project_id, fmt, out, **options)
        else:
            exporter.export_document(lib, node_id, fmt, out, **options)

    window.autosave.save_now(then=lambda: window.db.submit(
        run, lambda _r: window.status.show_message(f"Exported to {out}", 5000),
        _error_handler(window, "Could not export")))


def with_format_suffix(path: str, chosen_filter: str) -> str:
    """``path`` as named, or with the chosen filter's suffix when it has none ("Chapter 3" typed
    in the EPUB filter is Chapter 3.epub; a name with any suffix is kept as the author wrote it)."""
    if Path(path).suffix:
        return path
    suffix = next((s for name, s in EXPORT_FILTERS if chosen_filter.startswith(f"{name} (")), "")
    return path + suffix if suffix else path


def confirm_export_target(window: MainWindow, path: str | Path, already_asked: bool = False) -> bool | None:
    """Ask once whether to replace an existing file: True to replace, False for a new file,
    None when the author declined or the path is refused (already said in a message box).

    ``already_asked``: the save dialog has confirmed the replacement itself.
    """
    from writer_app.errors import UserError
    from writer_app.storage.export_target import Protected, TargetExists, check_target

    try:
        check_target(path, Protected.for_profile(window.paths), overwrite=False)
    except TargetExists:
        if already_asked:
            return True
        answer = QMessageBox.question(
            window, "Replace file?", f"{Path(path).name} already exists in {Path(path).parent}. Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return True if answer == QMessageBox.StandardButton.Yes else None
    except UserError as exc:
        window.show_error(f"Could not export: {exc}")
        return None
    return False


def suggested_file_name(title: str) -> str:
    """A title as a file name in the home folder: no folder separators, no hidden or empty name."""
    name = re.sub(r'[/\\:*?"<>|\x00-\x1f]+', " ", title)
    name = " ".join(name.split()).strip(". ")
    return name[:120] or "Export"


def export(window: MainWindow, whole_project: bool, node_ids: list[int] | None = None) -> None:
    if window.current_project_id is None or (not whole_project and node_ids is None
                                             and window.current_node_id is None):
        return
    if node_ids is not None:
        roots = [window.binder.node(node_id) for node_id in node_ids]
        name = roots[0].title if len(roots) == 1 and roots[0] is not None else window.current_project.title
    else:
        name = (window.current_project if whole_project else window.current_node).title
    # The app asks about replacing a file itself, so the dialog is told not to; macOS's native
    # panel asks whatever it is told, and then the app does not ask a second time.
    path, chosen_filter = QFileDialog.getSaveFileName(
        window, "Export", str(Path.home() / f"{suggested_file_name(name)}.md"), EXPORT_FILTER,
        options=QFileDialog.Option.DontConfirmOverwrite)
    if not path:
        return
    path = with_format_suffix(path, chosen_filter or "")
    overwrite = confirm_export_target(window, path, already_asked=NATIVE_SAVE_DIALOG_CONFIRMS)
    if overwrite is not None:
        export_to(window, whole_project, path, overwrite=overwrite, node_ids=node_ids)


def export_selection(window: MainWindow) -> None:
    """File ▸ Export Selection: check documents in a copy of the binder's tree, then export
    them (each with everything inside it) through the same save dialog and questions."""
    from writer_app.ui.export_selection import ExportSelectionDialog

    if window.current_project_id is None:
        return
    selected = window.binder.selected_node_id()
    language = window.current_project.language if window.current_project is not None else ""
    dialog = ExportSelectionDialog(window.binder.nodes, [selected] if selected is not None else [], language,
                                   window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: export(window, False, node_ids=dialog.chosen_ids()))
    dialog.open()


def new_node(window: MainWindow, kind: str, title: str | None = None) -> None:
    if window.current_project_id is None:
        return
    if title is None:
        title, ok = QInputDialog.getText(window, f"New {kind}", "Title:", text=f"New {kind}")
        if not ok:
            return
    binder = window.binder
    selected = binder.node(binder.selected_node_id() or -1)
    parent_id = None
    if selected is not None and kind == "scene":
        parent_id = selected.id if selected.kind in ("chapter", "folder") else selected.parent_id
    elif selected is not None and selected.kind == "folder" and kind != "folder":
        parent_id = selected.id
    # The new document opens ready to type: the focus leaves the binder for the page.
    binder.create_node(kind, title or f"New {kind}", parent_id, then=lambda node_id: window.open_document(
        node_id if isinstance(node_id, int) else node_id.id, then=window.editor.setFocus))


def rename_current(window: MainWindow) -> None:
    node = window.binder.node(window.binder.selected_node_id() or -1)
    if node is None:
        return
    title, ok = QInputDialog.getText(window, "Rename", "New title:", text=node.title)
    if ok and title.strip():
        window.binder.rename_node(node.id, title.strip())


def trash_selected(window: MainWindow) -> None:
    node_id = window.binder.selected_node_id()
    if node_id is not None:
        window.autosave.save_now(then=lambda: window.binder.trash_node(node_id))


def restore_from_trash(window: MainWindow) -> None:
    project_id = window.current_project_id

    def choose(nodes: list[Any]) -> None:
        if not nodes:
            QMessageBox.information(window, "Trash", "The trash is empty.")
            return
        labels = [f"{n.title} ({n.kind}, {n.word_count:,} words)" for n in nodes]
        label, ok = QInputDialog.getItem(window, "Restore from Trash", "Restore:", labels, 0, False)
        if ok:
            window.binder.restore_node(nodes[labels.index(label)].id)

    window.db.submit(lambda lib: lib.trashed_nodes(project_id), choose)


def set_word_target(window: MainWindow, target: int | None = None) -> None:
    """The project's word target drives the status bar's progress bar (0 hides it)."""
    project_id = window.current_project_id
    if project_id is None:
        return
    if target is None:
        current = window.current_project.word_target if window.current_project else 0
        target, ok = QInputDialog.getInt(window, "Word Target", "Words for the whole project (0 for none):",
                                         current, 0, 10_000_000, 1000)
        if not ok:
            return

    def done(project: Any) -> None:
        window.current_project = project
        window.status.set_project_words(window.status.project_words, project.word_target)

    window.db.submit(lambda lib: lib.update_project(project_id, word_target=target), done,
                     _error_handler(window, "Could not set the word target"))


def snapshot(window: MainWindow) -> None:
    node_id = window.current_node_id
    if node_id is None:
        return
    window.autosave.save_now(then=lambda: window.db.submit(
        lambda lib: lib.snapshot(node_id, reason="manual"),
        lambda _rev: window.status.show_message("Snapshot taken", 3000)))


def set_theme(window: MainWindow, name: str) -> None:
    app = QApplication.instance()
    window.settings.theme = apply_theme(app, name)
    window.editor.set_dark(window.settings.theme == "dark")
    window.editor.refresh_font()  # a new application style sheet resets widget fonts
    action = window.actions_by_name.get("actionDarkTheme")
    if action is not None:
        action.setChecked(window.settings.theme == "dark")


def toggle_theme(window: MainWindow) -> None:
    set_theme(window, "light" if window.settings.theme == "dark" else "dark")


def about(window: MainWindow) -> None:
    QMessageBox.about(window, "About Writer",
                      f"<b>Writer</b> {__version__}<br>A private writing desk. Your words stay on this "
                      f"machine.<br><br>Profile: {window.paths.data}")
