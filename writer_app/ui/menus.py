"""The window's menus and shortcuts, in one place.

Shortcuts use ``QKeySequence.StandardKey`` where Qt has one, so each platform
gets its own convention (Cmd on macOS, Ctrl elsewhere) and the menus show it.
Extensions add their own actions to ``window.menus["Assistant"]`` etc.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

Shortcut = QKeySequence.StandardKey | str | None
# Where a platform has no standard binding (e.g. Quit and Preferences on some desktops).
FALLBACKS = {QKeySequence.StandardKey.Quit: "Ctrl+Q", QKeySequence.StandardKey.Preferences: "Ctrl+,",
             QKeySequence.StandardKey.Replace: "Ctrl+H", QKeySequence.StandardKey.FullScreen: "F11"}
MENU_ORDER = ("File", "Edit", "Document", "View", "Assistant", "Help")


def _action(window: MainWindow, menu: str, name: str, text: str, handler: Callable[[], object],
            shortcut: Shortcut = None, checkable: bool = False) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if isinstance(shortcut, QKeySequence.StandardKey):
        bindings = QKeySequence.keyBindings(shortcut)
        if bindings:
            action.setShortcuts(shortcut)
        elif shortcut in FALLBACKS:
            action.setShortcut(QKeySequence(FALLBACKS[shortcut]))
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    action.triggered.connect(lambda _checked=False: handler())
    window.menus[menu].addAction(action)
    window.addAction(action)  # shortcuts keep working while the menu bar is hidden (focus mode)
    window.actions_by_name[name] = action
    return action


def build_menus(window: MainWindow) -> None:
    from writer_app.ui import file_ops
    from writer_app.ui.diagnostics_dialog import open_diagnostics
    from writer_app.ui.guide_dialog import open_guide
    from writer_app.ui.revisions_dialog import open_revisions
    from writer_app.ui.search_panel import open_project_search
    from writer_app.ui.settings_dialog import open_settings

    bar = window.menuBar()
    for title in MENU_ORDER:
        window.menus[title] = bar.addMenu(f"&{title}")
    std = QKeySequence.StandardKey
    editor = window.editor

    _action(window, "File", "actionNewProject", "New &Project…", lambda: file_ops.new_project(window))
    _action(window, "File", "actionImport", "&Import…", lambda: file_ops.import_file(window))
    _action(window, "File", "actionExportProject", "&Export Project…", lambda: file_ops.export(window, True))
    _action(window, "File", "actionExportDocument", "Export &Document…",
            lambda: file_ops.export(window, False))
    _action(window, "File", "actionExportSelection", "Export Se&lection…",
            lambda: file_ops.export_selection(window))
    window.menus["File"].addSeparator()
    _action(window, "File", "actionSave", "&Save", window.save_now, std.Save)
    _action(window, "File", "actionBackup", "&Back Up Now", window.backups.backup_now)
    window.menus["File"].addSeparator()
    _action(window, "File", "actionQuit", "&Quit", window.close, std.Quit)

    from writer_app.ui.scene_ops import SceneOps

    window.scene_ops = SceneOps(window)
    # Typing first, then the last split / merge / duplicate / move (ui/scene_ops.py).
    _action(window, "Edit", "actionUndo", "&Undo", window.scene_ops.undo, std.Undo)
    _action(window, "Edit", "actionRedo", "&Redo", editor.redo, std.Redo)
    window.menus["Edit"].addSeparator()
    _action(window, "Edit", "actionCut", "Cu&t", editor.cut, std.Cut)
    _action(window, "Edit", "actionCopy", "&Copy", editor.copy, std.Copy)
    _action(window, "Edit", "actionPaste", "&Paste", editor.paste, std.Paste)
    _action(window, "Edit", "actionSelectAll", "Select &All", editor.selectAll, std.SelectAll)
    window.menus["Edit"].addSeparator()
    _action(window, "Edit", "actionFind", "&Find…", lambda: window.find_bar.open_find(False), std.Find)
    _action(window, "Edit", "actionReplace", "R&eplace…", lambda: window.find_bar.open_find(True),
            std.Replace)
    _action(window, "Edit", "actionFindInProject", "Find in Pro&ject…",
            lambda: open_project_search(window), "Ctrl+Shift+F")
    _build_spell_action(window)
    window.menus["Edit"].addSeparator()
    _action(window, "Edit", "actionSettings", "Setti&ngs…", lambda: open_settings(window), std.Preferences)

    binder = window.binder
    _action(window, "Document", "actionNewChapter", "New &Chapter", lambda: file_ops.new_node(window, "chapter"))
    _action(window, "Document", "actionNewScene", "New &Scene", lambda: file_ops.new_node(window, "scene"),
            std.New)
    _action(window, "Document", "actionNewFolder", "New &Folder", lambda: file_ops.new_node(window, "folder"))
    _action(window, "Document", "actionRename", "&Rename…", lambda: file_ops.rename_current(window), "F2")
    _action(window, "Document", "actionMoveUp", "Move &Up",
            lambda: binder.move_by(binder.selected_node_id() or 0, -1), "Ctrl+Shift+Up")
    _action(window, "Document", "actionMoveDown", "Move &Down",
            lambda: binder.move_by(binder.selected_node_id() or 0, 1), "Ctrl+Shift+Down")
    window.menus["Document"].addSeparator()
    _action(window, "Document", "actionTrash", "Move to &Trash", lambda: file_ops.trash_selected(window))
    _action(window, "Document", "actionRestoreTrash", "Rest&ore from Trash…",
            lambda: file_ops.restore_from_trash(window))
    _action(window, "Document", "actionWordTarget", "Set &Word Target…", lambda: file_ops.set_word_target(window))
    _build_scene_actions(window)
    window.menus["Document"].addSeparator()
    _action(window, "Document", "actionSnapshot", "Take S&napshot", lambda: file_ops.snapshot(window))
    _action(window, "Document", "actionHistory", "&History…", lambda: open_revisions(window), "Ctrl+Alt+H")

    _action(window, "View", "actionZoomIn", "Zoom &In", lambda: editor.zoom(1), std.ZoomIn)
    _action(window, "View", "actionZoomOut", "Zoom &Out", lambda: editor.zoom(-1), std.ZoomOut)
    _action(window, "View", "actionZoomReset", "&Actual Size", lambda: editor.zoom(0), "Ctrl+0")
    window.menus["View"].addSeparator()
    focus = _action(window, "View", "actionFocusMode", "&Focus Mode", window.focus_mode.toggle, std.FullScreen)
    if not any(k.matches(QKeySequence("F11")) for k in focus.shortcuts()):
        focus.setShortcuts([QKeySequence("F11"), *focus.shortcuts()])
    _action(window, "View", "actionDarkTheme", "&Dark Theme", lambda: file_ops.toggle_theme(window),
            checkable=True).setChecked(window.settings.theme == "dark")
    window.menus["View"].addSeparator()
    window.menus["View"].addAction(window.binder_dock.toggleViewAction())

    _action(window, "Help", "actionGettingStarted", "&Getting Started", lambda: open_guide(window))
    _build_shortcuts_action(window)
    _action(window, "Help", "actionDiagnostics", "&Diagnostics…", lambda: open_diagnostics(window))
    window.menus["Help"].addSeparator()
    _action(window, "Help", "actionAbout", "&About Writer", lambda: file_ops.about(window))

    add_goals_actions(window)
    add_project_actions(window)

    # Right-click in the binder offers the same document commands.
    tree = window.binder.tree
    tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    for name in ("actionNewChapter", "actionNewScene", "actionNewFolder", "actionRename", "actionMoveUp",
                 "actionMoveDown", "actionMergeScenes", "actionDuplicate", "actionMoveToChapter", "actionTrash",
                 "actionRestoreTrash", "actionHistory"):
        tree.addAction(window.actions_by_name[name])


def add_goals_actions(window: MainWindow) -> None:
    """Document ▸ Writing Goals… (ui/goals_dialog.py) and the status bar's goals (ui/goals_tracker.py)."""
    from writer_app.ui.goals_dialog import open_goals
    from writer_app.ui.goals_tracker import install_goals_tracker

    target = window.actions_by_name["actionWordTarget"]
    goals = _action(window, "Document", "actionGoals", "Writing &Goals…", lambda: open_goals(window), "Ctrl+Alt+G")
    window.menus["Document"].insertAction(target, goals)  # beside the target it extends
    install_goals_tracker(window)


