"""The Trainer tab: pick documents, see the estimate, "Train my style", watch it learn.

The run itself is a separate process (:class:`TrainerProcess`); this tab only
reads its JSON lines, so the editor stays fully usable while it trains. The
library is read and the finished adapter registered through the window's
database worker (the one database writer); resolving the model, writing the
job and checking the GPU run on the background pool, so an autosave never
waits behind them. The main window calls :func:`install`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_app.errors import UserError
from writer_app.training import runs
from writer_app.training.config import TrainingConfig, preset_config, suggest_config
from writer_app.training.dataset import DatasetEstimate, estimate
from writer_app.ui.background import TaskContext
from writer_app.ui.changes import Change
from writer_app.ui.loss_chart import LossChart
from writer_app.ui.trainer_adapters import AdapterList
from writer_app.ui.trainer_estimate import Calibration, describe_estimate
from writer_app.ui.trainer_estimate import minutes_text as _minutes
from writer_app.ui.trainer_form import build_advanced_form, build_preset_box
from writer_app.ui.trainer_process import TrainerProcess, cuda_free_memory_mb, training_memory_needed_mb
from writer_app.ui.trainer_report import StyleReport

if TYPE_CHECKING:
    from writer_app.storage import Library
    from writer_app.training.dataset import SourceDocument
    from writer_app.ui.main_window import MainWindow

DOCUMENT_KINDS = ("chapter", "scene")
RECHECK_LIVE_RUN_MS = 15_000  # while a trainer started elsewhere runs, look again this often


class TrainerTab(QWidget):
    """objectName ``trainerTab``."""

    unloadInferenceRequested = Signal()
    adapterRegistered = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("trainerTab")
        self.window = window
        self.project_id: int | None = None
        self.project_title = ""
        self._word_counts: dict[int, int] = {}
        self._confirmed_small = False
        self._estimate: DatasetEstimate | None = None  # the last estimate shown; Train acts on it
        self.process = TrainerProcess(self)
        self.process.event.connect(self._on_event)
        self.process.finished.connect(self._on_finished)

        self.documents = QTreeWidget()
        self.documents.setObjectName("trainerDocuments")
        self.documents.setHeaderLabels(["Documents to learn from", "Words"])
        self.documents.setColumnWidth(0, 260)
        self.documents.setMinimumHeight(120)
        self.documents.setMaximumHeight(200)
        self.documents.itemChanged.connect(lambda *_: self.update_estimate())
        self.estimate_label = QLabel()
        self.estimate_label.setObjectName("trainerEstimate")
        self.estimate_label.setWordWrap(True)

        self.preset = build_preset_box()  # applies its settings to the Advanced boxes below
        self.preset.currentIndexChanged.connect(lambda *_: self.update_estimate(suggest=True))
        self.advanced = QGroupBox("Advanced")
        self.advanced.setCheckable(True)
        self.advanced.setChecked(False)
        self.form_host, self.fields = build_advanced_form()
        for box in self.fields.values():  # a longer sequence or more epochs changes the estimate
            box.valueChanged.connect(lambda *_: self.update_estimate(keep_confirmation=True))
        self.form_host.setVisible(False)
        self.advanced.toggled.connect(self.form_host.setVisible)
        QVBoxLayout(self.advanced).addWidget(self.form_host)

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("trainerAdapterName")
        self.name_edit.setPlaceholderText("Adapter name (optional; any text)")
        self.name_edit.setToolTip("What the adapter is called in the list below. Any text will do; "
                                  "its folder gets a safe name of its own.")
        self.train_button = QPushButton("Train my style")
        self.train_button.setObjectName("trainButton")
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelTrainingButton")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_training)
        self.resume_button = QPushButton("Resume the interrupted run")
        self.resume_button.setObjectName("resumeTrainingButton")
        self.resume_button.setVisible(False)
        self.resume_button.clicked.connect(self.resume_training)
        self._resumable: Path | None = None
        self._recheck = QTimer(self)  # while a trainer from an earlier session runs
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(RECHECK_LIVE_RUN_MS)
        self._recheck.timeout.connect(self.recover_runs)
        self._watching_run = False
        self._unloaded_assistant = False  # this tab unloaded the assistant's model to train; reload after
        self.unload_button = QPushButton("Unload the assistant's model")
        self.unload_button.setVisible(False)
        self.unload_button.clicked.connect(self._unload_inference)
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setFormat("Not started")
        self.status_label = QLabel("")
        self.status_label.setObjectName("trainerStatus")
        self.status_label.setWordWrap(True)
        self.chart = LossChart()
        self.report = StyleReport()
        self.calibration = Calibration(window, lambda: self.update_estimate(keep_confirmation=True))
        self.adapter_list = AdapterList(window)

        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        self.body = body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.documents)
        layout.addWidget(self.estimate_label)
        layout.addWidget(self.preset)
        layout.addWidget(self.advanced)
        layout.addWidget(self.name_edit)
        layout.addLayout(buttons)
        layout.addWidget(self.unload_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.report)
        layout.addWidget(self.adapter_list)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the page fits the dock's width
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.apply_config(TrainingConfig())

    # -- documents and estimate ----------------------------------------------------------
    def load_project(self, project_id: int) -> None:
        def read(lib: Any) -> tuple[Any, list[Any], Any]:
            adapters = lib.adapters(project_id)
            return lib.get_project(project_id), lib.nodes(project_id), adapters[0] if adapters else None

        self.window.db.submit(read, self._show_nodes)

    def _show_nodes(self, result: tuple[Any, list[Any], Any]) -> None:
        project, nodes, latest = result
        self.report.setVisible(False)
        if latest is not None:  # the proof of this project's most recent adapter
            self.report.show_metrics((latest.metadata or {}).get("metrics", {}))
        self.project_id, self.project_title = project.id, project.title
        self.documents.blockSignals(True)
        self.documents.clear()
        items: dict[int, QTreeWidgetItem] = {}
        for node in nodes:
            parent = items.get(node.parent_id) if node.parent_id else None
            item = QTreeWidgetItem([node.title, f"{node.word_count:,}" if node.kind != "folder" else ""])
            item.setData(0, Qt.ItemDataRole.UserRole, node.id)
            flags = item.flags() | Qt.ItemFlag.ItemIsUserCheckable
            if node.kind == "folder":
                flags |= Qt.ItemFlag.ItemIsAutoTristate
            item.setFlags(flags)
            item.setCheckState(0, Qt.CheckState.Checked if node.kind in DOCUMENT_KINDS else Qt.CheckState.Unchecked)
            (parent.addChild(item) if parent is not None else self.documents.addTopLevelItem(item))
            items[node.id] = item
            if node.kind != "folder":
                self._word_counts[node.id] = node.word_count
        self.documents.expandAll()
        self.documents.blockSignals(False)
        self.update_estimate(suggest=True)

    def selected_node_ids(self) -> list[int]:
        chosen = []
        stack = [self.documents.topLevelItem(i) for i in range(self.documents.topLevelItemCount())]
        while stack:
            item = stack.pop(0)
            node_id = item.data(0, Qt.ItemDataRole.UserRole)
            if item.checkState(0) == Qt.CheckState.Checked and node_id in self._word_counts:
                chosen.append(node_id)
            stack[0:0] = [item.child(i) for i in range(item.childCount())]
        return chosen

    def update_estimate(self, suggest: bool = False, keep_confirmation: bool = False) -> None:
        self._confirmed_small = self._confirmed_small and keep_confirmation
        counts = [self._word_counts[i] for i in self.selected_node_ids()]
        config = self.config()
        guess = estimate(counts, epochs=config.epochs)
        if suggest:
            self.apply_config(preset_config(self.preset.currentData() or "thorough", int(guess.tokens * 0.92)))
            config = self.config()
            guess = estimate(counts, epochs=config.epochs)
        measured = self.calibration.result(config)
        if measured is None and not guess.refused and self.project_id is not None and self.isVisible() \
                and not self.process.is_running():  # measured only while the author looks at the tab
            self.calibration.request(self.project_id, self.selected_node_ids(), config)
        guess, text = describe_estimate(guess, config, measured, self.calibration.measuring)
        self.estimate_label.setText(text)
        self.train_button.setEnabled(not guess.refused and not self.process.is_running())
        self._estimate = guess

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self.project_id is not None:
            self.update_estimate(keep_confirmation=True)

    # -- configuration ----------------------------------------------------------------------
    def apply_config(self, config: TrainingConfig) -> None:
        for name, box in self.fields.items():
            box.blockSignals(True)
            box.setValue(getattr(config, name))
            box.blockSignals(False)

    def config(self) -> TrainingConfig:
        config = TrainingConfig()
        suggested = suggest_config(0)
        config.warmup_steps, config.checkpoint_every = suggested.warmup_steps, suggested.checkpoint_every
        for name, box in self.fields.items():
            setattr(config, name, type(getattr(config, name))(box.value()))
        config.overlap_tokens = min(config.overlap_tokens, config.seq_len // 4)
        config.checkpoint_every = config.eval_every
        if config.max_steps:
            config.warmup_steps = min(config.warmup_steps, max(1, config.max_steps // 10))
        return config

    # -- running ----------------------------------------------------------------------------
    def start_training(self) -> None:
        if self.process.is_running() or self.project_id is None:
            return
        guess = self._estimate
        if guess is None or guess.refused:
            return
        if guess.warning and not self._confirmed_small:
            self._confirmed_small = True
            self.train_button.setText("Train anyway")
            self.status_label.setText("Below the recommended amount of text. Press “Train anyway” to go on.")
            return
        node_ids, config = self.selected_node_ids(), self.config()
        project_id, title = self.project_id, self.project_title
        typed_name = self.name_edit.text()
        settings, paths = self.window.settings, self.window.paths
        self.train_button.setEnabled(False)
        self.status_label.setText("Preparing the documents…")

        def read(lib: Library) -> tuple[str, list[SourceDocument]]:
            from writer_app.storage.adapters import clean_name

            name = runs.unique_adapter_name(lib, title)
            if typed_name.strip():  # checked now, not after an hour of training
                name = clean_name(typed_name)
                if lib.get_adapter_by_name(name) is not None:
                    raise UserError(f"an adapter named “{name}” already exists; choose another name")
            return name, runs.documents_from_library(lib, project_id, node_ids)

        def prepare(name: str, documents: list[SourceDocument]) -> Path:
            """Off the library's thread: resolving the model may convert it (minutes); saves must not wait."""
            from writer_app.training.model_loading import resolve_base_model

            model_path = resolve_base_model(settings.model, paths.model_cache)
            return runs.prepare_job(paths, documents, base_model=settings.model, base_model_path=model_path,
                                    config=config, adapter_name=name, project_title=title,
                                    device=settings.device)

        self.window.db.submit(read, lambda chosen: self.window.background.run(
            lambda _task: prepare(*chosen), self._launch, self._failed_to_start, owner=self),
            self._failed_to_start, owner=self)

    def _launch(self, job_path: Path) -> None:
        """Check the GPU's room off the GUI thread (nvidia-smi can take seconds), then start."""
        assistant = self.window.assistant
        assistant_loaded = assistant is not None and assistant.model_loaded
        self.train_button.setEnabled(False)

        def budget(_task: TaskContext) -> tuple[int | None, int]:
            free = cuda_free_memory_mb()
            if free is None or not assistant_loaded:
                return None, 0
            from writer_app.training.job import read_job

            return free, training_memory_needed_mb(Path(read_job(job_path).base_model_path))

        self.window.background.run(budget, lambda result: self._start_if_room(job_path, *result),
                                   self._failed_to_start, owner=self)

    def _start_if_room(self, job_path: Path, free: int | None, need: int) -> None:
        if self.process.is_running():  # (a closed window's tab never hears back: owner=self)
            return
        if free is not None and free < need:
            self.unload_button.setVisible(True)
            self.status_label.setText(f"The GPU has {free:,} MB free but training needs about {need:,} MB "
                                      "while the assistant's model is loaded. Unload it, then press Train.")
            self.train_button.setEnabled(True)
            return
        self.calibration.stop()  # the CPU is the trainer's now
        self.chart.clear()
        self.report.setVisible(False)
        self.progress.setRange(0, 0)
        self.progress.setFormat("Starting the trainer…")
        self.cancel_button.setEnabled(True)
        self.train_button.setText("Train my style")
        self.status_label.setText("Loading the model and building the dataset…")
        self.process.start(job_path)

    def recover_runs(self) -> None:
        """Look at the training runs on disk: register what finished unseen, offer what can resume.

        A trainer outlives an editor that crashed or was closed; its adapter is
        registered here on the next start (the author pressed Train, so that is
        what they expect) and the status bar says so. Runs whose trainer is still
        alive are left alone and looked at again until they end.
        """
        paths = self.window.paths
        own = self.process.job_path if self.process.is_running() else None

        def register(found: list[runs.RunInfo]) -> None:
            # Only registering holds the library's thread; reading and cleaning the run folders do not.
            self.window.db.submit(lambda lib: runs.register_recovered(lib, paths, found, own),
                                  lambda report: clean(found, report), owner=self)

        def clean(found: list[runs.RunInfo], report: runs.Recovery) -> None:
            self._show_recovery(report)
            self.window.background.run(lambda _task: runs.clean_after_recovery(paths, found, own), owner=self)

        self.window.background.run(lambda _task: runs.scan_for_recovery(paths), register, owner=self)

    def _show_recovery(self, report: runs.Recovery) -> None:
        if report.registered:
            self.adapter_list.refresh()
            self.window.announce(Change.ADAPTERS)
            names = ", ".join(f"“{a.name}”" for a in report.registered)
            message = (f"Registered the adapter {names}: its training finished while Writer was not watching. "
                       "Pick it under My style adapters to use it.")
            self.status_label.setText(message)
            self.window.statusBar().showMessage(message, 15_000)
        if report.problems:
            self.status_label.setText("Could not register a finished run: " + "; ".join(report.problems))
        if report.running:
            run = report.running[0]
            self.status_label.setText(f"A training run started earlier (“{run.job.adapter_name}”) is still going "
                                      "in another process; its adapter will appear here when it finishes.")
            self._recheck.start()
        elif self._watching_run and not report.registered:
            self.status_label.setText("The training run started earlier stopped before its adapter was ready"
                                      + ("; it can resume from its last checkpoint." if report.interrupted else "."))
        self._watching_run = bool(report.running)
        self._show_interrupted(report.interrupted)

    def _show_interrupted(self, interrupted: list[Any]) -> None:
        if not interrupted or self.process.is_running():
            self.resume_button.setVisible(False)
            self._resumable = None
            return
        run = interrupted[0]
        job_path, step, total = run.job_path, run.step, run.max_steps
        self._resumable = job_path
        self.resume_button.setText(f"Resume the interrupted run (step {step}"
                                   + (f" of {total})" if total else ")"))
        self.resume_button.setVisible(True)

    def resume_training(self) -> None:
        if self._resumable is None or self.process.is_running():
            return
        self.resume_button.setVisible(False)
        self._launch(self._resumable)

    def _failed_to_start(self, error: BaseException) -> None:
        self.train_button.setEnabled(True)
        self.status_label.setText(str(error))

    def _unload_inference(self) -> None:
        self.unloadInferenceRequested.emit()
        if self.window.assistant is not None:
            self.window.assistant.unload_model()
            self._unloaded_assistant = True
        self.unload_button.setVisible(False)
        self.status_label.setText("The assistant's model was unloaded; press Train my style.")

    def cancel_training(self) -> None:
        if self.process.is_running():
            self.status_label.setText("Cancelling after the current step…")
            self.cancel_button.setEnabled(False)
            self.process.cancel()

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "dataset":
            self.progress.setRange(0, int(event["max_steps"]))
            self.progress.setValue(0)
            self.chart.set_max_step(int(event["max_steps"]))
            self.status_label.setText(f"{event['tokens']:,} tokens; held out: {', '.join(event['heldout_titles'])}")
        elif kind == "resumed":
            self.chart.set_max_step(int(event["max_steps"]))
            self.progress.setRange(0, int(event["max_steps"]))
            self.progress.setValue(int(event["step"]))
        elif kind == "progress":
            step, total = int(event["step"]), int(event["max_steps"])
            self.progress.setRange(0, total)
            self.progress.setValue(step)
            self.progress.setFormat(f"Step %v of %m — about {_minutes(event['eta_s'])} left")
            self.chart.add_point(step, event.get("train_loss"), event.get("eval_loss"))
            held = f" · held-out {event['eval_loss']:.3f}" if event.get("eval_loss") is not None else ""
            self.status_label.setText(f"loss {event['train_loss']:.3f}{held} · {event['tokens_per_s']:.0f} "
                                      f"tokens/s · {event['memory_mb']:.0f} MB")
        elif kind == "evaluating":
            self.progress.setFormat("Comparing with the base model…")
        elif kind == "early_stop":
            self.status_label.setText("The held-out loss stopped improving: stopping early.")

    def _reload_assistant(self) -> None:
        """Give the assistant its model back once the training that needed the GPU is over."""
        if self._unloaded_assistant:
            self._unloaded_assistant = False
            if self.window.assistant is not None:
                self.window.assistant.reload_model()

    def _on_finished(self, code: int, last: dict[str, Any]) -> None:
        self._reload_assistant()
        self.cancel_button.setEnabled(False)
        self.train_button.setEnabled(True)
        if code == 0 and last.get("event") == "done":
            job_path, project_id = self.process.job_path, self.project_id

            def register(lib: Any) -> Any:
                from writer_app.training.job import read_job

                return runs.register_finished(lib, read_job(job_path), project_id)

            self.window.db.submit(register, self._registered, self._failed_to_start)
            return
        self.progress.setFormat("Cancelled" if last.get("event") == "cancelled" else "Stopped")
        self.status_label.setText(last.get("message") or f"The trainer stopped (exit code {code}).")
        self.recover_runs()

    def _registered(self, adapter: Any) -> None:
        metrics = adapter.metadata.get("metrics", {})
        self.progress.setFormat("Done")
        self.status_label.setText(
            f"Adapter “{adapter.name}” is ready: held-out perplexity {metrics.get('base_perplexity', 0):.1f} "
            f"(base) → {metrics.get('adapter_perplexity', 0):.1f} (yours). Use it for the assistant below.")
        self.report.show_metrics(metrics)
        self.name_edit.clear()  # that name is taken now
        self.adapter_list.refresh()
        self.window.announce(Change.ADAPTERS)
        self.adapterRegistered.emit(adapter.name)


class _CloseGuard(QObject):
    """Stops a running trainer when the main window closes (it checkpoints, so it can resume)."""

    def __init__(self, tab: TrainerTab) -> None:
        super().__init__(tab)
        self.tab = tab

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Close:
            self.tab.calibration.stop()
            self.tab.process.cancel()
        return False


def install(window: MainWindow) -> TrainerTab:
    tab = TrainerTab(window)
    window.trainer_tab = tab
    window.add_panel(tab, "Trainer")
    window.projectOpened.connect(tab.load_project)
    window.installEventFilter(_CloseGuard(tab))
    if window.current_project_id is not None:
        tab.load_project(window.current_project_id)
    tab.adapter_list.refresh()
    tab.recover_runs()  # also removes what killed trainers left behind
    return tab
