"""The home page's tiles, drawn with QPainter (no QtCharts): a figure tile (a big number and
what it counts) and a bar row (a dot, a name, a bar and its figure). Each is a button — it
takes focus from Tab, Enter or Space opens it, a screen reader reads its figure — that asks
for a page on a view (`open_requested`) when pressed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QEnterEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QAbstractButton, QSizePolicy, QWidget

from governance_desktop.ui.widgets import named

#: The red of failed and rejected states (ui/pages/policies/models.STATUS_COLOURS).
ALERT = QColor("#ef4444")
RADIUS = 6.0


def outline(palette: QPalette, alpha: int = 110) -> QColor:
    """A thin edge in the text colour, so a dark status colour (retired) stays visible on a
    dark palette and a light one on a light palette."""
    colour = QColor(palette.color(QPalette.ColorRole.WindowText))
    colour.setAlpha(alpha)
    return colour


class Tile(QAbstractButton):
    """A painted button that asks for `target` (page name, view) when pressed."""

    open_requested = Signal(str, str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, name)
        self.target: tuple[str, str] = ("", "")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self._hovered = False
        self.clicked.connect(self._open)

    def _open(self) -> None:
        if self.target[0]:
            self.open_requested.emit(*self.target)

    def describe(self, spoken: str, tip: str) -> None:
        """What a screen reader reads (the figure) and the tooltip (where it leads)."""
        self.setAccessibleName(spoken)
        self.setToolTip(tip)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.animateClick()
            event.accept()
            return
        super().keyPressEvent(event)

    def enterEvent(self, event: QEnterEvent) -> None:
        self._hovered = True
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hovered = False
        self.update()
        super().leaveEvent(event)

    def paint_frame(self, painter: QPainter, *, fill: bool, margin: float = 6) -> QRectF:
        """The tile's background and edge (the highlight colour on hover and focus); returns
        the inner rectangle."""
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)
        focused = self.hasFocus()
        edge = (
            palette.color(QPalette.ColorRole.Highlight)
            if focused or self._hovered
            else palette.color(QPalette.ColorRole.Mid)
        )
        painter.setPen(QPen(edge, 2.5 if focused else 1.0))
        if fill:
            painter.setBrush(palette.color(QPalette.ColorRole.Base))
        elif self._hovered or focused:
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
        else:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        return rect.adjusted(10, margin, -10, -margin)


class FigureTile(Tile):
    """A big number, what it counts, and a line of detail. `alert` (the figure is trouble:
    overdue, failed) paints the number red; `late` (some of it is overdue) the detail line;
    either adds a red edge."""

    def __init__(self, name: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.caption = caption
        self.value = 0
        self.detail = ""
        self.alert = False
        self.late = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_figure(
        self, value: int, detail: str = "", *, alert: bool = False, late: bool = False
    ) -> None:
        self.value, self.detail = value, detail
        self.alert, self.late = alert and value > 0, late
        self.update()

    def _big_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        return font

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        big = QFontMetrics(self._big_font(), self).height()
        return QSize(12 * line, big + 2 * line + 22)

    def minimumSizeHint(self) -> QSize:
        hint = self.sizeHint()
        return QSize(8 * self.fontMetrics().height(), hint.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        inner = self.paint_frame(painter, fill=True)
        if self.alert or self.late:  # a red edge on the left: something needs someone
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(ALERT)
            painter.drawRoundedRect(QRectF(inner.left() - 8, inner.top(), 4, inner.height()), 2, 2)
        big = self._big_font()
        painter.setFont(big)
        big_height = painter.fontMetrics().height()
        number = palette.color(QPalette.ColorRole.WindowText)
        painter.setPen(ALERT if self.alert else number)
        painter.drawText(
            QRectF(inner.left(), inner.top(), inner.width(), big_height),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            f"{self.value:,}",
        )
        painter.setFont(self.font())
        metrics = painter.fontMetrics()
        line = metrics.height()
        top = inner.top() + big_height
        painter.setPen(number)
        painter.drawText(
            QRectF(inner.left(), top, inner.width(), line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(self.caption, Qt.TextElideMode.ElideRight, int(inner.width())),
        )
        if self.detail:
            painter.setPen(
                ALERT if self.late else palette.color(QPalette.ColorRole.PlaceholderText)
            )
            painter.drawText(
                QRectF(inner.left(), top + line, inner.width(), line),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                metrics.elidedText(self.detail, Qt.TextElideMode.ElideRight, int(inner.width())),
            )
        painter.end()


class BarRow(Tile):
    """One bar of a bar chart: a dot in `colour`, a label, a bar `fraction` long, and the
    figure (with a note) after it. `label_width` lines the bars of one chart up."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.label = ""
        self.figure = ""
        self.fraction = 0.0
        self.colour = QColor("#8a8a8a")
        self.label_text_width = "Awaiting approval"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_bar(self, label: str, figure: str, fraction: float, colour: QColor) -> None:
        self.label, self.figure = label, figure
        self.fraction = min(1.0, max(0.0, fraction))
        self.colour = colour
        self.update()

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(20 * line, int(line * 1.8))

    def minimumSizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(12 * line, int(line * 1.8))

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        inner = self.paint_frame(painter, fill=False, margin=1)
        metrics = painter.fontMetrics()
        line = metrics.height()
        mid = inner.center().y()
        edge = outline(palette)
        dot = line * 0.6
        painter.setPen(QPen(edge, 1.0))
        painter.setBrush(self.colour)
        painter.drawEllipse(QRectF(inner.left(), mid - dot / 2, dot, dot))

        text_left = inner.left() + dot + 6
        label_width = min(metrics.horizontalAdvance(self.label_text_width) + 8, inner.width() / 3)
        figure_width = max(
            metrics.horizontalAdvance(self.figure), metrics.horizontalAdvance("0" * 6)
        )
        text = palette.color(QPalette.ColorRole.WindowText)
        painter.setPen(text)
        painter.drawText(
            QRectF(text_left, inner.top(), label_width, inner.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(self.label, Qt.TextElideMode.ElideRight, int(label_width - 4)),
        )
        track_left = text_left + label_width
        track = QRectF(
            track_left,
            mid - line * 0.35,
            max(0.0, inner.right() - figure_width - 8 - track_left),
            line * 0.7,
        )
        if track.width() > 4:
            groove = QColor(palette.color(QPalette.ColorRole.Mid))
            groove.setAlpha(60)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(groove)
            painter.drawRoundedRect(track, 3, 3)
            if self.fraction > 0:
                bar = QRectF(
                    track.left(),
                    track.top(),
                    max(3.0, track.width() * self.fraction),
                    track.height(),
                )
                painter.setPen(QPen(edge, 1.0))
                painter.setBrush(self.colour)
                painter.drawRoundedRect(bar, 3, 3)
        painter.setPen(text)
        painter.drawText(
            QRectF(inner.right() - figure_width, inner.top(), figure_width, inner.height()),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            self.figure,
        )
        painter.end()
