"""When the flow's messages would have gone out: per day (UTC) and per hour of the customer's day.

Two small QtCharts bar charts, coloured from the editor's theme (QtCharts'
own themes would not match it). Days are labelled once a week or so and
hours every three, so the axes stay readable in a low dock.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from PySide6.QtCharts import QBarSeries, QBarSet, QCategoryAxis, QChart, QChartView, QValueAxis
from PySide6.QtCore import QDate, QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from designer.engine.figures import SimulationResult
from designer.ui import theme
from designer.ui.backtest import numbers


def _nice_max(n: int) -> int:
    """A round axis top at or above ``n`` (so tick labels are whole numbers)."""
    if n <= 4:
        return 4
    scale = 1
    while True:
        for step in (1, 2, 5):
            top = step * scale * 4
            if top >= n:
                return top
        scale *= 10


def day_series(result: SimulationResult) -> list[tuple[str, int]]:
    """Every day of the window with its messages (by the customers' own days), zero days included
    (gaps are information)."""
    if result.window_to <= result.window_from:
        return sorted(result.messages_per_day.items())
    first = datetime.fromtimestamp(result.window_from / 1000, timezone.utc).date()
    last = datetime.fromtimestamp((result.window_to - 1) / 1000, timezone.utc).date()
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    known = set(days)
    extra = [d for d in result.messages_per_day if d not in known]
    return [(d, result.messages_per_day.get(d, 0)) for d in sorted(days + extra)]


class BarChart(QChartView):
    """One bar chart: values by position, a few labels along the bottom."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().hide()
        chart.setBackgroundRoundness(0)
        chart.setMargins(QMargins(4, 2, 4, 2))
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(120)
        self.chart_title = title
        self.values: list[int] = []
        self.labels: list[tuple[int, str]] = []
        self.stale = False
        self._series: QBarSeries | None = None
        self.x_axis = QCategoryAxis()
        self.x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("%d")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.set_values([], [])

    def set_values(self, values: list[int], labels: list[tuple[int, str]], stale: bool = False) -> None:
        """Bars for ``values``; ``labels`` as (position, text) along the x axis."""
        self.values, self.labels, self.stale = list(values), list(labels), stale
        chart = self.chart()
        if self._series is not None:
            chart.removeSeries(self._series)
        bars = QBarSet("messages")
        bars.append([float(v) for v in values])
        series = QBarSeries()
        series.setBarWidth(0.8)
        series.append(bars)
        chart.addSeries(series)
        series.attachAxis(self.x_axis)
        series.attachAxis(self.y_axis)
        self._series = series
        for label in list(self.x_axis.categoriesLabels()):
            self.x_axis.remove(label)
        for position, text in labels:
            self.x_axis.append(text, float(position))
        self.x_axis.setRange(-0.5, max(0.5, len(values) - 0.5))
        top = _nice_max(max(values, default=0))
        self.y_axis.setRange(0, top)
        self.y_axis.setTickCount(5)
        self.restyle()

    def restyle(self) -> None:
        pal = QApplication.palette()
        chart = self.chart()
        text = pal.color(QPalette.ColorRole.Text)
        muted = theme.color("muted")
        grid = theme.color("border")
        chart.setBackgroundBrush(pal.color(QPalette.ColorRole.Base))
        chart.setPlotAreaBackgroundVisible(False)
        self.setBackgroundBrush(pal.color(QPalette.ColorRole.Base))
        title_font = QFont(QApplication.font())
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        chart.setTitleBrush(text)
        chart.setTitle(self.chart_title + ("  (out of date)" if self.stale else ""))
        small = QFont(QApplication.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        for axis in (self.x_axis, self.y_axis):
            axis.setLabelsFont(small)
            axis.setLabelsColor(muted)
            axis.setLinePen(QPen(grid))
            axis.setGridLinePen(QPen(grid, 0.6))
        self.x_axis.setGridLineVisible(False)
        if self._series is not None:
            colour = QColor(muted if self.stale else pal.color(QPalette.ColorRole.Highlight))
            for bar_set in self._series.barSets():
                bar_set.setColor(colour)
                bar_set.setBorderColor(colour)


class MessageCharts(QWidget):
    """Messages per UTC day and per local hour, side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # One rule for both: the customer's own calendar, in their time zone.
        self.per_day = BarChart("Messages per day (each customer's own day)")
        self.per_hour = BarChart("Messages per hour (each customer's own clock)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.per_day, 3)
        layout.addWidget(self.per_hour, 2)
        theme.notifier().themeChanged.connect(self._theme_changed)

    def show_result(self, result: SimulationResult | None, stale: bool = False) -> None:
        if result is None:
            self.per_day.set_values([], [])
            self.per_hour.set_values([], [])
            return
        days = day_series(result)
        every = max(1, round(len(days) / 6))
        loc = numbers.locale()
        day_labels = [(i, loc.toString(QDate.fromString(d, "yyyy-MM-dd"), "d MMM")) for i, (d, _n) in enumerate(days)
                      if i % every == 0]
        self.per_day.set_values([n for _d, n in days], day_labels, stale)
        hours = list(result.messages_per_hour) + [0] * (24 - len(result.messages_per_hour))
        self.per_hour.set_values(hours[:24], [(h, f"{h:02d}:00") for h in range(0, 24, 3)], stale)

    def set_stale(self, stale: bool) -> None:
        for chart in (self.per_day, self.per_hour):
            chart.stale = stale
            chart.restyle()

    def _theme_changed(self, _name: str) -> None:
        self.per_day.restyle()
        self.per_hour.restyle()
