"""Render the app icon's PNG sizes (and the Windows .ico) from its SVG source.

Run after editing `governance_desktop/resources/icons/governance-desktop.svg`:
`QT_QPA_PLATFORM=offscreen python packaging/make_icons.py`. The PNGs are committed, so a
build never needs this step.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "governance_desktop" / "resources" / "icons"
NAME = "governance-desktop"
SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def write_ico(path: Path, images: list[QImage]) -> None:
    """A .ico with PNG-compressed entries (Windows Vista and later read these)."""
    blobs = [png_bytes(img) for img in images]
    header = struct.pack("<HHH", 0, 1, len(blobs))
    offset = 6 + 16 * len(blobs)
    entries = b""
    for img, blob in zip(images, blobs, strict=True):
        side = img.width() if img.width() < 256 else 0  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    path.write_bytes(header + entries + b"".join(blobs))


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / f"{NAME}.svg"))
    if not renderer.isValid():
        sys.stderr.write("error: the SVG icon does not parse\n")
        return 1
    for size in SIZES:
        render(renderer, size).save(str(ICONS / f"{NAME}-{size}.png"))
    write_ico(ICONS / f"{NAME}.ico", [render(renderer, s) for s in ICO_SIZES])
    print(f"wrote {len(SIZES)} PNGs and {NAME}.ico to {ICONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
