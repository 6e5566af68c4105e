"""The live loss curve of a training run (QtCharts): training and held-out loss per step.

Held-out points arrive only every few steps, so each series keeps its own
points and the axes grow to fit both; the chart never redraws from scratch.
The step axis has whole-number ticks (an empty chart read "0 0 0 0 1"), and
the chart follows the light or dark theme (it stayed white in the dark one).
"""

from __future__ import annotations

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QEvent, QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from writer_app.ui.chart_theme import apply_palette

MAX_STEP_TICKS = 6


def step_tick_interval(max_step: int, ticks: int = MAX_STEP_TICKS) -> int:
    """A round whole number of steps between ticks (1, 2, 5, 10, 20, 50…) giving at most ``ticks`` intervals."""
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            if max_step / (multiple * magnitude) <= ticks:
                return multiple * magnitude
        magnitude *= 10


class LossChart(QChartView):
    """``add_point(step, train_loss, eval_loss)``; ``clear()`` before a new run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.train_series = QLineSeries()
        self.train_series.setName("training")
        self.train_series.setPen(QPen(QColor("#3b6ea8"), 2))
        self.eval_series = QLineSeries()
        self.eval_series.setName("held-out")
        self.eval_series.setPen(QPen(QColor("#d0762c"), 2.5))
        self.eval_series.setPointsVisible(True)
        chart = QChart()
        chart.addSeries(self.train_series)
        chart.addSeries(self.eval_series)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setBackgroundRoundness(0)
        self.x_axis = QValueAxis()
        self.x_axis.setTitleText("step")
        self.x_axis.setLabelFormat("%d")
        self.x_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        self.x_axis.setTickAnchor(0)
        self.y_axis = QValueAxis()
        self.y_axis.setTitleText("loss")
        self.y_axis.setLabelFormat("%.1f")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (self.train_series, self.eval_series):
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        super().__init__(chart, parent)
        self.setObjectName("lossChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(230)
        self.clear()
        apply_palette(chart, self.palette())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        """Follow a theme switch (the application palette changes, and with it this view's)."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            apply_palette(self.chart(), self.palette())
        super().changeEvent(event)

    def clear(self) -> None:
        self.train_series.clear()
        self.eval_series.clear()
        self._max_step = 1
        self._low, self._high = None, None
        self.set_max_step(1)
        self.y_axis.setRange(0, 1)
        self.y_axis.setTickCount(3)  # "0.0 0.5 1.0" until there is a loss to show

    def set_max_step(self, max_step: int) -> None:
        self._max_step = max(1, max_step)
        self.x_axis.setTickInterval(step_tick_interval(self._max_step))
        self.x_axis.setRange(0, self._max_step)

    def step_labels(self) -> list[int]:
        """The step numbers under the ticks, as drawn: what a test checks."""
        interval = int(self.x_axis.tickInterval())
        return list(range(0, int(self.x_axis.max()) + 1, interval))

    def add_point(self, step: int, train_loss: float | None, eval_loss: float | None = None) -> None:
        for series, value in ((self.train_series, train_loss), (self.eval_series, eval_loss)):
            if value is None:
                continue
            series.append(QPointF(step, value))
            self._low = value if self._low is None else min(self._low, value)
            self._high = value if self._high is None else max(self._high, value)
        if self._low is not None and self._high is not None:
            pad = max(0.25, (self._high - self._low) * 0.1)
            self.y_axis.setTickCount(5)
            self.y_axis.setRange(max(0.0, self._low - pad), self._high + pad)
            self.y_axis.applyNiceNumbers()  # round ticks: no "6.4 6.4 6.4" on a narrow range
        # Markers help while there are few points; on a long run they would only clutter the line.
        self.train_series.setPointsVisible(self.train_series.count() <= 40)
        if step > self._max_step:
            self.set_max_step(step)

    def point_counts(self) -> tuple[int, int]:
        """(training points, held-out points): what a test or screenshot checks."""
        return self.train_series.count(), self.eval_series.count()
