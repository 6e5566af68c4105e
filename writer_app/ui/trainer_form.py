"""The Trainer tab's Advanced settings: one spin box per training setting, in one column.

Two label/box pairs per row made the panel wider than the dock it lives in
(it overflowed sideways, with a horizontal scroll bar, in a 1280-pixel
window); one column of rows whose labels wrap above their box when the
panel is narrow always fits.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSizePolicy, QSpinBox, QWidget

from writer_app.training.config import QUICK_MINUTES_CPU, field_help

PRESET_LABELS = {
    "thorough": "Thorough: the whole text, once or twice",
    "quick": f"Quick: about {QUICK_MINUTES_CPU:.0f} minutes of training",
}


def build_preset_box() -> QComboBox:
    """The preset chooser above Advanced; each item's data is its ``config.PRESETS`` key."""
    box = QComboBox()
    box.setObjectName("trainerPreset")
    box.setToolTip("Quick trains for a fixed time, fitted to this computer's measured speed, with a "
                   "higher learning rate, then stops; Thorough reads the whole text once or twice "
                   "(a short text more often). Either can be changed under Advanced.")
    for key, label in PRESET_LABELS.items():
        box.addItem(label, key)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(20)
    return box

ADVANCED_FIELDS = {
    "time_budget_minutes": "Time budget, minutes (0 = none)",
    "rank": "LoRA rank", "alpha": "LoRA alpha", "learning_rate": "Learning rate", "epochs": "Epochs",
    "max_steps": "Max steps (0 = epochs)", "seq_len": "Sequence length", "batch_size": "Batch size",
    "grad_accum": "Gradient accumulation", "eval_every": "Evaluate every", "eval_max_sequences": "Held-out sequences",
    "early_stopping_patience": "Early-stop patience", "style_samples": "Style samples",
}


def build_advanced_form() -> tuple[QWidget, dict[str, QSpinBox | QDoubleSpinBox]]:
    """(the form's widget, setting name -> its box); boxes are named ``trainer_<setting>``."""
    host = QWidget()
    form = QFormLayout(host)
    form.setContentsMargins(0, 0, 0, 0)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
    helps = field_help()
    for name, label in ADVANCED_FIELDS.items():
        meta = helps[name]
        if isinstance(meta["default"], float):
            box: QSpinBox | QDoubleSpinBox = QDoubleSpinBox()
            box.setDecimals(6 if name == "learning_rate" else 2)
            box.setSingleStep(1e-5 if name == "learning_rate" else 0.5)
        else:
            box = QSpinBox()
        box.setRange(meta["min"], min(meta["max"], 2**31 - 1))
        box.setToolTip(meta["help"])
        box.setObjectName(f"trainer_{name}")
        box.setMinimumWidth(90)
        box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        fields[name] = box
        caption = QLabel(label)
        caption.setToolTip(meta["help"])
        form.addRow(caption, box)
    return host, fields
