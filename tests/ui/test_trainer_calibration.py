"""The Trainer tab's estimate comes from a real timed warm-up of the trainer on this machine.

The calibration child (``python -m writer_app.training.calibrate``) once broke
(it called the trainer's step with a stale signature) and the tab kept showing
its first guess without any test noticing. Here the real tab, driven through
its object names, measures the real embedded model in the background and
shows "about N min … (measured on this computer)" computed from that
measurement.
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QAbstractSpinBox, QLabel, QTreeWidget, QWidget

from tests.ui.test_trainer_tab import austen_chapters
from writer_app.paths import profile_paths
from writer_app.storage import Library
from writer_app.training.dataset import HELDOUT_FRACTION
from writer_app.training.eta import estimate_seconds
from writer_app.ui.trainer_estimate import minutes_text

MEASURED = re.compile(r"about ([\d.]+ (?:s|min|h)) of training \(measured on this computer\)")


@pytest.fixture
def trainer_window(qtbot, tmp_path, embedded_model_dir):
    from writer_app.ui.app import build_main_window

    profile = tmp_path / "profile"
    with Library.open(profile_paths(profile).ensure().database) as lib:
        project = lib.create_project("Austen")
        for title, text in austen_chapters(8):
            lib.create_node(project.id, "chapter", title, text=text)
    window = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(window)
    window.resize(1400, 950)
    window.show()
    yield window
    window.trainer_tab.calibration.stop()
    window.close()


def _box(tab: QWidget, setting: str) -> QAbstractSpinBox:
    box = tab.findChild(QAbstractSpinBox, f"trainer_{setting}")
    assert box is not None, setting
    return box


@pytest.mark.slow
@pytest.mark.model
def test_the_estimate_is_measured_on_this_computer_by_the_real_trainer(qtbot, trainer_window):
    tab = trainer_window.findChild(QWidget, "trainerTab")
    documents = tab.findChild(QTreeWidget, "trainerDocuments")
    label = tab.findChild(QLabel, "trainerEstimate")
    qtbot.waitUntil(lambda: documents.topLevelItemCount() == 8)
    # Small settings so that the warm-up takes seconds; the measurement is for exactly these.
    for setting, value in (("seq_len", 64), ("batch_size", 1), ("grad_accum", 2), ("max_steps", 20),
                           ("eval_every", 10), ("eval_max_sequences", 4), ("style_samples", 0)):
        _box(tab, setting).setValue(value)
    assert "measured on this computer" not in label.text()  # a first guess from word counts until then

    qtbot.waitUntil(lambda: "measuring this computer" in label.text())  # the background child has started
    qtbot.waitUntil(lambda: MEASURED.search(label.text()) is not None or tab.calibration.failed is not None,
                    timeout=600_000)
    assert tab.calibration.failed is None, tab.calibration.failed
    measured = tab.calibration.result(tab.config())
    assert measured is not None
    assert measured["load_s"] > 0 and measured["step_s"] > 0 and measured["eval_row_s"] > 0
    assert 1.0 < measured["tokens_per_word"] < 2.5  # English prose through SmolLM2's tokenizer
    words = int(re.match(r"([\d,]+) words in 8 documents", label.text()).group(1).replace(",", ""))
    shown = MEASURED.search(label.text()).group(1)
    assert shown == minutes_text(estimate_seconds(measured, tab.config(), words, HELDOUT_FRACTION))

    # The number of steps does not change what a step costs: a longer run is estimated from the
    # same measurement at once (no new measurement), and is longer.
    _box(tab, "max_steps").setValue(2_000)
    assert not tab.calibration.measuring
    longer = MEASURED.search(label.text())
    assert longer is not None and longer.group(1) != shown
    assert longer.group(1) == minutes_text(estimate_seconds(measured, tab.config(), words, HELDOUT_FRACTION))
