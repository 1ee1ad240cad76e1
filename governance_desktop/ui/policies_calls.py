"""Background calls for a widget: results that arrive after the widget is gone are dropped.

A read may finish after its page was closed (shutdown, tests); calling into a deleted Qt
object would raise in the event loop, so each callback first checks its owner still exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtWidgets import QWidget

from governance_desktop.ui.background import Background, Done, Failed


class OwnedCalls:
    """`read` / `write` like `Background`, bound to `owner`'s lifetime."""

    def __init__(self, owner: QWidget, background: Background) -> None:
        self._owner = owner
        self._background = background

    def _guard(self, callback: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
        if callback is None:
            return None
        owner = self._owner

        def call(value: Any) -> None:
            if shiboken6.isValid(owner):
                callback(value)

        return call

    def read(
        self, fn: Callable[[], Any], done: Done | None = None, failed: Failed | None = None
    ) -> None:
        self._background.read(fn, self._guard(done), self._guard(failed))

    def write(
        self, fn: Callable[[], Any], done: Done | None = None, failed: Failed | None = None
    ) -> None:
        self._background.write(fn, self._guard(done), self._guard(failed))
