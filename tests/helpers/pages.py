"""Showing a page widget in a test the way the window shows it: owned by qtbot, sized, visible."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

PageT = TypeVar("PageT", bound=QWidget)


def make_page(qtbot: QtBot, page: PageT, width: int = 1100, height: int = 700) -> PageT:
    """`page` registered with qtbot (closed at teardown), resized to `width` x `height` and
    shown; the caller waits for whatever the page loads."""
    qtbot.addWidget(page)
    page.resize(width, height)
    page.show()
    return page
