"""QtCharts in the app's theme: a chart's background, text and grid follow the widget's palette.

QChart paints with its own light theme whatever the QPalette says, so in the
dark theme a chart stayed a white block. :func:`apply_palette` copies the
palette's colours onto a chart (background, plot area, titles, labels,
legend, grid lines); chart views call it again on every palette change.
"""

from __future__ import annotations

from PySide6.QtCharts import QChart
from PySide6.QtGui import QBrush, QColor, QPalette, QPen


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def apply_palette(chart: QChart, palette: QPalette) -> None:
    """Colour ``chart`` from ``palette``: base for the plot, window for the frame, text for all labels."""
    role = QPalette.ColorRole
    text = palette.color(role.WindowText)
    grid = QColor(text)
    grid.setAlpha(60)
    chart.setBackgroundBrush(QBrush(palette.color(role.Window)))
    chart.setBackgroundPen(QPen(palette.color(role.Window)))
    chart.setPlotAreaBackgroundBrush(QBrush(palette.color(role.Base)))
    chart.setPlotAreaBackgroundVisible(True)
    chart.setTitleBrush(QBrush(text))
    chart.legend().setLabelColor(text)
    for axis in chart.axes():
        axis.setLabelsColor(text)
        axis.setTitleBrush(QBrush(text))
        axis.setLinePenColor(grid)
        axis.setGridLineColor(grid)
