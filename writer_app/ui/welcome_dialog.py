"""The first-run welcome: what to write in, and which model helps.

Shown over the window on a profile with no projects. The author picks a
manuscript (a new novel, an import, or the public-domain sample) and a model
(the embedded one, a download recommended for their GPU, or a folder they
already have). Dismissing it still leaves a usable page: a starter project is
made, as before the welcome existed. The model choice goes to
``settings.model`` so the assistant's worker loads it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.errors import UserError
from writer_app.llm.diagnostics import probe_gpu_memory_gb
from writer_app.settings import EMBEDDED_MODEL_SETTING, save_settings
from writer_app.ui.background import run_in_background
from writer_app.ui.changes import Change
from writer_app.ui.file_ops import IMPORT_FILTER
from writer_app.ui.guide_dialog import open_guide

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

STARTER_TITLE = "My Novel"
LANGUAGES = (("English", "en"), ("Français", "fr"), ("Deutsch", "de"), ("Español", "es"),
             ("Italiano", "it"), ("Português", "pt"), ("Nederlands", "nl"))


def validate_model_folder(folder: Path, allow_pickle: bool = False) -> None:
    """Raise UserError unless ``folder`` holds a config and intact weights (milliseconds, no torch)."""
    from writer_app.llm.model_files import read_config, weight_files

    read_config(folder)
    weight_files(folder, allow_pickle=allow_pickle)


class WelcomeDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setObjectName("welcomeDialog")
        self.setWindowTitle("Welcome to Writer")
        self.import_path: Path | None = None
        self.model_folder: Path | None = None
        self.vram_gb: float | None = None
        heading = QLabel("<h2>Welcome to Writer</h2>A private writing desk: your words and the model stay "
                         "on this computer. Choose what to open and which model helps you. "
                         "Everything can be changed later.")
        heading.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("welcomeError")
        self.error.setStyleSheet("color: #a33;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton("Start writing", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("welcomeStart")
        self.start_button.setDefault(True)
        self.skip_button = self.buttons.addButton("Skip for now", QDialogButtonBox.ButtonRole.RejectRole)
        self.skip_button.setToolTip(f"Open an empty novel called “{STARTER_TITLE}”")
        guide = self.buttons.addButton("Getting started…", QDialogButtonBox.ButtonRole.HelpRole)
        guide.setObjectName("welcomeGuide")
        guide.clicked.connect(lambda: open_guide(self))  # over the welcome, which blocks the window
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(self._manuscript_box())
        layout.addWidget(self._model_box())
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(620)
        # torch in its own process; a bound method, so a welcome closed meanwhile never hears back
        self.probe = run_in_background(lambda _task: probe_gpu_memory_gb(), self._on_gpu)

    # -- building -----------------------------------------------------------------------------
    def _manuscript_box(self) -> QGroupBox:
        box = QGroupBox("Your manuscript")
        self.manuscript_group = QButtonGroup(self)
        self.new_radio = QRadioButton("Start a new novel")
        self.import_radio = QRadioButton("Import a manuscript (a .txt or .md file, or a folder of chapter files)")
        self.sample_radio = QRadioButton("Open the sample: Pride and Prejudice (public domain), to try things out")
        for name, radio in (("new", self.new_radio), ("import", self.import_radio), ("sample", self.sample_radio)):
            radio.setObjectName(f"welcome_{name}")
            self.manuscript_group.addButton(radio)
        self.new_radio.setChecked(True)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Untitled Novel")
        self.author_edit = QLineEdit()
        self.author_edit.setPlaceholderText("Your name (optional)")
        self.language_combo = QComboBox()
        for label, code in LANGUAGES:
            self.language_combo.addItem(label, code)
        form = QFormLayout()
        form.setContentsMargins(24, 0, 0, 6)
        form.addRow("Title", self.title_edit)
        form.addRow("Author", self.author_edit)
        form.addRow("Language", self.language_combo)
        self.new_fields = QWidget()
        self.new_fields.setLayout(form)
        self.import_label = QLabel("No file chosen")
        self.import_label.setObjectName("welcomeImportPath")
        choose_file = QPushButton("Choose a file…")
        choose_folder = QPushButton("Choose a folder…")
        choose_file.clicked.connect(self._choose_import_file)
        choose_folder.clicked.connect(self._choose_import_folder)
        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 6)
        row.addWidget(choose_file)
        row.addWidget(choose_folder)
        row.addWidget(self.import_label, 1)
        layout = QVBoxLayout(box)
        layout.addWidget(self.new_radio)
        layout.addWidget(self.new_fields)
        layout.addWidget(self.import_radio)
        layout.addLayout(row)
        layout.addWidget(self.sample_radio)
        self.new_radio.toggled.connect(self.new_fields.setEnabled)
        return box

    def _model_box(self) -> QGroupBox:
        box = QGroupBox("The assistant's model")
        self.model_group = QButtonGroup(self)
        self.embedded_radio = QRadioButton("Embedded SmolLM2 135M: works on every computer, no download, "
                                           "but small and weak")
        self.gpu_radio = QRadioButton("Recommended for your GPU (downloaded once from Hugging Face):")
        self.folder_radio = QRadioButton("A model folder on this computer (safetensors):")
        for name, radio in (("embedded", self.embedded_radio), ("gpu", self.gpu_radio),
                            ("folder", self.folder_radio)):
            radio.setObjectName(f"welcome_model_{name}")
            self.model_group.addButton(radio)
        self.embedded_radio.setChecked(True)
        self.gpu_radio.setEnabled(False)
        self.gpu_combo = QComboBox()
        self.gpu_combo.setObjectName("welcomeGpuModels")
        self.gpu_combo.setEnabled(False)
        self.gpu_label = QLabel("Checking for a GPU…")
        self.gpu_label.setEnabled(False)  # greyed like the option it explains
        self.gpu_label.setObjectName("welcomeGpuStatus")
        gpu_row = QHBoxLayout()
        gpu_row.setContentsMargins(24, 0, 0, 6)
        gpu_row.addWidget(self.gpu_combo, 1)
        gpu_row.addWidget(self.gpu_label)
        self.folder_label = QLabel("No folder chosen")
        self.folder_label.setObjectName("welcomeModelFolder")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_model_folder)
        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(24, 0, 0, 0)
        folder_row.addWidget(choose)
        folder_row.addWidget(self.folder_label, 1)
        layout = QVBoxLayout(box)
        layout.addWidget(self.embedded_radio)
        layout.addWidget(self.gpu_radio)
        layout.addLayout(gpu_row)
        layout.addWidget(self.folder_radio)
        layout.addLayout(folder_row)
        return box

    # -- choices ------------------------------------------------------------------------------
    def _on_gpu(self, vram_gb: float | None) -> None:
        from writer_app.llm.catalogue import recommend_models

        self.vram_gb = vram_gb
        choices = recommend_models(vram_gb)
        if vram_gb is None:
            self.gpu_label.setText("No CUDA GPU found")
            self.gpu_label.setToolTip("Without a GPU, larger models are too slow to help; the embedded one is used.")
        elif not choices:
            self.gpu_label.setText(f"{vram_gb:.0f} GiB GPU: too small for the catalogue")
        else:
            self.gpu_label.setText(f"fits {vram_gb:.0f} GiB of GPU memory")
        for choice in choices:
            self.gpu_combo.addItem(f"{choice.label} (~{choice.vram_4bit_gb:g} GB)", choice.repo_id)
        self.gpu_radio.setEnabled(bool(choices))
        self.gpu_combo.setEnabled(bool(choices))
        self.gpu_combo.setVisible(bool(choices))  # an empty box looks like something to fill in
        self.gpu_label.setEnabled(bool(choices))

    def set_import_path(self, path: str | Path) -> None:
        self.import_path = Path(path)
        self.import_label.setText(self.import_path.name)
        self.import_label.setToolTip(str(self.import_path))
        self.import_radio.setChecked(True)

    def _choose_import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a manuscript", str(Path.home()), IMPORT_FILTER)
        if path:
            self.set_import_path(path)

    def _choose_import_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Import a folder of chapters", str(Path.home()))
        if path:
            self.set_import_path(path)

    def set_model_folder(self, path: str | Path) -> bool:
        """Accept ``path`` as the model only if its files pass llm's checks; say why not otherwise."""
        folder = Path(path)
        try:
            validate_model_folder(folder, self.window_.settings.allow_pickle_weights)
        except UserError as exc:
            self.model_folder = None
            self.folder_label.setText("No folder chosen")
            self._show_error(f"That folder cannot be used: {exc}")
            return False
        self.model_folder = folder
        self.folder_label.setText(str(folder))
        self.folder_radio.setChecked(True)
        self.error.hide()
        return True

    def _choose_model_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a model folder", str(Path.home()))
        if path:
            self.set_model_folder(path)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    @property
    def manuscript_choice(self) -> str:
        if self.import_radio.isChecked():
            return "import"
        return "sample" if self.sample_radio.isChecked() else "new"

    @property
    def model_choice(self) -> str:
        if self.gpu_radio.isChecked():
            return "gpu"
        return "folder" if self.folder_radio.isChecked() else "embedded"

    def accept(self) -> None:
        """Refuse to close on an incomplete choice, saying what is missing."""
        if self.manuscript_choice == "import" and self.import_path is None:
            self._show_error("Choose the file or folder to import, or pick another option.")
            return
        if self.model_choice == "folder" and self.model_folder is None:
            self._show_error("Choose a model folder, or pick the embedded model.")
            return
        if self.model_choice == "gpu" and not self.gpu_combo.currentData():
            self._show_error("No recommended model fits this computer; pick the embedded model.")
            return
        super().accept()


