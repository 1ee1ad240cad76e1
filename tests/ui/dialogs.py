"""Answering the window's modal message boxes in tests: a timer finds the box by objectName
once its event loop runs and clicks the named button."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox


class Seen(list[str]):
    """The texts of the boxes answered (for assertions); holds its polling timer."""


def answer_box(box_name: str, button: str | QMessageBox.StandardButton) -> Seen:
    """The next QMessageBox named `box_name` is answered with `button` (its objectName, its
    text, or a standard button); returns the list its text is appended to."""
    seen = Seen()
    timer = QTimer(interval=10)
    tries = [0]

    def look() -> None:
        tries[0] += 1
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box.objectName() != box_name:
            if tries[0] > 1000:  # ~10 s: the box never came (the test's assertions say so)
                timer.stop()
            return
        timer.stop()
        seen.append(box.text())
        if isinstance(button, QMessageBox.StandardButton):
            target: QAbstractButton | None = box.button(button)
        else:
            target = next((b for b in box.buttons() if button in (b.objectName(), b.text())), None)
        assert target is not None, f"no button {button!r} in {box_name}"
        target.click()

    timer.timeout.connect(look)
    timer.start()
    seen.timer = timer  # type: ignore[attr-defined]  # kept alive until answered
    return seen
