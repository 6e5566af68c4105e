"""Settings: font, line width, theme, autosave interval, backups and the assistant's model.

Changes apply to the open window at once and are written to the profile's
settings file (``writer_app.settings``), never to the global QSettings. The
dialog does not reach into the views: ``window.announce(Change.SETTINGS)``
tells them, and each applies its part (the editor's font, the autosave and
backup intervals; the assistant reloads its model only when the model, device
or quantization changed).
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
    QLineEdit,
    QSpinBox,
    QWidget,
)

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
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

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
        set_theme(window, self.theme_box.currentData())
        window.announce(Change.SETTINGS)  # the editor, autosave, backups and assistant apply theirs
        save_settings(window.paths, settings)


def open_settings(window: MainWindow) -> SettingsDialog:
    dialog = SettingsDialog(window)
    dialog.open()
    return dialog
