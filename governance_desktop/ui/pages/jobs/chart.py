"""Jobs finished per second over the last minutes, drawn with QPainter (no QtCharts)."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QHideEvent, QPainter, QPaintEvent, QPalette, QPen, QShowEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from governance_desktop.ui.widgets import named

WINDOW_SECONDS = 300
REPAINT_MS = 250  # at most 4 repaints a second however many jobs finish


class JobsChart(QWidget):
    """Per-second bars. `set_history` (a database read) is the truth up to its time;
    `add_finished` (job events) fills in the seconds after it until the next read."""

    def __init__(self, window_seconds: int = WINDOW_SECONDS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "jobsChart")
        self.window_seconds = window_seconds
        self._history: Counter[int] = Counter()
        self._history_until = 0.0
        self._live: list[float] = []
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._ticker = QTimer(self, interval=1000)
        self._ticker.timeout.connect(self.update)
        # Finished jobs arrive up to thousands a second: they mark the chart stale and one
        # repaint follows within REPAINT_MS instead of one per event.
        self._repaint = QTimer(self, singleShot=True, interval=REPAINT_MS)
        self._repaint.timeout.connect(self.update)

    # --- data -------------------------------------------------------------------------------

    def set_history(self, finished: Iterable[datetime], until: float) -> None:
        self._history = Counter(int(at.timestamp()) for at in finished)
        self._history_until = until
        self._live = [at for at in self._live if at > until]
        self.update()

    def add_finished(self, at: datetime) -> None:
        self._live.append(at.timestamp())
        horizon = time.time() - self.window_seconds
        if len(self._live) > 10_000 or (self._live and self._live[0] < horizon):
            self._live = [t for t in self._live if t >= horizon]
        if not self._repaint.isActive():
            self._repaint.start()

    def bins(self, now: float | None = None) -> list[int]:
        """Counts per second, oldest first, the last one being the current second."""
        end = int(now if now is not None else time.time())
        start = end - self.window_seconds + 1
        counts = Counter({s: n for s, n in self._history.items() if s >= start})
        counts.update(int(t) for t in self._live if t > self._history_until and int(t) >= start)
        return [counts.get(second, 0) for second in range(start, end + 1)]

    # --- painting ---------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        self._ticker.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._ticker.stop()
        self._repaint.stop()
        super().hideEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        bins = self.bins()
        peak = max(bins) if bins else 0
        recent = sum(bins[-10:]) / 10 if bins else 0.0
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        metrics = painter.fontMetrics()
        line = metrics.height()
        minutes = self.window_seconds // 60
        title = f"Jobs finished per second, last {minutes} min — now {recent:.1f}/s, peak {peak}/s"
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(QPointF(8, line), title)

        top = 1.6 * line
        left = metrics.horizontalAdvance("0000") + 12
        area = QRectF(left, top, self.width() - left - 10, self.height() - top - line - 8)
        if area.width() <= 10 or area.height() <= 10:
            painter.end()
            return
        scale = max(1, _nice_ceiling(peak))
        grid = QPen(palette.color(QPalette.ColorRole.Mid))
        grid.setStyle(Qt.PenStyle.DotLine)
        text_pen = QPen(palette.color(QPalette.ColorRole.PlaceholderText))
        for fraction in (0.0, 0.5, 1.0):
            y = area.bottom() - fraction * area.height()
            painter.setPen(grid)
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(text_pen)
            label = f"{scale * fraction:g}"
            painter.drawText(
                QRectF(0, y - line / 2, left - 6, line),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )
        for minute in range(minutes + 1):
            x = area.right() - minute * 60 / self.window_seconds * area.width()
            label = "now" if minute == 0 else f"−{minute} min"
            width = metrics.horizontalAdvance(label)
            painter.drawText(
                QPointF(min(x - width / 2, area.right() - width), self.height() - 4), label
            )

        bar_width = area.width() / len(bins)
        colour = palette.color(QPalette.ColorRole.Highlight)
        for i, count in enumerate(bins):
            if count:
                height = count / scale * area.height()
                painter.fillRect(
                    QRectF(
                        area.left() + i * bar_width,
                        area.bottom() - height,
                        max(1.0, bar_width - 0.5),
                        height,
                    ),
                    colour,
                )
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid)))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.end()


def _nice_ceiling(value: float) -> float:
    """1, 2, 5, 10, 20, 50… at or above `value`."""
    if value <= 1:
        return 1
    power = float(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power
