"""A progress bar drawn in the Progress column with the platform's own style."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QWidget,
)

from governance_desktop.ui.pages.jobs.model import ProgressRole

PIXMAPS = 256  # drawn bars kept; a live table needs a handful (0 %, 100 %, a few between)
_STATES = (
    QStyle.StateFlag.State_Enabled
    | QStyle.StateFlag.State_Active
    | QStyle.StateFlag.State_Selected
    | QStyle.StateFlag.State_MouseOver
)


class ProgressDelegate(QStyledItemDelegate):
    """Paints `ProgressRole` (0–100) as a progress bar; empty rows paint as usual.

    A repaint of the table redraws every visible bar: each bar is drawn by the style once
    per (value, size, state, palette) into a pixmap and copied afterwards."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmaps: dict[tuple[int, int, int, int, int, int, float], QPixmap] = {}

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        value = index.data(ProgressRole)
        if not isinstance(value, int):
            super().paint(painter, option, index)
            return
        widget = option.widget
        style = widget.style() if widget else QApplication.style()
        # The cell's own background (alternate rows, selection), then the bar inside it.
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        rect = option.rect.adjusted(4, 4, -4, -4)
        if rect.width() <= 0 or rect.height() <= 0:
            return
        state = option.state & _STATES
        ratio = painter.device().devicePixelRatioF()
        key = (
            value,
            rect.width(),
            rect.height(),
            int(state.value),
            int(option.palette.cacheKey()),
            id(style),
            ratio,
        )
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = self._draw_bar(value, rect, state, option, style, ratio)
            if len(self._pixmaps) >= PIXMAPS:
                self._pixmaps.clear()
            self._pixmaps[key] = pixmap
        painter.drawPixmap(rect.topLeft(), pixmap)

    @staticmethod
    def _draw_bar(
        value: int,
        rect: QRect,
        state: QStyle.StateFlag,
        option: QStyleOptionViewItem,
        style: QStyle,
        ratio: float,
    ) -> QPixmap:
        pixmap = QPixmap(rect.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(0, 0, rect.width(), rect.height())
        bar.minimum, bar.maximum, bar.progress = 0, 100, value
        bar.text = f"{value} %"
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = state | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        bar.fontMetrics = option.fontMetrics
        painter = QPainter(pixmap)
        painter.setFont(option.font)
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
        painter.end()
        return pixmap
