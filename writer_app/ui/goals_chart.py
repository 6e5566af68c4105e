"""Words written per day (QtCharts): one bar a day, green where the daily goal was met.

Each day's net words go to one of two stacked sets ("goal met" or "below the
goal"), so a glance says which days counted; a flat line marks the goal. The
chart follows the light or dark theme (``set_dark``), so it is never a white
square in a dark window, and an empty history reads as a plain zero axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCharts import (
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

MET_COLOR = "#4f9a6a"
BELOW_COLOR = "#7d95b5"
GOAL_COLOR = "#d0762c"


class WordsPerDayChart(QChartView):
    """``set_history(days, daily_goal)`` with ``storage.goals.DayWords`` records, oldest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        super().__init__(chart, parent)
        self.setObjectName("goalsChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(520, 260)
        self.values: list[int] = []
        self.daily_goal = 0
        self._dark = False

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.chart().setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        self.chart().setBackgroundBrush(QColor("#25272b" if dark else "#fffdf8"))
        self._redraw()

    def set_history(self, days: Sequence[Any], daily_goal: int) -> None:
        self._days = [d.day for d in days]
        self.values = [int(d.words) for d in days]
        self.daily_goal = max(0, int(daily_goal))
        self._redraw()

    def _redraw(self) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        days: list[str] = getattr(self, "_days", [])
        met, below = QBarSet("goal met"), QBarSet("words" if not self.daily_goal else "below the goal")
        met.setColor(QColor(MET_COLOR))
        below.setColor(QColor(BELOW_COLOR))
        for words in self.values:
            reached = self.daily_goal > 0 and words >= self.daily_goal
            met.append(words if reached else 0)
            below.append(0 if reached else words)
        bars = QStackedBarSeries()
        bars.setBarWidth(0.75)
        bars.append(below)
        if self.daily_goal:
            bars.append(met)
        chart.addSeries(bars)
        # Bar i stands at x = i; a label a week (ending on today) reads better than thirty crowded ones.
        x_axis = QCategoryAxis()
        x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        x_axis.setRange(-0.5, max(1, len(days)) - 0.5)
        for index in sorted(range(len(days) - 1, -1, -7)):  # QCategoryAxis wants them in order
            when = date.fromisoformat(days[index])
            x_axis.append("today" if index == len(days) - 1 else f"{when.day} {when:%b}", index)
        x_axis.setGridLineVisible(False)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        bars.attachAxis(x_axis)
        y_axis = QValueAxis()
        y_axis.setLabelFormat("%d")
        top = max([*self.values, self.daily_goal, 0])
        low = min([*self.values, 0])
        y_axis.setRange(low, max(top * 1.1, 10))
        y_axis.applyNiceNumbers()
        y_axis.setTitleText("words")
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(y_axis)
        if self.daily_goal:
            line = QLineSeries()
            line.setName(f"daily goal ({self.daily_goal:,})")
            line.setPen(QPen(QColor(GOAL_COLOR), 2, Qt.PenStyle.DashLine))
            count = max(1, len(self.values))
            line.append([QPointF(-0.5, self.daily_goal), QPointF(count - 0.5, self.daily_goal)])
            chart.addSeries(line)
            hidden_x = QValueAxis()
            hidden_x.setRange(-0.5, count - 0.5)
            hidden_x.setVisible(False)
            chart.addAxis(hidden_x, Qt.AlignmentFlag.AlignBottom)
            line.attachAxis(hidden_x)
            line.attachAxis(y_axis)
        if self._dark:
            chart.setBackgroundBrush(QColor("#25272b"))