# -- what the choices do ------------------------------------------------------------------------
def create_starter_project(window: MainWindow) -> None:
    """The page must always be usable: an empty profile gets a starter novel with one chapter."""
    create_and_open(window, STARTER_TITLE, "", "en")


def create_and_open(window: MainWindow, title: str, author: str, language: str) -> None:
    def create(lib: Any) -> int:
        if title == STARTER_TITLE and lib.list_projects():
            return lib.list_projects()[0].project.id  # something else made one meanwhile
        project = lib.create_project(title, author=author, language=language)
        lib.create_node(project.id, "chapter", "Chapter 1")
        return project.id

    window.db.submit(create, window.open_project, lambda exc: window.show_error(f"Could not create the project: {exc}"))


def import_and_open(window: MainWindow, path: Path, preview: bool = True) -> None:
    """The File ▸ Import path (same questions, preview, notes and errors); a failed or cancelled
    import still leaves a page. The sample has nothing to check, so it skips the preview."""
    from writer_app.ui import file_ops

    file_ops.import_path(window, path, on_failed=lambda: create_starter_project(window), preview=preview)


def apply_model(window: MainWindow, setting: str) -> None:
    """Store the model choice; the assistant reloads when the window says its settings changed."""
    window.settings.model = setting
    try:
        save_settings(window.paths, window.settings)
    except OSError as exc:
        window.show_error(f"Could not save the settings: {exc}")
    window.announce(Change.SETTINGS)


