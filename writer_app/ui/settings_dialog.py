"""Settings: font, line width, theme, autosave interval, backups, the assistant's model or server.

Changes apply to the open window at once and are written to the profile's
settings file (``writer_app.settings``), never to the global QSettings. The
dialog does not reach into the views: ``window.announce(Change.SETTINGS)``
tells them, and each applies its part (the editor's font, the autosave and
backup intervals; the assistant reloads its model only when the model, device
or quantization changed).

The server group points the assistant at an OpenAI-compatible server
(llama.cpp, Ollama, vLLM) instead of the model above; "Test connection" asks
it for its models on ``window.background``, never on the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFontComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from writer_app.llm.engine import API_KEY_ENV, ServerConfig
from writer_app.llm.runtime import QUANTIZATIONS  # the module only: torch stays out of the editor
from writer_app.settings import save_settings
from writer_app.ui.changes import Change
from writer_app.ui.themes import THEMES

DEVICES = ("auto", "cpu", "cuda")

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow


class SettingsDialog(QDialog):
    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(480)  # the server URL and the key's hint fit
        self.window_ = window
        settings = window.settings
        self.font_box = QFontComboBox(self)
        self.font_box.setCurrentFont(QFont(settings.editor_font_family))
        self.size_box = self._spin(8, 40, settings.editor_font_size, " pt")
        self.width_box = self._spin(40, 140, settings.editor_line_width, " characters")
        self.theme_box = QComboBox(self)
        for name in THEMES:
            self.theme_box.addItem(name.capitalize(), name)
        self.theme_box.setCurrentIndex(max(0, self.theme_box.findData(settings.theme)))
        self.autosave_box = self._spin(200, 60000, settings.autosave_interval_ms, " ms")
        self.autosave_box.setSingleStep(100)
        self.autosave_box.setToolTip("How long after you stop typing the text is saved.")
        self.backup_box = self._spin(1, 1440, settings.backup_interval_minutes, " minutes")
        self.keep_box = self._spin(1, 200, settings.backup_keep, " backups")
        self.model_edit = QLineEdit(settings.model, self)
        self.model_edit.setObjectName("settingsModel")
        self.model_edit.setToolTip("“embedded”, a Hugging Face id or a folder on this computer.")
        self.device_box = self._choice(DEVICES, settings.device)
        self.quantization_box = self._choice(QUANTIZATIONS, settings.quantization)
        self.quantization_box.setToolTip(
            "How precisely the model's weights are held. auto: 4-bit on an NVIDIA GPU, and on the CPU "
            "4-bit writing where the processor has bf16 instructions. Fewer bits write faster and use "
            "less memory; 16bit and 32bit are the most exact and the slowest. Your style adapter works "
            "with every choice.")
        form = QFormLayout(self)
        form.addRow("Editor font", self.font_box)
        form.addRow("Font size", self.size_box)
        form.addRow("Line width", self.width_box)
        form.addRow("Theme", self.theme_box)
        form.addRow("Autosave after", self.autosave_box)
        form.addRow("Back up every", self.backup_box)
        form.addRow("Keep", self.keep_box)
        form.addRow("Assistant's model", self.model_edit)
        form.addRow("Device", self.device_box)
        form.addRow("Quantization", self.quantization_box)
        form.addRow(self._server_group(settings))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _server_group(self, settings) -> QGroupBox:
        group = QGroupBox("Write through a server (optional)", self)
        group.setObjectName("settingsServer")
        self.server_url_edit = QLineEdit(settings.server_url, group)
        self.server_url_edit.setObjectName("settingsServerUrl")
        self.server_url_edit.setPlaceholderText("e.g. http://127.0.0.1:8080/v1 (empty: the model above)")
        self.server_url_edit.setToolTip("An OpenAI-compatible server you run (llama.cpp, Ollama, vLLM). Your text "
                                        "goes to this server and nowhere else.")
        self.server_model_box = QComboBox(group)
        self.server_model_box.setObjectName("settingsServerModel")
        self.server_model_box.setEditable(True)
        self.server_model_box.setCurrentText(settings.server_model)
        self.server_model_box.lineEdit().setPlaceholderText("empty: the server's first model")
        self.server_key_edit = QLineEdit(settings.server_api_key, group)
        self.server_key_edit.setObjectName("settingsServerApiKey")
        self.server_key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.server_key_edit.setPlaceholderText(f"none, or set {API_KEY_ENV}")
        self.connect_timeout_box = self._spin(1, 120, int(settings.server_connect_timeout_s), " s")
        self.read_timeout_box = self._spin(1, 3600, int(settings.server_read_timeout_s), " s")
        self.read_timeout_box.setToolTip("The longest the server may stay silent while it writes.")
        self.server_context_box = self._spin(256, 1_048_576, int(settings.server_context_window), " tokens")
        self.server_context_box.setSingleStep(1024)
        self.server_context_box.setToolTip("The server model's context window (servers rarely say).")
        self.test_button = QPushButton("Test connection", group)
        self.test_button.setObjectName("settingsTestConnection")
        self.test_button.clicked.connect(self.test_connection)
        self.server_status = QLabel("", group)
        self.server_status.setObjectName("settingsServerStatus")
        self.server_status.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.server_status, 1)
        form = QFormLayout(group)
        form.addRow("Server URL", self.server_url_edit)
        form.addRow("Model", self.server_model_box)
        form.addRow("API key", self.server_key_edit)
        form.addRow("Connect timeout", self.connect_timeout_box)
        form.addRow("Answer timeout", self.read_timeout_box)
        form.addRow("Context", self.server_context_box)
        form.addRow(test_row)
        return group

    def server_config(self) -> ServerConfig:
        """The server as the dialog's fields describe it now (what "Test connection" tries)."""
        return ServerConfig(
            url=self.server_url_edit.text().strip(), model=self.server_model_box.currentText().strip(),
            api_key=self.server_key_edit.text().strip(), connect_timeout_s=float(self.connect_timeout_box.value()),
            read_timeout_s=float(self.read_timeout_box.value()), context_window=self.server_context_box.value())

    def test_connection(self) -> None:
        """Ask the server for its models in the background; the answer lands in the status line."""
        config = self.server_config()
        if not config.url:
            self.server_status.setText("Give the server's URL first.")
            return
        self.test_button.setEnabled(False)
        self.server_status.setText(f"Connecting to {config.url}…")

        def work(_task) -> list[str]:
            from writer_app.llm.server_engine import check_connection

            return check_connection(config)

        self.window_.background.run(work, self._connected, self._not_connected, owner=self)

    def _connected(self, models: list[str]) -> None:
        self.test_button.setEnabled(True)
        current = self.server_model_box.currentText()
        self.server_model_box.clear()
        self.server_model_box.addItems(models)
        self.server_model_box.setCurrentText(current or (models[0] if models else ""))
        shown = ", ".join(models[:6]) + (" …" if len(models) > 6 else "")
        self.server_status.setText(f"Connected: {len(models)} model{'s' if len(models) != 1 else ''} ({shown}).")

    def _not_connected(self, exc: BaseException) -> None:
        from writer_app.errors import UserError

        self.test_button.setEnabled(True)
        message = str(exc) if isinstance(exc, UserError) else f"the test failed ({type(exc).__name__})"
        self.server_status.setText(f"Not connected: {message[:1].upper()}{message[1:]}.")

    def _spin(self, low: int, high: int, value: int, suffix: str) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(low, high)
        box.setValue(int(value))
        box.setSuffix(suffix)
        return box

    def _choice(self, values: tuple[str, ...], current: str) -> QComboBox:
        box = QComboBox(self)
        box.addItems(list(values))
        if current not in values:  # a value written by hand in the settings file is kept
            box.addItem(current)
        box.setCurrentText(current)
        return box

    def accept(self) -> None:
        self.apply()
        super().accept()

    def apply(self) -> None:
        from writer_app.ui.file_ops import set_theme

        window = self.window_
        settings = window.settings
        settings.editor_font_family = self.font_box.currentFont().family()
        settings.editor_font_size = self.size_box.value()
        settings.editor_line_width = self.width_box.value()
        settings.autosave_interval_ms = self.autosave_box.value()
        settings.backup_interval_minutes = self.backup_box.value()
        settings.backup_keep = self.keep_box.value()
        settings.model = self.model_edit.text().strip() or settings.model
        settings.device = self.device_box.currentText()
        settings.quantization = self.quantization_box.currentText()
        server = self.server_config()
        settings.server_url, settings.server_model, settings.server_api_key = server.url, server.model, server.api_key
        settings.server_connect_timeout_s = server.connect_timeout_s
        settings.server_read_timeout_s = server.read_timeout_s
        settings.server_context_window = server.context_window
        set_theme(window, self.theme_box.currentData())
        window.announce(Change.SETTINGS)  # the editor, autosave, backups and assistant apply theirs
        save_settings(window.paths, settings)


def open_settings(window: MainWindow) -> SettingsDialog:
    dialog = SettingsDialog(window)
    dialog.open()
    return dialog
