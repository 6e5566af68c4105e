"""Starting the writing desk: profile lock, a healthy database, the window, extensions.

``build_main_window`` is what tests and ``writer-app --data-dir DIR`` share:
it opens the profile's library (refusing to write to a database that fails
its integrity check, and offering the latest good backup instead), makes a
first project on an empty profile so the page is usable at once, restores
where the author left off, and installs the optional extensions (assistant,
trainer tab).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from writer_app.errors import UserError
from writer_app.paths import ProfilePaths, profile_paths
from writer_app.settings import load_settings
from writer_app.ui import main_thread_gc
from writer_app.ui.backups import BackupScheduler
from writer_app.ui.bible_panel import StoryBiblePanel
from writer_app.ui.focus_mode import FocusMode
from writer_app.ui.main_window import MainWindow
from writer_app.ui.menus import build_menus
from writer_app.ui.mnemonics import assign_mnemonics
from writer_app.ui.preview import PreviewPane
from writer_app.ui.themes import apply_theme

log = logging.getLogger(__name__)

EXTENSIONS = ("writer_app.ui.assistant", "writer_app.ui.trainer_tab")
SMOKE_EXIT_ENV = "WRITER_APP_SMOKE_EXIT_MS"
FIRST_PROJECT_TITLE = "My Novel"
STARTUP_WAIT_MS = 20_000

# ask_restore(problem, backup_path) -> True to restore that backup over the damaged database.
# ``problem`` says what was found (storage.health.damaged_library_message, as the CLI says it)
# and what the backup lacks compared with the current file.
AskRestore = Callable[[str, Path], bool]


def _ask_restore_dialog(problem: str, backup: Path) -> bool:
    """The question in words a novelist reads; SQLite's own findings go under Show Details."""
    from writer_app.storage.health import split_damaged_message

    finding, advice = split_damaged_message(problem)
    box = QMessageBox(QMessageBox.Icon.Warning, "The library cannot be opened",
                      "Your library file is damaged, so it was not opened.")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText(
        f"{advice}\n\nRestore {backup.name}? The current file is kept beside the library either way, "
        "so nothing in it is deleted and its newer text can still be salvaged from it "
        "(writer-app check --salvage).")
    if finding:
        box.setDetailedText(finding)
    restore = box.addButton("Restore the Backup", QMessageBox.ButtonRole.AcceptRole)
    leave = box.addButton("Leave It as It Is", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(leave)
    box.exec()
    return box.clickedButton() is restore


def open_library(paths: ProfilePaths, ask_restore: AskRestore, notices: list[str] | None = None) -> Any:
    """Open the profile's library for writing only if it passes its integrity check.

    A damaged, empty (0 bytes) or unrecognisable file is never opened or replaced by a new
    library: the author is told what was found and what the newest good backup lacks, and
    asked before it is restored. Busy (another program holds the lock) is raised as it is,
    with no restore offer. ``notices`` collects what the author should be told afterwards
    (an empty file set aside, a restore done).
    """
    from writer_app.storage import Library
    from writer_app.storage import backup as backups
    from writer_app.storage.db import LibraryDamagedError
    from writer_app.storage.health import open_for_writing
    from writer_app.storage.salvage import backup_gap

    notices = [] if notices is None else notices
    try:
        library, found = open_for_writing(paths.database, paths.backups)
    except LibraryDamagedError as exc:
        problem = str(exc)
        good = backups.latest_good_backup(paths.backups)
        if good is None:
            raise
        if exc.kind in ("corrupt", "unreadable"):
            problem = f"{problem} {backup_gap(paths.database, good)}"
        if not ask_restore(problem, Path(good)):
            raise UserError(f"{exc} The library was left as it is.") from exc
        aside = backups.restore_backup(good, paths.database)
        kept = f"; the file it replaced is kept as {aside.name}" if aside else ""
        notices.append(f"Restored {Path(good).name}{kept}.")
        return Library.open(paths.database)
    notices.extend(found)
    return library


def ensure_first_project(library: Any) -> None:
    """An empty profile gets "My Novel" with one chapter, so the page is usable at once."""
    if library.list_projects():
        return
    project = library.create_project(FIRST_PROJECT_TITLE)
    library.create_node(project.id, "chapter", "Chapter 1")


def install_extensions(window: MainWindow, names: tuple[str, ...] = EXTENSIONS) -> list[str]:
    installed = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if exc.name == name:  # that extension is not part of this build
                continue
            raise
        module.install(window)
        installed.append(name)
    return installed


def build_main_window(data_dir: str | os.PathLike[str] | None,
                      ask_restore: AskRestore | None = None,
                      extensions: tuple[str, ...] = EXTENSIONS,
                      welcome: bool = False) -> MainWindow:
    """The main window for the profile in ``data_dir``, loaded but not shown.

    ``extensions=()`` builds the desk alone (the desk's own tests, which should
    not pay for the assistant's inference thread). ``welcome=True`` (what
    ``run_app`` passes) greets an empty profile with the welcome dialog instead
    of a silent "My Novel"; dismissing it still makes that starter project.
    """
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("build_main_window needs a QApplication")
    main_thread_gc.install(app)  # before any worker thread starts (see main_thread_gc)
    paths = profile_paths(data_dir).ensure()
    settings = load_settings(paths)
    settings.theme = apply_theme(app, settings.theme)
    notices: list[str] = []
    library = open_library(paths, ask_restore or _ask_restore_dialog, notices)
    from writer_app.settings import migrate_legacy_adapter  # the active adapter lives only in the library now

    migrate_legacy_adapter(paths, settings, library)
    first_run = welcome and not library.list_projects()
    if not first_run:
        ensure_first_project(library)

    window = MainWindow(paths, settings, library)
    window.editor.set_dark(settings.theme == "dark")
    window.focus_mode = FocusMode(window)
    window.backups = BackupScheduler(window)
    build_menus(window)
    window.bible = StoryBiblePanel(window)
    window.bible_dock = window.add_panel(window.bible, "Story Bible")
    window.preview = PreviewPane(window.editor)
    window.preview_dock = window.add_panel(window.preview, "Preview")
    install_extensions(window, extensions)  # before opening, so extensions see projectOpened/documentOpened
    for menu in window.menus.values():  # e.g. no Assistant menu in a build without the assistant
        menu.menuAction().setVisible(not menu.isEmpty())
    assign_mnemonics(window)  # every entry reachable by keyboard, the extensions' too
    window.restore_layout()  # after the extensions added their panels, so their docks are restored too
    if first_run:
        from writer_app.ui.welcome_dialog import open_welcome

        open_welcome(window)  # its choice (or Skip) opens a project; the window is usable meanwhile
    else:
        _open_last_place(window)
    window.backups.backup_if_due()  # at start only when due: never a copy per start
    for notice in notices:
        log.warning("%s", notice)
        window.status.show_message(notice, 30_000)
    window.startup_notices = notices
    return window


def _open_last_place(window: MainWindow) -> None:
    """Open the project and document the author had open, and wait (start-up only) until shown."""
    saved = window.settings.extra.get("window") or {}
    summaries = window.db.run_sync(lambda lib: lib.list_projects())
    ids = [s.project.id for s in summaries]
    project_id = saved.get("project_id") if saved.get("project_id") in ids else ids[0]
    loop = QEventLoop()
    done = {"value": False}

    def finished() -> None:
        done["value"] = True
        loop.quit()

    window.open_project(project_id, saved.get("node_id"), then=finished)
    QTimer.singleShot(STARTUP_WAIT_MS, loop.quit)
    if not done["value"]:
        loop.exec()


def show_startup_error(message: str) -> None:
    """One clear message: on stderr (scripts) and in a box (people)."""
    print(f"writer-app: error: {message}", file=sys.stderr)
    box = QMessageBox(QMessageBox.Icon.Critical, "Writer cannot start", message)
    smoke = os.environ.get(SMOKE_EXIT_ENV)
    if smoke:
        QTimer.singleShot(int(smoke), box.accept)
    box.exec()


class _Terminator:
    """SIGTERM/SIGINT (logout, Ctrl+C in a terminal) close the window, which saves first.

    Installed before the window exists so a signal during start-up is not lost; Python
    runs signal handlers only when it gets control, so a light timer lets it in while
    Qt's event loop runs.
    """

    def __init__(self) -> None:
        self.window: MainWindow | None = None
        self.requested = False
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, *_args: object) -> None:
        self.requested = True
        if self.window is not None:
            QTimer.singleShot(0, self.window.close)

    def attach(self, window: MainWindow) -> None:
        self.window = window
        wake = QTimer(window)
        wake.timeout.connect(lambda: None)
        wake.start(250)
        if self.requested:
            QTimer.singleShot(0, window.close)