def start_download(window: MainWindow, repo_id: str) -> Any:
    from writer_app.ui.model_download_dialog import ModelDownloadDialog

    dialog = ModelDownloadDialog(repo_id, window)
    dialog.downloaded.connect(lambda _folder: apply_model(window, repo_id))
    dialog.rejected.connect(lambda: window.status.show_message(
        f"{repo_id} was not downloaded; the embedded model stays in use.", 8000))
    window.download_dialog = dialog
    dialog.open()
    dialog.start()
    return dialog


def _on_finished(window: MainWindow, dialog: WelcomeDialog, result: int) -> None:
    if result != QDialog.DialogCode.Accepted:
        create_starter_project(window)
        return
    choice = dialog.manuscript_choice
    if choice == "sample":
        from writer_app.resources import sample_novel_path

        import_and_open(window, sample_novel_path(), preview=False)
    elif choice == "import" and dialog.import_path is not None:
        import_and_open(window, dialog.import_path)
    else:
        create_and_open(window, dialog.title_edit.text().strip() or "Untitled Novel",
                        dialog.author_edit.text().strip(), dialog.language_combo.currentData())
    model = dialog.model_choice
    if model == "folder" and dialog.model_folder is not None:
        apply_model(window, str(dialog.model_folder))
    elif model == "gpu":
        start_download(window, dialog.gpu_combo.currentData())
    elif window.settings.model != EMBEDDED_MODEL_SETTING:
        apply_model(window, EMBEDDED_MODEL_SETTING)


def show_load_progress(window: MainWindow) -> None:
    """The model's one-time preparation is visible in the status bar, not only in the small model label."""
    assistant = window.assistant
    if assistant is None:
        return
    assistant.client.loadProgress.connect(
        lambda fraction, message: window.statusBar().showMessage(
            f"Preparing the model: {message} ({fraction:.0%})", 0 if fraction < 1 else 4000))
    assistant.client.modelLoaded.connect(lambda _info: window.statusBar().showMessage("The model is ready", 4000))


class _UnansweredOnClose(QObject):
    """Quitting with the welcome still open counts as Skip: the next start has a page to open."""

    def __init__(self, window: MainWindow, dialog: WelcomeDialog) -> None:
        super().__init__(dialog)
        self.window, self.dialog = window, dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close and self.dialog.isVisible():
            self.dialog.blockSignals(True)  # no queued project opening on a closing window
            self.dialog.hide()

            def starter(lib: Any) -> None:
                if not lib.list_projects():
                    project = lib.create_project(STARTER_TITLE)
                    lib.create_node(project.id, "chapter", "Chapter 1")

            try:
                self.window.db.run_sync(starter)  # one tiny insert while the window closes
            except Exception as exc:  # noqa: BLE001 - closing must go on; the next start shows the welcome again
                log.warning("could not create the starter project on close: %s", exc)
        return False


def open_welcome(window: MainWindow) -> WelcomeDialog:
    """Show the welcome over ``window`` without blocking the event loop."""
    window.editor.setReadOnly(True)  # no document yet: nothing typed may go nowhere
    dialog = WelcomeDialog(window)
    dialog.finished.connect(lambda result: _on_finished(window, dialog, result))
    window.installEventFilter(_UnansweredOnClose(window, dialog))
    window.welcome = dialog
    show_load_progress(window)
    dialog.open()
    return dialog
