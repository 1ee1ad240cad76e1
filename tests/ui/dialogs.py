"""Answering the window's modal message boxes in tests: a timer finds the box by objectName
once its event loop runs and clicks the named button."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox

#: What each answer found, in order (the box's text), for assertions.
Seen = list[str]


def answer_box(box_name: str, button: str | QMessageBox.StandardButton) -> Seen:
    """The next QMessageBox named `box_name` is answered with `button` (its objectName, its
    text, or a standard button); returns the list its text is appended to."""
    seen: Seen = []

    def look() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box.objectName() != box_name:
            QTimer.singleShot(10, look)
            return
        seen.append(box.text())
        if isinstance(button, QMessageBox.StandardButton):
            target: QAbstractButton | None = box.button(button)
        else:
            target = next((b for b in box.buttons() if button in (b.objectName(), b.text())), None)
        assert target is not None, f"no button {button!r} in {box_name}"
        target.click()

    QTimer.singleShot(0, look)
    return seen
