"""The writing desk: binder on the left, the page in the middle, panels on the right.

The window owns one :class:`DatabaseWorker` (``window.db``, the library pool
of ``ui.background``); every read and write of the library goes through it, so
the GUI thread never waits on SQLite. Work that does not touch the library goes
to ``window.background`` instead, so that a save never waits behind it. Opening
a project or a document always saves the open document first (and refuses to
switch if that save failed, so no words are dropped).

What changed is broadcast once on ``window.changed`` (see ``ui/changes.py``):
``window.announce(Change.SETTINGS)`` after the settings changed, and each view
applies what it shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox, QVBoxLayout, QWidget

from writer_app.paths import ProfilePaths
from writer_app.settings import AppSettings, save_settings
from writer_app.ui.autosave import AutosaveController
from writer_app.ui.background import BackgroundPool, DatabaseWorker, shared_pool
from writer_app.ui.binder import Binder
from writer_app.ui.changes import Change
from writer_app.ui.editor import ManuscriptEditor
from writer_app.ui.find_replace import FindReplaceBar
from writer_app.ui.projects_places import ProjectPlaces, default_document
from writer_app.ui.status_panel import StatusPanel

if TYPE_CHECKING:
    from writer_app.storage import Library
    from writer_app.storage.models import Node, Project, SaveResult
    from writer_app.ui.assistant.inference_worker import InferenceClient


class AssistantHandle(Protocol):
    """What the rest of the desk may ask of the assistant (``ui.assistant.install`` sets
    ``window.assistant``; a build without it leaves None). A Protocol, so the window does not
    import the assistant that imports it."""

    client: InferenceClient

    @property
    def model_loaded(self) -> bool: ...

    def unload_model(self) -> None: ...

    def reload_model(self, force: bool = False) -> None: ...

log = logging.getLogger(__name__)

APP_TITLE = "Writer"


class MainWindow(QMainWindow):
    projectOpened = Signal(int)
    documentOpened = Signal(int)
    # Emitted after the settings changed, right after ``changed`` carried Change.SETTINGS (the
    # assistant listens here); listeners compare what they care about (e.g. the model).
    settingsChanged = Signal()
    # What changed, as a frozenset of writer_app.ui.changes.Change (e.g. ADAPTERS when an adapter
    # is activated, renamed, deleted or registered); emit it through announce(); see ui/changes.py.
    changed = Signal(object)
    # Emitted first thing in shutdown(), before the layout is remembered (focus mode leaves here).
    closing = Signal()

    def __init__(self, paths: ProfilePaths, settings: AppSettings, library: Library) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.paths = paths
        self.settings = settings
        self.library = library
        self.db = DatabaseWorker(library, self)
        self.background: BackgroundPool = shared_pool()
        self.assistant: AssistantHandle | None = None
        self.current_project_id: int | None = None
        self.current_node_id: int | None = None
        self.current_project: Project | None = None
        self.current_node: Node | None = None
        self.project_search: QWidget | None = None  # ui.search_panel docks it on first use, then keeps it
        self.menus: dict[str, QMenu] = {}
        self.actions_by_name: dict[str, QAction] = {}
        self._right_docks: list[QDockWidget] = []
        self._closed = False
        self._opening: int | None = None  # the document being loaded, if any
        self.changes_since_backup = False
        self.places = ProjectPlaces(self)  # each project's document, cursor and open folders

        self.editor = ManuscriptEditor(self)
        self.editor.set_editor_font(settings.editor_font_family, settings.editor_font_size,
                                    settings.editor_line_width)
        self.find_bar = FindReplaceBar(self.editor, self)
        central = QWidget(self)
        central.setObjectName("page")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.find_bar)
        self.setCentralWidget(central)

        self.binder = Binder(self.db, self)
        self.binder_dock = QDockWidget("Binder", self)
        self.binder_dock.setObjectName("binderDock")
        self.binder_dock.setWidget(self.binder)
        self.binder_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.binder_dock)
        self.resizeDocks([self.binder_dock], [260], Qt.Orientation.Horizontal)

        self.status = StatusPanel(self.statusBar())
        self.autosave = AutosaveController(self.editor, self.db, settings.autosave_interval_ms)
        self.autosave.stateChanged.connect(self._on_save_state)
        self.autosave.saved.connect(self._on_saved)
        self.autosave.saveFailed.connect(self._on_save_failed)
        self.db.failed.connect(self.show_error)
        self.binder.documentActivated.connect(self.open_document)
        self.binder.projectChosen.connect(self.open_project)
        self.binder.errorOccurred.connect(self.show_error)
        self.binder.nodesChanged.connect(lambda: self.announce(Change.TREE))
        self.changed.connect(self._on_changed)
        self.closing.connect(self.places.remember)
        self.resize(1280, 820)
        self._update_title()

    # -- what changed ------------------------------------------------------------------------
    def announce(self, *changes: Change) -> None:
        """Tell every view what changed (once); each decides whether what it shows is affected."""
        if changes:
            self.changed.emit(frozenset(changes))

    def _on_changed(self, changes: frozenset[Change]) -> None:
        if Change.TREE in changes:
            self._on_nodes_changed()
        if Change.TEXT in changes:  # stored from outside the editor (a revision restored): show it
            self.reload_current_document()
        if Change.SUMMARIES in changes:
            self.binder.reload()  # its tooltips show the stored summaries
        if Change.PROJECTS in changes:
            self._refresh_projects()
        if Change.SETTINGS in changes:
            settings = self.settings
            self.editor.set_editor_font(settings.editor_font_family, settings.editor_font_size,
                                        settings.editor_line_width)
            self.autosave.set_interval(settings.autosave_interval_ms)
            self.settingsChanged.emit()

    # -- panels -----------------------------------------------------------------------------
    def add_panel(self, widget: QWidget, title: str,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Dock ``widget``; right-hand panels share one tabbed area (assistant, trainer, bible…)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{widget.objectName() or title.replace(' ', '')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if area == Qt.DockWidgetArea.RightDockWidgetArea:
            if self._right_docks:
                self.tabifyDockWidget(self._right_docks[-1], dock)
            self._right_docks.append(dock)
        view = self.menus.get("View")
        if view is not None:
            view.addAction(dock.toggleViewAction())
        return dock

    # -- projects and documents -------------------------------------------------------------
    def open_project(self, project_id: int, node_id: int | None = None,
                     then: Callable[[], None] | None = None) -> None:
        """Open at ``node_id``, else where the author left this project (``ui/projects_places``)."""
        place = self.places.switching_to(project_id)
        if node_id is None and place is not None:
            node_id = place.node_id

        def load(lib: Library) -> tuple:
            return (lib.get_project(project_id), lib.nodes(project_id),
                    lib.project_word_count(project_id), lib.list_projects())

        def loaded(result: tuple) -> None:
            project, nodes, words, summaries = result
            self.current_project_id = project_id
            self.current_project = project
            self.binder.project_id = project_id
            self.binder.language = project.language  # Chinese and Japanese count characters
            self.binder.populate(nodes)
            self.places.expand(place)
            self.binder.set_projects(summaries, project_id)
            self.status.start_session(words, project.word_target)
            self.places.opened(project_id)
            self.projectOpened.emit(project_id)
            ids = {n.id for n in nodes}
            target = node_id if node_id in ids else default_document(nodes)
            if target is not None:
                self.open_document(target, then=self.places.arrival(place, target, then))
            else:
                self.autosave.set_document(None, "")
                self.current_node_id = self.current_node = None
                self.editor.setReadOnly(True)
                self._update_title()
                if then:
                    then()

        self._after_save(lambda: self.db.submit(load, loaded))

    def _refresh_projects(self) -> None:
        """Projects were created, renamed, duplicated, trashed or restored: the switcher and title follow."""
        project_id = self.current_project_id
        if project_id is None:
            return

        def shown(result: tuple) -> None:
            summaries, project = result
            if project_id == self.current_project_id:
                self.current_project = project
                self.binder.set_projects(summaries, project_id)
                self._update_title()

        self.db.submit(lambda lib: (lib.list_projects(), lib.get_project(project_id)), shown)

    def open_document(self, node_id: int, then: Callable[[], None] | None = None) -> None:
        if (node_id == self.current_node_id or node_id == self._opening) and then is None:
            return
        self._opening = node_id

        def loaded(result: tuple) -> None:
            if self.autosave.dirty:  # typed while the worker was loading: store that first
                self._after_save(lambda: loaded(result))
                return
            if self._opening != node_id:  # a newer request won
                return
            self._opening = None
            node, text = result
            self.autosave.set_document(node_id, text)
            self.editor.setReadOnly(False)
            self.current_node_id = node_id
            self.current_node = node
            self.binder.select_node(node_id)
            self.status.set_document_words(node.word_count)
            self._update_title()
            self.documentOpened.emit(node_id)
            if then:
                then()

        self._after_save(lambda: self.db.submit(lambda lib: (lib.get_node(node_id), lib.get_text(node_id)),
                                                loaded))

    def _after_save(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the open document is safely stored; refuse if the save failed."""
        def check() -> None:
            if self.autosave.state == "error":
                self._opening = None
                self.show_error("Your latest changes could not be saved, so the document stays open. "
                                f"({self.autosave.last_error})")
                return
            if self.autosave.dirty:  # the author typed on while the save ran: save that too
                self._after_save(action)
                return
            action()

        self.autosave.save_now(then=check)

    def save_now(self) -> None:
        """Ctrl+S: save at once (autosave would anyway, but authors like to be sure)."""
        self.autosave.save_now(then=lambda: self.status.show_message("Saved", 2000)
                               if not self.autosave.dirty else None)

    def reload_current_document(self) -> None:
        """Show the stored text again (after a revision restore)."""
        if self.current_node_id is not None:
            node_id, self.current_node_id = self.current_node_id, None
            self.open_document(node_id)

    # -- save state, counts, title ----------------------------------------------------------
    def _on_save_state(self, state: str) -> None:
        self.status.set_save_state(state, self.autosave.last_error)
        self._update_title()

    def _on_saved(self, node_id: int, result: SaveResult) -> None:
        self.changes_since_backup = self.changes_since_backup or bool(result.changed)
        self.binder.set_word_count(node_id, result.word_count)
        if node_id == self.current_node_id:
            self.status.set_document_words(result.word_count)
        if result.normalized and node_id == self.current_node_id:
            self.reload_current_document()
        project_id = self.current_project_id
        if project_id is not None and result.changed:
            self.db.submit(lambda lib: lib.project_word_count(project_id),
                           lambda words: self.status.set_project_words(words)
                           if project_id == self.current_project_id else None)

    def _on_save_failed(self, message: str) -> None:
        self.show_error(message, title="Not saved")

    def _on_nodes_changed(self) -> None:
        node = self.binder.node(self.current_node_id) if self.current_node_id else None
        if node is not None:
            self.current_node = node
        elif self.current_node_id is not None:  # the open document went to the trash
            self.current_node_id = None
            self.open_project(self.current_project_id)
        self._update_title()

    def _update_title(self) -> None:
        parts = []
        if self.current_node is not None:
            parts.append(self.current_node.title)
        if self.current_project is not None:
            parts.append(self.current_project.title)
        parts.append(APP_TITLE)
        self.setWindowTitle(" — ".join(parts[:1]) + "[*]" + "".join(f" — {p}" for p in parts[1:]))
        self.setWindowModified(self.autosave.state != "saved")

    def show_error(self, message: str, title: str = "Writer") -> None:
        """Non-blocking message box (tests and autosave never wait on it)."""
        self.status.show_message(message, 8000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorBox")
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file name or title with "<b>" is text, not markup
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- shutdown ---------------------------------------------------------------------------
    def remember_state(self) -> None:
        self.settings.extra["window"] = {
            "geometry": bytes(self.saveGeometry().toBase64()).decode("ascii"),
            "state": bytes(self.saveState().toBase64()).decode("ascii"),
            "project_id": self.current_project_id,
            "node_id": self.current_node_id,
        }
        try:
            save_settings(self.paths, self.settings)
        except OSError as exc:
            log.warning("could not save settings: %s", exc)

    def restore_layout(self) -> None:
        saved = self.settings.extra.get("window") or {}
        if saved.get("geometry"):
            self.restoreGeometry(QByteArray.fromBase64(saved["geometry"].encode("ascii")))
        if saved.get("state"):
            self.restoreState(QByteArray.fromBase64(saved["state"].encode("ascii")))
        elif self._right_docks:
            # First start: show the assistant (what a new author reaches for), not
            # whichever panel happened to be docked last (the trainer).
            preferred = [d for d in self._right_docks if d.objectName() == "dock_assistantPanel"]
            (preferred or self._right_docks)[0].raise_()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Save the open document, wait for the worker, remember where the author was."""
        if self._closed:
            return
        self._closed = True
        self.closing.emit()
        self.autosave.save_now()  # queued first: the worker stores the words before the library closes
        self.hide()  # the author sees the window go now; the save and the rest finish behind it
        self.remember_state()
        self.db.close()
        try:
            self.library.close()
        except Exception as exc:  # noqa: BLE001 - closing must not hide the window's own close
            log.warning("closing the library failed: %s", exc)
