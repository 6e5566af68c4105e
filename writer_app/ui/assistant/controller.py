"""The assistant inside the editor: wires the worker, the actions and the panels.

``install(window)`` builds one :class:`Assistant`. It starts loading the model
in the background at once, so the author can type while it loads; a load
error becomes a message in the panel and the status bar, never a dialog that
blocks typing.

The controller alone builds and connects the features (continuation,
selection tasks, style, summaries, context menu). Each is handed the window,
the model client, its panel and the assistant as an
:class:`~writer_app.ui.assistant.ports.AssistantPort` (settings, stats,
messages, discarding the ghost text); none imports this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMenu

from writer_app.llm.engine import server_config_from_settings
from writer_app.llm.generation import GenerationSettings
from writer_app.storage.adapters import folder_problem
from writer_app.ui.assistant.assistant_panel import AssistantPanel
from writer_app.ui.assistant.context import run_db
from writer_app.ui.assistant.context_menu import ContextMenu
from writer_app.ui.assistant.continuation import Continuation
from writer_app.ui.assistant.inference_worker import InferenceClient, ModelConfig
from writer_app.ui.assistant.ports import Stats
from writer_app.ui.assistant.selection_tasks import SelectionTasks
from writer_app.ui.assistant.style_list import StylePanel
from writer_app.ui.assistant.style_panel import StyleSuggestions
from writer_app.ui.assistant.summaries import Summaries
from writer_app.ui.changes import Change

if TYPE_CHECKING:
    from writer_app.settings import AppSettings
    from writer_app.storage.library import Library
    from writer_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def model_key(settings: AppSettings) -> tuple:
    """The settings that need a reload when they change (the adapter is added from the library)."""
    return (settings.model, settings.device, settings.quantization, settings.allow_pickle_weights,
            settings.trust_remote_code, server_config_from_settings(settings))


@dataclass(frozen=True)
class ActiveAdapter:
    """The library's active adapter as the assistant sees it (read on the database worker)."""

    id: int | None = None
    name: str = ""
    path: str = ""  # the folder to attach; "" for none, or when it cannot be used (see problem)
    problem: str = ""  # why the active adapter is not attached, for the author

    @property
    def key(self) -> tuple[int | None, str]:
        """What decides a reload: the adapter's id and folder (a rename changes neither)."""
        return (self.id, self.path)


def resolve_active_adapter(library: Library) -> ActiveAdapter:
    adapter = library.active_adapter()
    if adapter is None:
        return ActiveAdapter()
    problem = folder_problem(adapter.path)
    return ActiveAdapter(adapter.id, adapter.name, "" if problem else str(adapter.path), problem)


