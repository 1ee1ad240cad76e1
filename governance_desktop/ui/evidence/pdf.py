"""Painting the evidence record: an A4 PDF (Qt's QTextDocument laid out page by page on a
QPdfWriter, each page with a footer naming the record and "Page N of M"), or one page as an
image for a person to look at. Qt paints on the GUI thread only; the command line gets a
QApplication on the offscreen platform when it has none (`ensure_gui`)."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QPen,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication

from governance_desktop.services.evidence import Evidence, when
from governance_desktop.ui.evidence.html import evidence_html

MARGINS_MM = QMarginsF(18, 16, 18, 14)  # left, top, right, bottom
FOOTER_MM = 9.0
PDF_DPI = 300


def ensure_gui() -> QGuiApplication:
    """The running Qt application, or a new one (offscreen when there is no display)."""
    app = QGuiApplication.instance()
    if app is not None:
        return app  # type: ignore[return-value]
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # A QApplication (not a bare QGuiApplication): whatever runs later in this process
    # (the window, a test's widgets) needs one, and Qt allows only one application object.
    return QApplication(["governance-desktop"])


def _mm(value: float, dpi: float) -> float:
    return value / 25.4 * dpi


def _document(ev: Evidence, device: QPaintDevice) -> QTextDocument:
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(device)
    font = QFont("DejaVu Sans", 9)
    font.setFeature(QFont.Tag("liga"), 0)  # "fi", not "ﬁ", when text is copied out of the PDF
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(evidence_html(ev))
    return doc


def _footer(ev: Evidence) -> str:
    return (
        f"Evidence record {ev.policy.code} · exported {when(ev.exported_at)} by "
        f"{ev.exported_by} · audit head {ev.chain.head_hash[:16]}…"
    )


def _paint(
    painter: QPainter,
    doc: QTextDocument,
    width: float,
    height: float,
    dpi: float,
    footer: str,
    new_page: Callable[[], object] | None,
    only_first: bool = False,
) -> int:
    """Lay ``doc`` out in pages of ``width`` × (``height`` less the footer) and paint them
    (all, or the first only); returns the page count."""
    footer_h = _mm(FOOTER_MM, dpi)
    body_h = height - footer_h
    doc.setPageSize(QSizeF(width, body_h))
    pages = doc.pageCount()
    font = QFont("DejaVu Sans", 7)
    for index in range(1 if only_first else pages):
        if index and new_page is not None:
            new_page()
        painter.save()
        painter.translate(0, -index * body_h)
        doc.drawContents(painter, QRectF(0, index * body_h, width, body_h))
        painter.restore()
        line_y = height - footer_h + _mm(3, dpi)
        painter.setPen(QPen(QColor("#9aa5b1"), max(1.0, dpi / 150)))
        painter.drawLine(0, int(line_y), int(width), int(line_y))
        painter.setPen(QColor("#444444"))
        painter.setFont(font)
        text_box = QRectF(0, line_y + _mm(1, dpi), width, footer_h - _mm(4, dpi))
        painter.drawText(text_box, Qt.AlignmentFlag.AlignLeft, footer)
        painter.drawText(text_box, Qt.AlignmentFlag.AlignRight, f"Page {index + 1} of {pages}")
    return pages


def render_pdf(ev: Evidence) -> bytes:
    """The evidence record as an A4 PDF (bytes)."""
    ensure_gui()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(PDF_DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            MARGINS_MM,
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setTitle(f"Evidence record {ev.policy.code} — {ev.policy.title}")
    writer.setCreator("Governance Desktop")
    doc = _document(ev, writer)
    painter = QPainter(writer)
    try:
        _paint(painter, doc, writer.width(), writer.height(), PDF_DPI, _footer(ev), writer.newPage)
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def first_page_image(ev: Evidence, dpi: int = 110) -> QImage:
    """Page 1 of the PDF painted the same way on a white A4 image (to look at it)."""
    ensure_gui()
    a4 = QPageSize(QPageSize.PageSizeId.A4).size(QPageSize.Unit.Millimeter)
    size = (int(_mm(a4.width(), dpi)), int(_mm(a4.height(), dpi)))
    image = QImage(*size, QImage.Format.Format_RGB32)
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    image.fill(QColor("white"))
    left, top = _mm(MARGINS_MM.left(), dpi), _mm(MARGINS_MM.top(), dpi)
    width = image.width() - left - _mm(MARGINS_MM.right(), dpi)
    height = image.height() - top - _mm(MARGINS_MM.bottom(), dpi)
    doc = _document(ev, image)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.translate(left, top)
        _paint(painter, doc, width, height, dpi, _footer(ev), None, only_first=True)
    finally:
        painter.end()
    return image
