"""Downloading a recommended model, with progress, Cancel and Try again.

The download (``llm.download.download_model``) runs on the background pool
(``ui.background``); the GUI thread only receives progress signals. Cancel
takes effect between files (``huggingface_hub`` cannot stop a file half-way),
and Try again resumes: files already complete in the Hugging Face cache are
not fetched twice and a partial file continues where it stopped. Without a
network the lookup fails within seconds and the dialog says so; nothing else
changes.
"""

from __future__ import annotations

import html
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from writer_app.ui.background import Task, TaskContext, run_in_background

PROGRESS_STEPS = 1000


def _describe_failure(repo_id: str, exc: BaseException) -> str:
    """One sentence for the author: network problems are named as such, not as a traceback."""
    from writer_app.errors import UserError

    text = str(exc)
    if isinstance(exc, UserError) and "offline mode" not in text:
        return text[0].upper() + text[1:] if text else f"Could not download {repo_id}."
    if "offline mode" in text or isinstance(exc, ConnectionError | TimeoutError) or "connect" in type(exc).__name__.lower():
        return (f"Could not reach huggingface.co to download {repo_id}: this computer seems to be offline. "
                "Connect to the internet and press Try again, or keep the embedded model.")
    return f"Could not download {repo_id}: {text or type(exc).__name__}"


class DownloadJob(QObject):
    """One download attempt on the background pool; its signals are emitted on the GUI thread.

    A child of the dialog: a dialog destroyed mid-download takes the job with it,
    and the pool then delivers nothing to either.
    """

    progressed = Signal(float, str)
    succeeded = Signal(str)  # the model's folder
    failed = Signal(str)  # a message for the author
    cancelled = Signal()

    def __init__(self, repo_id: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.repo_id = repo_id
        self.cancel_event = threading.Event()
        self.task: Task[str] | None = None

    def start(self) -> None:
        self.task = run_in_background(self._run, self._done, self._failed, on_progress=self.progressed.emit,
                                      owner=self, cancel_event=self.cancel_event)

    def is_alive(self) -> bool:
        return self.task is not None and self.task.is_alive()

    def _run(self, task: TaskContext) -> str:
        from writer_app.llm.download import DownloadCancelled, cached_model_path, download_model

        folder = cached_model_path(self.repo_id)
        if folder is None:
            if task.cancelled:  # cancelled while looking in the cache: ask nobody
                raise DownloadCancelled(f"download of {self.repo_id} cancelled")
            folder = download_model(self.repo_id, progress=task.report, cancel=task.cancel_event)
        return str(folder)

    def _done(self, folder: str) -> None:
        self.succeeded.emit(folder)

    def _failed(self, exc: BaseException) -> None:
        from writer_app.llm.download import DownloadCancelled

        if isinstance(exc, DownloadCancelled):
            self.cancelled.emit()
        else:  # any failure (httpx, OS, hub) becomes one clear message
            self.failed.emit(_describe_failure(self.repo_id, exc))


class ModelDownloadDialog(QDialog):
    """Shows one model's download; emits ``downloaded(folder)`` when it is complete."""

    downloaded = Signal(str)

    def __init__(self, repo_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelDownloadDialog")
        self.setWindowTitle("Downloading a model")
        self.setMinimumWidth(520)
        self.repo_id = repo_id
        self.state = "idle"  # idle, running, stopping, done, failed, cancelled
        self.thread: DownloadJob | None = None
        self.title = QLabel(f"<b>{html.escape(repo_id)}</b> (safetensors weights, config and tokenizer only)")
        self.status = QLabel("")
        self.status.setObjectName("downloadStatus")
        self.status.setWordWrap(True)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, PROGRESS_STEPS)
        self.buttons = QDialogButtonBox(self)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("downloadCancel")
        self.retry_button = QPushButton("Try again", self)
        self.retry_button.setObjectName("downloadRetry")
        self.close_button = QPushButton("Close", self)
        for button in (self.retry_button, self.cancel_button, self.close_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.clicked.connect(self.cancel)
        self.retry_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._set_state("idle", "")

    def _set_state(self, state: str, message: str) -> None:
        self.state = state
        if message:
            self.status.setText(message)
        self.cancel_button.setVisible(state in ("running", "stopping"))
        self.cancel_button.setEnabled(state == "running")
        self.retry_button.setVisible(state in ("failed", "cancelled"))
        self.close_button.setVisible(state not in ("running", "stopping"))
        self.adjustSize()  # a two-line failure message must not be clipped

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> None:
        """Start (or resume) the download on the background pool."""
        if self.busy:
            return
        self.thread = DownloadJob(self.repo_id, self)
        self.thread.progressed.connect(self._on_progress)
        self.thread.succeeded.connect(self._on_succeeded)
        self.thread.failed.connect(lambda message: self._set_state("failed", message))
        self.thread.cancelled.connect(lambda: self._set_state(
            "cancelled", "Download stopped. Try again resumes it; files already fetched are kept."))
        self._set_state("running", "Starting…")
        self.thread.start()

    def cancel(self) -> None:
        if self.busy and self.thread is not None:
            self.thread.cancel_event.set()
            self._set_state("stopping", "Stopping after the current file…")

    def _on_progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(max(0.0, min(1.0, fraction)) * PROGRESS_STEPS))
        if self.state == "running":
            self.status.setText(message)

    def _on_succeeded(self, folder: str) -> None:
        self.bar.setValue(PROGRESS_STEPS)
        self._set_state("done", f"Downloaded to {folder}")
        self.downloaded.emit(folder)
        self.accept()

    def reject(self) -> None:
        """Closing while downloading stops the download (the job ends on its own, never awaited)."""
        self.cancel()
        super().reject()