def add_project_actions(window: MainWindow) -> None:
    """File ▸ Open Recent and File ▸ Manage Projects… (ui/projects_recent.py, ui/projects_dialog.py)."""
    from writer_app.ui.projects_dialog import open_project_manager
    from writer_app.ui.projects_recent import RecentProjectsMenu

    file_menu = window.menus["File"]
    after_new = window.actions_by_name["actionImport"]
    manage = _action(window, "File", "actionProjectManager", "&Manage Projects…",
                     lambda: open_project_manager(window), "Ctrl+Alt+P")
    file_menu.insertAction(after_new, manage)
    window.recent_menu = RecentProjectsMenu(window)  # type: ignore[attr-defined]
    file_menu.insertMenu(after_new, window.recent_menu)
    file_menu.insertSeparator(after_new)


def add_action(window: MainWindow, menu: str, name: str, text: str, handler: Callable[[], object],
               shortcut: Shortcut = None, checkable: bool = False) -> QAction:
    """For extensions: an action in ``window.menus[menu]``, registered like the desk's own."""
    return _action(window, menu, name, text, handler, shortcut, checkable)


def _build_spell_action(window: MainWindow) -> None:
    """Edit ▸ Check Spelling as You Type (F7); the dictionary loads in the background."""
    from writer_app.ui.spell import ACTION_TEXT, SpellController

    controller = SpellController(window)
    controller.action = _action(window, "Edit", "actionSpellCheck", ACTION_TEXT, controller.toggle, "F7",
                                checkable=True)
    controller.refresh()
    window.spell = controller
    controller.load()


def _build_scene_actions(window: MainWindow) -> None:
    """Split, merge, duplicate and move scenes; each one step that Edit ▸ Undo takes back."""
    ops = window.scene_ops
    window.menus["Document"].addSeparator()
    _action(window, "Document", "actionSplitScene", "Sp&lit Scene at Cursor", ops.split_at_cursor, "Ctrl+Shift+K")
    _action(window, "Document", "actionMergeScenes", "&Merge Selected Scenes", ops.merge_selected, "Ctrl+Shift+M")
    _action(window, "Document", "actionDuplicate", "Dupl&icate", ops.duplicate, "Ctrl+Shift+D")
    _action(window, "Document", "actionMoveToChapter", "Move to Ch&apter…", ops.pick_chapter, "Ctrl+Alt+M")
    _action(window, "Document", "actionMoveNextChapter", "Move to Ne&xt Chapter", lambda: ops.move_by_chapter(1),
            "Ctrl+Shift+PgDown")
    _action(window, "Document", "actionMovePreviousChapter", "Move to Pre&vious Chapter",
            lambda: ops.move_by_chapter(-1), "Ctrl+Shift+PgUp")


def _build_shortcuts_action(window: MainWindow) -> None:
    from writer_app.ui.shortcuts_dialog import open_shortcuts

    _action(window, "Help", "actionShortcuts", "&Keyboard Shortcuts", lambda: open_shortcuts(window), "Ctrl+/")