def app_icon() -> QIcon:
    """The shipped icon in every size, so each desktop picks the sharpest one."""
    from writer_app.resources import ICON_SIZES, resource_path

    icon = QIcon()
    for size in ICON_SIZES:
        try:
            icon.addFile(str(resource_path("icons", f"writer-app-{size}.png")))
        except FileNotFoundError as exc:  # a broken bundle: a missing icon must not stop the app
            log.warning("%s", exc)
    return icon


def run_app(data_dir: str | os.PathLike[str] | None) -> int:
    """Create the application, take the profile lock, show the window, run."""
    from writer_app.storage.lock import ProfileLock

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Writer")
    app.setOrganizationName("writer-app")
    QGuiApplication.setDesktopFileName("writer-app")  # Wayland/GNOME match the window to writer-app.desktop
    app.setWindowIcon(app_icon())
    terminator = _Terminator()
    paths = profile_paths(data_dir).ensure()
    lock = ProfileLock(paths.lock_file)
    try:
        lock.acquire()
    except UserError as exc:
        show_startup_error(str(exc))
        return UserError.exit_code
    try:
        try:
            window = build_main_window(data_dir, welcome=True)
        except UserError as exc:
            show_startup_error(str(exc))
            return UserError.exit_code
        window.show()
        app.aboutToQuit.connect(window.shutdown)  # quit without a close event still saves
        terminator.attach(window)
        smoke = os.environ.get(SMOKE_EXIT_ENV)
        if smoke:
            QTimer.singleShot(int(smoke), window.close)
        return int(app.exec())
    finally:
        lock.release()
