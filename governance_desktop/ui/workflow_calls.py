"""Background calls whose callbacks are dropped once their widget is gone.

A result can arrive after its page was closed and deleted (at shutdown, or between tests);
calling into a deleted widget would raise, so such late results are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtWidgets import QWidget

from governance_desktop.ui.background import Background


def while_alive(widget: QWidget, fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """``fn``, but only while ``widget`` still exists."""

    def call(value: Any) -> None:
        if shiboken6.isValid(widget):
            fn(value)

    return call


class GuardedCalls:
    """``read`` / ``write`` like Background, with callbacks guarded by ``while_alive``."""

    def __init__(self, widget: QWidget, background: Background) -> None:
        self._widget = widget
        self._background = background

    def read(
        self, fn: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[str], None]
    ) -> None:
        self._background.read(
            fn, while_alive(self._widget, done), while_alive(self._widget, failed)
        )

    def write(
        self, fn: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[str], None]
    ) -> None:
        self._background.write(
            fn, while_alive(self._widget, done), while_alive(self._widget, failed)
        )