class Assistant(QObject):
    """Owns the model client, the panels and the features; what the window (and tests) hold."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.client = InferenceClient(self)
        self.last_stats: Stats = {}
        self._loaded_key: tuple | None = None
        self.active_adapter = ActiveAdapter()  # as last read from the library

        self.panel = AssistantPanel(window.settings)
        self.style_panel = StylePanel()
        client = self.client
        self.continuation = Continuation(self, window, client, parent=self)
        self.selection = SelectionTasks(self, window, client, self.panel, parent=self)
        self.style = StyleSuggestions(self, window, client, self.style_panel, parent=self)
        self.summaries = Summaries(self, window, client, self.panel, parent=self)
        self._build_actions()
        self.context_menu = ContextMenu(self.selection, self.style, self.summaries, window.binder,
                                        without_selection=(self.action_continue, self.action_suggest_style))
        window.editor.context_menu_hooks.append(self.context_menu.hook)
        window.binder.context_menu_hooks.append(self.context_menu.binder_hook)

        self.status_label = QLabel("Model: loading…")
        self.status_label.setObjectName("assistantModelStatus")
        window.statusBar().addPermanentWidget(self.status_label)
        self.continuation.message.connect(self.show_message)
        self.continuation.contextUsed.connect(self.panel.show_context)
        # The names shown belong to the book they were used for: a switch to another project clears them.
        window.projectOpened.connect(lambda _pid: self.panel.context_label.clear())
        self.client.loadProgress.connect(self._on_load_progress)
        self.client.modelLoaded.connect(self._on_loaded)
        self.client.loadFailed.connect(self._on_load_failed)
        self.client.unloaded.connect(self._on_unloaded)
        self.client.busyChanged.connect(lambda _busy: self._update_cancel())
        self.continuation.ghost.activeChanged.connect(lambda _active: self._update_cancel())
        self.continuation.ghost.rangeChanged.connect(self.refresh_decorations)
        self.style.underlinesChanged.connect(self.refresh_decorations)
        self._update_cancel()

        window.add_panel(self.panel, "Assistant")
        window.add_panel(self.style_panel, "Style")
        window.installEventFilter(self)
        # client, not self: the assistant's C++ side is gone by the time this fires
        window.destroyed.connect(lambda *_: client.shutdown())
        # Each reloads only on a real change: a model setting, or the active adapter (ui/changes.py).
        window.settingsChanged.connect(lambda *_: self.reload_model())
        window.changed.connect(self._on_library_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.reload_model()

    # -- actions --------------------------------------------------------------------------
    def _action(self, name: str, text: str, slot: Callable[[], object], shortcuts: tuple[str | QKeySequence, ...] = (),
                local: bool = False) -> QAction:
        """A window action; ``local`` shortcuts work only in the editor and the assistant's panels."""
        action = QAction(text, self.window)
        action.setObjectName(name)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut if local
                                      else Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        if local:
            for widget in (self.window.editor, self.panel, self.style_panel):
                widget.addAction(action)
        else:
            self.window.addAction(action)
        self.window.actions_by_name[name] = action
        return action

    def _build_actions(self) -> None:
        sel = self.selection
        self.action_continue = self._action("actionContinue", "Continue writing", self.continuation.start,
                                            ("Ctrl+Return", "Ctrl+Enter"))
        # Esc is local and enabled only while there is something to stop, so that it still
        # closes the find bar and leaves focus mode the rest of the time.
        self.action_cancel = self._action("actionCancel", "Stop / discard suggestion", self.cancel, ("Esc",),
                                          local=True)
        self.action_rewrite = self._action("actionRewrite", "Rewrite", lambda: sel.run("rewrite", preset="rephrase"))
        self.action_expand = self._action("actionExpand", "Expand", lambda: sel.run("expand"))
        self.action_shorten = self._action("actionShorten", "Shorten", lambda: sel.run("shorten"))
        self.action_describe = self._action("actionDescribe", "Describe", lambda: sel.run("describe"))
        self.action_summarise = self._action("actionSummarise", "Summarise", self.summarise)
        self.action_suggest_style = self._action("actionSuggestStyle", "Suggest style", self.style.run,
                                                 ("Ctrl+Shift+Y",))
        self.action_summarise_book = self._action("actionSummariseBook", "Summarise the whole book",
                                                  self.summaries.summarise_book)
        menu = self.window.menus.get("Assistant")
        if menu is None:
            menu = QMenu("&Assistant", self.window)
            self.window.menuBar().addMenu(menu)
            self.window.menus["Assistant"] = menu
        for action in (self.action_continue, self.action_cancel):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.action_rewrite, self.action_expand, self.action_shorten, self.action_describe,
                       self.action_summarise, self.action_suggest_style):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.action_summarise_book)
        self.action_reload = self._action("actionReloadModel", "Reload the model",
                                          lambda: self.reload_model(force=True))
        menu.addAction(self.action_reload)

    def discard_continuation(self) -> None:
        """For the features: stop a continuation and throw its ghost away before they edit the page."""
        self.continuation.cancel()

    def cancel(self) -> None:
        """Esc: stop whatever the assistant is doing (ghost text first)."""
        if self.continuation.cancel():
            self.show_message("Suggestion discarded.")
            return
        self.selection.stop()
        self.style.stop()
        self.summaries.stop()

    def refresh_decorations(self) -> None:
        """The editor's extra selections: style underlines plus the ghost-text overlay."""
        self.window.editor.setExtraSelections(
            self.style.underlines() + self.continuation.ghost.extra_selections())

    def _update_cancel(self) -> None:
        self.action_cancel.setEnabled(self.client.busy or self.continuation.ghost.active)

    def summarise(self) -> None:
        """A selection is summarised in the panel; without one, the chapter is summarised and stored."""
        if self.window.editor.textCursor().hasSelection():
            self.selection.run("summarise")
        else:
            self.summaries.summarise_current()

    # -- generation settings and the model ---------------------------------------------------
    def generation_settings(self) -> GenerationSettings:
        values = self.panel.generation_values()
        return GenerationSettings.from_app_settings(self.window.settings, **values)

    def _on_library_changed(self, changes: frozenset[Change]) -> None:
        if Change.ADAPTERS in changes:
            self.reload_model()  # a no-op unless the active adapter's id or folder changed

    def reload_model(self, force: bool = False) -> None:
        """(Re)load the model in the worker when the model settings or the active adapter changed.

        The active adapter is read from the library (on the database worker);
        the decision compares the settings and the adapter's id and folder with
        what was loaded, so a rename does not reload and an activation does.
        """
        settings_key = model_key(self.window.settings)
        settings = self.window.settings

        def decide(active: ActiveAdapter) -> None:
            self.active_adapter = active
            key = settings_key + active.key
            if key == self._loaded_key and not force:
                if self.client.model_info is not None:
                    self._show_model_status()  # e.g. the adapter's new name after a rename
                return
            self._loaded_key = key
            self.status_label.setText("Model: loading…")
            self.panel.set_banner(self._adapter_notice())
            if active.problem:  # said once per change, never a silent load without it
                self.show_message(self._adapter_notice())
            server = server_config_from_settings(settings)
            if server is not None:  # the same jobs, run by the host against the server (llm/server_engine.py)
                self.client.load(server)
                return
            self.client.load(ModelConfig(
                model=settings.model, model_cache=self.window.paths.model_cache, device=settings.device,
                quantization=settings.quantization, allow_pickle=settings.allow_pickle_weights,
                trust_remote_code=settings.trust_remote_code, adapter_path=active.path,
                adapter_name=active.name if active.path else "",
            ))

        def unreadable(exc: BaseException) -> None:
            decide(ActiveAdapter(problem=f"the library could not be read ({exc})"))

        run_db(self.window, resolve_active_adapter, decide, unreadable)

    def _adapter_notice(self) -> str:
        active = self.active_adapter
        if not active.problem:
            return ""
        label = f"Your style adapter “{active.name}”" if active.name else "Your style adapter"
        return (f"{label} is not attached: {active.problem}. The assistant works without it; "
                "pick another under Trainer ▸ My style adapters.")

    @property
    def model_loaded(self) -> bool:
        """Whether the model is in memory or on its way (the Trainer tab asks before training on a GPU)."""
        return self.client.model_info is not None or self.client.loading

    def unload_model(self) -> None:
        """Free the model in the worker (training needs the GPU); :meth:`reload_model` brings it back."""
        self.continuation.cancel()
        self.cancel()
        self._loaded_key = None  # the next reload_model() loads again even with unchanged settings
        self.client.unload()
        self.status_label.setText("Model: unloading…")

    def _on_unloaded(self) -> None:
        self.status_label.setText("Model: unloaded")
        self.show_message("The assistant's model was unloaded; Assistant ▸ Reload the model brings it back.")

    def _on_load_progress(self, fraction: float, message: str) -> None:
        self.status_label.setText(f"Model: {message} ({fraction:.0%})")

    def _on_loaded(self, info: object) -> None:
        error = info.get("adapter_error") if isinstance(info, dict) else ""
        if error and not self.active_adapter.problem:  # the folder was there but could not be attached
            self.active_adapter = replace(self.active_adapter, problem=error.rstrip("."))
            self.show_message(self._adapter_notice())
        self.panel.set_banner(self._adapter_notice())
        self._show_model_status()

    def _on_load_failed(self, message: str) -> None:
        self.status_label.setText("Model: not loaded")
        self.panel.set_banner(f"The model could not be loaded: {message}\n"
                              "You can keep writing; choose another model in the settings.")
        self.show_message(f"Model not loaded: {message}")

    def record_stats(self, stats: Stats) -> None:
        if isinstance(stats, dict) and stats.get("pieces"):
            self.last_stats = stats
            self._show_model_status()

    def _show_model_status(self) -> None:
        info = self.client.model_info or {}
        parts = [f"Model: {info.get('name', '?')}", str(info.get("device") or "")]
        adapter = info.get("adapter") or ""
        if info.get("engine") == "server":  # the server writes with its own model; no adapter is attached here
            parts.append("adapter: the server's own" if self.active_adapter.path else "adapter: none")
        else:
            if adapter and self.active_adapter.path:
                adapter = self.active_adapter.name  # renamed since it was loaded
            parts.append(f"adapter: {adapter or ('not attached' if self.active_adapter.problem else 'none')}")
        rate = self.last_stats.get("tokens_per_second")
        if rate:
            parts.append(f"{rate:.1f} tokens/s")
        self.status_label.setText(" · ".join(p for p in parts if p))

    def show_message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    # -- shutdown -----------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        """Stop generating and end the worker thread before the window goes away.

        Called on the window's close event, on quit and on destruction; only the first
        call does anything, and it waits at most ~2 s (a load in progress finishes alone).
        """
        if self.client.shut_down:
            return
        self.continuation.cancel()
        self.client.shutdown()
