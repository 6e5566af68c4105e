"""The adapter's report in the Trainer tab: the proof on chapters the trainer never saw.

One line says what was held out (whole chapters, named, or tail blocks for a
manuscript without chapters) and the held-out perplexity base → adapter; a
bar chart shows, per stylometric measure (``text.stylometry``), how far the
base model's and the adapter's continuations of those chapters' openings are
from the author's real text, with the percentage closer under each pair.
Shorter bars are closer; the chart follows the theme (``chart_theme``).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QEvent, QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from writer_app.text.stylometry import FEATURE_LABELS, FEATURES
from writer_app.ui.chart_theme import apply_palette, is_dark

ROWS = (*FEATURES, "overall")
# One short word per bar group: a dock is narrow and QBarCategoryAxis elides rather than wraps.
# (The full names are in the line under the chart.)
SHORT_LABELS = {"sentence_length": "Length", "dialogue_share": "Dialogue", "function_words": "Function",
                "type_token_ratio": "Vocab.", "overall": "Overall"}


def summary_text(metrics: dict[str, Any]) -> str:
    """The report's sentence: what was held out, and the perplexity base → adapter."""
    held = metrics.get("heldout") or {}
    chapters = held.get("chapters") or []
    if held.get("mode") == "tail blocks":
        what = "the last part of the manuscript (it has no chapters)"
    else:
        names = ", ".join(chapters[:4]) + (f" and {len(chapters) - 4} more" if len(chapters) > 4 else "")
        what = f"{len(chapters)} whole chapter{'s' if len(chapters) != 1 else ''} it never saw ({names})"
    base, adapter = metrics.get("base_perplexity"), metrics.get("adapter_perplexity")
    text = f"Tested on {what}."
    if base and adapter:
        text += f" Perplexity {base:.1f} (base) → {adapter:.1f} (yours), {100 * (adapter - base) / base:+.0f} %."
    overall = ((metrics.get("style") or {}).get("stylometry") or {}).get("distance", {}).get("overall")
    if overall and overall.get("percent_closer") is not None:
        text += f" Style: {overall['percent_closer']:+.0f} % closer to your writing."
    return text


class StyleReport(QWidget):
    """objectName ``trainerReport``; ``show_metrics(adapter metrics)``; hidden until there is a report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainerReport")
        self.summary = QLabel()
        self.summary.setObjectName("trainerReportSummary")
        self.summary.setWordWrap(True)
        self.base_set = QBarSet("base model")
        self.adapter_set = QBarSet("your adapter")
        self.series = QBarSeries()
        self.series.append(self.base_set)
        self.series.append(self.adapter_set)
        self.series.setLabelsVisible(False)
        chart = QChart()
        chart.addSeries(self.series)
        chart.setTitle("Distance to your writing on the held-out chapters (shorter is closer)")
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.categories = QBarCategoryAxis()
        self.categories.append([SHORT_LABELS[name] for name in ROWS])
        self.values = QValueAxis()
        self.values.setRange(0, 1)
        self.values.setLabelFormat("%.1f")
        self.values.setTickType(QValueAxis.TickType.TicksDynamic)
        self.values.setTickAnchor(0)
        self.values.setTickInterval(0.2)
        chart.addAxis(self.categories, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.values, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.categories)
        self.series.attachAxis(self.values)
        self.view = QChartView(chart)
        self.view.setObjectName("trainerReportChart")
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(260)
        self.closer = QLabel()
        self.closer.setObjectName("trainerReportCloser")
        self.closer.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.view)
        layout.addWidget(self.closer)
        self._restyle()
        self.setVisible(False)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        dark = is_dark(self.palette())
        self.base_set.setColor(QColor("#8d96a3" if dark else "#9aa3ad"))
        self.adapter_set.setColor(QColor("#e0924a" if dark else "#d0762c"))
        apply_palette(self.view.chart(), self.palette())

    def show_metrics(self, metrics: dict[str, Any]) -> None:
        """Fill from an adapter's metrics (``evaluate_peft_model``'s result); hides itself without a report."""
        self.summary.setText(summary_text(metrics))
        stylometry = (metrics.get("style") or {}).get("stylometry")
        self.base_set.remove(0, self.base_set.count())
        self.adapter_set.remove(0, self.adapter_set.count())
        if not stylometry:
            self.view.setVisible(False)
            self.closer.setText("No continuations were compared (style samples: 0).")
            self.setVisible(bool(metrics.get("base_perplexity")))
            return
        distance = stylometry["distance"]
        self.base_set.append([float(distance[name]["base"]) for name in ROWS])
        self.adapter_set.append([float(distance[name]["adapter"]) for name in ROWS])
        top = max(0.1, *(float(distance[name][side]) for name in ROWS for side in ("base", "adapter")))
        ceiling = min(1.0, math.ceil(top * 10.5) / 10)
        self.values.setTickInterval(0.1 if ceiling <= 0.5 else 0.2)
        self.values.setRange(0, ceiling)
        parts = []
        for name in ROWS:
            closer = distance[name]["percent_closer"]
            label = FEATURE_LABELS.get(name, "Overall")
            parts.append(f"{label}: {closer:+.0f} %" if closer is not None else f"{label}: already equal")
        language = "per character" if stylometry.get("language") == "zh" else "per word"
        self.closer.setText("Closer to you than the base model (measured " + language + "): " + " · ".join(parts))
        self.view.setVisible(True)
        self.setVisible(True)

    def bar_values(self) -> tuple[list[float], list[float]]:
        """(base, adapter) bar heights in the order of ``ROWS``: what a test checks."""
        return ([self.base_set.at(i) for i in range(self.base_set.count())],
                [self.adapter_set.at(i) for i in range(self.adapter_set.count())])
